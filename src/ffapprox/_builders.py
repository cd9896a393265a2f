"""Builders for recurrent networks with known computations."""

from __future__ import annotations

import numpy as np

from ._checks import check_integer as _check_count
from ._network import RecurrentNetwork


def _check_weight(name: str, value: float, *, positive: bool = False) -> float:
    value = float(value)
    if not np.isfinite(value) or value < 0 or (positive and value == 0):
        kind = "positive" if positive else "non-negative"
        raise ValueError(f"{name} must be a finite {kind} number, got {value!r}")
    return value


def _check_finite(name: str, value: float) -> float:
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return value


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
    n_partitions = _check_count("n_partitions", n_partitions, 1)
    partition_size = _check_count("partition_size", partition_size, 1)
    n_inhibitory = _check_count("n_inhibitory", n_inhibitory, 0)
    w_E = _check_weight("w_E", w_E)
    w_I = _check_weight("w_I", w_I)
    n_exc = n_partitions * partition_size
    n = n_exc + n_inhibitory
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


def random_dale_network(
    n_neurons: int,
    *,
    fraction_excitatory: float = 0.8,
    gain: float = 1.0,
    tau_E: float = 1.0,
    tau_I: float = 0.5,
    seed: int = 0,
) -> RecurrentNetwork:
    r"""Random balanced excitatory/inhibitory network obeying Dale's law.

    The first ``n_E = round(fraction_excitatory N)`` neurons are excitatory, the rest
    inhibitory; every column (presynaptic neuron) has one sign. Magnitudes are half-normal,
    ``|z_jk|``; inhibitory columns are scaled by ``n_E / n_I`` and then, row by row, so
    that every row sums to zero (``W 1 = 0``: excitation and inhibition balance exactly,
    which removes the real outlier eigenvalue of an unbalanced matrix; Rajan & Abbott 2006,
    PRL 97:188104). Finally ``W`` is multiplied by ``gain / sqrt(N s^2)``, ``s^2`` the
    mean entry variance before the row scaling, so that the bulk of its eigenvalues lies in
    a disc of radius about ``gain``.

    Computation: none in particular; ``gain`` moves the network through its dynamical
    regimes. Outcomes of :func:`solve_fixed_points` (``max_time=300``) measured for 60
    inputs uniform in ``(-1, 1)^64`` on each of six seeds, ``N = 64``, defaults otherwise
    (per cent of the 360 inputs):

    ====  ======  ===========  =========  ==========
    gain  stable  oscillating  diverging  unresolved
    ====  ======  ===========  =========  ==========
    0.5   100     0            0          0
    1.0   99.7    0            0          0.3
    1.5   66.4    10.6         11.9       11.1
    2.0   40.0    18.1         37.8       4.2
    3.0   26.7    23.6         45.0       4.7
    5.0   15.0    18.1         63.1       3.9
    8.0   8.6     15.8         71.1       4.4
    ====  ======  ===========  =========  ==========

    The default ``gain = 1`` is the largest measured gain at which almost every input settles.
    Slower inhibition (``tau_I = tau_E``) shifts the table towards oscillation and
    divergence; ``tau_I = 2 tau_E`` oscillates for about 35 % of inputs already at
    ``gain = 1``.

    Arguments:
        n_neurons: N (>= 2).
        fraction_excitatory: share of excitatory neurons; both populations must be
            non-empty after rounding.
        gain: approximate spectral radius of the bulk (>= 0).
        tau_E, tau_I: time constants of the excitatory and inhibitory neurons (> 0).
        seed: seed of ``numpy.random.default_rng`` for the magnitudes.

    Example:
        >>> net = random_dale_network(10)
        >>> bool((net.weights[:, :8] >= 0).all() and (net.weights[:, 8:] <= 0).all())
        True
    """
    n_neurons = _check_count("n_neurons", n_neurons, 2)
    fraction = float(fraction_excitatory)
    n_exc = int(round(fraction * n_neurons)) if np.isfinite(fraction) else -1
    if not 1 <= n_exc <= n_neurons - 1:
        raise ValueError(
            f"fraction_excitatory must leave both populations non-empty for "
            f"n_neurons={n_neurons}, got {fraction_excitatory!r}"
        )
    gain = _check_weight("gain", gain)
    tau_E = _check_weight("tau_E", tau_E, positive=True)
    tau_I = _check_weight("tau_I", tau_I, positive=True)
    seed = _check_count("seed", seed, 0)
    n_inh = n_neurons - n_exc
    magnitude = np.abs(np.random.default_rng(seed).normal(size=(n_neurons, n_neurons)))
    sign = np.concatenate([np.ones(n_exc), np.full(n_inh, -n_exc / n_inh)])
    weights = magnitude * sign
    excitation = weights[:, :n_exc].sum(1)
    weights[:, n_exc:] *= (excitation / -weights[:, n_exc:].sum(1))[:, None]
    variance = np.mean(sign**2) * (1 - 2 / np.pi)  # variance of a half-normal is 1 - 2/pi
    weights *= gain / np.sqrt(n_neurons * variance)
    tau = np.concatenate([np.full(n_exc, tau_E), np.full(n_inh, tau_I)])
    return RecurrentNetwork(weights, tau=tau)


def ctln_network(
    edges,
    n_neurons: int | None = None,
    *,
    epsilon: float = 0.25,
    delta: float = 0.5,
    theta: float = 1.0,
) -> RecurrentNetwork:
    r"""Combinatorial threshold-linear network (CTLN) of a directed graph.

    Curto & Morrison (2019), Relating network connectivity to dynamics: opportunities and
    challenges for theoretical neuroscience, Curr. Opin. Neurobiol. 58:11-20:

    ``W_ij = 0`` if ``i = j``; ``-1 + epsilon`` if ``j -> i`` is an edge;
    ``-1 - delta`` otherwise,

    with ``tau dx/dt = -x + W [x]^+ + theta``. Every connection is inhibitory; an edge
    only makes it weaker. The uniform drive ``theta`` is built in as the bias
    ``b = -theta``, so input zero gives the CTLN and an input ``i`` adds to the drive
    (``ctln_network(edges, theta=0)`` leaves the whole drive to the inputs).

    Computation: the graph's structure fixes the attractors. A directed 3-cycle has no
    stable fixed point for any uniform positive drive and settles on a limit cycle
    (:func:`solve_fixed_points` reports ``oscillating``); a sink (a node with no outgoing
    edge) gives a stable fixed point supported on it.

    Arguments:
        edges: iterable of ``(source, target)`` pairs of neuron indices, no self-loops.
        n_neurons: N; default one more than the largest index in ``edges``.
        epsilon, delta: CTLN parameters, legal range ``delta > 0`` and
            ``0 < epsilon < delta / (delta + 1)``.
        theta: uniform drive (>= 0).

    Example:
        >>> net = ctln_network([(0, 1), (1, 2), (2, 0)])
        >>> float(net.weights[1, 0]), float(net.weights[0, 1]), float(net.bias[0])
        (-0.75, -1.5, -1.0)
    """
    pairs = np.asarray(list(edges), dtype=np.int64) if edges is not None else None
    if pairs is None or (pairs.size and (pairs.ndim != 2 or pairs.shape[1] != 2)):
        raise ValueError(f"edges must be (source, target) pairs, got {edges!r}")
    pairs = pairs.reshape(-1, 2)
    if np.any(pairs < 0):
        raise ValueError(f"edges must have non-negative indices, got {pairs.tolist()}")
    if np.any(pairs[:, 0] == pairs[:, 1]):
        raise ValueError(f"edges must not contain self-loops, got {pairs.tolist()}")
    largest = int(pairs.max()) + 1 if pairs.size else 0
    if n_neurons is None:
        n_neurons = largest
    n_neurons = _check_count("n_neurons", n_neurons, max(largest, 1))
    delta = _check_weight("delta", delta, positive=True)
    epsilon = float(epsilon)
    if not 0 < epsilon < delta / (delta + 1):
        raise ValueError(
            f"epsilon must be in (0, delta / (delta + 1)) = (0, {delta / (delta + 1):.4g}), "
            f"got {epsilon!r}"
        )
    theta = _check_weight("theta", theta)
    weights = np.full((n_neurons, n_neurons), -1.0 - delta)
    weights[pairs[:, 1], pairs[:, 0]] = -1.0 + epsilon
    np.fill_diagonal(weights, 0.0)
    return RecurrentNetwork(weights, bias=-theta)
