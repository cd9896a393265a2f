"""The method comparison of the benchmark: every method on the same inputs, judged alike."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from . import _peers as peers
from ._bench_scaling import chunked, synchronize, timed
from ._dataset import generate_dataset
from ._dynamics import jacobian, vector_field
from ._fixed_points import Status, solve_fixed_points
from ._model import FeedForwardApproximation, export_onnx
from ._network import RecurrentNetwork
from ._training import train

AGREEMENT = 1e-6


def judge(
    network: RecurrentNetwork,
    inputs: np.ndarray,
    state: np.ndarray,
    converged: np.ndarray,
    reference_rates: np.ndarray,
    *,
    check_stability: bool = True,
) -> tuple[dict, dict]:
    """Accuracy and outcome counts of answers ``state`` (B, N) claimed ``converged``."""
    state = np.asarray(state, dtype=np.float64)
    ok = np.asarray(converged, dtype=bool) & np.isfinite(state).all(1)
    reference_ok = np.isfinite(reference_rates).all(1)
    residual = np.full(len(state), np.nan)
    if ok.any():
        residual[ok] = vector_field(network, state[ok], inputs[ok]).abs().amax(1).numpy()
    error = np.abs(np.maximum(state, 0.0) - reference_rates).max(1)
    both = ok & reference_ok
    within = both & (error <= AGREEMENT)
    unstable = None
    if check_stability and ok.any():
        eigenvalues = torch.linalg.eigvals(jacobian(network, state[ok]))
        unstable = int((eigenvalues.real.amax(1) >= 0).sum())
    answered = np.isfinite(state).all(1) & reference_ok
    accuracy = {
        "max_residual": float(residual[ok].max()) if ok.any() else None,
        "max_abs_error": float(error[both].max()) if both.any() else None,
        "fraction_within": float(within.sum() / max(1, reference_ok.sum())),
        # Also counting final states of inputs the method itself reported as failed.
        "fraction_within_incl_failed": float(
            (answered & (error <= AGREEMENT)).sum() / max(1, reference_ok.sum())
        ),
    }
    outcomes = {
        "converged": int(ok.sum()),
        "failed": int((~ok).sum()),
        "unstable_answers": unstable,
        "other_fixed_point": int((both & ~within).sum()),
    }
    return accuracy, outcomes


def _entry(name: str, kind: str, n_timed: int, seconds: float, repeats: int, notes: str) -> dict:
    return {
        "name": name,
        "kind": kind,
        "available": True,
        "n_timed": n_timed,
        "seconds": seconds,
        "repeats": repeats,
        "throughput": n_timed / seconds,
        "notes": notes,
    }


def compare_methods(
    network: RecurrentNetwork,
    sizes,
    *,
    device: torch.device,
    seed: int,
    workdir: Path,
    progress: Callable[[str], None],
) -> tuple[list[dict], FeedForwardApproximation, dict]:
    """Run each method on the same inputs; returns (entries, trained model, unavailable)."""
    rng = np.random.default_rng([seed, 1])
    inputs = rng.uniform(-1.0, 1.0, (sizes.n_inputs, network.n_neurons))
    x64 = torch.as_tensor(inputs, device=device)
    x32 = x64.float()
    repeats, cap = sizes.repeats, sizes.cap
    available = peers.availability()
    unavailable = {k: v for k, v in available.items() if v is not None}
    methods: list[dict] = []

    def add(name, kind, n_timed, seconds, count, state, converged, notes=""):
        entry = _entry(name, kind, n_timed, seconds, count, notes)
        rows = slice(0, len(state))
        entry["accuracy"], entry["outcomes"] = judge(
            network, inputs[rows], state, converged, reference[rows],
            check_stability=kind != "approximation",
        )  # fmt: skip
        methods.append(entry)

    def missing(name, kind, library, reason=None):
        reason = reason or unavailable[library]
        methods.append(
            {"name": name, "kind": kind, "available": False, "throughput": None,
             "unavailable_reason": f"{library} unavailable: {reason}"}
        )  # fmt: skip

    def measured(func):
        return _measured(func, device, repeats=repeats, cap=cap)

    progress(f"ffapprox solve_fixed_points on {len(inputs)} inputs")
    exact = solve_fixed_points(network, x64, device=device)  # also the warm-up
    reference = exact.rates.cpu().numpy()
    for dtype, x in ((torch.float64, x64), (torch.float32, x32)):
        result, seconds, count = measured(
            lambda x=x, dtype=dtype: solve_fixed_points(network, x, dtype=dtype, device=device)
        )
        add(
            f"ffapprox {str(dtype).removeprefix('torch.')}", "exact", len(inputs), seconds, count,
            result.state.cpu().double().numpy(),
            result.status.cpu().numpy() == int(Status.STABLE),
            notes="RK4 + exact linear solve per active set, certified",
        )  # fmt: skip

    name = "scipy solve_ivp RK45, per input"
    if available["scipy"] is None:
        subset = inputs[: sizes.n_scipy]
        progress(f"scipy solve_ivp on {len(subset)} inputs, one by one")
        result, seconds, count = _measured(
            lambda: peers.solve_ivp_steady_state(network, subset), device, repeats=1, cap=cap
        )
        add(
            name, "per-input peer", len(subset), seconds, count, result.state, result.converged,
            notes=f"timed on the first {len(subset)} inputs, rate extrapolated",
        )  # fmt: skip
    else:
        missing(name, "per-input peer", "scipy")

    name = "torchdiffeq odeint dopri5, batched"
    if available["torchdiffeq"] is None:
        progress(f"torchdiffeq odeint on {len(inputs)} inputs, batched")
        with torch.inference_mode():
            result, seconds, count = measured(lambda: peers.odeint_steady_state(network, x64))
        add(
            name, "batched peer", len(inputs), seconds, count, result.state, result.converged,
            notes=f"{result.iterations} odeint calls over horizons doubling from t = 1",
        )  # fmt: skip
    else:
        missing(name, "batched peer", "torchdiffeq")

    g = peers.fixed_point_map(network, x64)
    zeros = torch.zeros_like(x64)
    iterative = [
        ("fixed-point iteration", lambda: peers.fixed_point_iteration(g, zeros), None),
        ("Anderson m=5 (DEQ-style)", lambda: peers.anderson(g, zeros), None),
        ("torchdeq Anderson m=5", lambda: peers.torchdeq_anderson(g, zeros), "torchdeq"),
    ]
    for name, solve, library in iterative:
        if library and available[library] is not None:
            missing(name, "batched peer", library)
            continue
        progress(f"{name} on {len(inputs)} inputs, batched")
        with torch.inference_mode():
            result, seconds, count = measured(solve)
        add(
            name, "batched peer", len(inputs), seconds, count, result.state.cpu().numpy(),
            result.converged.cpu().numpy(),
            notes=f"map x <- W[x]^+ + i - b, {result.iterations} iterations, rel tol 1e-8",
        )  # fmt: skip

    model = _trained_model(network, sizes, device=device, seed=seed, progress=progress)
    _approximation(network, model, inputs, x32, workdir, add, missing)
    return methods, model, unavailable


def _measured(func, device, *, repeats: int, cap: float):
    """``(result, median seconds, timings)``: the first call is timed and its result kept;
    more timings follow while the total stays within ``cap`` seconds."""
    times, result = [], None
    while len(times) < max(1, repeats) and (not times or sum(times) + times[0] <= cap):
        synchronize(device)
        start = time.perf_counter()
        outcome = func()
        synchronize(device)
        times.append(time.perf_counter() - start)
        result = outcome if result is None else result
    return result, float(np.median(times)), len(times)


def _trained_model(network, sizes, *, device, seed, progress) -> FeedForwardApproximation:
    progress(f"approximation: dataset of {sizes.n_train} fixed points, training")
    data = generate_dataset(network, sizes.n_train, seed=seed, device=device)
    torch.manual_seed(seed)
    model = FeedForwardApproximation(network.n_neurons, (64,)).to(device)
    train(model, data, epochs=sizes.epochs, restarts=1, batch_size=256, seed=seed, device=device)
    return model.eval()


def _approximation(network, model, inputs, x32, workdir: Path, add, missing) -> None:
    weights, _, bias = network.tensors()

    def as_state(rates: np.ndarray) -> np.ndarray:
        # At a fixed point x = W[x]^+ + i - b: the state implied by the predicted rates.
        return rates @ weights.numpy().T + inputs - bias.numpy()

    model.requires_grad_(False)
    chunk = 8192 if x32.device.type == "cpu" else 1 << 24
    forward = chunked(model, chunk)
    with torch.inference_mode():
        rates = torch.cat(forward(x32)).double().cpu().numpy()
        seconds, count = timed(lambda: forward(x32), x32.device, repeats=5, budget=60.0)
        add(
            "approximation torch float32", "approximation", len(inputs), seconds, count,
            as_state(rates), np.ones(len(inputs), dtype=bool),
            notes=f"hidden {model.hidden}; state reconstructed as W r + i - b",
        )  # fmt: skip
    name = "approximation onnxruntime"
    try:
        import onnxruntime

        path = workdir / "model.onnx"
        export_onnx(model, path)
        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as err:  # onnxruntime missing or the export failed: report, go on
        missing(name, "approximation", "onnxruntime", f"{type(err).__name__}: {err}")
        return
    host = x32.cpu().numpy()
    run = lambda: session.run(None, {"inputs": host})  # noqa: E731
    rates = run()[0].astype(np.float64)
    seconds, count = timed(run, torch.device("cpu"), repeats=5, budget=60.0)
    add(
        name, "approximation", len(inputs), seconds, count, as_state(rates),
        np.ones(len(inputs), dtype=bool),
        notes="CPUExecutionProvider, float32, on the CPU whatever the device",
    )  # fmt: skip
