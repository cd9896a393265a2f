"""``ffapprox run --experiment random``: random networks of growing size, one report."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from ._builders import random_dale_network
from ._config import ExperimentConfig
from ._dataset import generate_dataset
from ._evaluation import error_metrics, status_fractions, throughput
from ._fixed_points import STATUS_NAMES, solve_fixed_points
from ._model import FeedForwardApproximation
from ._training import train

STATUS_COLOURS = ("#4c9f70", "#f0a202", "#d62728", "#8c8c8c")


def run_sweep(config: ExperimentConfig, work: Path, reporter) -> tuple[dict, object, dict]:
    """Solve, train and time one random Dale network per size; returns (metrics, largest
    network, figures)."""
    sweep, spec = config.sweep, config.models[0]
    settings = dataclasses.asdict(config.training) | spec.overrides()
    blocks, counts, network = {}, dict.fromkeys(STATUS_NAMES, 0), None
    for n, n_samples in zip(sweep.sizes, sweep.samples, strict=True):
        network = random_dale_network(n, gain=sweep.gain, seed=config.seed)
        reporter.stage(f"N = {n}: solving {n_samples} inputs")
        with reporter.bar(n_samples, f"N={n}") as update:
            data = generate_dataset(
                network, n_samples, seed=config.seed, max_time=config.data.max_time,
                progress=update,
            )  # fmt: skip
        for name, c in data.counts().items():
            counts[name] += c
        train_set, validation_set, test_set = data.split(
            tuple(config.data.split), seed=config.seed
        )
        block = {
            "n_neurons": n,
            "hidden": list(spec.hidden),
            "n_samples": n_samples,
            "status_fractions": status_fractions(data.status),
            "solver_steps_p50": float(np.percentile(test_set.steps, 50)),
            "solver_steps_p99": float(np.percentile(test_set.steps, 99)),
            "solver_fixed_points_per_s": throughput(
                lambda u, net=network: solve_fixed_points(net, u), test_set.inputs, 1
            ),
        }
        stable = test_set.stable_mask
        if train_set.stable_mask.sum() >= 10 and stable.any():
            reporter.stage(f"N = {n}: training hidden layers {spec.hidden}")
            model = FeedForwardApproximation(n, spec.hidden, n)
            train(model, train_set, validation=validation_set, seed=config.seed, **settings)
            block.update(
                error_metrics(model.predict(test_set.inputs[stable]), test_set.rates[stable])
            )
            rate = throughput(model.predict, test_set.inputs, 5)
            # Same cost whatever the input did: time stable and non-stable inputs apart.
            if (~stable).sum() >= 10:
                block["approximation_evals_per_s_not_stable"] = throughput(
                    model.predict, test_set.inputs[~stable], 5
                )
                block["approximation_evals_per_s_stable"] = throughput(
                    model.predict, test_set.inputs[stable], 5
                )
            block.update(
                approximation_evals_per_s=rate, speedup=rate / block["solver_fixed_points_per_s"]
            )
        blocks[f"N={n}"] = block
    metrics = {
        "name": config.name,
        "network": {"builder": "random_dale_network", "gain": sweep.gain, "sizes": sweep.sizes},
        "dataset": {"n_samples": int(sum(sweep.samples)), "counts": counts},
        "models": blocks,
    }
    return metrics, network, {"fig_random.png": sweep_figure(blocks)}


def sweep_figure(blocks: dict[str, dict]) -> Figure:
    """Outcomes, approximation error and cost per input against network size."""
    sizes = np.array([b["n_neurons"] for b in blocks.values()])
    fig = Figure(figsize=(13.0, 3.8), layout="constrained")
    outcome, error, cost = fig.subplots(1, 3)
    bottom = np.zeros(len(sizes))
    labels = [str(s) for s in sizes]
    for name, colour in zip(STATUS_NAMES, STATUS_COLOURS, strict=True):
        share = np.array([b["status_fractions"][name] for b in blocks.values()])
        outcome.bar(labels, share, bottom=bottom, color=colour, label=name)
        bottom += share
    outcome.set_xlabel("neurons N")
    outcome.set_ylabel("fraction of inputs")
    outcome.legend(fontsize=8, frameon=False)
    outcome.set_title("what the recurrent network does")
    fitted = [b for b in blocks.values() if "relative_rmse" in b]
    error.plot([b["n_neurons"] for b in fitted], [100 * b["relative_rmse"] for b in fitted], "o-")
    error.set_xscale("log")
    error.set_xlabel("neurons N")
    error.set_ylabel("relative RMSE on stable inputs (%)")
    error.set_title("approximation error")
    solver = [1e6 / b["solver_fixed_points_per_s"] for b in blocks.values()]
    cost.loglog(sizes, solver, "o-", color="#d62728", label="exact solver")
    cost.loglog(
        [b["n_neurons"] for b in fitted],
        [1e6 / b["approximation_evals_per_s"] for b in fitted],
        "s-",
        color="#1f77b4",
        label="approximation",
    )
    for size, us, block in zip(sizes, solver, blocks.values(), strict=True):
        cost.annotate(f"p99 {block['solver_steps_p99']:.0f} steps", (size, us), fontsize=7,
                      xytext=(3, 3), textcoords="offset points")  # fmt: skip
    cost.set_xlabel("neurons N")
    cost.set_ylabel(r"time per input ($\mu$s, batched)")
    cost.legend(fontsize=8, frameon=False)
    cost.set_title("cost per input")
    return fig
