"""The seed's competitive network: the properties Muir (2018) describes, checked exactly."""

import numpy as np
import pytest

from ffapprox import STATUS_NAMES, Status, solve_fixed_points, vector_field
from ffapprox.experiments import mixture_sweep, winners
from ffapprox.networks import partition_labels, partitioned_network

LINEAR_FIT_TOL = 1e-9  # exact fixed points: the winner's rate is affine to round-off
RESIDUAL_TOL = 1e-10


def test_seed_network_structure():
    net = partitioned_network()
    w = net.weights
    assert net.n_neurons == 5
    assert np.allclose(w[:2, :2], 1.25) and np.allclose(w[2:4, 2:4], 1.25)
    assert np.all(w[:2, 2:4] == 0) and np.all(w[2:4, :2] == 0)
    assert np.allclose(w[:4, 4], -8.0) and np.allclose(w[4, :4], 0.5) and w[4, 4] == 0
    # w_E is the total weight a neuron receives from its own partition.
    assert np.allclose(w[:2, :2].sum(1), 2.5)
    assert list(partition_labels(2, 2, 1)) == [0, 0, 1, 1, -1]


@pytest.mark.parametrize("bad", [{"n_partitions": 0}, {"w_E": -1.0}, {"w_I": np.nan}])
def test_builder_rejects_bad_parameters(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        partitioned_network(**bad)


def test_mixture_sweep_reproduces_the_seed_claims():
    net = partitioned_network()
    parts = [[0, 1], [2, 3]]
    sweep = mixture_sweep(net, {}, parts, n_points=201)
    tie = np.isclose(sweep.alpha, 0.5)
    # Every mixture but the exact tie reaches a stable fixed point; at the tie the
    # symmetric fixed point is a saddle and the dynamics never certify it.
    assert np.all(sweep.status[~tie] == Status.STABLE)
    assert STATUS_NAMES[sweep.status[tie][0]] != "stable"
    a, b = sweep.recurrent[~tie].T
    alpha = sweep.alpha[~tie]
    # Exactly one partition is active, and it is the one with the larger input.
    assert np.all((a > 0) ^ (b > 0))
    assert np.all((a > 0) == (alpha > 0.5))
    # The winner's rate is linear in the input difference: r (1 - w_E + w_I) = iota.
    winner_rate = np.where(alpha > 0.5, a, b)
    winner_input = np.maximum(alpha, 1 - alpha)
    assert np.allclose(winner_rate, winner_input / (1 - 2.5 + 8.0), atol=LINEAR_FIT_TOL, rtol=0)


def test_slow_inhibition_oscillates_fast_inhibition_settles(rng):
    inputs = rng.uniform(-1, 1, (600, 5))
    fast = solve_fixed_points(partitioned_network(tau_I=0.5), inputs)
    slow = solve_fixed_points(partitioned_network(tau_I=1.0), inputs)
    assert fast.counts()["stable"] == len(inputs)
    assert slow.counts()["oscillating"] > 0
    # Fixed points do not depend on tau (which one the dynamics reach may): every fixed
    # point found with slow inhibition is one of the fast network too.
    settled = (slow.status == Status.STABLE).numpy()
    field = vector_field(partitioned_network(tau_I=0.5), slow.state[settled], inputs[settled])
    assert field.abs().max() <= RESIDUAL_TOL


def test_partition_with_larger_uniform_input_wins(rng):
    # Equal input within each partition: the partition acts as a unit and the larger wins.
    # (With unequal inputs a single strongly driven neuron can win for its partition; the
    # run reports how often the winner is the larger summed input on uniform inputs.)
    a, b = rng.uniform(0, 1, (2, 400))
    keep = np.abs(a - b) > 0.02
    inputs = np.zeros((keep.sum(), 5))
    inputs[:, :2], inputs[:, 2:4] = a[keep, None], b[keep, None]
    result = solve_fixed_points(partitioned_network(), inputs)
    assert result.counts()["stable"] == len(inputs)
    expected = (b[keep] > a[keep]).astype(int)
    assert np.all(winners(result.rates.numpy(), [[0, 1], [2, 3]]) == expected)


def test_rectified_recurrent_form_cannot_silence_the_loser(rng):
    # x = [W x]^+ + i - b >= i - b at a fixed point: positive input keeps a neuron active.
    net = partitioned_network(form="rectified-recurrent")
    inputs = rng.uniform(0.1, 1, (50, 5))
    result = solve_fixed_points(net, inputs)
    stable = (result.status == Status.STABLE).numpy()
    assert stable.any()
    assert np.all(result.rates.numpy()[stable][:, :4] > 0)
