"""``ffapprox run``: the whole experiment, from a packaged or user config."""

from __future__ import annotations

import time
from pathlib import Path

import click

from ..experiments import experiments, load_config, run_experiment, summary_lines
from ._common import configure_logging, handle_errors, progress_factory


@click.command()
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="TOML config.")
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    help="Run folder to create; must not exist or be empty "
    "[default: ffapprox-runs/<name>-<timestamp>].",
)
@click.option("--experiment", help="A packaged experiment (see --list) instead of --config.")
@click.option("--list", "list_experiments", is_flag=True, help="List the packaged experiments.")
@click.option("--quiet", is_flag=True, help="No progress output.")
@handle_errors
def run(config_path, out, experiment, list_experiments, quiet):
    """Reproduce the competition experiment end to end and write a report.

    Builds the recurrent network, solves uniform random inputs for exact fixed points,
    trains the paper-size and a wider feed-forward approximation, evaluates them on
    held-out inputs and writes figures, metrics.json, report.html, the dataset, the models
    (safetensors + ONNX) and the exact config into the run folder. An existing non-empty
    --out is refused; the folder appears only when the run is complete.
    """
    if list_experiments:
        found = experiments()
        width = max(map(len, found))
        for name, description in found.items():
            click.echo(f"{name:{width}}  {description}")
        return
    config, base = load_config(config_path, experiment=experiment)
    if out is None:
        out = Path("ffapprox-runs") / f"{config.name}-{time.strftime('%Y%m%d-%H%M%S')}"
    configure_logging(quiet)
    result = run_experiment(config, Path(out), base=base, progress=progress_factory(not quiet))
    for line in summary_lines(result):
        click.echo(line)
    click.echo(f"Report: {Path(out) / 'report.html'}")
