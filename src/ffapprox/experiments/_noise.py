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
from dataclasses import dataclass, field

import numpy as np

from ..data import SignalPlusNoise
from ..dynamics import (
    DEFAULT_MAX_TIME,
    DEFAULT_METHOD,
    RecurrentNetwork,
    Status,
    solve_fixed_points,
)

# Clean signals of a noise sweep, each with fresh noise at every level.
NOISE_INPUTS = 1000


@dataclass
class NoiseExample:
    """One clean input, its noisy version and every method's response to the noisy one."""

    noise: float
    clean: list[float]
    input: list[float]
    responses: dict[str, list[float]]


@dataclass
class NoiseSweep:
    """Per noise level (lists in the order of ``noise``): input and output SNR in dB, and
    for bumps the decoded position error in neuron spacings.

    Attributes:
        noise, input_snr_db, n_used: the level, the input SNR, the inputs used.
        snr_db: method -> output SNR against the method's own clean response; methods are
            ``"recurrent"`` and each predictor.
        snr_to_recurrent_db: predictor -> output SNR against the recurrent network's clean
            response (approximation error counts as noise).
        position_error: for bumps, method (``"input"``, ``"recurrent"``, predictors) ->
            mean decoded position error.
        example: one input at the middle level and the responses to it.
    """

    noise: list[float] = field(default_factory=list)
    input_snr_db: list[float] = field(default_factory=list)
    n_used: list[int] = field(default_factory=list)
    snr_db: dict[str, list[float]] = field(default_factory=dict)
    snr_to_recurrent_db: dict[str, list[float]] = field(default_factory=dict)
    position_error: dict[str, list[float]] | None = None
    example: NoiseExample | None = None

    def to_json(self) -> dict[str, list]:
        """Flat lists by name (``"<method>_snr_db"`` ...), as stored in ``metrics.json``."""
        flat = {"noise": self.noise, "input_snr_db": self.input_snr_db, "n_used": self.n_used}
        flat |= {f"{m}_snr_db": v for m, v in self.snr_db.items()}
        flat |= {f"{m}_snr_to_recurrent_db": v for m, v in self.snr_to_recurrent_db.items()}
        flat |= {f"{m}_position_error": v for m, v in (self.position_error or {}).items()}
        return flat

    def keys(self) -> list[str]:
        """The flat names of :meth:`to_json` (``noise_sweep`` returned a dict of them)."""
        return list(self.to_json())

    def __getitem__(self, name: str):
        """``sweep["recurrent_snr_db"]`` as when ``noise_sweep`` returned a dict."""
        if name == "example" and self.example is not None:
            example = self.example
            return {"noise": example.noise, "clean": example.clean, "input": example.input,
                    **example.responses}  # fmt: skip
        return self.to_json()[name]


@dataclass(frozen=True)
class NoiseSummary:
    """How closely an approximation tracks the recurrent network over a noise sweep."""

    snr_gain_db_min: float
    snr_gain_db_min_recurrent: float
    snr_gap_db: float
    improves_snr_where_recurrent_does: bool
    position_error_gap: float | None = None


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
    n_inputs: int = NOISE_INPUTS,
    seed: int = 0,
    max_time: float = DEFAULT_MAX_TIME,
    method: str = DEFAULT_METHOD,
) -> NoiseSweep:
    """Input and output SNR, and for bumps the decoded position error, at each noise level.

    The same ``n_inputs`` clean signals (drawn from ``signals`` with ``seed``) are used at
    every level; each level adds fresh noise ``a sigma z``. Inputs whose clean or noisy
    version has no stable fixed point are left out of every method's figures at that level.

    Returns:
        A :class:`NoiseSweep` (``.to_json()`` gives the flat lists ``noise``,
        ``input_snr_db``, ``n_used``, ``"<method>_snr_db"``, ... of ``metrics.json``).
    """
    clean, labels, amplitude = signals.draw_clean(np.random.default_rng([seed, 1 << 20]), n_inputs)
    solved = solve_fixed_points(network, clean, max_time=max_time, method=method)
    clean_ok = solved.status.cpu().numpy() == Status.STABLE
    clean_out = {"recurrent": solved.rates.cpu().numpy()}
    clean_out |= {name: f(clean) for name, f in predictors.items()}
    sweep = NoiseSweep(position_error={} if signals.kind == "bump" else None)
    for level, sigma in enumerate(noise_levels):
        level_rng = np.random.default_rng([seed, 1 << 21, level])  # not a training block
        noisy = clean + amplitude * sigma * level_rng.standard_normal(clean.shape)
        result = solve_fixed_points(network, noisy, max_time=max_time, method=method)
        ok = clean_ok & (result.status.cpu().numpy() == Status.STABLE)
        noisy_out = {"recurrent": result.rates.cpu().numpy()[ok]}
        noisy_out |= {name: f(noisy[ok]) for name, f in predictors.items()}
        _add_level(
            sweep,
            float(sigma),
            clean[ok],
            noisy[ok],
            {k: v[ok] for k, v in clean_out.items()},
            noisy_out,
        )
        if sweep.position_error is not None:
            truth = labels[ok]
            for name, activity in ({"input": noisy[ok]} | noisy_out).items():
                error = angle_error(decode_angle(activity), truth, network.n_neurons)
                mean = float(error.mean()) if len(error) else float("nan")
                sweep.position_error.setdefault(name, []).append(mean)
        if level == len(noise_levels) // 2 and ok.any():
            first = int(np.flatnonzero(ok)[0])  # row 0 of the usable rows
            sweep.example = NoiseExample(
                float(sigma), clean[first].tolist(), noisy[first].tolist(),
                {name: out[0].tolist() for name, out in noisy_out.items()},
            )  # fmt: skip
    return sweep


def _add_level(sweep: NoiseSweep, sigma: float, clean, noisy, clean_out: dict, noisy_out: dict):
    """Append one level's SNRs (every array already restricted to the usable inputs)."""
    sweep.noise.append(sigma)
    sweep.n_used.append(len(clean))
    sweep.input_snr_db.append(snr_db(clean, noisy))
    for name in noisy_out:
        sweep.snr_db.setdefault(name, []).append(snr_db(clean_out[name], noisy_out[name]))
        if name != "recurrent":
            sweep.snr_to_recurrent_db.setdefault(name, []).append(
                snr_db(clean_out["recurrent"], noisy_out[name])
            )


def noise_summary(sweep: NoiseSweep, name: str) -> NoiseSummary:
    """How closely predictor ``name`` tracks the recurrent network over a :func:`noise_sweep`.

    ``snr_gain_db_min`` (and ``..._recurrent``): output minus input SNR, smallest over the
    levels; ``snr_gap_db``: largest ``|SNR_name - SNR_recurrent|``;
    ``improves_snr_where_recurrent_does``; and for bumps ``position_error_gap``: largest
    ``|e_name - e_recurrent| / e_recurrent``.
    """
    snr_in = np.array(sweep.input_snr_db)
    recurrent, own = np.array(sweep.snr_db["recurrent"]), np.array(sweep.snr_db[name])
    improves = recurrent > snr_in
    gap = None
    if sweep.position_error is not None:
        reference = np.array(sweep.position_error["recurrent"])
        errors = np.array(sweep.position_error[name])
        gap = float(np.max(np.abs(errors - reference) / reference))
    return NoiseSummary(
        snr_gain_db_min=float(np.min(own - snr_in)),
        snr_gain_db_min_recurrent=float(np.min(recurrent - snr_in)),
        snr_gap_db=float(np.max(np.abs(own - recurrent))),
        improves_snr_where_recurrent_does=bool(np.all(own[improves] > snr_in[improves])),
        position_error_gap=gap,
    )
