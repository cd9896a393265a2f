"""The single-network runner: network -> dataset -> approximations -> evaluation.

The packaged experiments ``competition``, ``capacity``, ``ring`` and ``noise-rejection``
(and a user's own network) are all this runner; what differs is the config, and which of
the analyses in :data:`ANALYSES` apply to it.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ..approx import export_onnx, train
from ..common import ProgressFactory, logger, machine_info, throughput
from ..data import check_dataset_memory, generate_dataset
from ..dynamics import solve_fixed_points
from ._analyses import ANALYSES
from ._config import ExperimentConfig
from ._context import RunContext
from ._figures import cost_figure, training_figure
from ._metrics import error_metrics, status_fractions
from ._results import (
    DatasetSummary,
    ModelMetrics,
    NetworkSummary,
    Outcome,
    RunResult,
    SolverSummary,
)
from ._setup import build_inputs, build_network


class SingleNetworkRunner:
    """Runs one configured network (see the module docstring)."""

    def __init__(self, config: ExperimentConfig, base: Path | None) -> None:
        self.config = config
        self.network, self.partitions = build_network(config.network, base)
        self.sampler = build_inputs(config.data, config.network, self.network.n_neurons)
        check_dataset_memory(config.data.n_samples, self.network.n_neurons)

    def run(self, work: Path, progress: ProgressFactory) -> Outcome:
        started = time.perf_counter()
        ctx = RunContext(self.config, self.network, self.partitions, self.sampler, work, progress)
        _solve_dataset(ctx)
        _train_models(ctx)
        solver = _evaluate(ctx)
        ctx.result = RunResult(
            name=self.config.name,
            network=NetworkSummary(
                self.network.n_neurons, self.network.form, self.network.fingerprint(),
                self.partitions,
            ),
            dataset=DatasetSummary(len(ctx.dataset), ctx.dataset.counts()),
            solver=solver,
            models=ctx.metrics,
        )  # fmt: skip
        for analysis in ANALYSES:
            if analysis.applies(ctx):
                analysis.run(ctx)
        steps = ctx.test.steps[ctx.test.stable_mask]
        # Settle times are not stored in datasets: solve the stable test inputs again.
        stable_inputs, _ = ctx.test_stable
        solved = solve_fixed_points(self.network, stable_inputs, method=self.config.data.method)
        settle_time = solved.settle_time.numpy()
        ctx.figures["fig_training.png"] = training_figure(ctx.histories)
        ctx.figures["fig_cost.png"] = cost_figure(steps, settle_time, ctx.input_gap, ctx.per_input)
        ctx.result.machine = machine_info()
        ctx.result.wall_seconds = time.perf_counter() - started
        return Outcome(ctx.result, ctx.figures, self.network)


def _solve_dataset(ctx: RunContext) -> None:
    config, data = ctx.config, ctx.config.data
    ctx.network.save(ctx.work / "network.npz")
    logger.info(f"Solving {data.n_samples} inputs ({data.inputs}) for exact fixed points")
    with ctx.progress(data.n_samples, "fixed points") as update:
        ctx.dataset = generate_dataset(
            ctx.network, data.n_samples, inputs=ctx.sampler, seed=config.seed,
            max_time=data.max_time, method=data.method, progress=update,
        )  # fmt: skip
    ctx.dataset.save(ctx.work / "dataset.npz")
    ctx.splits = ctx.dataset.split(tuple(data.split), seed=config.seed)
    if not ctx.test.stable_mask.any():
        raise ValueError("the test split has no stable inputs: increase data.n_samples")


def _train_models(ctx: RunContext) -> None:
    train_set, validation_set, _ = ctx.splits
    test_inputs, _ = ctx.test_stable
    (ctx.work / "models").mkdir()
    for spec in ctx.config.models:
        logger.info(f"Training {spec.name} approximation, hidden layers {spec.hidden}")
        model = spec.build(ctx.network)
        settings = spec.settings(ctx.config.training)
        with ctx.progress(settings["epochs"], f"train {spec.name}", "epoch") as update:
            ctx.histories[spec.name] = train(
                model, train_set, validation=validation_set, seed=ctx.config.seed,
                progress=lambda info: update(1), **settings,
            )  # fmt: skip
        model.save(ctx.work / "models" / spec.name)
        export_onnx(model, ctx.work / "models" / f"{spec.name}.onnx")
        ctx.models[spec.name] = model
        ctx.predictions[spec.name] = model.predict(test_inputs).astype(np.float64)


def _trust(metrics: ModelMetrics, model, stable: tuple, predictions: np.ndarray) -> None:
    """The share of held-out inputs the model vouches for, and the error on either side."""
    inputs, rates = stable
    trusted = model.trust(inputs)
    if trusted is None:
        return
    metrics.trusted_share = float(trusted.mean())
    for side, rows in (("trusted", trusted), ("untrusted", ~trusted)):
        if rows.any():
            error = error_metrics(predictions[rows], rates[rows]).relative_rmse
            setattr(metrics, f"relative_rmse_{side}", error)


def _evaluate(ctx: RunContext) -> SolverSummary:
    """Errors on the held-out stable inputs; solver and approximations timed alike."""
    logger.info("Evaluating on held-out inputs and timing both methods")
    evaluation, network = ctx.config.evaluation, ctx.network
    train_set, validation_set, test_set = ctx.splits
    timing_inputs = ctx.dataset.inputs[: evaluation.timing_inputs]
    solver_rate = throughput(
        lambda u: solve_fixed_points(network, u, method=ctx.config.data.method),
        timing_inputs,
        evaluation.timing_repeats,
    )
    ctx.per_input["solver (exact)"] = 1.0 / solver_rate
    steps = test_set.steps[test_set.stable_mask]
    _, test_rates = ctx.test_stable
    for spec in ctx.config.models:
        name, model = spec.name, ctx.models[spec.name]
        rate = throughput(model.predict, timing_inputs, max(5, evaluation.timing_repeats))
        history = ctx.histories[name]
        ctx.metrics[name] = ModelMetrics(
            hidden=list(spec.hidden), n_inputs=model.n_inputs, n_outputs=model.n_outputs,
            n_parameters=model.n_parameters,
            **error_metrics(ctx.predictions[name], test_rates)._asdict(),
            approximation_evals_per_s=rate, speedup=rate / solver_rate,
            best_validation_loss=float(history.best_validation_loss),
            training_seconds=float(history.wall_time),
            training_converged=bool(history.converged), family=model.family,
        )  # fmt: skip
        ctx.per_input[f"approximation {name}"] = 1.0 / rate
        _trust(ctx.metrics[name], model, ctx.test_stable, ctx.predictions[name])
    return SolverSummary(
        n_train=int(train_set.stable_mask.sum()),
        n_validation=int(validation_set.stable_mask.sum()),
        n_test=int(test_set.stable_mask.sum()),
        status_fractions=status_fractions(ctx.dataset.status),
        solver_steps_p50=float(np.percentile(steps, 50)),
        solver_steps_p99=float(np.percentile(steps, 99)),
        solver_fixed_points_per_s=solver_rate,
    )
