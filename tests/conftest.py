"""Shared fixtures: the test seed, network families and an independent ODE reference.

Every random test draws from ``rng``; set ``FFAPPROX_TEST_SEED`` to rerun with another seed
(tests must pass for any).
"""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch
from scipy.integrate import solve_ivp

from ffapprox import RecurrentNetwork

FORMS = ("threshold-linear", "rectified-recurrent")
# Tolerances of the independent reference integration (scipy LSODA).
REFERENCE_RTOL = 1e-11
REFERENCE_ATOL = 1e-12

# Test tensors are tiny: intra-op threads only add synchronisation, which on a loaded
# two-core machine made the suite ten times slower.
torch.set_num_threads(1)


@pytest.fixture
def seed() -> int:
    return int(os.environ.get("FFAPPROX_TEST_SEED", "20180201"))


@pytest.fixture
def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


@pytest.fixture(params=FORMS)
def form(request) -> str:
    return request.param


def contraction_network(
    rng: np.random.Generator, n: int, form: str, *, gain: float = 0.8
) -> RecurrentNetwork:
    """Random weights with max absolute row sum ``gain < 1``, random tau and bias.

    ``||W||_inf < 1`` makes both forms contractions in the max-norm for any positive tau
    (every region's Jacobian has negative logarithmic inf-norm), so every input has one
    globally attracting fixed point.
    """
    weights = rng.normal(size=(n, n))
    weights *= gain / np.abs(weights).sum(1).max()
    tau = rng.uniform(0.5, 2.0, n)
    bias = rng.uniform(-0.2, 0.2, n)
    return RecurrentNetwork(weights, tau=tau, bias=bias, form=form)


def ctln_three_cycle(eps: float = 0.25, delta: float = 0.5) -> RecurrentNetwork:
    """Combinatorial threshold-linear network of the 3-cycle 0 -> 1 -> 2 -> 0.

    Curto & Morrison: ``W_ij = -1 + eps`` for an edge ``j -> i``, ``-1 - delta`` otherwise,
    zero diagonal. With ``eps < delta / (delta + 1)`` and uniform input it has no stable
    fixed point and settles on a limit cycle.
    """
    weights = np.full((3, 3), -1.0 - delta)
    for source, target in [(0, 1), (1, 2), (2, 0)]:
        weights[target, source] = -1.0 + eps
    np.fill_diagonal(weights, 0.0)
    return RecurrentNetwork(weights)


def integrate_reference(
    network: RecurrentNetwork, inputs: np.ndarray, t_end: float, x0: np.ndarray | None = None
) -> np.ndarray:
    """States at ``t_end`` for each row of ``inputs``, by scipy LSODA at tight tolerance.

    Written from the equations in :class:`RecurrentNetwork`, independently of the package.
    """
    weights, tau = network.weights, network.tau
    drive = np.atleast_2d(inputs) - network.bias
    start = np.zeros_like(drive) if x0 is None else np.atleast_2d(x0)
    out = np.empty_like(drive)
    for row, (d, x_start) in enumerate(zip(drive, start, strict=True)):
        if network.form == "threshold-linear":

            def field(t, x, d=d):
                return (-x + weights @ np.maximum(x, 0.0) + d) / tau
        else:

            def field(t, x, d=d):
                return (-x + np.maximum(weights @ x, 0.0) + d) / tau

        solution = solve_ivp(
            field,
            (0.0, t_end),
            x_start,
            method="LSODA",
            rtol=REFERENCE_RTOL,
            atol=REFERENCE_ATOL,
        )
        assert solution.success, solution.message
        out[row] = solution.y[:, -1]
    return out


def polish(network: RecurrentNetwork, inputs: np.ndarray, state: np.ndarray):
    """One exact solve on each row's active set: ``(x*, consistent)``.

    ``x* = (I - W D)^-1 (i - b)`` (threshold-linear; ``I - D W`` rectified-recurrent) with
    ``D`` the active set of ``state``; ``consistent`` where ``x*`` lies in that region.
    Written from the equations, independently of the package.
    """
    n = network.n_neurons
    drive = np.atleast_2d(inputs) - network.bias
    out = np.full_like(drive, np.nan)
    consistent = np.zeros(len(drive), dtype=bool)
    for row, (d, x) in enumerate(zip(drive, np.atleast_2d(state), strict=True)):
        threshold_linear = network.form == "threshold-linear"
        switching = x if threshold_linear else network.weights @ x
        active = (switching > 0).astype(float)
        if threshold_linear:
            system = np.eye(n) - network.weights * active[None, :]
        else:
            system = np.eye(n) - active[:, None] * network.weights
        fixed = np.linalg.solve(system, d)
        s = fixed if threshold_linear else network.weights @ fixed
        consistent[row] = bool(np.all(np.where(active > 0, s >= -1e-12, s <= 1e-12)))
        out[row] = fixed
    return out, consistent
