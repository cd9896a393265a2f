"""Noise rejection and location coding, recurrent network against its approximation (no I/O).

Signal-to-noise ratios follow the usual system view: a method's *signal* is its response
``f(c)`` to the clean input ``c``, its *noise* the change ``f(c + n) - f(c)`` that the input
noise ``n`` causes, and

``SNR = 10 log10(sum |f(c)|^2 / sum |f(c + n) - f(c)|^2)`` dB,

summed over all test inputs at one noise level. The input SNR is the same with ``f`` the
identity. A method rejects noise where its output SNR exceeds the input SNR.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ._fixed_points import Status, solve_fixed_points
from ._inputs import SignalPlusNoise
from ._network import RecurrentNetwork


def snr_db(clean: np.ndarray, noisy: np.ndarray) -> float:
    """``10 log10(sum clean^2 / sum (noisy - clean)^2)``; +inf when they are equal, NaN
    for no rows."""
    if len(clean) == 0:
        return float("nan")
    signal = float(np.sum(np.square(clean)))
    noise = float(np.sum(np.square(noisy - clean)))
    if noise == 0:
        return float("inf")
    if signal == 0:
        return float("-inf")
    return 10 * np.log10(signal / noise)


def decode_angle(activity: np.ndarray) -> np.ndarray:
    """Population-vector estimate ``arg sum_j a_j exp(i theta_j)`` of a ring's bump, (B,)."""
    n = activity.shape[-1]
    angles = 2 * np.pi * np.arange(n) / n
    return np.angle(activity @ np.exp(1j * angles)) % (2 * np.pi)


def angle_error(estimate: np.ndarray, truth: np.ndarray, n_neurons: int) -> np.ndarray:
    """Absolute circular difference, in units of the spacing between neurons ``2 pi / N``."""
    difference = np.angle(np.exp(1j * (estimate - truth)))
    return np.abs(difference) * n_neurons / (2 * np.pi)


def noise_sweep(
    network: RecurrentNetwork,
    predictors: dict[str, Callable[[np.ndarray], np.ndarray]],
    signals: SignalPlusNoise,
    noise_levels: Sequence[float],
    *,
    n_inputs: int = 1000,
    seed: int = 0,
    max_time: float = 500.0,
) -> dict:
    """Input and output SNR, and for bumps the decoded position error, at each noise level.

    The same ``n_inputs`` clean signals (drawn from ``signals`` with ``seed``) are used at
    every level; each level adds fresh noise ``a sigma z``. Inputs whose clean or noisy
    version has no stable fixed point are left out of every method's figures at that level.

    Returns a dict of lists, one entry per level: ``noise``, ``input_snr_db``,
    ``n_used``, ``"<method>_snr_db"`` for ``recurrent`` and each predictor (against the
    method's own clean response), ``"<method>_snr_to_recurrent_db"`` for each predictor
    (against the recurrent network's clean response, so approximation error counts as
    noise) and, for ``kind="bump"``, ``"<method>_position_error"`` (mean, in neuron
    spacings) for ``input``, ``recurrent`` and each predictor. ``example`` holds one clean
    input, its noisy version at the middle level and every method's response to it.
    """
    clean, labels, amplitude = signals.draw_clean(np.random.default_rng([seed, 1 << 20]), n_inputs)
    solve = solve_fixed_points(network, clean, max_time=max_time)
    clean_ok = solve.status.cpu().numpy() == Status.STABLE
    clean_rates = solve.rates.cpu().numpy()
    clean_predicted = {name: f(clean) for name, f in predictors.items()}
    bump = signals.kind == "bump"
    methods = ["recurrent", *predictors]
    result: dict[str, list] = {"noise": [], "input_snr_db": [], "n_used": []}
    for level, sigma in enumerate(noise_levels):
        level_rng = np.random.default_rng([seed, 1 << 21, level])  # not a training block
        noisy = clean + amplitude * sigma * level_rng.standard_normal(clean.shape)
        solved = solve_fixed_points(network, noisy, max_time=max_time)
        ok = clean_ok & (solved.status.cpu().numpy() == Status.STABLE)
        responses = {"recurrent": (clean_rates[ok], solved.rates.cpu().numpy()[ok])}
        for name, f in predictors.items():
            responses[name] = (clean_predicted[name][ok], f(noisy[ok]))
        result["noise"].append(float(sigma))
        result["n_used"].append(int(ok.sum()))
        result["input_snr_db"].append(snr_db(clean[ok], noisy[ok]))
        for name in methods:
            result.setdefault(f"{name}_snr_db", []).append(snr_db(*responses[name]))
        for name in predictors:
            result.setdefault(f"{name}_snr_to_recurrent_db", []).append(
                snr_db(clean_rates[ok], responses[name][1])
            )
        if level == len(noise_levels) // 2 and ok.any():
            first = int(np.flatnonzero(ok)[0])
            result["example"] = {"noise": float(sigma), "clean": clean[first].tolist()}
            result["example"]["input"] = noisy[first].tolist()
            for name in methods:
                result["example"][name] = responses[name][1][0].tolist()
        if bump:
            n = network.n_neurons
            truth = labels[ok]
            estimates = {"input": noisy[ok]} | {m: responses[m][1] for m in methods}
            for name, activity in estimates.items():
                error = angle_error(decode_angle(activity), truth, n)
                mean = float(error.mean()) if len(error) else float("nan")
                result.setdefault(f"{name}_position_error", []).append(mean)
    return result


def noise_summary(sweep: dict, name: str) -> dict:
    """How closely predictor ``name`` tracks the recurrent network over a :func:`noise_sweep`.

    ``snr_gain_db_min`` (and ``..._recurrent``): output minus input SNR, smallest over the
    levels; ``snr_gap_db``: largest ``|SNR_name - SNR_recurrent|``;
    ``improves_snr_where_recurrent_does``; and for bumps ``position_error_gap``: largest
    ``|e_name - e_recurrent| / e_recurrent``.
    """
    snr_in = np.array(sweep["input_snr_db"])
    recurrent, own = np.array(sweep["recurrent_snr_db"]), np.array(sweep[f"{name}_snr_db"])
    improves = recurrent > snr_in
    summary = {
        "snr_gain_db_min": float(np.min(own - snr_in)),
        "snr_gain_db_min_recurrent": float(np.min(recurrent - snr_in)),
        "snr_gap_db": float(np.max(np.abs(own - recurrent))),
        "improves_snr_where_recurrent_does": bool(np.all(own[improves] > snr_in[improves])),
    }
    if f"{name}_position_error" in sweep:
        reference = np.array(sweep["recurrent_position_error"])
        gap = np.abs(np.array(sweep[f"{name}_position_error"]) - reference) / reference
        summary["position_error_gap"] = float(np.max(gap))
    return summary
