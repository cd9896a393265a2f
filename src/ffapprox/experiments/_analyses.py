"""Analyses a single-network run adds when they apply: one class each, one registry.

An analysis has ``applies(ctx)`` and ``run(ctx)``; it reads the run's context (network,
data, trained models) and adds typed metrics and figures to it. A new analysis is one class
here (or in its own module) and one entry in :data:`ANALYSES`.
"""

from __future__ import annotations

import dataclasses
from typing import Protocol

import numpy as np

from ..approx import FeedForwardApproximation, train
from ..common import logger
from ..dynamics import Status
from ._boundary import BANDS, boundary_breakdown, boundary_distance
from ._context import RunContext
from ._figures import (
    boundary_figure,
    capacity_figure,
    competition_figure,
    decision_boundary_figure,
)
from ._metrics import competition_metrics, error_metrics
from ._noise import noise_summary, noise_sweep
from ._noise_figures import example_figure, noise_figure
from ._partitions import summed_inputs
from ._probes import mixture_sweep, sweep_agreement, time_averaged_rates
from ._results import OscillationComparison, SettleMetrics

# Oscillating held-out inputs simulated for the time-averaged comparison (cost bound).
NOT_STABLE_SAMPLE = 2000


class Analysis(Protocol):
    def applies(self, ctx: RunContext) -> bool: ...

    def run(self, ctx: RunContext) -> None: ...


def _float64(model):
    return lambda inputs: model.predict(inputs).astype(np.float64)


class Competition:
    """Partitions that compete (Muir 2018, Figs. 2b and 3): winner agreement per model,
    the mixture sweep and the decision-boundary figure."""

    def applies(self, ctx: RunContext) -> bool:
        return len(ctx.partitions) >= 2

    def run(self, ctx: RunContext) -> None:
        inputs, rates = ctx.test_stable
        band = ctx.config.evaluation.boundary_band
        for name, metrics in ctx.metrics.items():
            metrics.competition = competition_metrics(
                inputs, rates, ctx.predictions[name], ctx.partitions, boundary_band=band
            )
        sweep = mixture_sweep(
            ctx.network,
            {name: m.predict for name, m in ctx.models.items()},
            ctx.partitions,
            n_points=ctx.config.evaluation.sweep_points,
        )
        ctx.figures["fig_competition.png"] = competition_figure(sweep)
        for name, metrics in ctx.metrics.items():
            agreement, error = sweep_agreement(sweep, name)
            metrics.competition = dataclasses.replace(
                metrics.competition, mixture_winner_agreement=agreement,
                mixture_max_error=error,
            )  # fmt: skip
        drive = summed_inputs(inputs, ctx.partitions)
        ctx.input_gap = np.abs(drive[:, 0] - drive[:, 1])
        count = min(len(inputs), ctx.config.evaluation.boundary_inputs)
        distance = None
        if count:
            logger.info(f"Distance to the basin boundary of {count} held-out inputs")
            distance = boundary_distance(
                ctx.network, inputs[:count], ctx.partitions, method=ctx.config.data.method
            )
            for name, metrics in ctx.metrics.items():
                metrics.boundary_bands = boundary_breakdown(
                    distance, ctx.predictions[name][:count], rates[:count], ctx.partitions
                )
            ctx.figures["fig_boundary.png"] = boundary_figure(ctx.metrics)
        ctx.figures["fig_decision_boundary.png"] = decision_boundary_figure(
            inputs, rates, ctx.predictions, ctx.partitions,
            None if distance is None else distance < BANDS[1],
        )  # fmt: skip


class Oscillation:
    """Held-out inputs that oscillate: each model against the time-averaged activity."""

    def _inputs(self, ctx: RunContext) -> np.ndarray:
        test = ctx.test
        return test.inputs[test.status == Status.OSCILLATING][:NOT_STABLE_SAMPLE]

    def applies(self, ctx: RunContext) -> bool:
        return len(self._inputs(ctx)) > 0

    def run(self, ctx: RunContext) -> None:
        inputs = self._inputs(ctx)
        averaged = time_averaged_rates(ctx.network, inputs)
        for name, model in ctx.models.items():
            away = error_metrics(model.predict(inputs).astype(np.float64), averaged)
            ctx.metrics[name].oscillating = OscillationComparison(len(inputs), *away)


class NoiseRejection:
    """Signals plus noise (``data.inputs`` "bumps" or "patterns"): SNR and decoded
    position against noise level, recurrent network against each model."""

    def applies(self, ctx: RunContext) -> bool:
        return ctx.config.data.inputs != "uniform" and bool(ctx.config.evaluation.noise_levels)

    def run(self, ctx: RunContext) -> None:
        levels = ctx.config.evaluation.noise_levels
        logger.info(f"Noise sweep: {len(levels)} noise levels")
        sweep = noise_sweep(
            ctx.network,
            {name: _float64(m) for name, m in ctx.models.items()},
            ctx.sampler,
            levels,
            n_inputs=ctx.config.evaluation.noise_inputs,
            seed=ctx.config.seed,
            max_time=ctx.config.data.max_time,
            method=ctx.config.data.method,
        )
        for name, metrics in ctx.metrics.items():
            metrics.noise = noise_summary(sweep, name)
        ctx.result.noise_sweep = sweep
        ctx.figures["fig_noise.png"] = noise_figure(sweep, list(ctx.models))
        if sweep.example is not None:
            ctx.figures["fig_example.png"] = example_figure(sweep.example, list(ctx.models))


class Capacity:
    """Three or more MLPs: error and winner agreement against their size."""

    def applies(self, ctx: RunContext) -> bool:
        return sum(spec.family == "mlp" for spec in ctx.config.models) >= 3

    def run(self, ctx: RunContext) -> None:
        mlps = {name: m for name, m in ctx.metrics.items() if m.family == "mlp"}
        ctx.figures["fig_capacity.png"] = capacity_figure(mlps)


class SettlePredictor:
    """Some inputs do not settle: a classifier of whether an input settles, fitted as a
    0/1 regression (``evaluation.settle_predictor`` hidden widths; [] turns it off)."""

    def applies(self, ctx: RunContext) -> bool:
        return bool(ctx.config.evaluation.settle_predictor) and not ctx.dataset.stable_mask.all()

    def run(self, ctx: RunContext) -> None:
        hidden = ctx.config.evaluation.settle_predictor
        logger.info(f"Training the settle predictor, hidden layers {hidden}")
        train_set, validation_set, test_set = ctx.splits

        def pair(split):
            return split.inputs, split.stable_mask[:, None].astype(np.float64)

        model = FeedForwardApproximation(ctx.network.n_neurons, hidden, 1)
        # A small, quick fit: 60 epochs of one restart at the [training] learning rate.
        training = ctx.config.training
        train(
            model, pair(train_set), validation=pair(validation_set), seed=ctx.config.seed,
            epochs=min(60, training.epochs), batch_size=4096, restarts=1,
            learning_rate=training.learning_rate, patience=training.patience,
        )  # fmt: skip
        predicted = model.predict(test_set.inputs)[:, 0] > 0.5
        truth = test_set.stable_mask
        metrics = SettleMetrics(
            n_test=int(len(truth)),
            fraction_settling=float(truth.mean()),
            accuracy=float((predicted == truth).mean()),
            recall_settling=float(predicted[truth].mean()) if truth.any() else None,
            recall_not_settling=float((~predicted[~truth]).mean()) if (~truth).any() else None,
            n_settling=int(truth.sum()),
            n_not_settling=int((~truth).sum()),
        )
        model.metadata["test"] = metrics.__dict__.copy()
        model.save(ctx.work / "models" / "settles")
        ctx.result.settle_predictor = metrics


# Run in this order; each one decides from the context whether it applies.
ANALYSES: tuple[Analysis, ...] = (
    Competition(),
    Oscillation(),
    NoiseRejection(),
    Capacity(),
    SettlePredictor(),
)
