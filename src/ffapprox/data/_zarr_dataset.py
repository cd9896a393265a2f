"""A dataset in a Zarr store, read lazily chunk by chunk."""

from __future__ import annotations

import os

from ._dataset import FixedPointDataset
from ._store import Store, is_store_path


class ZarrDataset(Store):
    """A dataset in a Zarr store, opened lazily: only ``status`` is read up front.

    ``chunk(k)`` reads one chunk of samples as a :class:`FixedPointDataset`;
    :func:`ffapprox.train` streams such a dataset chunk by chunk. ``load()`` reads it all.

    Raises:
        ValueError: (on open) when ``path`` is not a store written by ffapprox.
    """

    def rows(self, index: slice) -> FixedPointDataset:
        """Rows ``index`` (a slice) read into memory; the chunks they touch must be done."""
        return FixedPointDataset(**self.read(index), metadata=dict(self.metadata))

    def chunk(self, chunk: int) -> FixedPointDataset:
        return self.rows(self.chunk_rows(chunk))

    def load(self) -> FixedPointDataset:
        return self.rows(slice(0, len(self)))


def open_dataset(path: str | os.PathLike) -> FixedPointDataset | ZarrDataset:
    """A ``.npz`` dataset read into memory, or a ``.zarr`` store opened lazily."""
    if is_store_path(path):
        return ZarrDataset(path)
    return FixedPointDataset.load(path)
