"""A dataset in a Zarr store, read lazily chunk by chunk."""

from __future__ import annotations

import os

import numpy as np

from ._dataset import FixedPointDataset
from ._store import ARRAYS, is_store_path
from ._store_reader import Store


class ZarrDataset(Store):
    """A dataset in a Zarr store, opened lazily: only ``status`` is read up front.

    ``chunk(k)`` reads one chunk of samples as a :class:`FixedPointDataset`;
    :func:`ffapprox.train` streams such a dataset chunk by chunk. ``load()`` reads it all.
    Every chunk is checked when read (checksums, finite inputs, rates ``[state]^+`` on
    stable rows, status codes in range); a failure names the store, the array and the chunk.

    Raises:
        ValueError: (on open) when ``path`` is not a store written by ffapprox.
    """

    def chunk(self, chunk: int) -> FixedPointDataset:
        arrays = self.read_chunk(chunk)
        try:
            return FixedPointDataset(**arrays, metadata=dict(self.metadata))
        except ValueError as err:
            raise ValueError(
                f"dataset store {str(self.path)!r}, chunk {chunk}: {err} (the chunk's files "
                "are damaged or missing: write the store again)"
            ) from None

    def load(self) -> FixedPointDataset:
        """All of it in memory (each chunk checked as :meth:`chunk` does)."""
        parts = [self.chunk(k) for k in range(self.n_chunks)]
        arrays = {name: np.concatenate([getattr(p, name) for p in parts]) for name in ARRAYS}
        return FixedPointDataset(**arrays, metadata=dict(self.metadata))


def open_dataset(path: str | os.PathLike) -> FixedPointDataset | ZarrDataset:
    """A ``.npz`` dataset read into memory, or a ``.zarr`` store opened lazily."""
    if is_store_path(path):
        return ZarrDataset(path)
    return FixedPointDataset.load(path)
