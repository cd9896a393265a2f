"""The benchmark behind ``ffapprox bench``: ffapprox against the usual ways, in one process.

:func:`run_bench` returns a JSON-ready dict; it prints nothing (progress goes to a
callback) and writes no files. Every method gets the same inputs (uniform in
``(-1, 1)^5``) of the competitive network (:func:`partitioned_network`, Muir 2018) and is
judged the same way:

* throughput: fixed points (or approximation evaluations) per second, median of repeats;
* accuracy: ``max |dx/dt|`` at its answers (float64 :func:`vector_field`), and agreement of
  its rates ``[x]^+`` with ffapprox's exact float64 rates (max abs error, fraction within
  1e-6; an input the method failed on counts as not within);
* outcomes: answers it claimed converged / failed, answers that are unstable fixed points
  (a Jacobian eigenvalue with real part >= 0) and answers at another fixed point.
"""

from __future__ import annotations

import dataclasses
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

import torch

from ..common import machine_info
from ..networks import partitioned_network
from . import _scaling as scaling
from ._fused_mlp import fused_forward
from ._methods import compare_methods

AGREEMENT = 1e-6


@dataclasses.dataclass(frozen=True)
class BenchSizes:
    """How much work each part of the benchmark does."""

    n_inputs: int = 20_000  # shared inputs of the method comparison
    n_scipy: int = 200  # subset solved one by one with solve_ivp
    n_train: int = 20_000  # training set of the approximation
    epochs: int = 10
    batch_sizes: tuple[int, ...] = (1, 10, 100, 1_000, 10_000, 100_000, 1_000_000)
    network_sizes: tuple[int, ...] = (5, 16, 64, 256, 1024)
    exact_budget: int = 20_000_000  # exact solver inputs at size N: exact_budget / N^2
    approx_rows: int = 2**20  # rows for approximation throughput at large batch
    bandwidth_bytes: int = 2**28
    matmul_size: int = 2048
    cap: float = 60.0  # seconds per scaling measurement
    repeats: int = 3

    @classmethod
    def preset(cls, *, quick: bool, cuda: bool) -> BenchSizes:
        if quick and cuda:
            return cls(
                n_inputs=20_000, n_scipy=50, n_train=10_000, epochs=5,
                batch_sizes=(1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000),
                exact_budget=200_000_000, approx_rows=2**26, bandwidth_bytes=2**30,
                matmul_size=8192, cap=20.0,
            )  # fmt: skip
        if quick:
            return cls(
                n_inputs=2_000, n_scipy=50, n_train=5_000, epochs=5,
                batch_sizes=(1, 10, 100, 1_000, 10_000, 100_000), network_sizes=(5, 16, 64),
                exact_budget=2_000_000, approx_rows=2**18, bandwidth_bytes=2**27, cap=10.0,
            )  # fmt: skip
        if cuda:
            return cls(
                n_inputs=100_000,
                batch_sizes=(1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000),
                exact_budget=500_000_000, approx_rows=2**27, bandwidth_bytes=2**30,
                matmul_size=8192,
            )  # fmt: skip
        return cls()


def _variants(model, device: torch.device) -> tuple[dict[str, Callable], dict[str, str]]:
    """The approximation's forward passes to time on ``device``, and those that failed."""
    chunk = scaling.forward_chunk(device)
    variants: dict[str, Callable[[torch.Tensor], object]] = {}
    unavailable = {}
    variants["torch float32"] = scaling.chunked(model, chunk)
    if device.type == "cuda":
        variants["torch float16"] = scaling.chunked(_copy(model).half(), chunk)
        for dtype, label in (
            (torch.float32, "fused triton float32"),
            (torch.float16, "fused triton float16"),
        ):
            try:
                variants[label] = fused_forward(model, dtype)
            except Exception as err:  # Triton missing or unable to compile: say so
                unavailable[label] = f"{type(err).__name__}: {str(err).splitlines()[0]}"
    return variants, unavailable


def _roofline(model, sizes, device, progress) -> dict:
    """The approximation at large batch against this machine's bandwidth and matmul rate."""
    progress("roofline: memory bandwidth and matrix-product rate")
    bandwidth = scaling.memory_bandwidth(device, sizes.bandwidth_bytes)
    peak = {"float32": scaling.matmul_rate(device, sizes.matmul_size, torch.float32)}
    if device.type == "cuda":
        peak["float16"] = scaling.matmul_rate(device, sizes.matmul_size, torch.float16)
    n_in, n_out = model.n_inputs, model.n_outputs
    sizes_ = (n_in, *model.hidden, n_out)
    flops = 2 * sum(a * b for a, b in zip(sizes_[:-1], sizes_[1:], strict=True))
    variants, unavailable = _variants(model, device)
    results = []
    reference_x = scaling.uniform_inputs(4096, n_in, seed=7, dtype=torch.float32, device=device)
    with torch.inference_mode():
        reference = model(reference_x).double()
    for label, forward in variants.items():
        dtype = torch.float16 if "float16" in label else torch.float32
        progress(f"roofline: approximation {label} on {sizes.approx_rows} rows")
        try:
            with torch.inference_mode():
                error = (_cat(forward(reference_x.to(dtype))).double() - reference).abs().max()
                x = scaling.uniform_inputs(
                    sizes.approx_rows, n_in, seed=3, dtype=dtype, device=device
                )
                seconds, repeats = scaling.timed(
                    lambda x=x, forward=forward: forward(x), device, repeats=sizes.repeats,
                    budget=sizes.cap,
                )  # fmt: skip
                del x
        except Exception as err:  # a variant that fails on this machine is reported
            unavailable[label] = f"{type(err).__name__}: {str(err).splitlines()[0]}"
            continue
        item = torch.finfo(dtype).bits // 8
        bytes_per_eval = item * (n_in + n_out)
        rate = sizes.approx_rows / seconds
        bandwidth_bound = bandwidth / bytes_per_eval
        compute_bound = peak["float16" if dtype == torch.float16 else "float32"] / flops
        results.append(
            {
                "variant": label, "n_rows": sizes.approx_rows, "seconds": seconds,
                "repeats": repeats, "evals_per_second": rate, "bytes_per_eval": bytes_per_eval,
                "flops_per_eval": flops, "arithmetic_intensity": flops / bytes_per_eval,
                "flops_per_second": rate * flops, "bandwidth_bound": bandwidth_bound,
                "fraction_of_bandwidth_bound": rate / bandwidth_bound,
                "compute_bound": compute_bound,
                "fraction_of_roofline": rate / min(bandwidth_bound, compute_bound),
                "max_abs_difference_to_torch_float32": float(error),
            }
        )  # fmt: skip
    return {
        "memory_bandwidth_bytes_per_second": bandwidth,
        "bandwidth_measurement": f"torch copy_ of {sizes.bandwidth_bytes} bytes, read + write",
        "matmul_flops_per_second": peak,
        "matmul_measurement": f"{sizes.matmul_size}^3 matrix product",
        "variants": results,
        "unavailable": unavailable,
    }


def _copy(model):
    import copy

    return copy.deepcopy(model)


def _cat(out):
    return torch.cat(out) if isinstance(out, list) else out


def _machine(device: torch.device) -> dict:
    info = machine_info() | {"device": str(device)}
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    return info


def run_bench(
    *,
    quick: bool = False,
    device: torch.device | str = "cpu",
    sizes: BenchSizes | None = None,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Run every part of the benchmark and return the results as a JSON-ready dict.

    Arguments:
        quick: smaller sizes (see :meth:`BenchSizes.preset`).
        device: ``"cpu"`` or a CUDA device; scipy and onnxruntime always run on the CPU.
        sizes: overrides the preset.
        seed: seeds the inputs, the training set and the initialisations.
        progress: called with a short message before each step.

    Returns:
        A dict with keys ``machine``, ``sizes``, ``network``, ``methods`` (one entry per
        method of the comparison), ``summary`` (speed-ups), ``batch_scaling``,
        ``size_scaling``, ``roofline`` and ``unavailable`` (peer -> reason).
    """
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {str(device)!r} requested but CUDA is not available")
    if device.type not in ("cpu", "cuda"):
        raise ValueError(f"device must be cpu or cuda, got {str(device)!r}")
    sizes = sizes or BenchSizes.preset(quick=quick, cuda=device.type == "cuda")
    progress = progress or (lambda message: None)
    network = partitioned_network()
    with warnings.catch_warnings(record=True) as caught, tempfile.TemporaryDirectory() as tmp:
        warnings.simplefilter("always")
        methods, model, unavailable = compare_methods(
            network, sizes, device=device, seed=seed, workdir=Path(tmp), progress=progress
        )
    chunk = scaling.forward_chunk(device)
    model.requires_grad_(False)
    with torch.inference_mode():
        batch = scaling.batch_scaling(
            network, model, sizes.batch_sizes, device=device, cap=sizes.cap,
            repeats=sizes.repeats, chunk_rows=chunk, seed=seed, progress=progress,
        )  # fmt: skip
        by_size = scaling.size_scaling(
            sizes.network_sizes, exact_budget=sizes.exact_budget, approx_rows=sizes.approx_rows,
            device=device, cap=sizes.cap, repeats=sizes.repeats, chunk_rows=chunk, seed=seed,
            progress=progress,
        )  # fmt: skip
    roofline = _roofline(model, sizes, device, progress)
    return {
        "machine": _machine(device),
        "sizes": dataclasses.asdict(sizes),
        "network": {
            "builder": "partitioned_network()",
            "n_neurons": network.n_neurons,
            "fingerprint": network.fingerprint(),
            "inputs": "uniform in (-1, 1)^5",
        },
        "methods": methods,
        "summary": _summary(methods, batch),
        "batch_scaling": batch,
        "size_scaling": by_size,
        "roofline": roofline,
        "unavailable": unavailable,
        "warnings": sorted({f"{w.category.__name__}: {w.message}" for w in caught}),
    }


def _summary(methods: list[dict], batch: list[dict]) -> dict:
    rate = {m["name"]: m.get("throughput") for m in methods}
    exact = rate.get("ffapprox float64")

    def ratio(a, b):
        return a / b if a and b else None

    accurate = [
        m for m in methods
        if m["kind"] == "batched peer" and m.get("throughput")
        and m["accuracy"]["fraction_within"] >= 0.99
    ]  # fmt: skip
    best = max(accurate, key=lambda m: m["throughput"], default=None)
    largest = {}
    for entry in batch:
        if entry.get("throughput"):
            largest[entry["method"]] = max(largest.get(entry["method"], 0), entry["throughput"])
    return {
        "exact_vs_scipy_per_input": ratio(exact, rate.get("scipy solve_ivp RK45, per input")),
        "best_batched_peer_within_1e-6_on_99_percent": best["name"] if best else None,
        "exact_vs_best_batched_peer": ratio(exact, best["throughput"]) if best else None,
        "approximation_vs_exact_same_inputs": ratio(
            rate.get("approximation torch float32"), exact
        ),
        "best_throughput_over_batch_sizes": largest,
        "approximation_vs_exact_best_batch": ratio(
            largest.get("approximation float32"), largest.get("ffapprox float64")
        ),
        "agreement_threshold": AGREEMENT,
        "note": "ratios of throughputs measured in this run; None where a side is missing",
    }
