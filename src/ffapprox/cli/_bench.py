"""``ffapprox bench``: ffapprox against scipy, torchdiffeq and DEQ solvers, with figures."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import click
import torch

from ..bench import BenchSizes, bench_figure, require_bench_extra, run_bench
from ..common import atomic_path, write_json
from ._common import device_option, fail, handle_errors, quiet_option, resolve_device


def _sizes(text: str | None, quick: bool, cuda: bool) -> BenchSizes:
    base = BenchSizes.preset(quick=quick, cuda=cuda)
    if text is None:
        return base
    try:
        overrides = json.loads(text)
        if not isinstance(overrides, dict):
            raise TypeError("not a JSON object")
        for key in ("batch_sizes", "network_sizes"):
            if key in overrides:
                overrides[key] = tuple(overrides[key])
        return dataclasses.replace(base, **overrides)
    except (ValueError, TypeError) as err:
        raise ValueError(f"--sizes must be a JSON object of BenchSizes fields ({err})") from None


def _number(value) -> str:
    return "-" if value is None else f"{value:.3g}"


def format_table(results: dict) -> str:
    """The method comparison as a fixed-width text table."""
    header = (
        f"{'method':36} {'per second':>11} {'max|dx/dt|':>11} {'max|dr|':>9} "
        f"{'within 1e-6':>11} {'conv/fail':>12} {'unstable':>8}"
    )
    lines = [header, "-" * len(header)]
    for m in results["methods"]:
        if not m["available"]:
            lines.append(f"{m['name']:36} {m['unavailable_reason']}")
            continue
        a, o = m["accuracy"], m["outcomes"]
        counts = f"{o['converged']}/{o['failed']}"
        lines.append(
            f"{m['name']:36} {_number(m['throughput']):>11} {_number(a['max_residual']):>11} "
            f"{_number(a['max_abs_error']):>9} {100 * a['fraction_within']:>10.2f}% "
            f"{counts:>12} {_number(o['unstable_answers']):>8}"
        )
    summary = results["summary"]
    lines.append("")
    for key, value in summary.items():
        if key != "best_throughput_over_batch_sizes":
            lines.append(f"{key}: {_number(value) if isinstance(value, float) else value}")
    for variant in results["roofline"]["variants"]:
        lines.append(
            f"roofline {variant['variant']}: {variant['evals_per_second']:.3g} evals/s, "
            f"{100 * variant['fraction_of_bandwidth_bound']:.0f}% of the bandwidth bound, "
            f"{100 * variant['fraction_of_roofline']:.0f}% of the roofline"
        )
    for name, reason in {**results["unavailable"], **results["roofline"]["unavailable"]}.items():
        lines.append(f"{name} unavailable: {reason}")
    return "\n".join(lines)


@click.command()
@click.option("--quick", is_flag=True, help="Smaller sizes: about a minute on a CPU.")
@device_option
@click.option(
    "--out",
    default="bench",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder for bench.json and fig_bench.png.",
)
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0))
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    help="CPU threads for torch (default: torch's own choice; 1 on a busy machine).",
)
@click.option("--sizes", hidden=True, help="JSON object overriding BenchSizes fields.")
@click.option(
    "--skip-missing",
    is_flag=True,
    help="Run without the bench extra's missing packages (their rows say unavailable).",
)
@quiet_option
@handle_errors
def bench(quick, device, out, seed, threads, sizes, skip_missing, quiet):
    """Time and check ffapprox against the usual ways of finding fixed points.

    Every method gets the same inputs of the competitive network; for each, the table
    gives fixed points per second, the largest |dx/dt| at its answers, its largest rate
    error against ffapprox's exact float64 answer, the fraction of inputs within 1e-6,
    converged/failed counts and how many answers are unstable fixed points. Also measures
    throughput against batch size and network size, and the approximation against this
    machine's memory-bandwidth roofline. Writes OUT/bench.json and OUT/fig_bench.png.
    """
    if not re.fullmatch(r"cpu|cuda(:\d+)?", device):
        fail(f"--device must be cpu, cuda or cuda:<index>, got {device!r}")
    device = resolve_device(device)
    require_bench_extra(skip_missing=skip_missing)
    config = _sizes(sizes, quick, device.startswith("cuda"))
    if threads is not None:
        torch.set_num_threads(threads)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)

    def progress(message: str) -> None:
        if not quiet:
            click.echo(f"  {message}", err=True)

    results = run_bench(quick=quick, device=device, sizes=config, seed=seed, progress=progress)
    write_json(folder / "bench.json", results)
    with atomic_path(folder / "fig_bench.png") as tmp:
        bench_figure(results).savefig(tmp, format="png", dpi=120)
    click.echo(format_table(results))
    click.echo(f"Wrote {folder / 'bench.json'} and {folder / 'fig_bench.png'}")
