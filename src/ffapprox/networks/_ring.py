"""A soft winner-take-all ring: local excitation, uniform global inhibition."""

from __future__ import annotations

import numpy as np

from ..common import check_integer, check_network_size, check_real
from ..dynamics import RecurrentNetwork


def ring_network(
    n_neurons: int = 32,
    *,
    w_E: float = 1.5,
    sigma: float = 0.3,
    w_I: float = 3.0,
    tau: float = 1.0,
    bias: float = 0.0,
) -> RecurrentNetwork:
    r"""Soft winner-take-all ring: local excitation, uniform global inhibition.

    Neuron ``j`` has preferred angle ``theta_j = 2 pi j / N``. The weights are

    ``W_jk = w_E K(theta_j - theta_k) / sum_l K(theta_j - theta_l) - w_I / N``,
    ``K(d) = exp((cos d - 1) / sigma^2)``,

    a periodic (von Mises) excitatory profile of width ``sigma`` radians whose row sum is
    ``w_E``, plus global inhibition written as uniform negative weights (no inhibitory
    neuron), so ``w_I`` is the total inhibition a neuron receives per unit of mean rate.
    Both totals are independent of ``N``.

    Computation: a broad, noisy bump of input becomes a narrow, clean bump of rate centred
    on the input's peak. Excitation (``w_E > 1``) amplifies the locally coherent part of
    the input; inhibition, growing with the total rate, silences all but the strongest
    arc. ``W`` is symmetric and ``tau`` uniform, so the dynamics have a Lyapunov function
    and never oscillate; they stay bounded because ``I - W`` is strictly copositive:
    ``max v^T W v / v^T v`` over ``v >= 0`` is 0.73 at the defaults, for any ``N`` >= 16
    (divergence sets in near 1, e.g. ``w_E = 2, w_I = 3``). The defaults were measured on
    400 inputs ``i = a exp((cos(theta - theta_0) - 1) / 0.5^2) + 0.2 a z`` (``a`` uniform
    in (0.5, 1.5), ``theta_0`` uniform, ``z`` standard normal per neuron), ``N = 32``,
    input -> output: every input stable; active neurons 21.6 -> 7.0 (6 to 8, always one
    arc); population-vector error 0.48 -> 0.32 neurons (mean); argmax error 0.75 -> 0.44
    neurons (mean), 4.2 -> 1.8 (max).

    Arguments:
        n_neurons: ring size N (>= 3).
        w_E: total excitatory weight (>= 0); sigma: kernel width in radians (> 0).
        w_I: total inhibitory weight (>= 0).
        tau: time constant of every neuron (> 0); bias: threshold of every neuron.

    Example:
        >>> ring_network(16).n_neurons
        16
    """
    n_neurons = check_network_size("n_neurons", check_integer("n_neurons", n_neurons, 3))
    w_E = check_real("w_E", w_E, low=0.0)
    sigma = check_real("sigma", sigma, low=0.0, low_open=True)
    w_I = check_real("w_I", w_I, low=0.0)
    tau = check_real("tau", tau, low=0.0, low_open=True)
    bias = check_real("bias", bias)
    theta = ring_angles(n_neurons)
    kernel = np.exp((np.cos(theta[:, None] - theta[None, :]) - 1) / sigma**2)
    weights = w_E * kernel / kernel.sum(1, keepdims=True) - w_I / n_neurons
    return RecurrentNetwork(weights, tau=tau, bias=bias)


def ring_angles(n_neurons: int) -> np.ndarray:
    """Preferred angle ``2 pi j / N`` (radians) of each neuron of :func:`ring_network`."""
    n_neurons = check_integer("n_neurons", n_neurons, 1)
    return 2 * np.pi * np.arange(n_neurons) / n_neurons
