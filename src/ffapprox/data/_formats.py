"""The dataset's ``.npz`` format: arrays plus metadata as a JSON string."""

from __future__ import annotations

import json
import os

import numpy as np

from ..common import json_text, load_npz, save_npz
from ..dynamics import ACCEPTANCE_NAMES, STATUS_NAMES

DATASET_KEYS = ("inputs", "rates", "state", "status", "status_names", "steps", "metadata")
_FLOATS = ("inputs", "rates", "state")
_INTEGERS = {"status": np.int8, "steps": np.int64, "accepted_by": np.int8}
# Keys a file written before they existed may lack (read as None: filled by the dataset).
_OPTIONAL = ("accepted_by",)


def write_dataset_npz(path: str | os.PathLike, arrays: dict, metadata: dict) -> None:
    """Write the arrays of a dataset and its metadata (as JSON) to ``path``, atomically."""
    save_npz(
        path,
        status_names=np.array(STATUS_NAMES),
        acceptance_names=np.array(ACCEPTANCE_NAMES),
        metadata=np.array(json_text(metadata, sort_keys=True)),
        **arrays,
    )


def check_counts(metadata: dict, expected: dict[str, int], where: str, *, required: bool):
    """Refuse metadata whose integer counts differ from ``expected`` (taken from the
    arrays); a missing count is refused only if ``required``."""
    for key, value in expected.items():
        found = metadata.get(key) if required else metadata.get(key, value)
        if isinstance(found, bool) or not isinstance(found, int) or found != value:
            raise ValueError(f"{where}: metadata {key} = {found!r} does not match its arrays")


def read_dataset_npz(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], dict]:
    """The arrays and metadata of a dataset file; one-line ``ValueError`` if unreadable."""
    data = load_npz(path, DATASET_KEYS, "dataset")
    where = f"dataset file {str(path)!r}"
    names = tuple(str(name) for name in data["status_names"].tolist())
    if names != STATUS_NAMES:
        raise ValueError(f"{where} has status names {list(names)}, expected {list(STATUS_NAMES)}")
    try:
        metadata = json.loads(str(data["metadata"]))
    except json.JSONDecodeError as err:
        raise ValueError(f"{where} has unreadable metadata ({err})") from None
    if not isinstance(metadata, dict):
        raise ValueError(f"{where} has metadata that is not a JSON object")
    arrays = {}
    for key in _FLOATS:
        if data[key].dtype.kind != "f":
            raise ValueError(f"{where}: {key} must be floating point, got {data[key].dtype}")
        arrays[key] = data[key].astype(np.float64, copy=False)
    for key, dtype in _INTEGERS.items():
        if key in _OPTIONAL and key not in data:
            arrays[key] = None
            continue
        if data[key].dtype.kind not in "iu":
            raise ValueError(f"{where}: {key} must be integer, got {data[key].dtype}")
        arrays[key] = data[key].astype(dtype, copy=False)
    rows, n = arrays["inputs"].shape if arrays["inputs"].ndim == 2 else (-1, -1)
    # older files may lack the counts
    check_counts(metadata, {"n_neurons": n, "n_samples": rows}, where, required=False)
    status = data["status"]
    if status.size and not (status.min() >= 0 and status.max() < len(STATUS_NAMES)):
        raise ValueError(f"{where} has status codes outside 0..{len(STATUS_NAMES) - 1}")
    return arrays, metadata
