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

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..dynamics import STATUS_NAMES

ARRAYS = ("inputs", "rates", "state", "status", "steps", "accepted_by")
# The writer's lock file inside a store.
LOCK_FILE = ".ffapprox-writer"
# Arrays a store written before they existed may lack (read as None: filled by the dataset).
OPTIONAL_ARRAYS = ("accepted_by",)
# Rows per chunk of work and storage: bounds the solver's working memory, and is part of
# a dataset's recipe (see generate_dataset).
DEFAULT_CHUNK_SIZE = 8192


def is_store_path(path: str | os.PathLike) -> bool:
    """Whether ``path`` names a Zarr store (ends in ``.zarr``)."""
    return str(path).rstrip("/").endswith(".zarr")


def zarr_module():
    try:
        import zarr
    except ImportError:
        raise ValueError(
            "a .zarr dataset needs the zarr package: pip install 'ffapprox[distributed]'"
        ) from None
    return zarr


def create_store(path: str | os.PathLike, metadata: dict, chunk_size: int) -> None:
    """Create an empty store for ``metadata["n_samples"]`` rows (``done`` all 0).

    It is built beside ``path`` and renamed, so ``path`` is never a store without metadata;
    if another process created ``path`` meanwhile, this one is refused.
    """
    path = Path(path)
    work = Path(tempfile.mkdtemp(prefix=f".{path.name}.partial-", dir=path.parent))
    try:
        _create(work / "data.zarr", metadata, chunk_size)
        try:
            os.rename(work / "data.zarr", path)
        except OSError:
            if path.exists():
                raise ValueError(
                    f"dataset store {str(path)!r} was created by another process meanwhile; "
                    "let that one finish, or write to another path"
                ) from None
            raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _create(path: Path, metadata: dict, chunk_size: int) -> None:
    zarr = zarr_module()
    checksummed = {"compressors": [zarr.codecs.Crc32cCodec()]}  # a checksum per chunk file
    n_samples, n = int(metadata["n_samples"]), int(metadata["n_neurons"])
    group = zarr.open_group(str(path), mode="w-")
    for name in ("inputs", "rates", "state"):
        group.create_array(
            name, shape=(n_samples, n), chunks=(chunk_size, n), dtype="f8", fill_value=np.nan,
            **checksummed,
        )  # fmt: skip
    for name, dtype, fill in (("status", "i1", -1), ("steps", "i8", 0), ("accepted_by", "i1", 0)):
        group.create_array(
            name, shape=(n_samples,), chunks=(chunk_size,), dtype=dtype, fill_value=fill,
            **checksummed,
        )  # fmt: skip
    n_chunks = -(-n_samples // chunk_size)
    group.create_array(
        "done", shape=(n_chunks,), chunks=(1,), dtype="u1", fill_value=0, **checksummed
    )
    group.attrs["ffapprox"] = dict(
        metadata, chunk_size=chunk_size, status_names=list(STATUS_NAMES)
    )


def write_chunk(path: str | os.PathLike, chunk: int, arrays: dict[str, np.ndarray]) -> None:
    """Write the rows of chunk ``chunk``, then mark it done."""
    group = zarr_module().open_group(str(path), mode="r+")
    size = group.attrs["ffapprox"]["chunk_size"]
    rows = slice(chunk * size, chunk * size + len(arrays["status"]))
    for name in ARRAYS:
        if name in group:  # a store from before an optional array existed lacks it
            group[name][rows] = arrays[name]
    group["done"][chunk] = 1


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


@contextlib.contextmanager
def writer_lock(path: str | os.PathLike) -> Iterator[None]:
    """Hold the store's lock file (``.ffapprox-writer``, holding this process's id) while
    writing; a second writer is refused while the holder runs. A lock left by a process
    that no longer runs is taken over."""
    lock = Path(path) / LOCK_FILE
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            break
        except FileExistsError:
            holder = _holder(lock)
            if holder is not None and _running(holder):
                raise ValueError(
                    f"dataset store {str(path)!r} is being written by process {holder} "
                    f"(lock file {str(lock)!r}); wait for it, or remove the lock if it is gone"
                ) from None
            lock.unlink(missing_ok=True)  # left by a process that was killed
    else:
        raise ValueError(f"cannot lock dataset store {str(path)!r} for writing")
    try:
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        yield
    finally:
        lock.unlink(missing_ok=True)


def _holder(lock: Path) -> int | None:
    try:
        return int(lock.read_text().strip())
    except (OSError, ValueError):
        return None


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
