"""The size-sweep runner (``ffapprox run --experiment random``): random networks of growing
size, one report."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from ..approx import train
from ..common import ProgressFactory, logger, machine_info, throughput
from ..data import generate_dataset
from ..dynamics import STATUS_NAMES, solve_fixed_points
from ..networks import BUILDERS
from ._config import ExperimentConfig
from ._metrics import error_metrics, status_fractions
from ._results import DatasetSummary, Outcome, SizeMetrics, SweepNetwork, SweepResult

STATUS_COLOURS = ("#4c9f70", "#f0a202", "#d62728", "#8c8c8c")
# Fewer stable training rows than this and a size gets no approximation.
MIN_TRAINING_ROWS = 10
SWEEP_BUILDER = "random-dale"


class SizeSweepRunner:
    """Solves, trains and times one random Dale network per size of ``[sweep]``; the
    first ``[[models]]`` entry is the architecture."""

    def __init__(self, config: ExperimentConfig, base: Path | None) -> None:
        if config.sweep is None:
            raise ValueError('kind = "sweep" needs a [sweep] table')
        self.config = config
        sweep = config.sweep
        builder = BUILDERS[SWEEP_BUILDER]
        self.networks = [
            builder.build({"n_neurons": n, "gain": sweep.gain, "seed": config.seed}, "sweep")
            for n in sweep.sizes
        ]

    def run(self, work: Path, progress: ProgressFactory) -> Outcome:
        started = time.perf_counter()
        sweep = self.config.sweep
        counts = dict.fromkeys(STATUS_NAMES, 0)
        sizes = {}
        for network, n_samples in zip(self.networks, sweep.samples, strict=True):
            size, size_counts = self._size(network, n_samples, progress)
            sizes[f"N={network.n_neurons}"] = size
            for name, c in size_counts.items():
                counts[name] += c
        result = SweepResult(
            name=self.config.name,
            network=SweepNetwork("random_dale_network", sweep.gain, list(sweep.sizes)),
            dataset=DatasetSummary(int(sum(sweep.samples)), counts),
            sizes=sizes,
            machine=machine_info(),
        )
        result.wall_seconds = time.perf_counter() - started
        return Outcome(result, {"fig_random.png": sweep_figure(sizes)}, self.networks[-1])

    def _size(self, network, n_samples: int, progress) -> tuple[SizeMetrics, dict]:
        config, n = self.config, network.n_neurons
        spec = config.models[0]
        logger.info(f"N = {n}: solving {n_samples} inputs")
        with progress(n_samples, f"N={n}") as update:
            data = generate_dataset(
                network, n_samples, seed=config.seed, max_time=config.data.max_time,
                method=config.data.method, progress=update,
            )  # fmt: skip
        train_set, validation_set, test_set = data.split(
            tuple(config.data.split), seed=config.seed
        )
        size = SizeMetrics(
            n_neurons=n, hidden=list(spec.hidden), n_samples=n_samples,
            status_fractions=status_fractions(data.status),
            solver_steps_p50=float(np.percentile(test_set.steps, 50)),
            solver_steps_p99=float(np.percentile(test_set.steps, 99)),
            solver_fixed_points_per_s=throughput(
                lambda u: solve_fixed_points(network, u, method=config.data.method),
                test_set.inputs,
                1,
            ),
        )  # fmt: skip
        stable = test_set.stable_mask
        n_train = int(train_set.stable_mask.sum())
        if n_train < MIN_TRAINING_ROWS or not stable.any() or not validation_set.stable_mask.any():
            size.skipped = (
                f"{n_train} stable training, {int(validation_set.stable_mask.sum())} validation "
                f"and {int(stable.sum())} test inputs: too few to fit an approximation"
            )
            logger.info(f"N = {n}: {size.skipped}")
            return size, data.counts()
        logger.info(f"N = {n}: training hidden layers {spec.hidden}")
        model = spec.build(network)
        train(model, train_set, validation=validation_set, seed=config.seed,
              **spec.settings(config.training))  # fmt: skip
        errors = error_metrics(model.predict(test_set.inputs[stable]), test_set.rates[stable])
        size.rmse, size.relative_rmse = errors
        size.approximation_evals_per_s = throughput(model.predict, test_set.inputs, 5)
        size.speedup = size.approximation_evals_per_s / size.solver_fixed_points_per_s
        # Same cost whatever the input did: time stable and non-stable inputs apart.
        if (~stable).sum() >= MIN_TRAINING_ROWS:
            size.approximation_evals_per_s_not_stable = throughput(
                model.predict, test_set.inputs[~stable], 5
            )
            size.approximation_evals_per_s_stable = throughput(
                model.predict, test_set.inputs[stable], 5
            )
        return size, data.counts()


def sweep_figure(sizes_: dict[str, SizeMetrics]) -> Figure:
    """Outcomes, approximation error and cost per input against network size."""
    blocks = list(sizes_.values())
    sizes = np.array([b.n_neurons for b in blocks])
    fig = Figure(figsize=(13.0, 3.8), layout="constrained")
    outcome, error, cost = fig.subplots(1, 3)
    bottom = np.zeros(len(sizes))
    labels = [str(s) for s in sizes]
    for name, colour in zip(STATUS_NAMES, STATUS_COLOURS, strict=True):
        share = np.array([b.status_fractions[name] for b in blocks])
        outcome.bar(labels, share, bottom=bottom, color=colour, label=name)
        bottom += share
    outcome.set_xlabel("neurons N")
    outcome.set_ylabel("fraction of inputs")
    outcome.legend(fontsize=8, frameon=False)
    outcome.set_title("what the recurrent network does")
    fitted = [b for b in blocks if b.fitted]
    error.plot([b.n_neurons for b in fitted], [100 * b.relative_rmse for b in fitted], "o-")
    error.set_xscale("log")
    error.set_xlabel("neurons N")
    error.set_ylabel("relative RMSE on stable inputs (%)")
    error.set_title("approximation error")
    solver = [1e6 / b.solver_fixed_points_per_s for b in blocks]
    cost.loglog(sizes, solver, "o-", color="#d62728", label="exact solver")
    cost.loglog(
        [b.n_neurons for b in fitted],
        [1e6 / b.approximation_evals_per_s for b in fitted],
        "s-",
        color="#1f77b4",
        label="approximation",
    )
    for size, us, block in zip(sizes, solver, blocks, strict=True):
        cost.annotate(f"p99 {block.solver_steps_p99:.0f} steps", (size, us), fontsize=7,
                      xytext=(3, 3), textcoords="offset points")  # fmt: skip
    cost.set_xlabel("neurons N")
    cost.set_ylabel(r"time per input ($\mu$s, batched)")
    cost.legend(fontsize=8, frameon=False)
    cost.set_title("cost per input")
    return fig
