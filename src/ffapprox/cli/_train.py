"""``ffapprox train``: fit an approximation to the stable fixed points of a dataset."""

from __future__ import annotations

import math

import click

from ..approx import FAMILIES, TRAINING_DEFAULTS, check_model_folder, get_family, train
from ..data import open_dataset
from ..dynamics import RecurrentNetwork
from ._common import (
    check_output_folder,
    device_option,
    handle_errors,
    progress_bar,
    quiet_option,
    refuse_overwriting,
    resolve_device,
)
from ._generate import counts_line


@click.command(name="train")
@click.argument("data_path", metavar="DATA", type=click.Path())
@click.option(
    "-o", "--output", required=True, type=click.Path(file_okay=False), help="Model folder."
)
@click.option(
    "--family",
    "--architecture",
    "family",
    default="mlp",
    show_default=True,
    type=click.Choice(sorted(FAMILIES)),
    help="Approximation family (--architecture is the same option).",
)
@click.option(
    "--network",
    "network_path",
    type=click.Path(dir_okay=False),
    help="The recurrent network DATA was generated from (.npz); the families other than "
    "mlp start from its weights.",
)
@click.option(
    "--hidden",
    multiple=True,
    type=int,
    help="Hidden layer size; repeat for depth (--hidden 64 --hidden 64). Default: N.",
)
@click.option(
    "--epochs", default=TRAINING_DEFAULTS.epochs, show_default=True, help="Maximum epochs."
)
@click.option(
    "--batch-size",
    default=TRAINING_DEFAULTS.batch_size,
    show_default=True,
    help="Adam mini-batch size.",
)
@click.option(
    "--learning-rate",
    type=float,
    default=TRAINING_DEFAULTS.learning_rate,
    help="Initial Adam step [default: 1e-2, times 64 / width for layers wider than 64].",
)
@click.option(
    "--restarts",
    default=TRAINING_DEFAULTS.restarts,
    show_default=True,
    help="Initialisations; best kept.",
)
@click.option("--seed", default=0, show_default=True, help="Seed of split, init and batches.")
@click.option(
    "--force",
    is_flag=True,
    help="Write into an OUTPUT folder that holds other files (only the model's are replaced).",
)
@device_option
@quiet_option
@handle_errors
def train_command(
    data_path,
    output,
    family,
    network_path,
    hidden,
    epochs,
    batch_size,
    learning_rate,
    restarts,
    seed,
    force,
    device,
    quiet,
):
    """Fit a feed-forward approximation to the stable fixed points in DATA (.npz or .zarr).

    Holds out 10 % of the stable inputs (of a .zarr store: of each chunk) for validation
    (early stopping, choice among restarts) and writes model.safetensors + model.json into
    the folder OUTPUT. A .zarr store is streamed chunk by chunk, never loaded whole. An
    existing OUTPUT folder gets new model.json and model.safetensors once training
    succeeded; a folder holding other files is refused unless --force (they are kept).
    """
    check_output_folder(output)
    check_model_folder(output, force=force)
    refuse_overwriting(output, data_path, *([network_path] if network_path else []))
    device = resolve_device(device)
    dataset = open_dataset(data_path)
    if hasattr(dataset, "require_complete"):
        dataset.require_complete()
    click.echo(counts_line(dataset))
    n = dataset.n_neurons  # from the arrays (a store's metadata is checked against them)
    network = _network_of(dataset, network_path, family)
    model = get_family(family, "--family").build(
        n, n, network=network, hidden=list(hidden) or None
    )
    with progress_bar(epochs, "training", not quiet, unit="epoch") as bar:

        def report(info: dict) -> None:
            bar.set_postfix(val_mse=f"{info['best_validation_loss']:.3g}", refresh=False)
            bar.update(1)

        history = train(
            model, dataset, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
            restarts=restarts, seed=seed, device=device, progress=report,
        )  # fmt: skip
    model.save(output, force=force)
    validation = model.metadata["validation"]
    relative = validation["relative_rmse"]  # NaN when every validation rate is zero
    click.echo(
        f"{model.family} {model.architecture()}: validation MSE {validation['mse']:.3g}, "
        f"relative RMSE "
        f"{f'{relative:.2%}' if math.isfinite(relative) else 'n/a'} "
        f"(best epoch {history.best_epoch}, {history.wall_time:.1f} s). Wrote {output}"
    )


def _network_of(dataset, network_path, family: str) -> RecurrentNetwork | None:
    """The ``--network`` file, checked against the fingerprint the dataset was made with."""
    if network_path is None:
        if family != "mlp":
            raise ValueError(
                f"--network is required with --family {family} (the model starts from the "
                "recurrent network's weights): pass the .npz DATA was generated from"
            )
        return None
    network = RecurrentNetwork.load(network_path)
    expected = dataset.metadata.get("network_fingerprint")
    if expected is not None and expected != network.fingerprint():
        raise ValueError(
            f"--network {network_path!r} is not the network DATA was generated from "
            f"(fingerprint {network.fingerprint()}, DATA says {expected})"
        )
    return network
