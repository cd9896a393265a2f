"""Metrics against hand-computed values."""

import numpy as np
import pytest

from ffapprox.experiments import competition_metrics, error_metrics, winners

PARTS = [[0, 1], [2, 3]]


def test_error_metrics_closed_form():
    target = np.array([[3.0, 4.0]])
    m = error_metrics(target + np.array([[1.0, -1.0]]), target)
    assert np.isclose(m.rmse, 1.0)
    assert np.isclose(m.relative_rmse, 1.0 / np.sqrt(12.5))


def test_winners_and_agreement():
    rates = np.array([[1, 1, 0, 0, 0], [0, 0, 2, 0, 0], [0, 0, 0, 0, 3.0]])
    assert winners(rates, PARTS).tolist() == [0, 1, -1]
    inputs = np.array([[0.5, 0.5, 0.0, 0.0, 0], [0, 0, 0.9, 0.0, 0], [0, 0, 0, 0, 0.0]])
    approx = np.array([[1, 1, 0, 0, 0], [1, 1, 0, 0, 0], [0, 0, 0, 0, 0.0]])
    m = competition_metrics(inputs, rates, approx, PARTS, boundary_band=0.95)
    assert m.fraction_with_winner == 2 / 3
    assert m.winner_agreement == 0.5
    assert m.silent_agreement == 1.0
    assert m.ideal_rule_agreement_recurrent == 1.0
    assert m.ideal_rule_agreement_approximation == 0.5
    assert m.n_near_boundary == 1  # only row 1 has |iota_A - iota_B| = 0.9 < 0.95


def test_mixture_sweep_agreement():
    from ffapprox import partitioned_network
    from ffapprox.experiments._probes import mixture_sweep, sweep_agreement

    net = partitioned_network()
    exact = lambda u: np.asarray(ff_rates(net, u))  # noqa: E731
    swapped = lambda u: exact(u)[:, [2, 3, 0, 1, 4]]  # noqa: E731  A and B exchanged
    sweep = mixture_sweep(net, {"exact": exact, "swapped": swapped}, [[0, 1], [2, 3]],
                          n_points=41)  # fmt: skip
    assert sweep_agreement(sweep, "exact") == (1.0, 0.0)
    agreement, error = sweep_agreement(sweep, "swapped")
    # The larger input wins on either side of alpha = 0.5 (the tie is not stable), so the
    # swapped model picks the other winner at every stable mixture, and its error is the
    # whole rate of the winner.
    assert agreement == 0.0 and error == pytest.approx(1.0)
    unsettled = sweep._replace(recurrent=np.full_like(sweep.recurrent, np.nan))
    assert sweep_agreement(unsettled, "exact") == (None, None)


def ff_rates(net, inputs):
    from ffapprox import solve_fixed_points

    return solve_fixed_points(net, inputs).rates.numpy()


def test_time_average_of_a_settled_input_is_its_fixed_point():
    from ffapprox import partitioned_network, solve_fixed_points
    from ffapprox.experiments import time_averaged_rates

    net = partitioned_network()
    inputs = np.array([[0.8, 0.7, 0.2, 0.1, 0.0], [0.1, 0.2, 0.9, 0.6, 0.0]])
    exact = solve_fixed_points(net, inputs).rates.numpy()
    # By t = 50 tau the trajectory has converged far below this tolerance.
    assert np.allclose(time_averaged_rates(net, inputs), exact, atol=1e-8)


def test_basin_boundary_distance_of_equal_partition_inputs(rng):
    # Equal input within each partition: the larger partition wins (tested elsewhere), so
    # the boundary along "from B to A" sits where the two inputs are equal: |a - b| away.
    from ffapprox.experiments._boundary import boundary_distance
    from ffapprox.networks import partitioned_network

    network = partitioned_network()
    a = rng.uniform(0.3, 1.0, 12)
    b = a + rng.choice([-1, 1], 12) * rng.uniform(0.05, 0.25, 12)
    inputs = np.stack([a, a, b, b, np.full(12, -0.5)], axis=1)
    distance = boundary_distance(network, inputs, [[0, 1], [2, 3]])
    np.testing.assert_allclose(distance, np.abs(a - b), atol=1e-4)


def test_boundary_breakdown_accounts_for_every_input_and_all_the_error(rng):
    from ffapprox.experiments._boundary import boundary_breakdown

    target = rng.uniform(0, 1, (200, 5))
    predicted = target + rng.normal(scale=0.1, size=target.shape)
    distance = rng.exponential(0.1, 200)
    bands = boundary_breakdown(distance, predicted, target, [[0, 1], [2, 3]])
    assert sum(b.share_of_inputs for b in bands) == pytest.approx(1.0)
    assert sum(b.share_of_squared_error for b in bands) == pytest.approx(1.0)
