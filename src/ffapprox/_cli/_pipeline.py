"""``ffapprox generate | train | predict | export``: the approximation pipeline step by step."""

from __future__ import annotations

import math
import os
import time
import warnings
from pathlib import Path

import click
import numpy as np

from .._dataset import generate_dataset
from .._io import atomic_path, load_array, load_network
from .._model import FeedForwardApproximation, export_onnx
from .._model_io import check_model_folder
from .._store import open_dataset
from .._training import ConvergenceWarning, train
from ._common import device_option, handle_errors, progress_bar, quiet_option, resolve_device

# Seconds between progress lines of a store generation when stderr is not a terminal.
LOG_EVERY_S = 30.0


def _check_suffix(output: str, suffix: str) -> None:
    if not output.endswith(suffix):
        raise ValueError(f"--output must end in {suffix}, got {output!r}")


def _check_output_folder(output: str) -> None:
    """Refuse, before any work, an --output whose folder is missing or not writable."""
    folder = Path(output).parent
    if not folder.is_dir():
        raise ValueError(f"--output folder {str(folder)!r} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"--output folder {str(folder)!r} is not writable")


def _counts_line(dataset) -> str:
    counts = dataset.counts()
    kept = counts["stable"]
    discarded = ", ".join(f"{name} {n}" for name, n in counts.items() if name != "stable")
    return (
        f"{len(dataset)} inputs: kept {kept} stable, discarded {len(dataset) - kept} ({discarded})"
    )


@click.command()
@click.argument("network_path", metavar="NETWORK.npz", type=click.Path(dir_okay=False))
@click.option("-n", "--n-samples", default=100_000, show_default=True, help="Inputs to draw.")
@click.option("--seed", default=0, show_default=True, help="Seed of the input sequence.")
@click.option("--low", default=-1.0, show_default=True, help="Lower bound of the input cube.")
@click.option("--high", default=1.0, show_default=True, help="Upper bound of the input cube.")
@click.option("--max-time", default=500.0, show_default=True, help="Time limit, units of tau.")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(),
    help="Dataset to write: .npz (in memory) or .zarr (chunked store, resumable).",
)
@click.option(
    "--chunk-size", default=8192, show_default=True, help="Rows per chunk of work and storage."
)
@click.option("--workers", type=int, help="Solve on a local Dask cluster of this many workers.")
@click.option("--scheduler", help="Solve on an existing Dask cluster, e.g. tcp://host:8786.")
@click.option(
    "--threads-per-worker", default=1, show_default=True, help="Torch threads per Dask worker."
)
@device_option
@quiet_option
@handle_errors
def generate(
    network_path,
    n_samples,
    seed,
    low,
    high,
    max_time,
    output,
    chunk_size,
    workers,
    scheduler,
    threads_per_worker,
    device,
    quiet,
):
    """Sample inputs uniformly from (LOW, HIGH)^N and solve NETWORK.npz for each.

    Writes inputs, rates and state (NaN where no stable fixed point), status codes, solver
    steps and metadata, either as one .npz or as a chunked .zarr store. A .zarr store is
    written chunk by chunk (on Dask workers with --workers or --scheduler) and an
    interrupted run resumes with the same command; the result is the same bits however
    the work is split.
    """
    network = load_network(network_path)
    if output.rstrip("/").endswith(".zarr"):
        return _generate_store(
            network,
            output,
            n_samples=n_samples,
            seed=seed,
            low=low,
            high=high,
            max_time=max_time,
            chunk_size=chunk_size,
            workers=workers,
            scheduler=scheduler,
            threads_per_worker=threads_per_worker,
            device=device,
            quiet=quiet,
        )
    _check_suffix(output, ".npz")
    if workers is not None or scheduler is not None:
        raise ValueError(f"--workers and --scheduler need a .zarr --output, got {output!r}")
    _check_output_folder(output)
    device = resolve_device(device)
    with progress_bar(n_samples, "solving", not quiet) as bar:
        dataset = generate_dataset(
            network,
            n_samples,
            low=low,
            high=high,
            seed=seed,
            chunk_size=chunk_size,
            max_time=max_time,
            device=device,
            progress=bar.update,
        )
    dataset.save(output)
    click.echo(f"{_counts_line(dataset)}. Wrote {output}")


def _generate_store(network, output, *, device, quiet, **settings):
    from .._distributed import generate_store

    if resolve_device(device) != "cpu":
        raise ValueError(f"--device must be cpu for a .zarr --output, got {device!r}")
    started = time.perf_counter()
    with progress_bar(settings["n_samples"], "solving", not quiet) as bar:
        bar.unit = "fp"
        # Without a terminal (a batch job) the bar is off: log a line now and then instead.
        log = {"rows": 0, "last": -math.inf}

        def report(info: dict) -> None:
            bar.update(info["rows"])
            bar.set_postfix(chunks=f"{info['done']}/{info['n_chunks']}", refresh=False)
            log["rows"] += info["rows"]
            now = time.perf_counter()
            final = info["done"] == info["n_chunks"]
            if bar.disable and not quiet and (now - log["last"] >= LOG_EVERY_S or final):
                log["last"] = now
                rate = log["rows"] / max(now - started, 1e-9)
                click.echo(
                    f"[{time.strftime('%H:%M:%S')}] {info['done']}/{info['n_chunks']} chunks, "
                    f"{log['rows']:,} fixed points this run ({rate:,.0f}/s)",
                    err=True,
                )

        store = generate_store(network, output, progress=report, **settings)
    elapsed = time.perf_counter() - started
    counts = store.counts()
    kept = counts["stable"]
    discarded = ", ".join(f"{name} {n}" for name, n in counts.items() if name != "stable")
    click.echo(
        f"{len(store)} inputs in {store.n_chunks} chunks: kept {kept} stable, discarded "
        f"{len(store) - kept} ({discarded}); {elapsed:.1f} s this run. Wrote {output}"
    )


@click.command(name="train")
@click.argument("data_path", metavar="DATA", type=click.Path())
@click.option(
    "-o", "--output", required=True, type=click.Path(file_okay=False), help="Model folder."
)
@click.option(
    "--hidden",
    multiple=True,
    type=int,
    help="Hidden layer size; repeat for depth (--hidden 64 --hidden 64). Default: N.",
)
@click.option("--epochs", default=200, show_default=True, help="Maximum epochs.")
@click.option("--batch-size", default=1024, show_default=True, help="Adam mini-batch size.")
@click.option("--learning-rate", default=1e-2, show_default=True, help="Initial Adam step.")
@click.option("--restarts", default=4, show_default=True, help="Initialisations; best kept.")
@click.option("--seed", default=0, show_default=True, help="Seed of split, init and batches.")
@device_option
@quiet_option
@handle_errors
def train_command(
    data_path, output, hidden, epochs, batch_size, learning_rate, restarts, seed, device, quiet
):
    """Fit a feed-forward approximation to the stable fixed points in DATA (.npz or .zarr).

    Holds out 10 % of the stable inputs (of a .zarr store: of each chunk) for validation
    (early stopping, choice among restarts) and writes model.safetensors + model.json into
    the folder OUTPUT. A .zarr store is streamed chunk by chunk, never loaded whole.
    """
    _check_output_folder(output)
    check_model_folder(output)
    dataset = open_dataset(data_path)
    if hasattr(dataset, "require_complete"):
        dataset.require_complete()
    click.echo(_counts_line(dataset))
    n = dataset.metadata.get("n_neurons") or dataset.inputs.shape[1]
    model = FeedForwardApproximation(n, tuple(hidden) or None, n)
    device = resolve_device(device)
    with progress_bar(epochs, "training", not quiet) as bar:
        bar.unit = "epoch"

        def report(info: dict) -> None:
            bar.update(1)
            bar.set_postfix(val_mse=f"{info['best_validation_loss']:.3g}", refresh=False)

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            history = train(
                model,
                dataset,
                epochs=epochs,
                batch_size=batch_size,
                learning_rate=learning_rate,
                restarts=restarts,
                seed=seed,
                device=device,
                progress=report,
            )
    model.save(output)
    validation = model.metadata["validation"]
    relative = validation["relative_rmse"]  # NaN when every validation rate is zero
    click.echo(
        f"hidden {list(model.hidden)}: validation MSE {validation['mse']:.3g}, relative RMSE "
        f"{f'{relative:.2%}' if math.isfinite(relative) else 'n/a'} "
        f"(best epoch {history.best_epoch}, "
        f"{history.wall_time:.1f} s). Wrote {output}"
    )
    for warning in caught:
        if issubclass(warning.category, ConvergenceWarning):
            click.echo(f"Warning: {warning.message}", err=True)


@click.command()
@click.argument("model_path", metavar="MODEL_DIR", type=click.Path())
@click.argument("inputs_path", metavar="INPUTS.npy", type=click.Path(dir_okay=False))
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False), help="Output .npy."
)
@device_option
@handle_errors
def predict(model_path, inputs_path, output, device):
    """Evaluate the model in MODEL_DIR on each row of INPUTS.npy; write the rates as .npy."""
    model = FeedForwardApproximation.load(model_path)
    inputs = load_array(inputs_path, "inputs")
    _check_suffix(output, ".npy")
    _check_output_folder(output)
    rates = model.predict(inputs, device=resolve_device(device))
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
    """Write the model in MODEL_DIR as an ONNX graph (input "inputs", output "rates")."""
    model = FeedForwardApproximation.load(model_path)
    _check_suffix(output, ".onnx")
    _check_output_folder(output)
    export_onnx(model, output)
    size = Path(output).stat().st_size
    click.echo(
        f"{model.n_inputs} -> {list(model.hidden)} -> {model.n_outputs}, {size} bytes. "
        f"Wrote {output}"
    )
