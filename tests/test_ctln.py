"""Combinatorial threshold-linear networks against the published model, from its rest state.

The published CTLN (Curto, Morrison et al.; their MATLAB code, AlgebraicDynamics.jl) is
``dx/dt = -x + [W x + theta + i]^+``, integrated here by scipy independently of ffapprox;
ffapprox solves it in the variables ``y = W x + theta + i`` (see ``ctln_network``).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from ffapprox import Status, ctln_network, ctln_rest_state, solve_fixed_points

T_END = 400.0
SETTLED = 1e-9  # max |dx/dt| of the published dynamics at the end: a fixed point


def _graphs(n: int) -> list[tuple[tuple[int, int], ...]]:
    """One directed graph (no self-loops) of each isomorphism class on ``n`` nodes."""
    pairs = [(a, b) for a in range(n) for b in range(n) if a != b]
    seen, graphs = set(), []
    for mask in range(1 << len(pairs)):
        edges = tuple(p for k, p in enumerate(pairs) if mask >> k & 1)
        key = min(
            tuple(sorted((perm[a], perm[b]) for a, b in edges))
            for perm in itertools.permutations(range(n))
        )
        if key not in seen:
            seen.add(key)
            graphs.append(edges)
    return graphs


def _published(weights: np.ndarray, drive: np.ndarray) -> tuple[np.ndarray, bool]:
    """The published dynamics from rest: the final x and whether it settled."""

    def field(t, x):
        return -x + np.maximum(weights @ x + drive, 0.0)

    solution = solve_ivp(field, (0.0, T_END), np.zeros_like(drive), method="LSODA",
                         rtol=1e-10, atol=1e-12)  # fmt: skip
    final = solution.y[:, -1]
    return final, bool(np.abs(field(0, final)).max() <= SETTLED)


@pytest.mark.parametrize("n", [2, 3, 4])
def test_published_rest_state_reaches_the_published_attractor(n, rng):
    graphs = _graphs(n)
    assert len(graphs) == {2: 3, 3: 16, 4: 218}[n]
    disagreements = []
    for edges in graphs:
        network = ctln_network(edges, n_neurons=n)
        # Exactly uniform drive on a symmetric graph is a tie that rounding decides.
        inputs = rng.uniform(-0.02, 0.02, n)
        final, settled = _published(network.weights, inputs - network.bias)
        result = solve_fixed_points(
            network, inputs, x0=ctln_rest_state(network, inputs), max_time=T_END
        )
        status = Status(int(result.status[0]))
        if settled:
            support = final > 1e-9
            ours = result.rates.numpy()[0] > 1e-9
            if status != Status.STABLE or not np.array_equal(support, ours):
                disagreements.append((edges, status.name, support, ours))
        elif status == Status.STABLE:
            disagreements.append((edges, "stable, but the published dynamics do not settle"))
    assert not disagreements, disagreements[:3]


def test_the_start_decides_in_a_multistable_graph():
    # Found by search: from y = 0 ffapprox would reach the support {0, 3}; the published
    # dynamics from rest, and ffapprox from the published rest state, reach {0, 2}.
    edges = ((0, 2), (0, 3), (1, 0), (1, 2), (2, 0), (3, 0))
    network = ctln_network(edges, n_neurons=4)
    inputs = np.array([-0.01, -0.0095, -0.0195, 0.016])
    final, settled = _published(network.weights, inputs - network.bias)
    assert settled and np.array_equal(final > 1e-9, [True, False, True, False])
    from_rest = solve_fixed_points(network, inputs, x0=ctln_rest_state(network, inputs))
    np.testing.assert_allclose(from_rest.rates.numpy()[0], final, atol=1e-8)
    from_zero = solve_fixed_points(network, inputs)
    assert np.array_equal(from_zero.rates.numpy()[0] > 1e-9, [True, False, False, True])
