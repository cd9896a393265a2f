"""Feasibility before work: refuse a solve that cannot end in reasonable time or cannot be
integrated in the chosen dtype, naming what to change."""

from __future__ import annotations

import math

import numpy as np
import torch

from ._network import RecurrentNetwork
from ._options import SolverOptions

# The most integration steps one input may need to reach max_time (about an hour of one
# core at N = 256). Above it the solve is refused: it would run for days.
MAX_STEPS_PER_INPUT = 1e7
# Largest step times the fastest rate an explicit Runge-Kutta method stays stable at:
# RK4's real stability interval is 2.785; Dormand-Prince 5(4)'s is 3.3.
STABILITY_INTERVAL = {"rk4": 2.785, "adaptive": 3.3}


def fastest_rate(network: RecurrentNetwork) -> float:
    """An upper bound on ``|eigenvalue|`` of the Jacobian over all regions:
    ``max(1/tau) (1 + ||W||_inf)`` (Python floats: an overflow is ``inf``, not an error)."""
    row_sums = np.abs(network.weights).sum(1, dtype=np.float64)
    largest = max(float(s) for s in row_sums)
    return float(1.0 / float(network.tau.min())) * (1.0 + largest)


def check_feasible(
    network: RecurrentNetwork,
    drive: torch.Tensor,
    options: SolverOptions,
    dtype: torch.dtype,
    method: str,
) -> None:
    """Refuse drives too large to integrate in ``dtype``, a step beyond the method's
    stability limit, and a time limit that needs more than ``MAX_STEPS_PER_INPUT`` steps
    at the network's fastest time scale."""
    rate = fastest_rate(network)
    interval = STABILITY_INTERVAL[method]
    if method == "rk4" and options.step_size is not None and options.step_size * rate > interval:
        raise ValueError(
            f"step_size = {options.step_size:g} exceeds RK4's stability limit for this "
            f"network, {interval:.3g} / {rate:.3g} = {interval / rate:.3g} (units of tau)"
        )
    steps = options.max_time * rate / interval
    if not steps <= MAX_STEPS_PER_INPUT:
        raise ValueError(
            f"max_time = {options.max_time:g} needs about {steps:.2g} steps per input at this "
            f"network's fastest time scale (tau down to {float(network.tau.min()):.3g}, weights "
            f"up to {float(np.abs(network.weights).max()):.3g}); the limit is "
            f"{MAX_STEPS_PER_INPUT:.0g}: rescale tau or the weights, or lower max_time"
        )
    # The field is ~ rate * |x| and |x| ~ |drive| (1 + ||W||): keep its square finite, the
    # error norms of the step control square nothing larger.
    limit = math.sqrt(torch.finfo(dtype).max) / max(1.0, rate * float(network.tau.max()))
    largest = float(drive.abs().max()) if drive.numel() else 0.0
    if largest > limit:
        raise ValueError(
            f"inputs - bias must be at most {limit:.3g} in size to integrate in {dtype} with "
            f"these weights, got {largest:.3g}"
        )
