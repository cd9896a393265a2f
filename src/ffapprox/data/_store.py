"""Chunked datasets on disk: a Zarr store read lazily, chunk by chunk.

Layout of ``NAME.zarr`` (a Zarr v3 directory; needs ``pip install ffapprox[distributed]``):

- ``inputs``, ``rates``, ``state`` (S, N) float64, ``status`` (S,) int8 (-1 where not yet
  written), ``steps`` (S,) int64, all chunked along the samples, ``chunk_size`` rows per
  chunk: the arrays of :class:`FixedPointDataset`;
- ``done`` (n_chunks,) uint8, one Zarr chunk per entry: 1 once every array of that chunk of
  samples has been written (each Zarr chunk file is written atomically, and ``done`` last,
  so a killed writer never leaves a chunk marked complete when it is not; zarr >= 3.1.6
  writes each chunk file to a temporary name and renames it);
- the group attribute ``ffapprox``: the metadata of the ``.npz`` format plus ``chunk_size``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from ..dynamics import STATUS_NAMES, Status, count_status

ARRAYS = ("inputs", "rates", "state", "status", "steps", "accepted_by")
# Arrays a store written before they existed may lack (read as None: filled by the dataset).
_OPTIONAL = ("accepted_by",)
# Rows per chunk of work and storage: bounds the solver's working memory, and is part of
# a dataset's recipe (see generate_dataset).
DEFAULT_CHUNK_SIZE = 8192


def is_store_path(path: str | os.PathLike) -> bool:
    """Whether ``path`` names a Zarr store (ends in ``.zarr``)."""
    return str(path).rstrip("/").endswith(".zarr")


def _zarr():
    try:
        import zarr
    except ImportError:
        raise ValueError(
            "a .zarr dataset needs the zarr package: pip install 'ffapprox[distributed]'"
        ) from None
    return zarr


def create_store(path: str | os.PathLike, metadata: dict, chunk_size: int) -> None:
    """Create an empty store for ``metadata["n_samples"]`` rows (``done`` all 0).

    It is built beside ``path`` and renamed, so ``path`` is never a store without metadata.
    """
    path = Path(path)
    work = Path(tempfile.mkdtemp(prefix=f".{path.name}.partial-", dir=path.parent))
    try:
        _create(work / "data.zarr", metadata, chunk_size)
        os.replace(work / "data.zarr", path)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _create(path: Path, metadata: dict, chunk_size: int) -> None:
    zarr = _zarr()
    n_samples, n = int(metadata["n_samples"]), int(metadata["n_neurons"])
    group = zarr.open_group(str(path), mode="w-")
    for name in ("inputs", "rates", "state"):
        group.create_array(
            name, shape=(n_samples, n), chunks=(chunk_size, n), dtype="f8", fill_value=np.nan
        )
    group.create_array(
        "status", shape=(n_samples,), chunks=(chunk_size,), dtype="i1", fill_value=-1
    )
    group.create_array("steps", shape=(n_samples,), chunks=(chunk_size,), dtype="i8")
    group.create_array(
        "accepted_by", shape=(n_samples,), chunks=(chunk_size,), dtype="i1", fill_value=0
    )
    n_chunks = -(-n_samples // chunk_size)
    group.create_array("done", shape=(n_chunks,), chunks=(1,), dtype="u1", fill_value=0)
    group.attrs["ffapprox"] = dict(
        metadata, chunk_size=chunk_size, status_names=list(STATUS_NAMES)
    )


def write_chunk(path: str | os.PathLike, chunk: int, arrays: dict[str, np.ndarray]) -> None:
    """Write the rows of chunk ``chunk``, then mark it done."""
    group = _zarr().open_group(str(path), mode="r+")
    size = group.attrs["ffapprox"]["chunk_size"]
    rows = slice(chunk * size, chunk * size + len(arrays["status"]))
    for name in ARRAYS:
        if name in group:  # a store from before an optional array existed lacks it
            group[name][rows] = arrays[name]
    group["done"][chunk] = 1


class Store:
    """A dataset store opened for reading: metadata, progress and rows as arrays.

    Raises:
        ValueError: (on open) when ``path`` is not a store written by ffapprox.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        zarr = _zarr()
        self.path = Path(path)
        try:
            self._group = zarr.open_group(str(path), mode="r")
            self.metadata = dict(self._group.attrs["ffapprox"])
            names = [n for n in (*ARRAYS, "done") if n not in _OPTIONAL or n in self._group]
            self._arrays = {name: self._group[name] for name in names}
        except (FileNotFoundError, KeyError, ValueError, TypeError) as err:
            raise ValueError(
                f"{str(path)!r} is not an ffapprox dataset store ({type(err).__name__}: {err})"
            ) from None
        self.chunk_size = int(self.metadata["chunk_size"])
        self.n_chunks = self._arrays["done"].shape[0]

    @property
    def done(self) -> np.ndarray:
        """Which chunks are complete, (n_chunks,) bool."""
        return self._arrays["done"][:].astype(bool)

    @property
    def complete(self) -> bool:
        return bool(self.done.all())

    @property
    def status(self) -> np.ndarray:
        return self._arrays["status"][:]

    @property
    def stable_mask(self) -> np.ndarray:
        return self.status == Status.STABLE

    def chunk_status(self, chunk: int) -> np.ndarray:
        return self._arrays["status"][self.chunk_rows(chunk)]

    def counts(self) -> dict[str, int]:
        """Rows per status, over the chunks written so far."""
        status = self.status
        return count_status(status[status >= 0])

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

    def read(self, index: slice) -> dict[str, np.ndarray]:
        """Rows ``index`` (a slice) of every array; the chunks they touch must be done."""
        if index.stop > index.start:
            first, last = index.start // self.chunk_size, (index.stop - 1) // self.chunk_size
            if not self._arrays["done"][first : last + 1].all():
                self.require_complete()
        return {
            name: self._arrays[name][index] if name in self._arrays else None for name in ARRAYS
        }

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({str(self.path)!r}, n_samples={len(self)}, "
            f"chunks={int(self.done.sum())}/{self.n_chunks} done)"
        )


def save_store(
    arrays: dict[str, np.ndarray],
    metadata: dict,
    path: str | os.PathLike,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> None:
    """Write a dataset's arrays as a complete store (built beside ``path``, then renamed)."""
    path = Path(path)
    if path.exists():
        raise ValueError(f"dataset store {str(path)!r} already exists")
    n_samples, n_neurons = arrays["inputs"].shape
    work = Path(tempfile.mkdtemp(prefix=f".{path.name}.partial-", dir=path.parent))
    try:
        store = work / "data.zarr"
        metadata = dict(metadata, n_samples=n_samples)
        metadata.setdefault("n_neurons", n_neurons)
        _create(store, metadata, chunk_size)
        for chunk, start in enumerate(range(0, n_samples, chunk_size)):
            rows = slice(start, start + chunk_size)
            write_chunk(store, chunk, {name: arrays[name][rows] for name in ARRAYS})
        os.replace(store, path)
    finally:
        shutil.rmtree(work, ignore_errors=True)
