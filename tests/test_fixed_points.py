"""solve_fixed_points against closed forms, an independent integrator and its own equation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import FORMS, contraction_network, ctln_three_cycle, integrate_reference

import ffapprox
from ffapprox import RecurrentNetwork, Status, solve_fixed_points
from ffapprox.data import SignalPlusNoise, draw_rows
from ffapprox.dynamics import Acceptance
from ffapprox.networks import partitioned_network

# The solver returns the exact solution of a linear system: rounding only.
EXACT_TOL = 1e-12
# "Every stable result satisfies its own equation" in float64.
RESIDUAL_TOL = 1e-10
# LSODA at rtol 1e-11 / atol 1e-12, run to many settling times: its end state is within
# ~1e-9 of the fixed point (global error accumulated over the kinks of the trajectory).
REFERENCE_TOL = 1e-7
# float32 rates against float64: a few float32 ulps (1.2e-7) amplified by the condition of
# I - W D; relative as well as absolute because strongly coupled networks reach rates ~50.
FLOAT32_TOL = 1e-4
# Eigenvalues from torch (solver) and numpy (test) of the same matrix.
EIGENVALUE_TOL = 1e-10
STATUS_FIELDS = ("state", "rates", "residual", "settle_time", "stability_margin")
METHODS = sorted(ffapprox.SOLVERS)


def _family(name: str, form: str, rng: np.random.Generator) -> RecurrentNetwork:
    n = 6
    if name == "zero":
        return RecurrentNetwork(np.zeros((n, n)), tau=rng.uniform(0.5, 2, n), form=form)
    if name == "diagonal":
        weights = np.diag(rng.uniform(-2.0, 0.9, n))
        return RecurrentNetwork(weights, tau=rng.uniform(0.5, 2, n), form=form)
    if name == "contraction":
        return contraction_network(rng, n, form)
    if name == "partitioned":
        return partitioned_network(form=form)
    if name == "random":
        # Strong random coupling: a mix of stable, oscillating and diverging inputs.
        return RecurrentNetwork(
            rng.normal(scale=2.0 / np.sqrt(n), size=(n, n)), tau=rng.uniform(0.5, 2, n), form=form
        )
    if name == "ctln":
        weights = ctln_three_cycle().weights
        return RecurrentNetwork(weights, form=form)
    raise AssertionError(name)


FAMILIES = ("zero", "diagonal", "contraction", "partitioned", "random", "ctln")


@pytest.fixture(params=FAMILIES)
def network(request, form, rng) -> RecurrentNetwork:
    return _family(request.param, form, rng)


@pytest.fixture(params=METHODS)
def method(request) -> str:
    return request.param


# --- contract: every result of every network family -------------------------------------


def test_result_contract(network, rng, method):
    inputs = rng.uniform(-1, 1, size=(40, network.n_neurons))
    result = solve_fixed_points(network, inputs, max_time=150.0, method=method)
    b, n = inputs.shape
    assert result.state.shape == result.rates.shape == (b, n)
    for name in ("status", "residual", "settle_time", "steps", "stability_margin"):
        assert getattr(result, name).shape == (b,)
    assert result.status.dtype == torch.int8
    assert result.steps.dtype == torch.int64
    assert result.state.dtype == torch.float64
    assert set(result.status.tolist()) <= {int(s) for s in Status}
    assert sum(result.counts().values()) == b
    assert (result.steps >= 1).all()

    stable = result.status == Status.STABLE
    assert set(result.accepted_by[stable].tolist()) <= {Acceptance.CERTIFIED, Acceptance.CONVERGED}
    assert (result.accepted_by[~stable] == Acceptance.NONE).all()
    for name in STATUS_FIELDS:
        field = getattr(result, name)
        assert torch.isnan(field[~stable]).all(), name
        assert torch.isfinite(field[stable]).all(), name

    state = result.state[stable]
    torch.testing.assert_close(result.rates[stable], torch.relu(state), rtol=0, atol=0)
    # Satisfies its own equation, recomputed independently of the solver.
    recomputed = ffapprox.vector_field(network, state, inputs[stable.numpy()]).abs().amax(1)
    assert (recomputed <= RESIDUAL_TOL).all(), recomputed.max()
    torch.testing.assert_close(result.residual[stable], recomputed, rtol=0, atol=EXACT_TOL)
    # Stable: the Jacobian's eigenvalues at the state all have negative real part.
    margin = result.stability_margin[stable].numpy()
    assert (margin < 0).all()
    jacobian = ffapprox.jacobian(network, state).numpy()
    max_real = np.linalg.eigvals(jacobian).real.max(-1) if len(jacobian) else np.empty(0)
    np.testing.assert_allclose(margin, max_real, rtol=0, atol=EIGENVALUE_TOL)
    settle = result.settle_time[stable]
    assert (settle > 0).all() and (settle <= 150.0 + 1).all()


def test_batch_independence(network, rng, method):
    # "adaptive" is bitwise batch-invariant with reproducible=True (default mode: only
    # statuses and fixed points, see test_adaptive.py).
    def solve(inputs):
        extra = {"reproducible": True} if method == "adaptive" else {}
        return solve_fixed_points(network, inputs, max_time=150.0, method=method, **extra)

    inputs = rng.uniform(-1, 1, size=(24, network.n_neurons))
    whole = solve(inputs)
    perm = rng.permutation(len(inputs))
    shuffled = solve(inputs[perm])
    parts = [solve(inputs[k : k + 5]) for k in (0, 7, 19)]
    singles = [solve(inputs[k]) for k in (3, 11, 23)]
    others = [
        (shuffled, perm),
        *((r, np.arange(k, k + 5)) for r, k in zip(parts, (0, 7, 19), strict=True)),
        *((r, np.array([k])) for r, k in zip(singles, (3, 11, 23), strict=True)),
    ]
    for result, rows in others:
        rows = torch.as_tensor(rows)
        torch.testing.assert_close(result.status, whole.status[rows], rtol=0, atol=0)
        torch.testing.assert_close(result.steps, whole.steps[rows], rtol=0, atol=0)
        torch.testing.assert_close(result.accepted_by, whole.accepted_by[rows], rtol=0, atol=0)
        for name in STATUS_FIELDS:
            torch.testing.assert_close(
                getattr(result, name),
                getattr(whole, name)[rows],
                rtol=0,
                atol=EXACT_TOL,
                equal_nan=True,
            )


def test_float32_agrees_with_float64(network, rng, method):
    inputs = rng.uniform(-1, 1, size=(40, network.n_neurons))
    double = solve_fixed_points(network, inputs, max_time=150.0, method=method)
    single = solve_fixed_points(
        network, inputs, max_time=150.0, dtype=torch.float32, method=method
    )
    assert single.state.dtype == torch.float32
    assert single.status.dtype == torch.int8
    both = (double.status == Status.STABLE) & (single.status == Status.STABLE)
    # Status may differ only where float64 did not decide as stable (e.g. slow oscillation
    # detection); every float64-stable input is float32-stable too.
    assert (single.status[double.status == Status.STABLE] == Status.STABLE).all()
    torch.testing.assert_close(
        single.rates[both].double(), double.rates[both], rtol=FLOAT32_TOL, atol=FLOAT32_TOL
    )


# --- independent reference: scipy LSODA at tight tolerance ---------------------------------


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("form", FORMS)
def test_contraction_networks_match_reference(rng, form, method):
    for _ in range(2):
        net = contraction_network(rng, 5, form)
        inputs = rng.uniform(-1, 1, size=(6, 5))
        result = solve_fixed_points(net, inputs, method=method)
        assert (result.status == Status.STABLE).all()
        # Contraction rate >= (1 - 0.8) / tau_max = 0.1: 400 time units shrink errors e^-40.
        reference = integrate_reference(net, inputs, 400.0)
        np.testing.assert_allclose(result.state.numpy(), reference, rtol=0, atol=REFERENCE_TOL)
        np.testing.assert_allclose(
            result.rates.numpy(), np.maximum(reference, 0), rtol=0, atol=REFERENCE_TOL
        )


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("form", FORMS)
def test_initial_state_is_used(rng, form, method):
    net = contraction_network(rng, 4, form)
    inputs, x0 = rng.uniform(-1, 1, size=(3, 4)), rng.uniform(-2, 2, size=(3, 4))
    result = solve_fixed_points(net, inputs, x0=x0, method=method)
    reference = integrate_reference(net, inputs, 400.0, x0=x0)
    np.testing.assert_allclose(result.state.numpy(), reference, rtol=0, atol=REFERENCE_TOL)


def _separated_partition_inputs(rng, n_inputs: int) -> np.ndarray:
    """Equal input within each partition of partitioned_network(), partition sums differing
    by more than 0.3, and a random inhibitory input.

    Equal inputs within a partition keep its two neurons identical; with equal time
    constants the partition with the larger input then stays ahead at every instant
    (``d(x_A - x_B)/dt = a - b`` whenever ``x_A = x_B``), so it is the dynamics' winner.
    """
    a = rng.uniform(-1, 1, n_inputs)
    gap = rng.uniform(0.15, 0.6, n_inputs) * rng.choice([-1, 1], n_inputs)
    b = np.clip(a + gap, -1, 1)
    b = np.where(np.abs(a - b) < 0.15, a - gap, b)
    c = rng.uniform(-1, 0.2, n_inputs)
    return np.stack([a, a, b, b, c], axis=1)


def test_winner_take_all_matches_dynamics(rng):
    net = partitioned_network()
    inputs = _separated_partition_inputs(rng, 8)
    result = solve_fixed_points(net, inputs)
    assert (result.status == Status.STABLE).all()
    reference = integrate_reference(net, inputs, 200.0)
    np.testing.assert_allclose(result.state.numpy(), reference, rtol=0, atol=REFERENCE_TOL)


def test_winner_is_partition_with_larger_input(rng):
    net = partitioned_network()
    inputs = _separated_partition_inputs(rng, 300)
    rates = solve_fixed_points(net, inputs).rates.numpy()
    totals = np.stack([rates[:, :2].sum(1), rates[:, 2:4].sum(1)], axis=1)
    larger = np.argmax([inputs[:, :2].sum(1), inputs[:, 2:4].sum(1)], axis=0)
    active = totals.max(1) > 0
    assert active.sum() > 0
    # Competition: never both partitions active, and the active one had the larger input.
    assert (totals.min(1) == 0).all()
    np.testing.assert_array_equal(np.argmax(totals[active], axis=1), larger[active])
    # Analogue value: r (1 - w_E + w_I) = iota for the winner (Muir 2018; see the builder).
    winner_input = np.take_along_axis(inputs[:, [0, 2]], larger[:, None], 1)[:, 0]
    winner_rate = np.take_along_axis(rates[:, [0, 2]], larger[:, None], 1)[:, 0]
    inhibitory_active = rates[:, 4] > 0
    # With its own input c the inhibitory neuron gives r (1 - w_E + w_I) = iota - w_I c.
    predicted = (winner_input - 8.0 * inputs[:, 4]) / (1 - 2.5 + 8.0)
    check = active & inhibitory_active
    np.testing.assert_allclose(winner_rate[check], predicted[check], rtol=0, atol=EXACT_TOL)


def _winner(rates: np.ndarray) -> np.ndarray:
    """0 or 1 for the active partition of partitioned_network(), -1 when both are silent."""
    totals = np.stack([rates[..., :2].sum(-1), rates[..., 2:4].sum(-1)], axis=-1)
    return np.where(totals.max(-1) > 0, np.argmax(totals, axis=-1), -1)


def test_multistable_generic_inputs_match_dynamics(rng):
    # Generic inputs, kept only where the winner is robust: unchanged when any one input
    # moves by +-ROBUST_SHIFT, so integration error cannot cross a basin boundary.
    robust_shift = 0.05
    net = partitioned_network()
    inputs = rng.uniform(-1, 1, size=(40, 5))
    shifts = np.concatenate([np.eye(5), -np.eye(5)]) * robust_shift
    shifted = (inputs[:, None, :] + shifts).reshape(-1, 5)
    result = solve_fixed_points(net, inputs)
    neighbours = solve_fixed_points(net, shifted).rates.numpy().reshape(40, 10, 5)
    winner = _winner(result.rates.numpy())
    robust = (_winner(neighbours) == winner[:, None]).all(1)
    robust &= (result.status == Status.STABLE).numpy()
    assert robust.sum() >= 10
    reference = integrate_reference(net, inputs[robust][:12], 150.0)
    np.testing.assert_allclose(
        result.state.numpy()[robust][:12], reference, rtol=0, atol=REFERENCE_TOL
    )
    long_run = ffapprox.simulate(net, inputs[robust], [150.0]).numpy()[-1]
    np.testing.assert_allclose(result.state.numpy()[robust], long_run, rtol=0, atol=1e-9)


# --- closed forms --------------------------------------------------------------------------


def test_zero_weights(rng, form):
    n = 5
    bias = rng.normal(size=n)
    net = RecurrentNetwork(np.zeros((n, n)), tau=rng.uniform(0.5, 2, n), bias=bias, form=form)
    inputs = rng.uniform(-1, 1, size=(20, n))
    result = solve_fixed_points(net, inputs)
    assert (result.status == Status.STABLE).all()
    np.testing.assert_allclose(result.state.numpy(), inputs - bias, rtol=0, atol=EXACT_TOL)
    np.testing.assert_allclose(
        result.rates.numpy(), np.maximum(inputs - bias, 0), rtol=0, atol=EXACT_TOL
    )
    np.testing.assert_allclose(result.stability_margin.numpy(), -1 / net.tau.max(), atol=1e-12)


def test_diagonal_weights_threshold_linear(rng):
    n = 6
    diagonal = rng.uniform(-2.0, 0.9, n)
    bias = rng.normal(scale=0.2, size=n)
    net = RecurrentNetwork(np.diag(diagonal), tau=rng.uniform(0.5, 2, n), bias=bias)
    drive = rng.uniform(-1, 1, size=(30, n)) - bias
    result = solve_fixed_points(net, drive + bias)
    expected = np.where(drive > 0, drive / (1 - diagonal), drive)
    np.testing.assert_allclose(result.state.numpy(), expected, rtol=0, atol=EXACT_TOL)


def test_diagonal_weights_rectified_recurrent(rng):
    # x = [w x]^+ + d: positive x needs w > 0 (then x = d / (1 - w)); for w < 0 the
    # recurrent term is active only where x < 0, giving x = d / (1 - w) there and x = d else.
    n = 6
    diagonal = rng.uniform(-2.0, 0.9, n)
    net = RecurrentNetwork(
        np.diag(diagonal), tau=rng.uniform(0.5, 2, n), form="rectified-recurrent"
    )
    drive = rng.uniform(-1, 1, size=(30, n))
    result = solve_fixed_points(net, drive)
    active = np.where(diagonal > 0, drive > 0, drive < 0)
    expected = np.where(active, drive / (1 - diagonal), drive)
    np.testing.assert_allclose(result.state.numpy(), expected, rtol=0, atol=EXACT_TOL)


def test_two_neuron_mutual_inhibition(rng):
    w = rng.uniform(1.5, 3.0)
    net = RecurrentNetwork(np.array([[0.0, -w], [-w, 0.0]]))
    inputs = rng.uniform(0.05, 1.0, size=(20, 2))
    inputs[np.abs(inputs[:, 0] - inputs[:, 1]) < 0.02, 0] += 0.05  # a clear winner
    result = solve_fixed_points(net, inputs)
    assert (result.status == Status.STABLE).all()
    winner = np.argmax(inputs, axis=1)
    rows = np.arange(len(inputs))
    expected = np.empty_like(inputs)
    expected[rows, winner] = inputs[rows, winner]
    expected[rows, 1 - winner] = inputs[rows, 1 - winner] - w * inputs[rows, winner]
    np.testing.assert_allclose(result.state.numpy(), expected, rtol=0, atol=EXACT_TOL)
    assert (result.rates.numpy()[rows, 1 - winner] == 0).all()


# --- inputs without a stable fixed point ---------------------------------------------------


def test_slow_drift_on_a_ring_is_not_oscillation(rng):
    # Symmetric W with one tau has a Lyapunov function, so no input can oscillate. Noisy
    # bumps make the ring's bump creep for 100s of tau before it settles; row 2719 of this
    # sequence creeps long enough to look like a steady oscillation to an amplitude test.
    network = ffapprox.ring_network(32)
    bumps = SignalPlusNoise(32, "bump")
    inputs = np.concatenate(
        [
            draw_rows(bumps, 1, seed=0, start=2719),
            draw_rows(bumps, 300, seed=int(rng.integers(1 << 30))),
        ]
    )
    result = solve_fixed_points(network, inputs, max_time=2000)
    status = result.status.numpy()
    assert not (status == Status.OSCILLATING).any()
    assert status[0] == Status.STABLE
    assert result.settle_time[0] > 100


def test_ctln_three_cycle_oscillates(method):
    result = solve_fixed_points(ctln_three_cycle(), np.ones((3, 3)), method=method)
    assert (result.status == Status.OSCILLATING).all()
    assert torch.isnan(result.state).all()


@pytest.mark.parametrize(
    "weights", [1.5 * np.eye(3), np.full((3, 3), 0.6)], ids=["self-excitation", "all-to-all"]
)
def test_runaway_excitation_diverges_unless_silent(weights, form, method):
    net = RecurrentNetwork(weights, form=form)
    inputs = np.array([[1.0, 0.5, 0.2], [0.3, 0.3, 0.3], [-1.0, -0.5, -0.2]])
    result = solve_fixed_points(net, inputs, method=method)
    assert result.status.tolist() == [Status.DIVERGING, Status.DIVERGING, Status.STABLE]
    np.testing.assert_allclose(result.state[2].numpy(), inputs[2], rtol=0, atol=EXACT_TOL)


@pytest.mark.parametrize(
    ("network", "inputs"),
    [
        (ctln_three_cycle(), np.ones((1, 3))),
        (RecurrentNetwork(1.5 * np.eye(2)), np.ones((1, 2))),
    ],
    ids=["oscillating", "diverging"],
)
def test_short_max_time_is_unresolved(network, inputs, method):
    result = solve_fixed_points(network, inputs, max_time=5.0, method=method)
    assert result.status.tolist() == [Status.UNRESOLVED]
    assert torch.isnan(result.state).all()
    if method == "rk4":  # fixed steps: all of them
        steps = int(np.ceil(5.0 / ffapprox.dynamics.default_step_size(network)))
        assert result.steps.tolist() == [steps]
    assert (result.steps >= 1).all()


# --- bad arguments -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"inputs": [[np.nan, 0.0, 0.0]]}, "inputs must be finite"),
        ({"inputs": [[np.inf, 0.0, 0.0]]}, "inputs must be finite"),
        ({"inputs": np.ones((2, 4))}, r"inputs must have shape \(B, 3\), got shape \(2, 4\)"),
        ({"inputs": np.ones((2, 2, 3))}, r"inputs must have shape"),
        ({"x0": np.zeros((1, 3))}, r"x0 must have shape \(2, 3\)"),
        ({"x0": np.zeros((2, 2))}, r"x0 must have shape \(B, 3\)"),
        ({"x0": np.full((2, 3), np.nan)}, "x0 must be finite"),
        ({"max_time": 0.0}, "max_time"),
        ({"max_time": -1.0}, "max_time"),
        ({"max_time": np.inf}, "max_time"),
        ({"max_time": np.nan}, "max_time"),
        ({"step_size": 0.0}, "step_size"),
        ({"dtype": torch.int64}, "dtype"),
        ({"dtype": np.float64}, "dtype"),
        ({"rtol": -1.0}, "rtol"),
        ({"rtol": 0.0, "atol": 0.0}, "rtol"),
        ({"method": "euler"}, "method"),
        ({"window_taus": 0.0}, "window_taus"),
        ({"window_taus": np.inf}, "window_taus"),
        ({"divergence_factor": 1.0}, "divergence_factor"),
        ({"int_rtol": 0.0}, "int_rtol"),
        ({"int_rtol": 2.0}, "int_rtol"),
        ({"reproducible": 1}, "reproducible"),
        ({"mixed_precision": "yes"}, "mixed_precision"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    net = RecurrentNetwork(np.zeros((3, 3)))
    arguments = {"inputs": np.ones((2, 3))} | kwargs
    with pytest.raises(ValueError, match=match):
        solve_fixed_points(net, **arguments)


def test_single_input_and_empty_batch(method):
    net = RecurrentNetwork(np.zeros((3, 3)))
    single = solve_fixed_points(net, np.array([1.0, -1.0, 0.5]), method=method)
    assert single.state.shape == (1, 3)
    empty = solve_fixed_points(net, np.zeros((0, 3)), method=method)
    assert empty.state.shape == (0, 3) and empty.status.shape == (0,)
    assert sum(empty.counts().values()) == 0


def test_progress_reports_every_input(rng, method):
    seen = []
    net = partitioned_network()
    inputs = rng.uniform(-1, 1, size=(30, 5))
    solve_fixed_points(net, inputs, progress=seen.append, method=method)
    assert sum(seen) == 30
    solve_fixed_points(
        ctln_three_cycle(), np.ones((2, 3)), max_time=5.0, progress=seen.append, method=method
    )
    assert sum(seen) == 32
