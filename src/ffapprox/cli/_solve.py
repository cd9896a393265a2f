"""``ffapprox solve``: fixed points of a saved network for saved inputs."""

from __future__ import annotations

import click
import numpy as np
import torch

from ..common import load_array, save_npz
from ..dynamics import ACCEPTANCE_NAMES, STATUS_NAMES, RecurrentNetwork, solve_fixed_points
from ._common import (
    check_output_folder,
    check_suffix,
    device_option,
    handle_errors,
    max_time_option,
    method_option,
    progress_bar,
    quiet_option,
    refuse_overwriting,
    resolve_device,
)


@click.command()
@click.argument("network_path", metavar="NETWORK.npz", type=click.Path(dir_okay=False))
@click.argument("inputs_path", metavar="INPUTS.npy", type=click.Path(dir_okay=False))
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False), help="Result .npz to write."
)
@max_time_option
@method_option
@click.option("--float32", is_flag=True, help="Solve in float32 (faster, residual ~1e-6).")
@device_option
@quiet_option
@handle_errors
def solve(network_path, inputs_path, output, max_time, method, float32, device, quiet):
    """Exact stable fixed points of NETWORK.npz for each row of INPUTS.npy.

    Writes state, rates, status (int8 codes), status_names, residual, settle_time, steps,
    stability_margin, accepted_by (int8 codes of the rule that accepted a stable input)
    and acceptance_names; inputs without a stable fixed point have NaN state and rates.
    An existing OUTPUT file is replaced (atomically, once the solve succeeded).
    """
    check_suffix(output, ".npz")
    check_output_folder(output)
    refuse_overwriting(output, network_path, inputs_path)
    device = resolve_device(device)
    network = RecurrentNetwork.load(network_path)
    inputs = load_array(inputs_path, "inputs")
    dtype = torch.float32 if float32 else torch.float64
    with progress_bar(len(inputs), "solving", not quiet) as bar:
        result = solve_fixed_points(
            network, inputs, max_time=max_time, dtype=dtype, device=device, method=method,
            progress=bar.update,
        )  # fmt: skip
    arrays = result.numpy()
    save_npz(
        output,
        status_names=np.array(STATUS_NAMES),
        acceptance_names=np.array(ACCEPTANCE_NAMES),
        **arrays,
    )
    counts = ", ".join(f"{name} {n}" for name, n in result.counts().items())
    click.echo(f"{len(inputs)} inputs: {counts}. Wrote {output}")
