"""Reading a dataset store: its metadata checked on open, every chunk checked on read."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..dynamics import STATUS_NAMES, Status, count_status
from ._formats import check_counts
from ._store import ARRAYS, OPTIONAL_ARRAYS, zarr_module


def _checked_metadata(metadata, arrays: dict, where: str) -> dict:
    """The store's ``ffapprox`` attribute, checked against its arrays before any use."""
    if not isinstance(metadata, dict):
        raise ValueError(f"{where}: metadata must be a table, got {type(metadata).__name__}")
    rows, n = arrays["inputs"].shape if len(arrays["inputs"].shape) == 2 else (-1, -1)
    expected = {"chunk_size": arrays["inputs"].chunks[0], "n_neurons": n, "n_samples": rows}
    check_counts(metadata, expected, where, required=True)
    for name in ARRAYS:
        if name in arrays and arrays[name].shape[0] != rows:
            raise ValueError(
                f"{where}: array {name!r} has {arrays[name].shape[0]} rows, not {rows}"
            )
    if list(metadata.get("status_names", STATUS_NAMES)) != list(STATUS_NAMES):
        raise ValueError(
            f"{where}: status names {metadata.get('status_names')} are not ffapprox's"
        )
    return dict(metadata)


class Store:
    """A dataset store opened for reading: metadata, progress and rows as arrays.

    Every chunk file carries a checksum (stores written by this version); a damaged or
    missing chunk of a chunk marked done is reported with the store, the array and the
    chunk, never returned.

    Raises:
        ValueError: (on open) when ``path`` is not a store written by ffapprox, or its
            metadata disagrees with its arrays.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        zarr = zarr_module()
        self.path = Path(path)
        where = f"dataset store {str(path)!r}"
        try:
            self._group = zarr.open_group(str(path), mode="r")
            names = [n for n in (*ARRAYS, "done") if n not in OPTIONAL_ARRAYS or n in self._group]
            self._arrays = {name: self._group[name] for name in names}
            metadata = self._group.attrs["ffapprox"]
        except Exception as err:  # any failure to read the layout: not a store of ours
            message = str(err).splitlines()[0] if str(err) else ""
            raise ValueError(
                f"{str(path)!r} is not an ffapprox dataset store ({type(err).__name__}: {message})"
            ) from None
        self.metadata = _checked_metadata(metadata, self._arrays, where)
        self.chunk_size = int(self.metadata["chunk_size"])
        self.n_chunks = self._arrays["done"].shape[0]
        if self.n_chunks != -(-len(self) // self.chunk_size):
            raise ValueError(f"{where}: done has {self.n_chunks} entries for {len(self)} rows")

    @property
    def n_neurons(self) -> int:
        """Columns of ``inputs`` (the metadata's ``n_neurons``, checked against them)."""
        return self._arrays["inputs"].shape[1]

    def _read(self, name: str, index, chunk: int | str = "") -> np.ndarray:
        try:
            return self._arrays[name][index]
        except Exception as err:  # a checksum mismatch or an unreadable chunk file
            message = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise ValueError(
                f"dataset store {str(self.path)!r}, array {name!r}, chunk {chunk}: cannot be "
                f"read ({message})"
            ) from None

    @property
    def done(self) -> np.ndarray:
        """Which chunks are complete, (n_chunks,) bool."""
        return self._read("done", slice(None), "any").astype(bool)

    @property
    def complete(self) -> bool:
        return bool(self.done.all())

    @property
    def status(self) -> np.ndarray:
        return self._read("status", slice(None), "any")

    @property
    def stable_mask(self) -> np.ndarray:
        return self.status == Status.STABLE

    def chunk_status(self, chunk: int) -> np.ndarray:
        return self._read("status", self.chunk_rows(chunk), chunk)

    def counts(self) -> dict[str, int]:
        """Rows per status, over the chunks written so far."""
        status = self.status
        return count_status(status[(status >= 0) & (status < len(STATUS_NAMES))])

    def require_complete(self) -> None:
        """Raise a one-line ``ValueError`` unless every chunk is written."""
        done = self.done
        if not done.all():
            raise ValueError(
                f"dataset store {str(self.path)!r} is incomplete ({int((~done).sum())} of "
                f"{self.n_chunks} chunks missing): rerun the generate command to finish it"
            )

    def __len__(self) -> int:
        return self._arrays["status"].shape[0]

    def chunk_rows(self, chunk: int) -> slice:
        return slice(chunk * self.chunk_size, min((chunk + 1) * self.chunk_size, len(self)))

    def read_chunk(self, chunk: int) -> dict[str, np.ndarray | None]:
        """Every array's rows of chunk ``chunk``, which must be done."""
        if not self._read("done", chunk, chunk):
            self.require_complete()
        rows = self.chunk_rows(chunk)
        return {
            name: self._read(name, rows, chunk) if name in self._arrays else None
            for name in ARRAYS
        }

    def read_all(self) -> dict[str, np.ndarray | None]:
        """Every array, all chunks (each must be done)."""
        parts = [self.read_chunk(k) for k in range(self.n_chunks)]
        return {
            name: None if parts[0][name] is None else np.concatenate([p[name] for p in parts])
            for name in ARRAYS
        }

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({str(self.path)!r}, n_samples={len(self)}, "
            f"chunks={int(self.done.sum())}/{self.n_chunks} done)"
        )
