"""``ffapprox run``: network -> dataset -> trained approximations -> evaluation -> report."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tomli_w

from ._config import ExperimentConfig
from ._dataset import generate_dataset
from ._dynamics import default_step_size
from ._evaluation import (
    competition_metrics,
    error_metrics,
    machine_info,
    mixture_sweep,
    status_fractions,
    summed_inputs,
    throughput,
    time_averaged_rates,
)
from ._fixed_points import Status, solve_fixed_points
from ._io import write_json
from ._model import FeedForwardApproximation, export_onnx
from ._noise import noise_summary, noise_sweep
from ._plots import (
    capacity_figure,
    competition_figure,
    cost_figure,
    decision_boundary_figure,
    example_figure,
    noise_figure,
    training_figure,
)
from ._report import write_report
from ._setup import build_inputs, build_network, prepare_output
from ._sweep import run_sweep
from ._training import train

# Oscillating held-out inputs simulated for the time-averaged comparison (cost bound).
NOT_STABLE_SAMPLE = 2000


@dataclass
class Reporter:
    """How a run tells the user what it is doing (the CLI passes tqdm-backed callables)."""

    stage: Callable[[str], None] = lambda message: None
    bar: Callable[[int, str], contextlib.AbstractContextManager] = field(
        default=lambda total, description: contextlib.nullcontext(lambda n=1: None)
    )


def run_experiment(
    config: ExperimentConfig,
    out: str | Path,
    *,
    base: Path | None = None,
    reporter: Reporter | None = None,
) -> dict:
    """Run the whole experiment into the new folder ``out``; return the metrics dict."""
    reporter = reporter or Reporter()
    out = Path(out)
    if config.sweep is None:
        network, partitions = build_network(config.network, base)
        inputs = build_inputs(config.data, config.network, network.n_neurons)
    work = prepare_output(out)
    try:
        if config.sweep is None:
            metrics = _run(config, network, partitions, inputs, work, reporter)
        else:
            metrics = _run_sweep(config, work, reporter)
        if out.exists():
            out.rmdir()
        os.replace(work, out)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    return metrics


def _run_sweep(config, work: Path, reporter: Reporter) -> dict:
    started = time.perf_counter()
    (work / "config.toml").write_text(tomli_w.dumps(config.to_dict()))
    metrics, largest, figures = run_sweep(config, work, reporter)
    reporter.stage("Drawing figures and writing the report")
    for filename, figure in figures.items():
        figure.savefig(work / filename, dpi=130)
    metrics.update(
        settle_predictor=None, machine=machine_info(), wall_seconds=time.perf_counter() - started
    )
    write_json(work / "metrics.json", metrics)
    write_report(work / "report.html", config, largest, metrics, sorted(figures))
    return metrics


def _run(config, network, partitions, inputs, work: Path, reporter: Reporter) -> dict:
    started = time.perf_counter()
    seed, data = config.seed, config.data
    network.save(work / "network.npz")
    (work / "config.toml").write_text(tomli_w.dumps(config.to_dict()))

    reporter.stage(f"Solving {data.n_samples} inputs ({data.inputs}) for exact fixed points")
    with reporter.bar(data.n_samples, "fixed points") as update:
        dataset = generate_dataset(
            network,
            data.n_samples,
            inputs=inputs,
            seed=seed,
            max_time=data.max_time,
            progress=update,
        )
    dataset.save(work / "dataset.npz")
    train_set, validation_set, test_set = dataset.split(tuple(data.split), seed=seed)
    stable = test_set.stable_mask
    test_inputs, test_rates = test_set.inputs[stable], test_set.rates[stable]
    if len(test_inputs) == 0:
        raise ValueError("the test split has no stable inputs: increase data.n_samples")

    models, histories, predictions = {}, {}, {}
    (work / "models").mkdir()
    for spec in config.models:
        reporter.stage(f"Training {spec.name} approximation, hidden layers {spec.hidden}")
        model = FeedForwardApproximation(network.n_neurons, spec.hidden, network.n_neurons)
        settings = dataclasses.asdict(config.training) | spec.overrides()
        with reporter.bar(settings["epochs"], f"train {spec.name}") as update:
            histories[spec.name] = train(
                model,
                train_set,
                validation=validation_set,
                seed=seed,
                progress=lambda info: update(1),
                **settings,
            )
        model.save(work / "models" / spec.name)
        export_onnx(model, work / "models" / f"{spec.name}.onnx")
        models[spec.name] = model
        predictions[spec.name] = model.predict(test_inputs).astype(np.float64)

    settle = None
    hidden = config.evaluation.settle_predictor
    if hidden and not dataset.stable_mask.all():
        reporter.stage(f"Training the settle predictor, hidden layers {hidden}")
        settle = _settle_predictor(config, network, hidden, train_set, validation_set, test_set)
        settle.save(work / "models" / "settles")

    reporter.stage("Evaluating on held-out inputs and timing both methods")
    repeats = config.evaluation.timing_repeats
    timing_inputs = dataset.inputs[: config.evaluation.timing_inputs]
    solver_rate = throughput(lambda u: solve_fixed_points(network, u), timing_inputs, repeats)
    per_input = {"solver (exact)": 1.0 / solver_rate}
    steps = test_set.steps[stable]
    common = {
        "n_train": int(train_set.stable_mask.sum()),
        "n_validation": int(validation_set.stable_mask.sum()),
        "n_test": int(stable.sum()),
        "status_fractions": status_fractions(dataset.status),
        "solver_steps_p50": float(np.percentile(steps, 50)),
        "solver_steps_p99": float(np.percentile(steps, 99)),
        "solver_fixed_points_per_s": solver_rate,
    }
    oscillating = test_set.inputs[test_set.status == Status.OSCILLATING][:NOT_STABLE_SAMPLE]
    averaged = time_averaged_rates(network, oscillating) if len(oscillating) else None
    blocks = {}
    for name, model in models.items():
        block = dict(
            common, hidden=list(model.hidden), n_inputs=model.n_inputs, n_outputs=model.n_outputs
        )
        block.update(error_metrics(predictions[name], test_rates))
        if len(partitions) >= 2:
            block.update(
                competition_metrics(
                    test_inputs,
                    test_rates,
                    predictions[name],
                    partitions,
                    boundary_band=config.evaluation.boundary_band,
                )
            )
        if averaged is not None:
            away = error_metrics(model.predict(oscillating).astype(np.float64), averaged)
            block.update(
                n_test_oscillating=len(oscillating),
                oscillating_rmse_to_time_average=away["rmse"],
                oscillating_relative_rmse_to_time_average=away["relative_rmse"],
            )
        approx_rate = throughput(model.predict, timing_inputs, max(5, repeats))
        history = histories[name]
        block.update(
            approximation_evals_per_s=approx_rate,
            speedup=approx_rate / solver_rate,
            best_validation_loss=float(history.best_validation_loss),
            training_seconds=float(history.wall_time),
            training_converged=bool(history.converged),
        )
        blocks[name] = block
        per_input[f"approximation {name}"] = 1.0 / approx_rate

    figures = {}
    noise = None
    if data.inputs != "uniform" and config.evaluation.noise_levels:
        levels = config.evaluation.noise_levels
        reporter.stage(f"Noise sweep: {len(levels)} noise levels")
        noise = noise_sweep(
            network,
            {name: _float64(m) for name, m in models.items()},
            inputs,
            levels,
            n_inputs=config.evaluation.noise_inputs,
            seed=seed,
            max_time=data.max_time,
        )
        for name in models:
            blocks[name].update(noise_summary(noise, name))
        figures["fig_noise.png"] = noise_figure(noise, list(models))
        if "example" in noise:
            figures["fig_example.png"] = example_figure(noise.pop("example"), list(models))

    reporter.stage("Drawing figures and writing the report")
    gap = None
    if len(partitions) >= 2:
        sweep = mixture_sweep(
            network,
            {name: m.predict for name, m in models.items()},
            partitions,
            n_points=config.evaluation.sweep_points,
        )
        figures["fig_competition.png"] = competition_figure(sweep)
        figures["fig_decision_boundary.png"] = decision_boundary_figure(
            test_inputs, test_rates, predictions, partitions
        )
        drive = summed_inputs(test_inputs, partitions)
        gap = np.abs(drive[:, 0] - drive[:, 1])
    figures["fig_training.png"] = training_figure(histories)
    if len(blocks) >= 3:
        figures["fig_capacity.png"] = capacity_figure(blocks)
    settle_time = steps * default_step_size(network)
    figures["fig_cost.png"] = cost_figure(steps, settle_time, gap, per_input)
    for filename, figure in figures.items():
        figure.savefig(work / filename, dpi=130)

    metrics = {
        "name": config.name,
        "settle_predictor": settle.metadata["test"] if settle is not None else None,
        "network": {
            "n_neurons": network.n_neurons,
            "form": network.form,
            "fingerprint": network.fingerprint(),
            "partitions": partitions,
        },
        "dataset": {"n_samples": len(dataset), "counts": dataset.counts()},
        "models": blocks,
        "noise_sweep": noise,
        "machine": machine_info(),
        "wall_seconds": time.perf_counter() - started,
    }
    write_json(work / "metrics.json", metrics)
    write_report(work / "report.html", config, network, metrics, sorted(figures))
    return metrics


def _settle_predictor(config, network, hidden, train_set, validation_set, test_set):
    """A classifier of whether the recurrent network settles, fitted as a 0/1 regression."""

    def pair(split):
        return split.inputs, split.stable_mask[:, None].astype(np.float64)

    model = FeedForwardApproximation(network.n_neurons, hidden, 1)
    # A small, quick fit: 60 epochs of one restart at the [training] learning rate.
    settings = dataclasses.asdict(config.training) | {
        "epochs": min(60, config.training.epochs),
        "batch_size": 4096,
        "restarts": 1,
    }
    train(model, pair(train_set), validation=pair(validation_set), seed=config.seed, **settings)
    predicted = model.predict(test_set.inputs)[:, 0] > 0.5
    truth = test_set.stable_mask
    model.metadata["test"] = {
        "n_test": int(len(truth)),
        "fraction_settling": float(truth.mean()),
        "accuracy": float((predicted == truth).mean()),
        "recall_settling": float(predicted[truth].mean()),
        "recall_not_settling": float((~predicted[~truth]).mean()),
    }
    return model


def _float64(model: FeedForwardApproximation):
    return lambda inputs: model.predict(inputs).astype(np.float64)
