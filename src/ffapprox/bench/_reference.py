"""Judging a fixed-point answer at equal accuracy: one exact solve on its final active set,
and a tight reference to compare with (numpy only, independent of ffapprox's solver)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..dynamics import Status
from ._ode_peers import solve_ivp_steady_state

# Same fixed point: largest |x - x_ref| between two exact answers.
AGREEMENT = 1e-8
# Reference: DOP853 at these tolerances, to this steady state (or the time limit).
REFERENCE_SETTINGS = {"method": "DOP853", "rtol": 1e-10, "atol": 1e-12, "steady": 1e-10}
# A reference trajectory counts as arrived when its exact fixed point is this close.
ARRIVED = 1e-3


@dataclass(frozen=True)
class Polished:
    """Exact fixed points of the final active sets of some states (threshold-linear)."""

    state: np.ndarray  # (B, N) x* of each row's region; NaN where singular or non-finite
    consistent: np.ndarray  # (B,) x* lies in the region it was solved in
    max_real: np.ndarray  # (B,) largest real part of the region's Jacobian eigenvalues


def polish(network, inputs: np.ndarray, final: np.ndarray) -> Polished:
    """One exact solve ``(I - W D) x* = i - b`` on the active set ``D`` of each row of
    ``final`` (the answer a method's last state leads to), with the region's stability."""
    weights, tau = network.weights, network.tau
    drive = np.atleast_2d(inputs) - network.bias
    final = np.atleast_2d(final)
    n = weights.shape[0]
    state = np.full(final.shape, np.nan)
    consistent = np.zeros(len(final), dtype=bool)
    max_real = np.full(len(final), np.nan)
    for row, (x, d) in enumerate(zip(final, drive, strict=True)):
        if not np.isfinite(x).all():
            continue
        active = x > 0
        try:
            fixed = np.linalg.solve(np.eye(n) - weights * active[None, :], d)
        except np.linalg.LinAlgError:
            continue
        tol = 1e-12 * (1 + np.abs(fixed).max())
        consistent[row] = bool(np.all(np.where(active, fixed >= -tol, fixed <= tol)))
        state[row] = fixed
        block = np.flatnonzero(active)
        jacobian = (weights[np.ix_(block, block)] - np.eye(len(block))) / tau[block, None]
        real = np.linalg.eigvals(jacobian).real if len(block) else np.empty(0)
        max_real[row] = max([*real, *(-1.0 / tau[~active])])
    return Polished(state, consistent, max_real)


def reference(network, inputs: np.ndarray, max_time: float) -> dict[str, np.ndarray]:
    """The tight reference: DOP853 per input to a steady state, then :func:`polish`.

    ``status`` is stable where the polished fixed point is consistent, its region stable and
    the trajectory within ``ARRIVED`` of it; diverging where the state blew up; otherwise
    unresolved. ``state`` is the polished fixed point of stable rows (NaN elsewhere).
    """
    peer = solve_ivp_steady_state(network, inputs, max_time=max_time, **REFERENCE_SETTINGS)
    final = peer.state
    polished = polish(network, inputs, final)
    near = np.abs(polished.state - final).max(1) <= ARRIVED
    stable = polished.consistent & (polished.max_real < 0) & near
    drive = np.atleast_2d(inputs) - network.bias
    status = np.full(len(final), int(Status.UNRESOLVED), dtype=np.int8)
    status[stable] = int(Status.STABLE)
    scale = 1e6 * (1 + np.abs(drive).max(1))
    status[~np.isfinite(final).all(1) | (np.abs(final).max(1) > scale)] = int(Status.DIVERGING)
    return {"state": np.where(stable[:, None], polished.state, np.nan), "status": status}


def judge(network, inputs, answer: np.ndarray, stable: np.ndarray, ref: dict) -> dict:
    """How ``answer`` (rows claimed ``stable``) compares with the reference ``ref``.

    Returns status agreement, the largest error on rows both call stable, how many of those
    sit in another region (basin) than the reference's, and the largest residual.
    """
    answer = np.asarray(answer, dtype=np.float64)
    ref_stable = ref["status"] == int(Status.STABLE)
    both = stable & ref_stable
    error = np.abs(answer - ref["state"]).max(1)
    other_region = both & ((answer > 0) != (ref["state"] > 0)).any(1)
    residual = None
    if stable.any():
        x, d = answer[stable], (np.atleast_2d(inputs) - network.bias)[stable]
        field = (-x + np.maximum(x, 0) @ network.weights.T + d) / network.tau
        residual = float(np.abs(field).max())
    return {
        "n": int(len(answer)),
        "stable": int(stable.sum()),
        "reference_stable": int(ref_stable.sum()),
        "status_agreement": float(np.mean(stable == ref_stable)),
        "max_error": float(error[both].max()) if both.any() else None,
        "within": float(np.mean(both & (error <= AGREEMENT))),
        "other_basin": int(other_region.sum()),
        "max_residual": residual,
    }
