"""Where training rows come from: arrays in memory, or a Zarr store streamed chunk by chunk."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import numpy as np
import torch

from ..dynamics import Status

# Validation rows read from a store when train() picks them itself (they are held in memory).
MAX_STREAMED_VALIDATION_ROWS = 100_000


class Scaling(NamedTuple):
    """Column means and spreads of the inputs, root mean square and column means of the rates."""

    input_mean: np.ndarray
    input_scale: np.ndarray
    rate_scale: float
    rate_mean: np.ndarray


def _scaling(mean, variance, rate_square_mean: float, rate_mean) -> Scaling:
    spread = np.sqrt(np.maximum(variance, 0.0))
    rms = float(np.sqrt(rate_square_mean))
    return Scaling(mean, np.where(spread > 0, spread, 1.0), rms if rms > 0 else 1.0, rate_mean)


class InMemory:
    """Stable rows held as arrays; each epoch is one random permutation of them."""

    def __init__(self, inputs: np.ndarray, rates: np.ndarray) -> None:
        self.inputs, self.rates, self.n_rows = inputs, rates, len(inputs)
        self._tensors = None

    def scaling(self) -> Scaling:
        inputs, rates = self.inputs, self.rates
        return _scaling(inputs.mean(0), inputs.var(0), float((rates**2).mean()), rates.mean(0))

    def head(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        return self.inputs[:n], self.rates[:n]

    def batches(self, ensemble, generator: torch.Generator, batch_size: int) -> Iterator:
        if self._tensors is None:
            self._tensors = ensemble.scaled(self.inputs, self.rates)
        x, y = self._tensors
        permutation = torch.randperm(self.n_rows, generator=generator).to(x.device)
        for start in range(0, self.n_rows, batch_size):
            rows = permutation[start : start + batch_size]
            yield x[rows], y[rows]


# Training rows with larger entries are refused: squared errors beyond float32's range.
MAX_TRAINING_VALUE = 1e18


def check_training_values(what: str, array: np.ndarray) -> None:
    """Refuse rows of ``array`` (S, N) with entries beyond ``MAX_TRAINING_VALUE``."""
    big = (np.abs(array) > MAX_TRAINING_VALUE).any(1)
    if big.any():
        raise ValueError(
            f"{what} must be within +-{MAX_TRAINING_VALUE:g} (their squared errors must fit "
            f"float32), got larger entries in {int(big.sum())} rows"
        )


class Streamed:
    """Stable rows of a :class:`ZarrDataset`, read one chunk at a time.

    A ``validation_fraction`` of every chunk's rows (drawn with ``seed`` and the chunk
    number) is held out; :meth:`validation` reads up to ``MAX_STREAMED_VALIDATION_ROWS`` of
    the held-out stable rows. An epoch visits the chunks in a random order and each chunk's
    training rows in a random order; mini-batches do not cross chunks, so at most one chunk
    is in memory.
    """

    def __init__(self, store, validation_fraction: float = 0.0, seed: int = 0) -> None:
        self.store, self.fraction, self.seed = store, validation_fraction, seed
        self.chunks = list(range(store.n_chunks))
        self._scanned = None
        self.n_rows = 0
        for chunk in self.chunks:
            stable = store.chunk_status(chunk) == Status.STABLE
            self.n_rows += int(np.count_nonzero(stable & ~self._held_out(chunk, len(stable))))

    def _held_out(self, chunk: int, n_rows: int) -> np.ndarray:
        if self.fraction == 0:
            return np.zeros(n_rows, dtype=bool)
        return np.random.default_rng([self.seed, chunk]).random(n_rows) < self.fraction

    def _split(self, chunk: int) -> tuple[tuple, tuple]:
        """Stable ``(inputs, rates)`` of one chunk: its training rows and held-out rows."""
        data = self.store.chunk(chunk)
        held_out = self._held_out(chunk, len(data))
        train, held = data.stable_mask & ~held_out, data.stable_mask & held_out
        return (data.inputs[train], data.rates[train]), (data.inputs[held], data.rates[held])

    def _stable(self, chunk: int) -> tuple[np.ndarray, np.ndarray]:
        return self._split(chunk)[0]

    def validation(self) -> tuple[np.ndarray, np.ndarray]:
        """Held-out rows, read in the same pass as :meth:`scaling`."""
        return self._scan()[1]

    def scaling(self) -> Scaling:
        return self._scan()[0]

    def _scan(self) -> tuple[Scaling | None, tuple[np.ndarray, np.ndarray]]:
        """One pass over the chunks: scaling of the training rows (sums in float64, Chan's
        update for the variance) and up to ``MAX_STREAMED_VALIDATION_ROWS`` held-out rows."""
        if self._scanned is not None:
            return self._scanned
        count, mean, m2, rate_sum, rate_square = 0, 0.0, 0.0, 0.0, 0.0
        held, have = [], 0
        for chunk in self.chunks:
            (inputs, rates), held_out = self._split(chunk)
            for name, part in (("inputs", inputs), ("rates", rates)):
                check_training_values(
                    f"store {str(self.store.path)!r}: {name} of chunk {chunk}", part
                )
            if have < MAX_STREAMED_VALIDATION_ROWS and len(held_out[0]):
                held.append(held_out)
                have += len(held_out[0])
            if len(inputs) == 0:
                continue
            n, chunk_mean = len(inputs), inputs.mean(0)
            delta = chunk_mean - mean
            total = count + n
            mean = mean + delta * n / total
            m2 = m2 + inputs.var(0) * n + delta**2 * count * n / total
            count = total
            rate_sum = rate_sum + rates.sum(0)
            rate_square += float((rates**2).sum())
        scaling = None
        if count:
            square_mean = rate_square / (count * np.shape(rate_sum)[0])
            scaling = _scaling(mean, m2 / count, square_mean, rate_sum / count)
        width, cap = self.store.metadata["n_neurons"], MAX_STREAMED_VALIDATION_ROWS
        validation = tuple(
            np.concatenate([p[k] for p in held])[:cap] if held else np.empty((0, width))
            for k in (0, 1)
        )
        self._scanned = (scaling, validation)
        return self._scanned

    def head(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        parts, have = [], 0
        for chunk in self.chunks:
            inputs, rates = self._stable(chunk)
            parts.append((inputs, rates))
            have += len(inputs)
            if have >= n:
                break
        inputs = np.concatenate([p[0] for p in parts])[:n]
        return inputs, np.concatenate([p[1] for p in parts])[:n]

    def batches(self, ensemble, generator: torch.Generator, batch_size: int) -> Iterator:
        order = torch.randperm(len(self.chunks), generator=generator).tolist()
        for k in order:
            x, y = ensemble.scaled(*self._stable(self.chunks[k]))
            permutation = torch.randperm(len(x), generator=generator).to(x.device)
            for start in range(0, len(x), batch_size):
                rows = permutation[start : start + batch_size]
                yield x[rows], y[rows]
