"""Timing, machine ceilings (memory bandwidth, matrix-product rate) and scaling sweeps.

Everything is timed on the device it runs on, with ``torch.cuda.synchronize`` around each
timed call on CUDA; inputs are created on the device before the clock starts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

from ..approx import FeedForwardApproximation
from ..common import measure
from ..dynamics import RecurrentNetwork, solve_fixed_points

# Calls shorter than this are repeated in a loop so the clock's resolution does not matter.
MIN_TIMED_SECONDS = 0.01


def forward_chunk(device: torch.device) -> int:
    """Rows per forward pass of the approximation: cache-sized on a CPU, large on a GPU."""
    return 8192 if device.type == "cpu" else 1 << 24


def timed(
    func: Callable[[], object], device: torch.device, *, repeats: int = 3, budget: float = 60.0
) -> tuple[float, int]:
    """Median wall seconds per call of ``func`` and how many timings it took (calls under
    10 ms are looped within each timing)."""
    timing, _ = measure(
        func, repeats=repeats, device=device, budget=budget, min_seconds=MIN_TIMED_SECONDS
    )
    return timing.wall, timing.repeats


def memory_bandwidth(device: torch.device, n_bytes: int) -> float:
    """Bytes read plus written per second by a large tensor copy on ``device``."""
    n = n_bytes // 4
    source = torch.rand(n, device=device)
    target = torch.empty_like(source)
    seconds, _ = timed(lambda: target.copy_(source), device, repeats=5, budget=10.0)
    return 2 * n * 4 / seconds


def matmul_rate(device: torch.device, size: int, dtype: torch.dtype) -> float:
    """Floating-point operations per second of a square matrix product."""
    a = torch.rand(size, size, device=device, dtype=dtype)
    b = torch.rand(size, size, device=device, dtype=dtype)
    seconds, _ = timed(lambda: a @ b, device, repeats=5, budget=10.0)
    return 2 * size**3 / seconds


def uniform_inputs(n_rows: int, n: int, *, seed: int, dtype, device) -> torch.Tensor:
    generator = torch.Generator(device=device).manual_seed(seed)
    return torch.rand(n_rows, n, generator=generator, dtype=dtype, device=device).mul_(2).sub_(1)


def chunked(forward: Callable, chunk_rows: int) -> Callable[[torch.Tensor], list]:
    """``forward`` applied chunk by chunk, so hidden activations stay in cache on CPUs."""
    return lambda x: [forward(x[a : a + chunk_rows]) for a in range(0, len(x), chunk_rows)]


def random_contraction(n: int, *, seed: int, spectral_norm: float = 0.8) -> RecurrentNetwork:
    """Gaussian weights scaled to ``||W||_2 = spectral_norm < 1``: ``x -> W[x]^+ + d`` is a
    contraction, so each input has one globally attracting fixed point."""
    weights = np.random.default_rng(seed).normal(size=(n, n))
    weights *= spectral_norm / np.linalg.norm(weights, 2)
    return RecurrentNetwork(weights)


def _measure(name, size, rows, func, device, *, cap, repeats, projected) -> dict:
    entry = {"method": name, "size": size, "n_inputs": rows}
    if projected is not None and projected > cap:
        entry |= {"throughput": None, "skipped": f"projected {projected:.0f} s > cap {cap:g} s"}
        return entry
    seconds, count = timed(func, device, repeats=repeats, budget=cap)
    return entry | {"seconds": seconds, "repeats": count, "throughput": rows / seconds}


def batch_scaling(
    network: RecurrentNetwork,
    model: FeedForwardApproximation,
    batch_sizes: Sequence[int],
    *,
    device: torch.device,
    cap: float,
    repeats: int,
    chunk_rows: int,
    seed: int,
    progress: Callable[[str], None],
) -> list[dict]:
    """Throughput of the exact float64 solver and of the approximation against batch size.

    A measurement is skipped when the previous batch size's time per input projects it
    above ``cap`` seconds.
    """
    entries = []
    forward = chunked(model, chunk_rows)
    for name in ("ffapprox float64", "approximation float32"):
        per_input = None
        for rows in batch_sizes:
            progress(f"batch scaling: {name}, batch {rows}")
            dtype = torch.float64 if name.startswith("ffapprox") else torch.float32
            x = uniform_inputs(rows, network.n_neurons, seed=seed, dtype=dtype, device=device)
            if name.startswith("ffapprox"):
                func = lambda x=x: solve_fixed_points(network, x, device=device)  # noqa: E731
            else:
                func = lambda x=x: forward(x)  # noqa: E731
            projected = None if per_input is None else per_input * rows
            entry = _measure(
                name, rows, rows, func, device, cap=cap, repeats=repeats, projected=projected
            )
            entries.append(entry)
            if entry["throughput"]:
                per_input = 1.0 / entry["throughput"]
            del x
    return entries


def size_scaling(
    network_sizes: Sequence[int],
    *,
    exact_budget: int,
    approx_rows: int,
    device: torch.device,
    cap: float,
    repeats: int,
    chunk_rows: int,
    seed: int,
    progress: Callable[[str], None],
) -> list[dict]:
    """Throughput against network size N on random contractions (``||W||_2 = 0.8``).

    The exact solver gets ``min(10_000, exact_budget / N^2)`` inputs (at least 8), fewer
    where the time per input, projected from the previous size as ``N^3``, would exceed
    ``cap`` (skipped where even one input would); the
    approximation, with random weights and ``max(64, N)`` hidden units (its cost does not
    depend on the weights), gets ``approx_rows`` rows at N = 5 and proportionally fewer
    (same multiply-adds, at least 1024) at larger N.
    """
    entries, per_input, previous = [], None, None
    for n in network_sizes:
        network = random_contraction(n, seed=seed)
        rows = int(max(8, min(10_000, exact_budget // n**2)))
        projected = None
        if per_input is not None:
            # Each input visits its own regions, each costing O(N^3) (linear solve,
            # eigenvalues, Lyapunov equation): project the time per input as N^3.
            per_input *= (n / previous) ** 3
            rows = min(rows, max(1, int(cap / per_input)))
            projected = per_input * rows
        progress(f"size scaling: N={n}, exact solver on {rows} inputs")
        x = uniform_inputs(rows, n, seed=seed, dtype=torch.float64, device=device)
        entry = _measure(
            "ffapprox float64", n, rows,
            lambda x=x, network=network: solve_fixed_points(network, x, device=device),
            device, cap=cap, repeats=repeats, projected=projected,
        )  # fmt: skip
        entries.append(entry)
        per_input = 1.0 / entry["throughput"] if entry["throughput"] else None
        previous = n
        torch.manual_seed(seed)
        hidden = max(64, n)
        model = FeedForwardApproximation(n, hidden).to(device)
        model.requires_grad_(False)
        # As many multiply-adds as approx_rows rows of the N = 5, 64-hidden model.
        rows = int(max(1024, min(approx_rows, approx_rows * 640 // (2 * n * hidden))))
        x = uniform_inputs(rows, n, seed=seed, dtype=torch.float32, device=device)
        progress(f"size scaling: N={n}, approximation on {rows} rows")
        forward = chunked(model, chunk_rows)
        entries.append(
            _measure(
                "approximation float32",
                n,
                rows,
                lambda x=x, forward=forward: forward(x),
                device,
                cap=cap,
                repeats=repeats,
                projected=None,
            )  # fmt: skip
        )
        del x
    return entries
