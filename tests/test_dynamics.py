"""Vector field, Jacobian and simulate against formulas written out in numpy."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import integrate_reference

import ffapprox
from ffapprox import RecurrentNetwork

# Float64 evaluation of the same formula in a different order.
EXACT_TOL = 1e-12
# Central differences with step 1e-6 on a piecewise-linear field: exact up to rounding.
FINITE_DIFFERENCE_TOL = 1e-7
# RK4 with step 0.01 on a linear field (W = 0): global error ~1e-10.
CLOSED_FORM_TOL = 1e-9
# RK4 loses its order where the trajectory crosses a kink of [.]^+ (local error ~h^2):
# with step 1e-3 the error reaches ~5e-7 after a few crossings.
SIMULATE_TOL = 1e-5
# The default step 1/L is sized for stability, not accuracy at kinks: errors of ~2e-2
# were measured over 60 seeds at t = 2 (rectified-recurrent form, h ~ 0.15).
DEFAULT_STEP_TOL = 5e-2


def _random_network(rng, form: str, n: int = 6) -> RecurrentNetwork:
    return RecurrentNetwork(
        rng.normal(scale=1.5 / np.sqrt(n), size=(n, n)),
        tau=rng.uniform(0.5, 2.0, n),
        bias=rng.uniform(-0.3, 0.3, n),
        form=form,
    )


def _numpy_field(net: RecurrentNetwork, x: np.ndarray, inputs: np.ndarray) -> np.ndarray:
    relu = np.maximum
    if net.form == "threshold-linear":
        recurrent = relu(x, 0) @ net.weights.T
    else:
        recurrent = relu(x @ net.weights.T, 0)
    return (-x + recurrent + inputs - net.bias) / net.tau


def test_vector_field_matches_equation(rng, form):
    net = _random_network(rng, form)
    x, inputs = rng.normal(size=(20, 6)), rng.normal(size=(20, 6))
    field = ffapprox.vector_field(net, x, inputs)
    assert field.shape == (20, 6)
    np.testing.assert_allclose(field.numpy(), _numpy_field(net, x, inputs), atol=EXACT_TOL)


def test_jacobian_matches_finite_differences(rng, form):
    net = _random_network(rng, form)
    x, inputs = rng.normal(size=(5, 6)), rng.normal(size=(5, 6))
    jac = ffapprox.jacobian(net, x).numpy()
    step = 1e-6
    for k in range(6):
        dx = np.zeros(6)
        dx[k] = step
        column = (_numpy_field(net, x + dx, inputs) - _numpy_field(net, x - dx, inputs)) / (
            2 * step
        )
        np.testing.assert_allclose(jac[:, :, k], column, atol=FINITE_DIFFERENCE_TOL)


def test_simulate_zero_weights_closed_form(rng, form):
    n = 4
    tau = rng.uniform(0.3, 3.0, n)
    bias = rng.normal(size=n)
    net = RecurrentNetwork(np.zeros((n, n)), tau=tau, bias=bias, form=form)
    inputs = rng.normal(size=(3, n))
    t = np.array([0.0, 0.1, 0.7, 2.0, 5.0])
    states = ffapprox.simulate(net, inputs, t, step_size=0.01).numpy()
    expected = (inputs - bias) * (1 - np.exp(-t[:, None, None] / tau))
    assert states.shape == (5, 3, n)
    np.testing.assert_allclose(states, expected, atol=CLOSED_FORM_TOL)


def test_simulate_from_initial_state_closed_form(rng):
    tau = np.array([0.5, 1.0, 2.0])
    net = RecurrentNetwork(np.zeros((3, 3)), tau=tau)
    inputs, x0 = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    t = np.array([0.0, 1.0, 3.0])
    states = ffapprox.simulate(net, inputs, t, x0=x0, step_size=0.01).numpy()
    expected = inputs + (x0 - inputs) * np.exp(-t[:, None, None] / tau)
    np.testing.assert_allclose(states, expected, atol=CLOSED_FORM_TOL)


def test_simulate_matches_reference_integrator(rng, form):
    net = _random_network(rng, form)
    inputs = rng.uniform(-1, 1, size=(3, 6))
    states = ffapprox.simulate(net, inputs, [3.0], step_size=1e-3).numpy()[-1]
    reference = integrate_reference(net, inputs, 3.0)
    np.testing.assert_allclose(states, reference, atol=SIMULATE_TOL)


def test_simulate_default_step_is_accurate(rng, form):
    # The default step trades accuracy for speed; it must still track the trajectory.
    net = _random_network(rng, form)
    inputs = rng.uniform(-1, 1, size=(3, 6))
    states = ffapprox.simulate(net, inputs, [2.0]).numpy()[-1]
    reference = integrate_reference(net, inputs, 2.0)
    np.testing.assert_allclose(states, reference, atol=DEFAULT_STEP_TOL)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda net: ffapprox.simulate(net, np.ones((1, 3)), [1.0, 0.5]), "t must be"),
        (lambda net: ffapprox.simulate(net, np.ones((1, 3)), [-1.0]), "t must be"),
        (lambda net: ffapprox.simulate(net, np.ones((1, 3)), []), "t must be"),
        (lambda net: ffapprox.simulate(net, np.ones((1, 2)), [1.0]), r"inputs must have shape"),
        (
            lambda net: ffapprox.simulate(net, np.ones((2, 3)), [1.0], x0=np.zeros((1, 3))),
            "x0 must have shape",
        ),
        (
            lambda net: ffapprox.simulate(net, np.ones((1, 3)), [1.0], x0=[[np.nan] * 3]),
            "x0 must be finite",
        ),
        (lambda net: ffapprox.vector_field(net, np.ones((1, 4)), np.ones((1, 3))), "state"),
        (lambda net: ffapprox.jacobian(net, [[np.inf, 0, 0]]), "state must be finite"),
    ],
)
def test_bad_arguments_are_named(call, match):
    with pytest.raises(ValueError, match=match):
        call(RecurrentNetwork(np.zeros((3, 3))))


@pytest.mark.parametrize("step_size", [-0.1, 0.0, float("nan")])
def test_simulate_rejects_bad_step_size(step_size):
    net = RecurrentNetwork(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="step_size"):
        ffapprox.simulate(net, [[1.0, 1.0]], [0.0, 1.0], step_size=step_size)
