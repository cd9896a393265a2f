"""``ffapprox run``: one runner per kind of experiment, behind one small protocol."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import tomli_w

from ..common import ProgressFactory, check_choice, logger, no_progress, write_json
from ._config import FILE_BUILDER, ExperimentConfig
from ._report import single_report, sweep_report, write_report
from ._results import ExperimentResult, Outcome
from ._scale import ScaleRunner
from ._scale_views import scale_report, scale_summary
from ._setup import run_folder
from ._single import SingleNetworkRunner
from ._summary import single_summary, sweep_summary
from ._sweep import SizeSweepRunner


class Runner(Protocol):
    """Built from the config (everything that can be refused is checked then, before any
    file is written), then run into a work folder."""

    def __init__(self, config: ExperimentConfig, base: Path | None) -> None: ...

    def run(self, work: Path, progress: ProgressFactory) -> Outcome: ...


@dataclass(frozen=True)
class Kind:
    """A kind of experiment: its runner, and how its result is summarised on the command
    line (lines of text) and at the top of the report (cards, table, status line)."""

    runner: type[Runner]
    summary: Callable[[ExperimentResult], list[str]]
    report: Callable[[ExperimentResult], tuple[str, str, str]]


# ExperimentConfig.runner -> kind. A new kind is a runner module, its result record (with a
# ``kind`` class attribute naming the entry) and its two renderers, and one entry here.
RUNNERS: dict[str, Kind] = {
    "single": Kind(SingleNetworkRunner, single_summary, single_report),
    "sweep": Kind(SizeSweepRunner, sweep_summary, sweep_report),
    "scale": Kind(ScaleRunner, scale_summary, scale_report),
}


def summary_lines(result: ExperimentResult) -> list[str]:
    """What ``ffapprox run`` prints about a finished run (the report's path comes after)."""
    return RUNNERS[result.kind].summary(result)


def _config_toml(config: ExperimentConfig) -> str:
    """The config as the run folder keeps it: a saved network is referred to by the copy
    in the run folder, so that ``ffapprox run --config RUN/config.toml`` re-runs it."""
    data = config.to_dict()
    if config.network.builder == FILE_BUILDER and config.runner == "single":
        data["network"]["path"] = "network.npz"
    return tomli_w.dumps(data)


def run_experiment(
    config: ExperimentConfig,
    out: str | Path,
    *,
    base: Path | None = None,
    progress: ProgressFactory = no_progress,
) -> ExperimentResult:
    """Run the experiment into the new folder ``out`` and return its typed result.

    Writes ``config.toml``, the runner's data, models and figures, ``metrics.json`` and
    ``report.html``; the folder appears only when everything is written. Stages are logged
    to the ``"ffapprox"`` logger; ``progress`` draws progress bars.

    Arguments:
        config: the experiment (see :func:`load_config`).
        out: the run folder to create; it must not exist or be empty.
        base: folder that relative paths in ``config`` refer to.
        progress: progress-bar factory (default: none).
    """
    kind = RUNNERS[check_choice("kind", config.runner, list(RUNNERS))]
    runner = kind.runner(config, base)
    with run_folder(Path(out)) as work:
        (work / "config.toml").write_text(_config_toml(config))
        outcome = runner.run(work, progress)
        logger.info("Drawing figures and writing the report")
        for filename, figure in outcome.figures.items():
            figure.savefig(work / filename, dpi=130)
        write_json(work / "metrics.json", outcome.result.to_json())
        write_report(work / "report.html", config, outcome, sorted(outcome.figures), kind.report)
    return outcome.result
