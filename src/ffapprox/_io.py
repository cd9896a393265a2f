"""File formats. All writes go to a temporary name in the target folder, then are renamed."""

from __future__ import annotations

import contextlib
import os
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ._network import RecurrentNetwork

NETWORK_KEYS = ("weights", "tau", "bias", "form")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success.

    ``suffix`` defaults to the target's suffix, so libraries that append an extension
    when it is missing (``np.savez``) write exactly to the temporary name.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ValueError(f"output folder {str(folder)!r} does not exist")
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=path.suffix if suffix is None else suffix, dir=folder
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def save_npz(path: str | os.PathLike, **arrays) -> None:
    """``np.savez`` through a temporary file, so an interrupted write leaves nothing."""
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez(tmp, **arrays)


def load_npz(path: str | os.PathLike, required: tuple[str, ...], what: str) -> dict:
    """Read ``required`` keys from an ``.npz``; one-line ``ValueError`` when it cannot."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{what} file {str(path)!r} does not exist")
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = [k for k in required if k not in data.files]
            if missing:
                raise ValueError(
                    f"{what} file {str(path)!r} lacks keys {missing}; it has {sorted(data.files)}"
                )
            return {k: data[k] for k in data.files}
    except (OSError, zipfile.BadZipFile, EOFError) as err:
        raise ValueError(f"{what} file {str(path)!r} is not a readable .npz ({err})") from None


def save_network(network: RecurrentNetwork, path: str | os.PathLike) -> None:
    save_npz(
        path,
        weights=network.weights,
        tau=network.tau,
        bias=network.bias,
        form=np.array(network.form),
    )


def load_network(path: str | os.PathLike) -> RecurrentNetwork:
    data = load_npz(path, ("weights",), "network")
    form = str(data["form"]) if "form" in data else "threshold-linear"
    return RecurrentNetwork(
        data["weights"],
        tau=data.get("tau", 1.0),
        bias=data.get("bias", 0.0),
        form=form,  # type: ignore[arg-type]
    )


def load_array(path: str | os.PathLike, what: str = "inputs") -> np.ndarray:
    """Read a ``.npy`` (or a single-array ``.npz``) as float64."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{what} file {str(path)!r} does not exist")
    try:
        loaded = np.load(path, allow_pickle=False)
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as err:
        raise ValueError(f"{what} file {str(path)!r} is not a readable .npy ({err})") from None
    if isinstance(loaded, np.lib.npyio.NpzFile):
        with loaded:
            if len(loaded.files) != 1:
                raise ValueError(
                    f"{what} file {str(path)!r} must hold one array, it holds {loaded.files}"
                )
            loaded = loaded[loaded.files[0]]
    if not np.issubdtype(loaded.dtype, np.number):
        raise ValueError(f"{what} must be numeric, got dtype {loaded.dtype}")
    return np.asarray(loaded, dtype=np.float64)
