"""``ffapprox generate``: sample inputs and solve their fixed points into a dataset."""

from __future__ import annotations

import time

import click

from ..data import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_HIGH,
    DEFAULT_LOW,
    generate_dataset,
    generate_store,
    is_store_path,
)
from ..dynamics import RecurrentNetwork
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


def counts_line(dataset, where: str = "") -> str:
    """``N inputs{where}: kept S stable, discarded D (oscillating .., ...)``."""
    counts = dataset.counts()
    kept = counts["stable"]
    discarded = ", ".join(f"{name} {n}" for name, n in counts.items() if name != "stable")
    return (
        f"{len(dataset)} inputs{where}: kept {kept} stable, discarded {len(dataset) - kept} "
        f"({discarded})"
    )


@click.command()
@click.argument("network_path", metavar="NETWORK.npz", type=click.Path(dir_okay=False))
@click.option("-n", "--n-samples", default=100_000, show_default=True, help="Inputs to draw.")
@click.option("--seed", default=0, show_default=True, help="Seed of the input sequence.")
@click.option(
    "--low", default=DEFAULT_LOW, show_default=True, help="Lower bound of the input cube."
)
@click.option(
    "--high", default=DEFAULT_HIGH, show_default=True, help="Upper bound of the input cube."
)
@max_time_option
@method_option
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(),
    help="Dataset to write: .npz (in memory) or .zarr (chunked store, resumable).",
)
@click.option(
    "--chunk-size",
    default=DEFAULT_CHUNK_SIZE,
    show_default=True,
    help="Rows per chunk of work and storage.",
)
@click.option(
    "--workers",
    type=int,
    help="Solve on a local Dask cluster of this many workers (at most 4 per CPU core).",
)
@click.option("--scheduler", help="Solve on an existing Dask cluster, e.g. tcp://host:8786.")
@click.option(
    "--threads-per-worker", default=1, show_default=True, help="Torch threads per Dask worker."
)
@device_option
@quiet_option
@handle_errors
def generate(network_path, output, device, quiet, **settings):
    """Sample inputs uniformly from (LOW, HIGH)^N and solve NETWORK.npz for each.

    Writes inputs, rates and state (NaN where no stable fixed point), status codes, solver
    steps and metadata, either as one .npz or as a chunked .zarr store. A .zarr store is
    written chunk by chunk (on Dask workers with --workers or --scheduler) and an
    interrupted run resumes with the same command; the result is the same bits however
    the work is split. An existing .npz OUTPUT is replaced once the new one is complete;
    an existing .zarr OUTPUT is resumed (and refused if made with other settings).
    """
    refuse_overwriting(output, network_path)
    network = RecurrentNetwork.load(network_path)
    if is_store_path(output):
        return _generate_store(network, output, device=device, quiet=quiet, **settings)
    check_suffix(output, ".npz")
    if settings["workers"] is not None or settings["scheduler"] is not None:
        raise ValueError(f"--workers and --scheduler need a .zarr --output, got {output!r}")
    check_output_folder(output)
    for name in ("workers", "scheduler", "threads_per_worker"):
        settings.pop(name)
    with progress_bar(settings["n_samples"], "solving", not quiet) as bar:
        dataset = generate_dataset(
            network, device=resolve_device(device), progress=bar.update, **settings
        )
    dataset.save(output)
    click.echo(f"{counts_line(dataset)}. Wrote {output}")


def _generate_store(network, output, *, device, quiet, **settings):
    if resolve_device(device) != "cpu":
        raise ValueError(f"--device must be cpu for a .zarr --output, got {device!r}")
    started = time.perf_counter()
    with progress_bar(settings["n_samples"], "solving", not quiet, unit="fixed point") as bar:

        def report(info: dict) -> None:
            bar.set_postfix(chunks=f"{info['done']}/{info['n_chunks']}", refresh=False)
            bar.update(info["rows"])

        store = generate_store(network, output, progress=report, **settings)
    elapsed = time.perf_counter() - started
    line = counts_line(store, f" in {store.n_chunks} chunks")
    click.echo(f"{line}; {elapsed:.1f} s this run. Wrote {output}")
