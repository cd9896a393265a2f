"""Networks that compute on structured input: a soft winner-take-all ring, an amplifier."""

from __future__ import annotations

import numpy as np

from ._builders import _check_count, _check_finite, _check_weight
from ._network import RecurrentNetwork


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
    n_neurons = _check_count("n_neurons", n_neurons, 3)
    w_E = _check_weight("w_E", w_E)
    sigma = _check_weight("sigma", sigma, positive=True)
    w_I = _check_weight("w_I", w_I)
    tau = _check_weight("tau", tau, positive=True)
    bias = _check_finite("bias", bias)
    theta = ring_angles(n_neurons)
    kernel = np.exp((np.cos(theta[:, None] - theta[None, :]) - 1) / sigma**2)
    weights = w_E * kernel / kernel.sum(1, keepdims=True) - w_I / n_neurons
    return RecurrentNetwork(weights, tau=tau, bias=bias)


def ring_angles(n_neurons: int) -> np.ndarray:
    """Preferred angle ``2 pi j / N`` (radians) of each neuron of :func:`ring_network`."""
    n_neurons = _check_count("n_neurons", n_neurons, 1)
    return 2 * np.pi * np.arange(n_neurons) / n_neurons


def amplifier_patterns(
    n_neurons: int = 64, n_patterns: int = 4, *, pattern_size: int = 8, seed: int = 0
) -> np.ndarray:
    """The stored patterns of :func:`amplifier_network` with the same arguments.

    ``n_patterns`` binary patterns of ``pattern_size`` ones each on disjoint random sets
    of neurons (drawn with ``numpy.random.default_rng(seed)``), shape
    ``(n_patterns, n_neurons)``, float64. Neurons in no pattern are possible.
    """
    n_neurons = _check_count("n_neurons", n_neurons, 1)
    n_patterns = _check_count("n_patterns", n_patterns, 1)
    pattern_size = _check_count("pattern_size", pattern_size, 1)
    seed = _check_count("seed", seed, 0)
    if n_patterns * pattern_size > n_neurons:
        raise ValueError(
            f"n_patterns * pattern_size must be <= n_neurons = {n_neurons}, "
            f"got {n_patterns} * {pattern_size}"
        )
    members = np.random.default_rng(seed).choice(
        n_neurons, n_patterns * pattern_size, replace=False
    )
    patterns = np.zeros((n_patterns, n_neurons))
    patterns[np.repeat(np.arange(n_patterns), pattern_size), members] = 1.0
    return patterns


def amplifier_network(
    n_neurons: int = 64,
    n_patterns: int = 4,
    *,
    pattern_size: int = 8,
    gain: float = 4.0,
    w_I: float = 4.0,
    tau: float = 1.0,
    bias: float = 0.0,
    seed: int = 0,
) -> RecurrentNetwork:
    r"""Selective amplification of stored patterns through shared inhibition.

    With ``p_k`` the patterns of :func:`amplifier_patterns` (same arguments; call it for
    the patterns) and ``m`` the pattern size,

    ``W = (w_E / m) sum_k p_k p_k^T - (w_I / N) 1 1^T``,
    ``w_E = 1 + w_I m / N - 1 / gain``:

    all-to-all excitation of total weight ``w_E`` within each pattern and global
    inhibition of total weight ``w_I`` as uniform negative weights. An input along a
    stored pattern, ``i = c p_k`` with ``c > 0``, activates exactly that pattern and gives
    ``[x]^+ = gain * c p_k`` (the pattern's fixed point obeys ``r (1 - w_E + w_I m / N) =
    c``); the other neurons are silenced by the inhibition. An input orthogonal to every
    pattern only recruits inhibition and is attenuated: ``|[x]^+| / |i|`` measured over
    400 random orthogonal inputs (20 seeds) at the defaults is 0.45 on average, at most
    0.62 (0.90 / 1.03 without inhibition, ``w_I = 0``). ``W`` is symmetric with largest
    ``v^T W v / v^T v`` over ``v >= 0`` equal to ``1 - 1 / gain < 1``, so every input
    reaches a stable fixed point.

    Arguments:
        n_neurons, n_patterns, pattern_size: sizes (``n_patterns * pattern_size <= N``).
        gain: amplification of a stored pattern (>= 1).
        w_I: total inhibitory weight (>= 0).
        tau: time constant of every neuron (> 0); bias: threshold of every neuron.
        seed: seed of the patterns.

    Example:
        >>> net = amplifier_network(seed=1)
        >>> patterns = amplifier_patterns(seed=1)
        >>> patterns.shape, net.n_neurons
        ((4, 64), 64)
    """
    patterns = amplifier_patterns(n_neurons, n_patterns, pattern_size=pattern_size, seed=seed)
    gain = float(gain)
    if not (np.isfinite(gain) and gain >= 1):
        raise ValueError(f"gain must be a finite number >= 1, got {gain!r}")
    w_I = _check_weight("w_I", w_I)
    tau = _check_weight("tau", tau, positive=True)
    bias = _check_finite("bias", bias)
    w_E = 1 + w_I * pattern_size / n_neurons - 1 / gain
    weights = (w_E / pattern_size) * patterns.T @ patterns - w_I / n_neurons
    return RecurrentNetwork(weights, tau=tau, bias=bias)
