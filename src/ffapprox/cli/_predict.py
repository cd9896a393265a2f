"""``ffapprox predict`` and ``ffapprox export``: use a trained model."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np

from ..approx import export_onnx, load_model
from ..common import atomic_path, load_array
from ._common import (
    check_output_folder,
    check_suffix,
    device_option,
    handle_errors,
    refuse_overwriting,
    resolve_device,
)


@click.command()
@click.argument("model_path", metavar="MODEL_DIR", type=click.Path())
@click.argument("inputs_path", metavar="INPUTS.npy", type=click.Path(dir_okay=False))
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False), help="Output .npy."
)
@device_option
@handle_errors
def predict(model_path, inputs_path, output, device):
    """Evaluate the model in MODEL_DIR on each row of INPUTS.npy; write the rates as .npy.

    An existing OUTPUT file is replaced (atomically, once the rates are computed).
    """
    check_suffix(output, ".npy")
    check_output_folder(output)
    refuse_overwriting(output, model_path, inputs_path)
    device = resolve_device(device)
    model = load_model(model_path)
    inputs = load_array(inputs_path, "inputs")
    rates = model.predict(inputs, device=device)
    with atomic_path(output) as tmp:
        np.save(tmp, rates)
    click.echo(f"{len(rates)} inputs -> rates {rates.shape}, {rates.dtype}. Wrote {output}")


@click.command()
@click.argument("model_path", metavar="MODEL_DIR", type=click.Path())
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False), help="ONNX file to write."
)
@handle_errors
def export(model_path, output):
    """Write the model in MODEL_DIR as an ONNX graph (input "inputs", output "rates").

    The graph takes and returns float32 (float64 for a float64 model), with a dynamic batch
    dimension. An existing OUTPUT file is replaced (atomically).
    """
    check_suffix(output, ".onnx")
    check_output_folder(output)
    refuse_overwriting(output, model_path)
    model = load_model(model_path)
    export_onnx(model, output)
    size = Path(output).stat().st_size
    click.echo(f"{model.family} {model.architecture()}, {size} bytes. Wrote {output}")
