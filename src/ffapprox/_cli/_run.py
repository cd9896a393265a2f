"""``ffapprox run``: the whole experiment, from a packaged or user config."""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path

import click

from ._common import handle_errors, progress_bar


def _reporter(quiet: bool):
    from .._experiment import Reporter

    @contextlib.contextmanager
    def bar(total: int, description: str):
        with progress_bar(total, description, not quiet) as tqdm_bar:
            yield tqdm_bar.update

    def stage(message: str) -> None:
        if not quiet:
            click.echo(f"[{time.strftime('%H:%M:%S')}] {message}", err=True)

    return Reporter(stage=stage, bar=bar)


def _summary_table(metrics: dict) -> str:
    rows = [("model", "hidden", "rel. RMSE", "winner agr.", "near bound.", "evals/s", "speed-up")]
    for name, m in metrics["models"].items():
        rows.append(
            (
                name,
                "x".join(map(str, m["hidden"])),
                f"{m['relative_rmse']:.2%}",
                f"{m['winner_agreement']:.2%}" if "winner_agreement" in m else "-",
                f"{m['winner_agreement_near_boundary']:.2%}"
                if "winner_agreement_near_boundary" in m
                else "-",
                f"{m['approximation_evals_per_s']:,.0f}",
                f"{m['speedup']:,.0f}x",
            )
        )
    widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
    return "\n".join("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows)


@click.command()
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="TOML config.")
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    help="Run folder to create [default: ffapprox-runs/<name>-<timestamp>].",
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
    (safetensors + ONNX) and the exact config into the run folder.
    """
    from .._config import experiments, load_config
    from .._experiment import run_experiment

    if list_experiments:
        found = experiments()
        width = max(map(len, found))
        for name, description in found.items():
            click.echo(f"{name:{width}}  {description}")
        return
    config, base = load_config(config_path, experiment=experiment)
    if out is None:
        out = Path("ffapprox-runs") / f"{config.name}-{time.strftime('%Y%m%d-%H%M%S')}"
    metrics = run_experiment(config, Path(out), base=base, reporter=_reporter(quiet))
    click.echo(_summary_table(metrics))
    stable = metrics["dataset"]["counts"]["stable"]
    click.echo(
        f"{stable:,} of {metrics['dataset']['n_samples']:,} inputs stable; "
        f"run took {metrics['wall_seconds']:.0f} s."
    )
    for name, m in metrics["models"].items():
        if "snr_gap_db" in m:
            position = m.get("position_error_gap")
            click.echo(
                f"Noise sweep, {name}: output SNR within {m['snr_gap_db']:.2f} dB of the "
                f"recurrent network's (smallest gain {m['snr_gain_db_min']:+.1f} dB)"
                + (f"; decoded position error within {position:.1%}" if position else "")
                + "."
            )
    settle = metrics.get("settle_predictor")
    if settle:
        click.echo(
            f"Settle predictor: {settle['accuracy']:.2%} accurate on held-out inputs "
            f"({settle['fraction_settling']:.1%} of them settle)."
        )
    click.echo(f"Report: {Path(out) / 'report.html'}")
    sys.stdout.flush()
