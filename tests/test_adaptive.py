"""Solver method "adaptive": independent rows, certificates, outcomes and options."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import FORMS, contraction_network, ctln_three_cycle, integrate_reference

import ffapprox
from ffapprox import RecurrentNetwork, Status, solve_fixed_points
from ffapprox.dynamics import Acceptance
from ffapprox.networks import partitioned_network, random_dale_network

# Both answers are the exact solution of one linear system: rounding only.
EXACT_TOL = 1e-12
RESIDUAL_TOL = 1e-10
# LSODA at rtol 1e-11 / atol 1e-12 run long past settling (see test_fixed_points).
REFERENCE_TOL = 1e-7
# float32 rates against float64 (see test_fixed_points).
FLOAT32_TOL = 1e-4
FIELDS = ("state", "rates", "residual", "settle_time", "stability_margin")


def _strong_network(rng, form: str, n: int = 8) -> RecurrentNetwork:
    """Strong random coupling: stable, oscillating and diverging inputs side by side."""
    weights = rng.normal(scale=2.0 / np.sqrt(n), size=(n, n))
    return RecurrentNetwork(weights, tau=rng.uniform(0.5, 2.0, n), form=form)


def _batches(network, inputs, rng, **options):
    """The whole batch, then (result, rows) for a permutation, chunks of 7 and singletons."""

    def solve(u):
        return solve_fixed_points(network, u, max_time=150.0, **options)

    whole = solve(inputs)
    perm = rng.permutation(len(inputs))
    others = [(solve(inputs[perm]), perm)]
    others += [(solve(inputs[k : k + 7]), np.arange(k, min(k + 7, len(inputs)))) for k in (0, 7)]
    others += [(solve(inputs[k]), np.array([k])) for k in (2, 13, len(inputs) - 1)]
    return whole, others


@pytest.mark.parametrize("form", FORMS)
def test_rows_are_independent(rng, form):
    network = _strong_network(rng, form)
    inputs = rng.uniform(-1, 1, (24, network.n_neurons))
    whole, others = _batches(network, inputs, rng)
    for result, rows in others:
        rows = torch.as_tensor(rows)
        assert torch.equal(result.status, whole.status[rows])
        assert torch.equal(result.accepted_by, whole.accepted_by[rows])
        torch.testing.assert_close(result.state, whole.state[rows], rtol=0, atol=0, equal_nan=True)


@pytest.mark.parametrize("form", FORMS)
def test_reproducible_is_bitwise_in_any_batch(rng, form):
    network = _strong_network(rng, form)
    inputs = rng.uniform(-1, 1, (24, network.n_neurons))
    whole, others = _batches(network, inputs, rng, reproducible=True)
    for result, rows in others:
        rows = torch.as_tensor(rows)
        for name in ("status", "accepted_by", "steps"):
            assert torch.equal(getattr(result, name), getattr(whole, name)[rows]), name
        for name in FIELDS:
            expected = getattr(whole, name)[rows]
            torch.testing.assert_close(
                getattr(result, name), expected, rtol=0, atol=0, equal_nan=True
            )


def test_reproducible_agrees_with_the_default(rng):
    network = random_dale_network(16, gain=1.0, seed=int(rng.integers(1 << 16)))
    inputs = rng.uniform(-1, 1, (20, 16))
    default = solve_fixed_points(network, inputs)
    exact = solve_fixed_points(network, inputs, reproducible=True)
    assert torch.equal(default.status, exact.status)
    torch.testing.assert_close(default.state, exact.state, rtol=0, atol=EXACT_TOL, equal_nan=True)


def test_most_inputs_are_certified_at_64_neurons(rng):
    # The benchmark's network (seed 0; other seeds have oscillating inputs too).
    network = random_dale_network(64, gain=1.0)
    inputs = rng.uniform(-1, 1, (12, 64))
    result = solve_fixed_points(network, inputs)
    stable = result.status == Status.STABLE
    assert stable.sum() >= 11
    assert (result.accepted_by[stable] == Acceptance.CERTIFIED).sum() >= 10
    assert (result.residual[stable] <= RESIDUAL_TOL).all()
    recomputed = ffapprox.vector_field(network, result.state[stable], inputs[stable.numpy()])
    assert (recomputed.abs().amax(1) <= RESIDUAL_TOL).all()


def test_float32(rng):
    network = random_dale_network(16, gain=1.0, seed=int(rng.integers(1 << 16)))
    inputs = rng.uniform(-1, 1, (20, 16))
    double = solve_fixed_points(network, inputs)
    single = solve_fixed_points(network, inputs, dtype=torch.float32)
    assert single.state.dtype == single.residual.dtype == torch.float32
    stable = double.status == Status.STABLE
    assert (single.status[stable] == Status.STABLE).all()
    assert (single.accepted_by[stable] != Acceptance.NONE).all()
    torch.testing.assert_close(
        single.rates[stable].double(), double.rates[stable], rtol=FLOAT32_TOL, atol=FLOAT32_TOL
    )


def test_initial_state_picks_the_basin(rng):
    # Equal inputs to both partitions: the one that starts ahead wins.
    network = partitioned_network()
    level, inhibitory = rng.uniform(0.2, 1.0), rng.uniform(-1.0, 0.0)
    inputs = np.array([[level, level, level, level, inhibitory]] * 2)
    x0 = np.array([[0.3, 0.3, 0.0, 0.0, 0.0], [0.0, 0.0, 0.3, 0.3, 0.0]])
    result = solve_fixed_points(network, inputs, x0=x0)
    assert (result.status == Status.STABLE).all()
    rates = result.rates.numpy()
    assert rates[0, :2].min() > 0 and (rates[0, 2:4] == 0).all()
    assert rates[1, 2:4].min() > 0 and (rates[1, :2] == 0).all()
    # Started at its own fixed point, an input is certified at once.
    again = solve_fixed_points(network, inputs, x0=result.state)
    torch.testing.assert_close(again.state, result.state, rtol=0, atol=EXACT_TOL)
    assert (again.steps <= result.steps).all()


def test_rectified_recurrent_form_matches_reference(rng):
    network = contraction_network(rng, 5, "rectified-recurrent")
    inputs = rng.uniform(-1, 1, (6, 5))
    result = solve_fixed_points(network, inputs)
    assert (result.status == Status.STABLE).all()
    assert (result.accepted_by == Acceptance.CERTIFIED).sum() >= 4
    reference = integrate_reference(network, inputs, 400.0)
    np.testing.assert_allclose(result.state.numpy(), reference, rtol=0, atol=REFERENCE_TOL)


def test_divergence_is_growth_not_size():
    diverging = solve_fixed_points(RecurrentNetwork(2.0 * np.eye(3)), [[0.5, -0.5, 0.2]])
    assert diverging.status.tolist() == [Status.DIVERGING]
    # Huge but finite inputs: a finite fixed point far out, stable.
    huge = solve_fixed_points(partitioned_network(), np.full((1, 5), 1e150))
    assert huge.status.tolist() == [Status.STABLE]
    assert torch.isfinite(huge.state).all()
    assert float(huge.residual[0]) <= 1e-12 * float(huge.state.abs().max())


def test_limit_cycle_oscillates():
    result = solve_fixed_points(ctln_three_cycle(), np.ones((2, 3)))
    assert (result.status == Status.OSCILLATING).all()
    assert (result.accepted_by == Acceptance.NONE).all()


def test_thresholds_are_options():
    cycle, inputs = ctln_three_cycle(), np.ones((1, 3))
    late = solve_fixed_points(cycle, inputs)
    early = solve_fixed_points(cycle, inputs, window_taus=8.0)
    assert early.status.tolist() == late.status.tolist() == [Status.OSCILLATING]
    assert early.steps[0] < late.steps[0]
    runaway, drive = RecurrentNetwork(2.0 * np.eye(2)), np.ones((1, 2))
    far = solve_fixed_points(runaway, drive)
    near = solve_fixed_points(runaway, drive, divergence_factor=10.0)
    assert near.status.tolist() == far.status.tolist() == [Status.DIVERGING]
    assert near.steps[0] < far.steps[0]


def test_looser_integration_takes_fewer_steps(rng):
    network = random_dale_network(16, gain=1.0, seed=int(rng.integers(1 << 16)))
    inputs = rng.uniform(-1, 1, (10, 16))
    tight = solve_fixed_points(network, inputs, int_rtol=1e-7)
    loose = solve_fixed_points(network, inputs)
    assert tight.steps.sum() > loose.steps.sum()
    both = (tight.status == Status.STABLE) & (loose.status == Status.STABLE)
    assert both.sum() >= 8
    torch.testing.assert_close(tight.state[both], loose.state[both], rtol=0, atol=1e-9)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_agrees_with_cpu(rng):
    network = random_dale_network(64, gain=1.0, seed=int(rng.integers(1 << 16)))
    inputs = rng.uniform(-1, 1, (16, 64))
    cpu = solve_fixed_points(network, inputs)
    for dtype in (torch.float64, torch.float32):
        cuda = solve_fixed_points(network, inputs, device="cuda", dtype=dtype)
        assert cuda.state.device.type == "cuda"
        stable = cpu.status == Status.STABLE
        assert (cuda.status.cpu()[stable] == Status.STABLE).all()
        tol = 1e-9 if dtype == torch.float64 else FLOAT32_TOL
        torch.testing.assert_close(
            cuda.rates.cpu()[stable].double(), cpu.rates[stable], rtol=tol, atol=tol
        )
