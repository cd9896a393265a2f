"""File formats of the approximation model: safetensors + JSON directory, and ONNX."""

from __future__ import annotations

import copy
import hashlib
import inspect
import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from ..common import __version__, atomic_path, file_mode, folder_of, json_text

WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "model.json"
_DTYPES = {"float32": torch.float32, "float64": torch.float64}
# The newest model.json layout this version writes and reads.
FORMAT_VERSION = 1
# Errors a damaged or foreign model folder can raise while it is read.
_READ_ERRORS = (
    OSError, ValueError, KeyError, TypeError, RuntimeError, SafetensorError, UnicodeDecodeError
)  # fmt: skip


def _format_name(cls) -> str:
    return f"ffapprox.{cls.__name__}"


def _config(model) -> dict:
    """``model.json``: the family, the architecture at the top level, dtype, metadata."""
    return {
        "format": _format_name(type(model)),
        "format_version": FORMAT_VERSION,
        "family": model.family,
        **model.architecture(),
        "dtype": str(model.dtype).removeprefix("torch."),
        "ffapprox_version": __version__,
        "metadata": model.metadata,
    }


def read_config(directory: str | os.PathLike) -> dict:
    """The ``model.json`` of a model folder; one-line ``ValueError`` if unreadable."""
    directory = Path(directory)
    where = f"model directory {str(directory)!r}"
    if not directory.is_dir():
        raise ValueError(f"{where} does not exist or is not a folder")
    for name in (CONFIG_FILE, WEIGHTS_FILE):
        if not (directory / name).is_file():
            raise ValueError(f"{where} lacks {name}")
    try:
        config = json.loads((directory / CONFIG_FILE).read_text())
    except (OSError, ValueError, UnicodeDecodeError) as err:
        raise ValueError(f"{where} is not a readable model ({err})") from None
    if not isinstance(config, dict) or not str(config.get("format", "")).startswith("ffapprox."):
        raise ValueError(
            f"{where} is not a readable model ({CONFIG_FILE} is not an ffapprox model)"
        )
    version = config.get("format_version", FORMAT_VERSION)
    if isinstance(version, bool) or not isinstance(version, int) or version > FORMAT_VERSION:
        raise ValueError(
            f"{where} has format_version {version!r}; this ffapprox reads versions up to "
            f"{FORMAT_VERSION} (upgrade ffapprox)"
        )
    if config.get("dtype", "float32") not in _DTYPES:
        raise ValueError(
            f"{where} has dtype {config.get('dtype')!r}, expected one of {list(_DTYPES)}"
        )
    # Files written before families existed hold the MLP.
    config.setdefault("family", "mlp")
    return config


# The files a model folder holds; saving replaces these and nothing else.
MODEL_FILES = (WEIGHTS_FILE, CONFIG_FILE)


def check_model_folder(directory: str | os.PathLike, *, force: bool = False) -> Path:
    """``directory`` as a Path if :func:`save_model` may write there, else ``ValueError``.

    Its parent folder must exist; ``directory`` must be absent, empty, or hold only a
    model's own files -- other files are refused unless ``force`` (they are then kept).
    """
    directory = Path(directory)
    parent = folder_of(directory)
    if not parent.is_dir():
        raise ValueError(f"output folder {str(parent)!r} does not exist")
    if directory.exists() and not directory.is_dir():
        raise ValueError(f"model directory {str(directory)!r} exists and is not a folder")
    others = []
    if directory.is_dir():
        # Hidden temporaries of an interrupted save (``.model.json.*``) are not the user's.
        leftover = tuple(f".{name}." for name in MODEL_FILES)
        others = sorted(
            p.name for p in directory.iterdir()
            if p.name not in MODEL_FILES and not p.name.startswith(leftover)
        )  # fmt: skip
    if others and not force:
        shown = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
        raise ValueError(
            f"model directory {str(directory)!r} holds other files ({shown}); refusing to "
            f"write a model there (--force writes only {' and '.join(MODEL_FILES)})"
        )
    return directory


def _check_finite(tensors: dict, where: str) -> None:
    for name, tensor in tensors.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise ValueError(f"{where}: {name} has NaN or inf entries")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_model(model, directory: str | os.PathLike, *, force: bool = False) -> None:
    """Write ``model.safetensors`` and ``model.json`` into ``directory``.

    A new folder is written under a temporary name beside it and renamed, so a failed
    write leaves nothing. In an existing folder each of the two files is written under a
    temporary name and renamed over the old one, weights first; ``model.json`` records the
    weights' SHA-256, so that a pair left mixed by an interruption is refused when loaded.
    Other files in the folder are refused unless ``force`` (and then left alone). A model
    with NaN or inf weights is refused.
    """
    directory = check_model_folder(directory, force=force)
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    _check_finite(tensors, f"model for {str(directory)!r}")
    config = _config(model)
    parent = folder_of(directory)
    if directory.exists():
        with atomic_path(directory / WEIGHTS_FILE) as tmp:
            _write_weights(tensors, tmp)
            config["weights_sha256"] = _sha256(tmp)
        with atomic_path(directory / CONFIG_FILE) as tmp:
            tmp.write_text(json_text(config, indent=2, sort_keys=True) + "\n")
        return
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.partial-", dir=parent))
    try:
        os.chmod(staging, file_mode(0o777))  # mkdtemp makes owner-only folders
        _write_weights(tensors, staging / WEIGHTS_FILE)
        config["weights_sha256"] = _sha256(staging / WEIGHTS_FILE)
        (staging / CONFIG_FILE).write_text(json_text(config, indent=2, sort_keys=True) + "\n")
        for name in MODEL_FILES:
            os.chmod(staging / name, file_mode())
        os.rename(staging, directory)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def _write_weights(tensors: dict, path: Path) -> None:
    try:
        save_file(tensors, path)
    except SafetensorError as err:  # e.g. a full disk
        raise ValueError(f"cannot write {str(path)!r}: {err}") from None


def _architecture(cls, config: dict) -> dict:
    """The constructor arguments of ``cls`` stored in ``config``."""
    names = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    missing = [k for k in names if k not in config]
    if missing:
        raise ValueError(f"{CONFIG_FILE} lacks {missing}")
    return {k: config[k] for k in names}


def load_model_as(cls, directory: str | os.PathLike):
    """Read a model folder written by :func:`save_model` as an instance of ``cls``.

    The architecture is built on the ``meta`` device first and its tensor shapes checked
    against the weights file's header, so a file that claims a huge model allocates
    nothing. One-line ``ValueError`` if it cannot be read.
    """
    directory = Path(directory)
    where = f"model directory {str(directory)!r}"
    config = read_config(directory)
    if config["family"] != cls.family:
        raise ValueError(f"{where} holds a {config['family']!r} model, not {cls.family!r}")
    try:
        arguments = _architecture(cls, config)
        with torch.device("meta"):
            expected = {k: tuple(v.shape) for k, v in cls(**arguments).state_dict().items()}
        with safe_open(directory / WEIGHTS_FILE, framework="pt") as weights:
            stored = {k: tuple(weights.get_slice(k).get_shape()) for k in weights.keys()}
        for name in [*expected, *(k for k in stored if k not in expected)]:
            if expected.get(name) != stored.get(name):
                raise ValueError(
                    f"{CONFIG_FILE} architecture does not match the weights in {WEIGHTS_FILE}: "
                    f"{name} has shape {stored.get(name)}, expected {expected.get(name)}"
                )
        recorded = config.get("weights_sha256")
        if recorded is not None and recorded != _sha256(directory / WEIGHTS_FILE):
            raise ValueError(f"{WEIGHTS_FILE} is not the file {CONFIG_FILE} was written with")
        weights = load_file(directory / WEIGHTS_FILE)
        _check_finite(weights, WEIGHTS_FILE)
        dtype = _DTYPES[config.get("dtype", "float32")]
        for name, tensor in weights.items():
            if tensor.is_floating_point() and tensor.dtype != dtype:
                raise ValueError(
                    f"{WEIGHTS_FILE} holds {name} as {str(tensor.dtype)[6:]}, but "
                    f"{CONFIG_FILE} says {str(dtype)[6:]}"
                )
        model = cls(**arguments).to(_DTYPES[config.get("dtype", "float32")])
        model.load_state_dict(weights)
        model.metadata = dict(config.get("metadata", {}))
    except _READ_ERRORS as err:
        message = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ValueError(f"{where} is not a readable model ({message})") from None
    return model


def export_onnx(model, path: str | os.PathLike, *, opset_version: int = 17) -> None:
    """Write ``model`` as an ONNX graph with input ``inputs`` and output ``rates``.

    Both have a dynamic leading (batch) dimension. The file is written atomically.

    Example:
        >>> from ffapprox import FeedForwardApproximation
        >>> export_onnx(FeedForwardApproximation(5), "model.onnx")  # doctest: +SKIP

    The graph's input is float32 when the model is (the default), float64 for a float64
    model.
    """
    path = Path(path)
    cpu_model = copy.deepcopy(model).cpu().eval()
    example = torch.zeros(1, model.n_inputs, dtype=model.dtype)
    with atomic_path(path) as tmp, warnings.catch_warnings():
        # The TorchScript exporter is deprecated in favour of the dynamo one, which needs
        # onnxscript; the graph here is three ops per layer, which both export identically.
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"torch\.onnx")
        warnings.filterwarnings("ignore", message=r".*legacy TorchScript-based ONNX export.*")
        torch.onnx.export(
            cpu_model,
            (example,),
            str(tmp),
            input_names=["inputs"],
            output_names=["rates"],
            dynamic_axes={"inputs": {0: "batch"}, "rates": {0: "batch"}},
            opset_version=opset_version,
            dynamo=False,
        )
