"""Input distributions to train on: the uniform cube, and clean signals plus noise (no I/O).

Every sampler draws rows in blocks of :data:`SAMPLE_BLOCK`, block ``k`` from
``numpy.random.default_rng([seed, k])``, so row ``j`` of a sample depends only on the seed
and ``j``: a dataset can be generated in any number of pieces, in any order, and is still
the same bits.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

import numpy as np

from ._checks import check_integer

SAMPLE_BLOCK = 4096


def _check_number(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def _check_range(name: str, value, *, minimum: float = -math.inf) -> tuple[float, float]:
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (low, high), got {value!r}") from None
    if not (math.isfinite(low) and math.isfinite(high) and minimum <= low <= high):
        raise ValueError(f"{name} must be finite with {minimum} <= low <= high, got {value!r}")
    return low, high


@dataclass(frozen=True)
class UniformInputs:
    """Inputs uniform in the cube ``(low, high)^N``: the training data of Muir (2018)."""

    n_neurons: int
    low: float = -1.0
    high: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "n_neurons", check_integer("n_neurons", self.n_neurons))
        object.__setattr__(self, "low", _check_number("low", self.low))
        object.__setattr__(self, "high", _check_number("high", self.high))
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low < self.high):
            raise ValueError(
                f"low and high must be finite with low < high, got {self.low}, {self.high}"
            )

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, size=(size, self.n_neurons))

    def describe(self) -> dict:
        return {"kind": "uniform", "low": self.low, "high": self.high}


@dataclass(frozen=True)
class SignalPlusNoise:
    """Clean signals ``a s`` plus Gaussian noise ``a sigma z``, the noise set by ``sigma``.

    ``a`` is uniform in ``amplitude``, ``z`` standard normal per neuron, and ``sigma``
    uniform in ``noise`` (one value per input).
    Because the noise scales with the amplitude, the input signal-to-noise ratio depends on
    ``sigma`` only: ``|s|^2 / (N sigma^2)``. The clean signal ``s`` is, for ``kind``:

    - ``"bump"``: a bump on a ring of ``N`` neurons (angles ``2 pi j / N``, as
      :func:`ring_network`), ``s_j = exp((cos(theta_j - theta_0) - 1) / width^2)`` with the
      centre ``theta_0`` uniform in ``[0, 2 pi)``; the label is ``theta_0``.
    - ``"pattern"``: one row ``p_k`` of ``patterns`` (e.g. :func:`amplifier_patterns`),
      ``k`` uniform; the label is ``k``.
    """

    n_neurons: int
    kind: str = "bump"
    amplitude: tuple[float, float] = (0.5, 1.5)
    noise: tuple[float, float] = (0.0, 1.0)
    width: float = 0.5
    patterns: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "n_neurons", check_integer("n_neurons", self.n_neurons))
        object.__setattr__(self, "width", _check_number("width", self.width))
        if self.kind not in ("bump", "pattern"):
            raise ValueError(f"kind must be 'bump' or 'pattern', got {self.kind!r}")
        object.__setattr__(self, "amplitude", _check_range("amplitude", self.amplitude))
        object.__setattr__(self, "noise", _check_range("noise", self.noise, minimum=0.0))
        if not (math.isfinite(self.width) and self.width > 0):
            raise ValueError(f"width must be a positive finite number, got {self.width!r}")
        if self.kind == "pattern":
            patterns = None if self.patterns is None else np.asarray(self.patterns, float)
            if patterns is None or patterns.ndim != 2 or patterns.shape[1] != self.n_neurons:
                shape = None if patterns is None else patterns.shape
                raise ValueError(
                    f"patterns must have shape (n_patterns, {self.n_neurons}) for "
                    f"kind='pattern', got {shape}"
                )
            object.__setattr__(self, "patterns", patterns)

    def draw_clean(
        self, rng: np.random.Generator, size: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(clean, labels, amplitude)``: signals ``a s`` (size, N), labels, ``a`` (size, 1)."""
        if self.kind == "bump":
            labels = rng.uniform(0, 2 * np.pi, size)
            angles = 2 * np.pi * np.arange(self.n_neurons) / self.n_neurons
            shape = np.exp((np.cos(angles[None, :] - labels[:, None]) - 1) / self.width**2)
        else:
            labels = rng.integers(0, len(self.patterns), size)
            shape = self.patterns[labels]
        amplitude = rng.uniform(*self.amplitude, size)[:, None]
        return amplitude * shape, labels, amplitude

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        clean, _, amplitude = self.draw_clean(rng, size)
        sigma = rng.uniform(*self.noise, (size, 1))
        return clean + amplitude * sigma * rng.standard_normal((size, self.n_neurons))

    def describe(self) -> dict:
        description = {
            "kind": self.kind,
            "amplitude": list(self.amplitude),
            "noise": list(self.noise),
        }
        if self.kind == "bump":
            description["width"] = self.width
        else:
            description["n_patterns"] = len(self.patterns)
            digest = hashlib.sha256(np.ascontiguousarray(self.patterns).tobytes()).hexdigest()
            description["patterns_sha256"] = digest[:16]
        return description


def sample_block(sampler, seed: int, block: int) -> np.ndarray:
    """Block ``block`` (rows ``block * SAMPLE_BLOCK`` onwards) of ``sampler``'s sequence."""
    return sampler.draw(np.random.default_rng([seed, block]), SAMPLE_BLOCK)


def draw_rows(sampler, n_samples: int, *, seed: int = 0, start: int = 0) -> np.ndarray:
    """Rows ``start .. start + n_samples`` of ``sampler``'s input sequence for ``seed``."""
    first, last = start // SAMPLE_BLOCK, (start + n_samples - 1) // SAMPLE_BLOCK
    rows = np.concatenate([sample_block(sampler, seed, b) for b in range(first, last + 1)])
    offset = start - first * SAMPLE_BLOCK
    return rows[offset : offset + n_samples]
