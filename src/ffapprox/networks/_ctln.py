"""Combinatorial threshold-linear networks (CTLNs) of directed graphs."""

from __future__ import annotations

import numpy as np

from ..common import check_integer, check_network_size, check_real
from ..dynamics import RecurrentNetwork


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

    Which model, in which variables. The published CTLN (Curto, Morrison and co-authors;
    their MATLAB code and AlgebraicDynamics.jl) is ``dx/dt = -x + [W x + theta + i]^+``.
    The network returned here is ffapprox's threshold-linear form, with unit time
    constants, in the variables ``y = W x + theta + i``:
    ``dy/dt = W dx/dt = -y + W [y]^+ + theta + i`` (the uniform drive ``theta`` is built in
    as the bias ``b = -theta``; an input ``i`` adds to it). Fixed points and their
    stability correspond exactly (``x = [y]^+``, so the response ``[y]^+`` is the CTLN's
    ``x``), but the published rest state ``x = 0`` is ``y = theta + i``, not ``y = 0``: in a
    multistable graph the start can decide the attractor. To follow the published model
    from rest, start there: ``solve_fixed_points(net, i, x0=ctln_rest_state(net, i))``
    (tested against the published dynamics integrated by scipy on every graph of up to 4
    nodes).

    Computation: the graph's structure fixes the attractors. A directed 3-cycle has no
    stable fixed point for any uniform positive drive and settles on a limit cycle: at the
    default parameters :func:`solve_fixed_points` reports ``oscillating``; for parameter
    sets whose cycle is slower or of smaller amplitude its windows may not all fit in the
    time limit, and it reports ``unresolved`` (never ``stable``). A sink (a node with no
    outgoing edge) gives a stable fixed point supported on it.

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
    try:
        pairs = np.asarray(list(edges), dtype=np.int64) if edges is not None else None
    except (TypeError, ValueError):
        raise ValueError(f"edges must be (source, target) pairs, got {edges!r}") from None
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
    n_neurons = check_network_size(
        "n_neurons", check_integer("n_neurons", n_neurons, max(largest, 1))
    )
    delta = check_real("delta", delta, low=0.0, low_open=True)
    epsilon = check_real("epsilon", epsilon)
    if not 0 < epsilon < delta / (delta + 1):
        raise ValueError(
            f"epsilon must be in (0, delta / (delta + 1)) = (0, {delta / (delta + 1):.4g}), "
            f"got {epsilon!r}"
        )
    theta = check_real("theta", theta, low=0.0)
    weights = np.full((n_neurons, n_neurons), -1.0 - delta)
    weights[pairs[:, 1], pairs[:, 0]] = -1.0 + epsilon
    np.fill_diagonal(weights, 0.0)
    return RecurrentNetwork(weights, bias=-theta)


def ctln_rest_state(network: RecurrentNetwork, inputs) -> np.ndarray:
    """The published CTLN's rest state ``x = 0`` in the variables of :func:`ctln_network`:
    ``y = theta + i`` (``inputs - bias``), shape (B, N) (or (N,) for one input).

    Example:
        >>> net = ctln_network([(0, 1), (1, 0)])
        >>> ctln_rest_state(net, [0.0, 0.5]).tolist()
        [1.0, 1.5]
    """
    return np.asarray(inputs, dtype=np.float64) - network.bias
