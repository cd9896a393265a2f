"""The method comparison of the benchmark: every method on the same inputs, judged alike."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from ..approx import FeedForwardApproximation, export_onnx, train
from ..common import measure
from ..data import generate_dataset
from ..dynamics import RecurrentNetwork, Status, jacobian, solve_fixed_points, vector_field
from . import _peers as peers
from ._scaling import chunked, forward_chunk, timed

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


class _Comparison:
    """The methods' entries, judged against ffapprox's exact float64 rates."""

    def __init__(self, network, inputs: np.ndarray, sizes, device: torch.device) -> None:
        self.network, self.inputs, self.sizes, self.device = network, inputs, sizes, device
        self.available = peers.availability()
        self.unavailable = {k: v for k, v in self.available.items() if v is not None}
        self.methods: list[dict] = []
        self.reference: np.ndarray | None = None

    def add(self, name, kind, n_timed, seconds, count, state, converged, notes=""):
        entry = _entry(name, kind, n_timed, seconds, count, notes)
        rows = slice(0, len(state))
        entry["accuracy"], entry["outcomes"] = judge(
            self.network, self.inputs[rows], state, converged, self.reference[rows],
            check_stability=kind != "approximation",
        )  # fmt: skip
        self.methods.append(entry)

    def missing(self, name, kind, library, reason=None):
        reason = reason or self.unavailable[library]
        self.methods.append(
            {"name": name, "kind": kind, "available": False, "throughput": None,
             "unavailable_reason": f"{library} unavailable: {reason}"}
        )  # fmt: skip

    def measured(self, func, repeats: int | None = None):
        repeats = self.sizes.repeats if repeats is None else repeats
        return _measured(func, self.device, repeats=repeats, cap=self.sizes.cap)


def _exact(c: _Comparison, x64: torch.Tensor, progress) -> None:
    progress(f"ffapprox solve_fixed_points on {len(x64)} inputs")
    exact = solve_fixed_points(c.network, x64, device=c.device)  # also the warm-up
    c.reference = exact.rates.cpu().numpy()
    for dtype in (torch.float64, torch.float32):
        x = x64.to(dtype)
        result, seconds, count = c.measured(
            lambda x=x, dtype=dtype: solve_fixed_points(c.network, x, dtype=dtype, device=c.device)
        )
        c.add(
            f"ffapprox {str(dtype).removeprefix('torch.')}", "exact", len(x), seconds, count,
            result.state.cpu().double().numpy(),
            result.status.cpu().numpy() == int(Status.STABLE),
            notes="adaptive Dormand-Prince steps + exact solve per active set, certified",
        )  # fmt: skip


def _ode_peers(c: _Comparison, x64: torch.Tensor, progress) -> None:
    name = "scipy solve_ivp RK45, per input"
    if c.available["scipy"] is None:
        subset = c.inputs[: c.sizes.n_scipy]
        progress(f"scipy solve_ivp on {len(subset)} inputs, one by one")
        result, seconds, count = c.measured(
            lambda: peers.solve_ivp_steady_state(c.network, subset), repeats=1
        )
        c.add(
            name, "per-input peer", len(subset), seconds, count, result.state, result.converged,
            notes=f"timed on the first {len(subset)} inputs, rate extrapolated",
        )  # fmt: skip
    else:
        c.missing(name, "per-input peer", "scipy")
    name = "torchdiffeq odeint dopri5, batched"
    if c.available["torchdiffeq"] is None:
        progress(f"torchdiffeq odeint on {len(x64)} inputs, batched")
        with torch.inference_mode():
            result, seconds, count = c.measured(lambda: peers.odeint_steady_state(c.network, x64))
        c.add(
            name, "batched peer", len(x64), seconds, count, result.state, result.converged,
            notes=f"{result.iterations} odeint calls over horizons doubling from t = 1",
        )  # fmt: skip
    else:
        c.missing(name, "batched peer", "torchdiffeq")


def _iterations(c: _Comparison, x64: torch.Tensor, progress) -> None:
    g = peers.fixed_point_map(c.network, x64)
    zeros = torch.zeros_like(x64)
    iterative = [
        ("fixed-point iteration", lambda: peers.fixed_point_iteration(g, zeros), None),
        ("Anderson m=5 (DEQ-style)", lambda: peers.anderson(g, zeros), None),
        ("torchdeq Anderson m=5", lambda: peers.torchdeq_anderson(g, zeros), "torchdeq"),
    ]
    for name, solve, library in iterative:
        if library and c.available[library] is not None:
            c.missing(name, "batched peer", library)
            continue
        progress(f"{name} on {len(x64)} inputs, batched")
        with torch.inference_mode():
            result, seconds, count = c.measured(solve)
        c.add(
            name, "batched peer", len(x64), seconds, count, result.state.cpu().numpy(),
            result.converged.cpu().numpy(),
            notes=f"map x <- W[x]^+ + i - b, {result.iterations} iterations, rel tol 1e-8",
        )  # fmt: skip


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
    comparison = _Comparison(network, inputs, sizes, device)
    _exact(comparison, x64, progress)
    _ode_peers(comparison, x64, progress)
    _iterations(comparison, x64, progress)
    model = _trained_model(network, sizes, device=device, seed=seed, progress=progress)
    _approximation(
        network, model, inputs, x64.float(), workdir, comparison.add, comparison.missing
    )
    return comparison.methods, model, comparison.unavailable


def _measured(func, device, *, repeats: int, cap: float):
    """``(result, median seconds, timings)``: the first call is timed and its result kept;
    more timings follow while the total stays within ``cap`` seconds."""
    timing, result = measure(func, repeats=repeats, warmup=False, device=device, budget=cap)
    return result, timing.wall, timing.repeats


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
    chunk = forward_chunk(x32.device)
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
