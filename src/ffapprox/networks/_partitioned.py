"""The paper's network: excitatory partitions competing through shared inhibition."""

from __future__ import annotations

import numpy as np

from ..common import check_integer, check_network_size, check_real
from ..dynamics import RecurrentNetwork


def partitioned_network(
    n_partitions: int = 2,
    partition_size: int = 2,
    n_inhibitory: int = 1,
    w_E: float = 2.5,
    w_I: float = 8.0,
    bias: float = 0.0,
    *,
    tau_E: float = 1.0,
    tau_I: float = 0.5,
    form: str = "threshold-linear",
) -> RecurrentNetwork:
    r"""Excitatory partitions competing through shared inhibition (Muir 2018, Fig. 2a).

    Neurons are ordered partition by partition (``partition_size`` excitatory neurons
    each), then the ``n_inhibitory`` inhibitory neurons. Connectivity:

    * excitatory, all-or-nothing within a partition (self-connections included): weight
      ``w_E / partition_size``, so ``w_E`` is the total excitatory weight a neuron receives
      from its own partition when the partition is uniformly active; none between partitions;
    * excitatory -> inhibitory: weight ``1 / partition_size`` from every excitatory neuron,
      so each inhibitory neuron is driven by the sum of the partitions' mean rates;
    * inhibitory -> excitatory: weight ``-w_I / n_inhibitory`` onto every excitatory
      neuron, so ``w_I`` is the total inhibition per unit of inhibitory rate;
    * no inhibitory -> inhibitory connections.

    With one partition winning at common rate ``r`` and the others silent, the fixed point
    obeys ``r (1 - w_E + w_I) = iota`` (iota the winner's mean input minus bias), so the
    winner's rate is linear in its input, and a silent partition stays silent while its
    mean input is below ``w_I r``. The paper's network is ``{N, w_E, w_I, b} = {5, 2.5, 8, 0}``,
    the default. With equal input to the neurons of each partition (the paper's mixture
    sweep) the partition with the larger input always wins; with unequal inputs a single
    strongly driven neuron can carry its partition, so on inputs uniform in (-1, 1)^5 the
    winner is the partition with the larger summed input for about 90% of the inputs that
    activate a partition (measured; ``ffapprox run`` reports the figure).

    Time constants are not given in the paper. Fixed points do not depend on them but their
    stability does: with ``w_E > 1`` the winning partition is held in check only by the
    inhibitory loop, which must be fast enough. ``tau_I = 0.5 tau_E`` is the default; the
    README reports the measured fraction of stable inputs against ``tau_I``.

    Arguments:
        n_partitions, partition_size, n_inhibitory: population sizes (>= 1; inhibitory >= 0).
        w_E: total within-partition excitatory weight; w_I: total inhibitory weight.
        bias: threshold of every neuron.
        tau_E, tau_I: time constants of the excitatory and inhibitory neurons.
        form: dynamics form, see :class:`RecurrentNetwork`.

    Example:
        >>> net = partitioned_network()
        >>> net.n_neurons
        5
    """
    n_partitions = check_integer("n_partitions", n_partitions, 1)
    partition_size = check_integer("partition_size", partition_size, 1)
    n_inhibitory = check_integer("n_inhibitory", n_inhibitory, 0)
    w_E = check_real("w_E", w_E, low=0.0)
    w_I = check_real("w_I", w_I, low=0.0)
    n_exc = n_partitions * partition_size
    n = check_network_size("n_partitions * partition_size + n_inhibitory", n_exc + n_inhibitory)
    weights = np.zeros((n, n))
    for p in range(n_partitions):
        block = slice(p * partition_size, (p + 1) * partition_size)
        weights[block, block] = w_E / partition_size
    if n_inhibitory:
        weights[n_exc:, :n_exc] = 1.0 / partition_size
        weights[:n_exc, n_exc:] = -w_I / n_inhibitory
    tau = np.concatenate([np.full(n_exc, tau_E), np.full(n_inhibitory, tau_I)])
    return RecurrentNetwork(weights, tau=tau, bias=bias, form=form)  # type: ignore[arg-type]


def partition_labels(n_partitions: int, partition_size: int, n_inhibitory: int) -> np.ndarray:
    """Partition index of each neuron of :func:`partitioned_network`; -1 for inhibitory."""
    exc = np.repeat(np.arange(n_partitions), partition_size)
    return np.concatenate([exc, np.full(n_inhibitory, -1)])


def partition_groups(
    n_partitions: int = 2, partition_size: int = 2, n_inhibitory: int = 1
) -> list[list[int]]:
    """Neuron indices of each excitatory partition of :func:`partitioned_network`."""
    labels = partition_labels(n_partitions, partition_size, n_inhibitory)
    return [np.flatnonzero(labels == p).tolist() for p in range(n_partitions)]
