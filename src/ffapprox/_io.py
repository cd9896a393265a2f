"""File formats. All writes go to a temporary name in the target folder, then are renamed."""

from __future__ import annotations

import contextlib
import json
import math
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
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _finite_or_none(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite_or_none(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite_or_none(v) for v in value]
    return value


def write_json(path: str | os.PathLike, value) -> None:
    """Strict JSON (NaN and infinities become null), written atomically."""
    text = json.dumps(_finite_or_none(value), indent=2, allow_nan=False)
    with atomic_path(path) as tmp:
        tmp.write_text(text + "\n")


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
        # Open the file here: np.load leaks its own handle when a zip header is corrupt.
        with open(path, "rb") as handle:
            data = np.load(handle, allow_pickle=False)
            if not isinstance(data, np.lib.npyio.NpzFile):
                raise ValueError("it holds a single array")
            with data:
                arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as err:
        raise ValueError(f"{what} file {str(path)!r} is not a readable .npz ({err})") from None
    missing = [k for k in required if k not in arrays]
    if missing:
        raise ValueError(
            f"{what} file {str(path)!r} lacks keys {missing}; it has {sorted(arrays)}"
        )
    return arrays


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
        # Open the file here: np.load leaks its own handle when a zip header is corrupt.
        with open(path, "rb") as handle:
            loaded = np.load(handle, allow_pickle=False)
            if isinstance(loaded, np.lib.npyio.NpzFile):
                with loaded:
                    names = loaded.files
                    loaded = loaded[names[0]] if len(names) == 1 else None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as err:
        raise ValueError(f"{what} file {str(path)!r} is not a readable .npy ({err})") from None
    if loaded is None:
        raise ValueError(f"{what} file {str(path)!r} must hold one array, it holds {names}")
    if not np.issubdtype(loaded.dtype, np.number):
        raise ValueError(f"{what} must be numeric, got dtype {loaded.dtype}")
    return np.asarray(loaded, dtype=np.float64)


DATASET_KEYS = ("inputs", "rates", "state", "status", "status_names", "steps", "metadata")


def save_dataset(dataset, path: str | os.PathLike) -> None:
    """Write a :class:`FixedPointDataset` as ``.npz``; metadata as a JSON string."""
    from ._fixed_points import STATUS_NAMES

    save_npz(
        path,
        inputs=dataset.inputs,
        rates=dataset.rates,
        state=dataset.state,
        status=dataset.status,
        status_names=np.array(STATUS_NAMES),
        steps=dataset.steps,
        metadata=np.array(json.dumps(dataset.metadata, sort_keys=True)),
    )


def load_dataset(path: str | os.PathLike):
    """Read a dataset written by :func:`save_dataset`; one-line ``ValueError`` if it cannot."""
    from ._dataset import FixedPointDataset
    from ._fixed_points import STATUS_NAMES

    data = load_npz(path, DATASET_KEYS, "dataset")
    where = f"dataset file {str(path)!r}"
    names = tuple(str(name) for name in data["status_names"].tolist())
    if names != STATUS_NAMES:
        raise ValueError(f"{where} has status names {list(names)}, expected {list(STATUS_NAMES)}")
    try:
        metadata = json.loads(str(data["metadata"]))
    except json.JSONDecodeError as err:
        raise ValueError(f"{where} has unreadable metadata ({err})") from None
    arrays = {}
    for key, dtype in (("inputs", np.float64), ("rates", np.float64), ("state", np.float64)):
        if not np.issubdtype(data[key].dtype, np.floating):
            raise ValueError(f"{where}: {key} must be floating point, got {data[key].dtype}")
        arrays[key] = data[key].astype(dtype, copy=False)
    for key, dtype in (("status", np.int8), ("steps", np.int64)):
        if not np.issubdtype(data[key].dtype, np.integer):
            raise ValueError(f"{where}: {key} must be integer, got {data[key].dtype}")
        arrays[key] = data[key].astype(dtype, copy=False)
    if arrays["status"].size and not (
        arrays["status"].min() >= 0 and arrays["status"].max() < len(STATUS_NAMES)
    ):
        raise ValueError(f"{where} has status codes outside 0..{len(STATUS_NAMES) - 1}")
    try:
        return FixedPointDataset(metadata=metadata, **arrays)
    except ValueError as err:
        raise ValueError(f"{where} is inconsistent: {err}") from None
