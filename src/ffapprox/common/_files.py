"""Writing and reading files safely: every write goes to a temporary name beside its target
and is renamed onto it only when complete, so an interrupted write leaves nothing behind."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np


def file_mode(mode: int = 0o666) -> int:
    """``mode`` under the process umask (``mkstemp`` and ``mkdtemp`` create owner-only)."""
    mask = os.umask(0)
    os.umask(mask)
    return mode & ~mask


def folder_of(path: Path) -> Path:
    return path.parent if str(path.parent) else Path(".")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success.

    ``suffix`` defaults to the target's suffix, so libraries that append an extension
    when it is missing (``np.savez``) write exactly to the temporary name.
    """
    path = Path(path)
    folder = folder_of(path)
    if not folder.is_dir():
        raise ValueError(f"output folder {str(folder)!r} does not exist")
    try:
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=path.suffix if suffix is None else suffix, dir=folder
        )
    except OSError as err:
        raise ValueError(f"cannot write {str(path)!r}: {err.strerror}") from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, file_mode())
        os.replace(tmp, path)
    except OSError as err:  # a full disk or a read-only folder: name the file
        raise ValueError(f"cannot write {str(path)!r}: {err.strerror or err}") from None
    finally:
        if tmp.exists():
            tmp.unlink()


def json_ready(value):
    """``value`` as plain JSON types: dataclasses and numpy scalars converted, NaN and
    infinities as ``None`` (strict JSON has neither)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return json_ready(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def json_text(value, **options) -> str:
    """Strict JSON text of :func:`json_ready` ``(value)``."""
    return json.dumps(json_ready(value), allow_nan=False, **options)


def write_json(path: str | os.PathLike, value) -> None:
    """Strict JSON (NaN and infinities become null), indented, written atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json_text(value, indent=2) + "\n")


def save_npz(path: str | os.PathLike, **arrays) -> None:
    """``np.savez`` through a temporary file, so an interrupted write leaves nothing."""
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez(tmp, **arrays)


class _Oversized(ValueError):
    """A file's header claims more data than the file holds."""


def _check_header(handle, available: int, where: str) -> None:
    """Refuse a ``.npy`` whose header claims more data than the file holds (before numpy
    allocates the claimed array)."""
    version = np.lib.format.read_magic(handle)
    read = {(1, 0): np.lib.format.read_array_header_1_0}.get(
        version, np.lib.format.read_array_header_2_0
    )
    shape, _, dtype = read(handle)
    claimed = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if claimed > available:
        raise _Oversized(
            f"{where} claims an array of shape {shape} ({claimed} bytes) but holds "
            f"{available} bytes"
        )


def _check_sizes(path: Path, what: str) -> None:
    """The :func:`_check_header` test for a ``.npy`` or every member of an ``.npz``."""
    where = f"{what} file {str(path)!r}"
    with open(path, "rb") as handle:
        if not zipfile.is_zipfile(handle):
            handle.seek(0)
            return _check_header(handle, path.stat().st_size, where)
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            with archive.open(info) as member:
                _check_header(member, info.file_size, f"{where}, {info.filename}")


def _read_numpy(path: Path, what: str, kind: str):
    """``np.load`` of ``path`` without pickles; one-line ``ValueError`` when it cannot."""
    if not path.is_file():
        raise ValueError(f"{what} file {str(path)!r} does not exist")
    try:
        _check_sizes(path, what)
        # Open the file here: np.load leaks its own handle when a zip header is corrupt.
        with open(path, "rb") as handle:
            loaded = np.load(handle, allow_pickle=False)
            if isinstance(loaded, np.lib.npyio.NpzFile):
                with loaded:
                    return {k: loaded[k] for k in loaded.files}
            return loaded
    except _Oversized:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as err:
        raise ValueError(f"{what} file {str(path)!r} is not a readable {kind} ({err})") from None


def load_npz(path: str | os.PathLike, required: tuple[str, ...], what: str) -> dict:
    """Read an ``.npz`` that has at least the ``required`` keys."""
    path = Path(path)
    arrays = _read_numpy(path, what, ".npz")
    if not isinstance(arrays, dict):
        raise ValueError(f"{what} file {str(path)!r} is not a readable .npz (it holds one array)")
    missing = [k for k in required if k not in arrays]
    if missing:
        raise ValueError(
            f"{what} file {str(path)!r} lacks keys {missing}; it has {sorted(arrays)}"
        )
    return arrays


def load_array(path: str | os.PathLike, what: str = "inputs", ndim: int | None = 2) -> np.ndarray:
    """Read a ``.npy`` (or a single-array ``.npz``) of real numbers as float64, with
    ``ndim`` dimensions (a 1-d array is one row when ``ndim`` is 2)."""
    path = Path(path)
    loaded = _read_numpy(path, what, ".npy")
    if isinstance(loaded, dict):
        if len(loaded) != 1:
            raise ValueError(
                f"{what} file {str(path)!r} must hold one array, it holds {sorted(loaded)}"
            )
        (loaded,) = loaded.values()
    if loaded.dtype.kind not in "iuf":
        raise ValueError(
            f"{what} must hold integer or real floating numbers, got dtype {loaded.dtype}"
        )
    if ndim == 2 and loaded.ndim == 1:
        loaded = loaded[None]
    if ndim is not None and loaded.ndim != ndim:
        raise ValueError(
            f"{what} file {str(path)!r} must hold a {ndim}-d array, got shape {loaded.shape}"
        )
    return np.asarray(loaded, dtype=np.float64)
