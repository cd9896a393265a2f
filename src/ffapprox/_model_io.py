"""File formats of the approximation model: safetensors + JSON directory, and ONNX."""

from __future__ import annotations

import copy
import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import torch

from ._io import _finite_or_none, _umask, atomic_path

WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "model.json"
FORMAT = "ffapprox.FeedForwardApproximation"
_DTYPES = {"float32": torch.float32, "float64": torch.float64}


def _config(model) -> dict:
    from . import __version__

    return {
        "format": FORMAT,
        "format_version": 1,
        "n_inputs": model.n_inputs,
        "hidden": list(model.hidden),
        "n_outputs": model.n_outputs,
        "activation": "relu on every layer, output included; Linear bias = -threshold",
        "dtype": str(model.dtype).removeprefix("torch."),
        "ffapprox_version": __version__,
        "metadata": model.metadata,
    }


def check_model_folder(directory: str | os.PathLike) -> Path:
    """``directory`` as a Path if :func:`save_model` may write there, else ``ValueError``.

    Its parent folder must exist, and ``directory`` must be absent, empty or a model folder.
    """
    directory = Path(directory)
    parent = directory.parent if str(directory.parent) else Path(".")
    if not parent.is_dir():
        raise ValueError(f"output folder {str(parent)!r} does not exist")
    if directory.exists() and not (
        directory.is_dir()
        and (not any(directory.iterdir()) or (directory / CONFIG_FILE).is_file())
    ):
        raise ValueError(
            f"model directory {str(directory)!r} exists and is not a model folder; "
            "refusing to overwrite it"
        )
    return directory


def save_model(model, directory: str | os.PathLike) -> None:
    """Write ``model.safetensors`` and ``model.json`` into ``directory``.

    Everything is written into a temporary folder beside ``directory`` and renamed into
    place, so a failed write leaves no partial model and keeps any previous one. An
    existing model folder is replaced; any other existing, non-empty path is refused.
    The folder and files get the usual permissions under the process umask.
    """
    from safetensors.torch import save_file

    directory = check_model_folder(directory)
    parent = directory.parent if str(directory.parent) else Path(".")
    # Strict JSON: a NaN metric (all-zero targets) is written as null.
    config = json.dumps(_finite_or_none(_config(model)), indent=2, sort_keys=True, allow_nan=False)
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    mask = _umask()
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=parent))
    aside = None
    try:
        # mkdtemp and safetensors create owner-only entries; a model is shared like any file.
        os.chmod(staging, 0o777 & ~mask)
        save_file(tensors, staging / WEIGHTS_FILE)
        (staging / CONFIG_FILE).write_text(config + "\n")
        for name in (WEIGHTS_FILE, CONFIG_FILE):
            os.chmod(staging / name, 0o666 & ~mask)
        if not directory.exists():
            os.replace(staging, directory)
            return
        aside = Path(tempfile.mkdtemp(prefix=f".{directory.name}.old.", dir=parent))
        os.replace(directory, aside / directory.name)
        try:
            os.replace(staging, directory)
        except BaseException:
            try:
                os.replace(aside / directory.name, directory)
            except OSError:
                aside = None  # the old model stays in the hidden folder rather than be lost
            raise
    finally:
        for leftover in (staging, aside):
            if leftover is not None and leftover.exists():
                shutil.rmtree(leftover)


def _expected_shapes(config: dict) -> tuple[str, dict[str, tuple[int, ...]]]:
    """The architecture described by ``config`` and the tensor shapes it needs."""
    from ._model import _check_size

    hidden = config["hidden"]
    if not isinstance(hidden, list):
        raise ValueError(f"hidden must be a list of integers >= 1, got {hidden!r}")
    sizes = (
        _check_size("n_inputs", config["n_inputs"]),
        *(_check_size("hidden", h) for h in hidden),
        _check_size("n_outputs", config["n_outputs"]),
    )
    shapes = {}
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        shapes[f"layers.{i}.weight"] = (n_out, n_in)
        shapes[f"layers.{i}.bias"] = (n_out,)
    return f"{sizes[0]} -> {list(sizes[1:-1])} -> {sizes[-1]}", shapes


def load_model(directory: str | os.PathLike):
    """Read a model folder written by :func:`save_model`; one-line ``ValueError`` if it cannot."""
    from safetensors import SafetensorError, safe_open
    from safetensors.torch import load_file

    from ._model import FeedForwardApproximation

    directory = Path(directory)
    where = f"model directory {str(directory)!r}"
    if not directory.is_dir():
        raise ValueError(f"{where} does not exist or is not a folder")
    for name in (CONFIG_FILE, WEIGHTS_FILE):
        if not (directory / name).is_file():
            raise ValueError(f"{where} lacks {name}")
    try:
        config = json.loads((directory / CONFIG_FILE).read_text())
        if not isinstance(config, dict) or config.get("format") != FORMAT:
            raise ValueError(f"{CONFIG_FILE} does not describe a {FORMAT}")
        # Check the architecture against the stored shapes before allocating anything.
        architecture, expected = _expected_shapes(config)
        with safe_open(directory / WEIGHTS_FILE, framework="pt") as weights:
            stored = {k: tuple(weights.get_slice(k).get_shape()) for k in weights.keys()}
        for name in [*expected, *(k for k in stored if k not in expected)]:
            if expected.get(name) != stored.get(name):
                raise ValueError(
                    f"{CONFIG_FILE} architecture {architecture} does not match the weights "
                    f"in {WEIGHTS_FILE}: {name} has shape {stored.get(name)}, expected "
                    f"{expected.get(name)}"
                )
        model = FeedForwardApproximation(
            config["n_inputs"], tuple(config["hidden"]), config["n_outputs"]
        )
        model.to(_DTYPES[config.get("dtype", "float32")])
        model.load_state_dict(load_file(directory / WEIGHTS_FILE))
        model.metadata = dict(config.get("metadata", {}))
    except (
        OSError,
        ValueError,
        KeyError,
        TypeError,
        RuntimeError,
        SafetensorError,
        UnicodeDecodeError,
    ) as err:
        message = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ValueError(f"{where} is not a readable model ({message})") from None
    return model


def export_onnx(model, path: str | os.PathLike, *, opset_version: int = 17) -> None:
    """Write ``model`` as an ONNX graph with input ``inputs`` and output ``rates``.

    Both have a dynamic leading (batch) dimension. The file is written atomically.

    Example:
        >>> from ffapprox import FeedForwardApproximation
        >>> export_onnx(FeedForwardApproximation(5), "model.onnx")  # doctest: +SKIP
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
