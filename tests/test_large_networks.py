"""Networks beyond the small ones: random Dale networks, the multistable ring, a slowly
damped spiral; every solver method against scipy LSODA plus one exact solve."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import integrate_reference, polish

import ffapprox
from ffapprox import RecurrentNetwork, Status, solve_fixed_points
from ffapprox.dynamics import Acceptance
from ffapprox.networks import random_dale_network, ring_network

METHODS = sorted(ffapprox.SOLVERS)
# Both answers are exact solutions of the same linear system once the regions agree.
EXACT_TOL = 1e-9
RESIDUAL_TOL = 1e-10
# An input is "robust" when nudging it by this much (in random directions) leaves its final
# active set unchanged: integration error cannot then carry it into another basin.
ROBUST_SHIFT = 0.02


def _robust(network, inputs, result, rng, method) -> np.ndarray:
    """Rows whose final active set is the same for four nudged copies of the input."""
    n = network.n_neurons
    directions = rng.normal(size=(4, n))
    directions *= ROBUST_SHIFT / np.linalg.norm(directions, axis=1, keepdims=True)
    nudged = (inputs[:, None, :] + directions).reshape(-1, n)
    around = solve_fixed_points(network, nudged, method=method).state.numpy()
    around = around.reshape(len(inputs), 4, n)
    active = result.state.numpy() > 0
    same = (around > 0) == active[:, None, :]
    return same.all((1, 2)) & (result.status.numpy() == Status.STABLE)


def _check_against_lsoda(network, inputs, result, rows) -> None:
    """Stable rows ``rows``: LSODA from rest long enough, then one exact solve, gives the
    solver's fixed point."""
    state = result.state.numpy()[rows]
    t_end = max(200.0, 3 * float(np.nanmax(result.settle_time.numpy()[rows])))
    end = integrate_reference(network, inputs[rows], t_end)
    reference, consistent = polish(network, inputs[rows], end)
    assert consistent.all(), "LSODA did not reach the final region: lengthen t_end"
    np.testing.assert_allclose(state, reference, rtol=0, atol=EXACT_TOL)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(("n", "count"), [(16, 8), (64, 3)])
def test_random_dale_networks_match_lsoda(rng, method, n, count):
    network = random_dale_network(n, gain=1.0, seed=int(rng.integers(1 << 16)))
    inputs = rng.uniform(-1, 1, (count, n))
    result = solve_fixed_points(network, inputs, method=method)
    stable = result.status.numpy() == Status.STABLE
    assert stable.sum() >= count - 1  # gain 1: almost every input settles
    robust = _robust(network, inputs, result, rng, method)
    assert robust.any()
    _check_against_lsoda(network, inputs, result, robust)
    residual = result.residual.numpy()[stable]
    assert (residual <= RESIDUAL_TOL).all()
    accepted = result.accepted_by.numpy()
    assert set(accepted[stable]) <= {Acceptance.CERTIFIED, Acceptance.CONVERGED}


@pytest.mark.parametrize("method", METHODS)
def test_multistable_ring_picks_the_dynamics_basin(rng, method):
    network = ring_network(32)
    inputs = rng.uniform(-1, 1, (12, 32))
    result = solve_fixed_points(network, inputs, method=method, max_time=2000.0)
    assert (result.status.numpy() == Status.STABLE).all()  # a Lyapunov function: settles
    robust = _robust(network, inputs, result, rng, method)
    assert robust.sum() >= 6
    # Several basins: the bumps sit in different places.
    peaks = np.argmax(result.rates.numpy()[robust], axis=1)
    assert len(set(peaks.tolist())) >= 3
    _check_against_lsoda(network, inputs, result, robust)


def spiral_network(reporter_input: float = -0.95) -> tuple[RecurrentNetwork, np.ndarray]:
    """Two core neurons spiralling slowly into a stable fixed point, and a reporter.

    Core region Jacobian ``-I + W_core`` has eigenvalues ``-0.001 +- 0.5i``; the core fixed
    point is (1, 1). The reporter (no outgoing weights) reads neuron 0: its state
    ``x_2 -> x_0 + reporter_input = 0.05``, while its oscillation, of amplitude about
    ``0.09 exp(-0.001 t)`` from the start given below, carries it across its threshold until
    ``t ~ 570``; the core needs ``t ~ 18,000`` to settle within 1e-8. Returns the network and
    the input.
    """
    weights = np.array([[0.999, -0.5, 0.0], [0.5, 0.999, 0.0], [1.0, 0.0, 0.0]])
    drive = np.array([1 - 0.999 + 0.5, -0.5 + 1 - 0.999, reporter_input])
    return RecurrentNetwork(weights), drive


@pytest.mark.parametrize("method", METHODS)
def test_slowly_damped_spiral_is_not_oscillating(method):
    network, drive = spiral_network()
    x0 = np.array([1.1, 1.0, 0.0])
    # Converging, so never oscillating: stable once proven (the reporter's crossings do not
    # change the dynamics' region), or unresolved at a short time limit.
    early = solve_fixed_points(network, drive, x0=x0, method=method, max_time=500.0)
    assert Status(int(early.status[0])) in (Status.STABLE, Status.UNRESOLVED)
    late = solve_fixed_points(network, drive, x0=x0, method=method, max_time=30000.0)
    assert Status(int(late.status[0])) == Status.STABLE
    for result in (early, late):
        if result.status[0] == Status.STABLE:
            np.testing.assert_allclose(result.state.numpy()[0], [1.0, 1.0, 0.05], atol=EXACT_TOL)
    # The independent integrator agrees that it settles there.
    reference, consistent = polish(
        network, drive, integrate_reference(network, drive, 20000.0, x0=x0)
    )
    assert consistent.all()
    np.testing.assert_allclose(reference[0], [1.0, 1.0, 0.05], rtol=0, atol=EXACT_TOL)
