"""Input distributions to train on: the uniform cube, and clean signals plus noise (no I/O).

Every sampler draws rows in blocks of :data:`SAMPLE_BLOCK`, block ``k`` from
``numpy.random.default_rng([seed, k])``, so row ``j`` of a sample depends only on the seed
and ``j``: a dataset can be generated in any number of pieces, in any order, and is still
the same bits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from ..common import check_choice, check_integer, check_pair, check_real, real_array

SAMPLE_BLOCK = 4096
# The input cube of Muir (2018): inputs uniform in (-1, 1)^N.
DEFAULT_LOW, DEFAULT_HIGH = -1.0, 1.0


@dataclass(frozen=True)
class UniformInputs:
    """Inputs uniform in the cube ``(low, high)^N``: the training data of Muir (2018)."""

    n_neurons: int
    low: float = DEFAULT_LOW
    high: float = DEFAULT_HIGH

    def __post_init__(self) -> None:
        object.__setattr__(self, "n_neurons", check_integer("n_neurons", self.n_neurons))
        object.__setattr__(self, "low", check_real("low", self.low))
        object.__setattr__(self, "high", check_real("high", self.high))
        if self.low >= self.high:
            raise ValueError(f"low must be < high, got low={self.low}, high={self.high}")
        if not np.isfinite(self.high - self.low):
            raise ValueError(
                f"high - low must be a finite number, got low={self.low}, high={self.high}"
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
        check_choice("kind", self.kind, ("bump", "pattern"))
        object.__setattr__(self, "width", check_real("width", self.width, low=0, low_open=True))
        object.__setattr__(self, "amplitude", check_pair("amplitude", self.amplitude))
        object.__setattr__(self, "noise", check_pair("noise", self.noise, minimum=0.0))
        if self.kind == "pattern":
            patterns = None if self.patterns is None else real_array("patterns", self.patterns)
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
