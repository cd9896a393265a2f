"""Figures of the report. Each function returns a matplotlib Figure; saving is the caller's."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from ._partitions import summed_inputs, winners
from ._probes import Sweep
from ._results import ModelMetrics

PARTITION_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2")
MODEL_STYLES = ("--", ":", "-.")
AGREE, DISAGREE, SILENT = "#9e9e9e", "#ff7f0e", "#e0e0e0"
MAX_BACKGROUND_POINTS = 8000


def _thin(n: int, keep: int) -> np.ndarray:
    """A fixed, evenly spread selection of about ``keep`` of ``n`` rows."""
    return np.arange(n) % max(1, n // keep) == 0


def competition_figure(sweep: Sweep) -> Figure:
    """Muir (2018) Fig. 2b: partition responses to a linear input mixture (input as shading)."""
    fig = Figure(figsize=(7.5, 5.0), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(1, 3))
    a = sweep.alpha
    top.fill_between(a, 0, a, color="0.55", alpha=0.5, lw=0, label="input to A")
    top.fill_between(a, 0, 1 - a, color="0.8", alpha=0.6, lw=0, label="input to B")
    top.set_ylabel("input")
    top.legend(loc="upper center", ncol=2, fontsize=8, frameon=False)
    for p in range(sweep.recurrent.shape[1]):
        colour = PARTITION_COLOURS[p % len(PARTITION_COLOURS)]
        name = chr(ord("A") + p)
        bottom.plot(a, sweep.recurrent[:, p], color=colour, lw=2.2, label=f"{name} recurrent")
        for k, (model, rates) in enumerate(sweep.approximation.items()):
            style = MODEL_STYLES[k % len(MODEL_STYLES)]
            bottom.plot(a, rates[:, p], color=colour, ls=style, lw=1.5, label=f"{name} {model}")
    tie = sweep.alpha[np.argmin(np.abs(sweep.alpha - 0.5))]
    bottom.axvline(tie, color="0.5", lw=0.6, ls=(0, (2, 3)))
    bottom.set_xlabel(r"mixture $\alpha$ (A receives $\alpha$, B receives $1-\alpha$)")
    bottom.set_ylabel("mean partition rate")
    bottom.legend(fontsize=8, ncol=2, frameon=False)
    bottom.set_xlim(0, 1)
    fig.suptitle(
        "Competition between partitions: recurrent (solid) vs feed-forward (broken lines)"
    )
    return fig


def decision_boundary_figure(
    inputs: np.ndarray,
    recurrent_rates: np.ndarray,
    approx_rates: dict[str, np.ndarray],
    partitions: Sequence[Sequence[int]],
    near_boundary: np.ndarray | None = None,
) -> Figure:
    """Muir (2018) Fig. 3: held-out inputs on (summed input A, summed input B), misses orange;
    ``near_boundary`` (bool, for the first rows) marks inputs close to the true basin
    boundary."""
    models = list(approx_rates)
    fig = Figure(figsize=(4.6 * len(models), 4.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(models), sharey=True))
    drive = summed_inputs(inputs, partitions)
    truth = winners(recurrent_rates, partitions)
    lim = float(np.abs(drive[:, :2]).max()) * 1.02
    for ax, model in zip(axes, models, strict=True):
        guess = winners(approx_rates[model], partitions)
        silent, agree = truth < 0, (guess == truth) & (truth >= 0)
        wrong = (guess != truth) & (truth >= 0)
        # Thin the agreeing and silent points so the disagreements stay visible.
        silent &= _thin(len(truth), MAX_BACKGROUND_POINTS)
        shown_agree = agree & _thin(len(truth), MAX_BACKGROUND_POINTS)
        ax.scatter(*drive[silent, :2].T, s=2, c=SILENT, lw=0, label="no winner", rasterized=True)
        ax.scatter(
            *drive[shown_agree, :2].T, s=3, c=AGREE, lw=0, label="same winner", rasterized=True
        )
        ax.scatter(*drive[wrong, :2].T, s=9, c=DISAGREE, lw=0, label="different winner")
        if near_boundary is not None and near_boundary.any():
            close = drive[: len(near_boundary)][near_boundary, :2]
            ax.scatter(*close.T, s=14, marker="x", c="k", lw=0.6,
                       label="< 0.01 from the basin boundary")  # fmt: skip
        ax.plot([-lim, lim], [-lim, lim], "k--", lw=1, label=r"$\iota_A = \iota_B$")
        share = wrong.sum() / max(1, (truth >= 0).sum())
        ax.set_title(f"{model}: {wrong.sum()} of {(truth >= 0).sum()} differ ({share:.2%})")
        if agree.sum() > shown_agree.sum():
            ax.text(
                0.99,
                0.01,
                f"grey: {shown_agree.sum()} of {agree.sum()} shown",
                transform=ax.transAxes,
                ha="right",
                va="bottom",
                fontsize=7,
                color="0.4",
            )
        ax.set_xlabel(r"summed input to A, $\iota_A$")
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        ax.set_aspect("equal")
    axes[0].set_ylabel(r"summed input to B, $\iota_B$")
    axes[0].legend(fontsize=7, loc="lower left", markerscale=2)
    return fig


def training_figure(histories: dict[str, object]) -> Figure:
    """Training and validation loss per epoch for each model."""
    fig = Figure(figsize=(6.5, 4.0), layout="constrained")
    ax = fig.subplots()
    for k, (model, history) in enumerate(histories.items()):
        colour = PARTITION_COLOURS[k % len(PARTITION_COLOURS)]
        epochs = np.arange(1, len(history.train_loss) + 1)
        ax.semilogy(epochs, history.train_loss, color=colour, lw=1.2, label=f"{model} train")
        ax.semilogy(
            epochs, history.validation_loss, color=colour, ls="--", lw=1.2, label=f"{model} val"
        )
        ax.axvline(history.best_epoch, color=colour, lw=0.6, ls=":")
    ax.set_xlabel("epoch (best restart)")
    ax.set_ylabel("mean squared error")
    ax.legend(fontsize=8, frameon=False)
    ax.set_title("Training curves (dotted: kept checkpoint)")
    return fig


def cost_figure(
    steps: np.ndarray,
    settle_time: np.ndarray,
    input_gap: np.ndarray | None,
    per_input_seconds: dict[str, float],
) -> Figure:
    """Solver cost varies with the input; the approximation's does not."""
    panels = 3 if input_gap is not None else 2
    fig = Figure(figsize=(4.2 * panels, 3.8), layout="constrained")
    axes = fig.subplots(1, panels)
    bins = np.unique(np.geomspace(max(1, steps.min()), steps.max() + 1, 40).astype(int))
    axes[0].hist(steps, bins=bins, color="0.45")
    axes[0].set_xscale("log")
    axes[0].set_xlabel("integration steps until accepted (per input)")
    axes[0].set_ylabel("inputs")
    p50, p99 = np.percentile(steps, [50, 99])
    axes[0].set_title(f"solver: p50 {p50:.0f}, p99 {p99:.0f} steps")
    if input_gap is not None:
        ax = axes[1]
        ax.scatter(input_gap, settle_time, s=2, c="0.4", lw=0, rasterized=True)
        ax.set_xscale("symlog", linthresh=1e-2)
        ax.set_xlabel(r"$|\iota_A - \iota_B|$")
        ax.set_ylabel(r"settle time ($\tau$)")
        ax.set_title("settle time vs. partition input gap")
    ax = axes[-1]
    names = list(per_input_seconds)
    values = np.array([per_input_seconds[k] for k in names]) * 1e6
    colours = ["#d62728" if k.startswith("solver") else "#1f77b4" for k in names]
    ax.barh(names, values, color=colours)
    ax.set_xscale("log")
    ax.set_xlabel(r"time per input ($\mu$s, batched, this machine)")
    for y, v in enumerate(values):
        ax.text(v, y, f" {v:.3g}", va="center", fontsize=8)
    ax.set_title("cost per input")
    return fig


def capacity_figure(models: dict[str, ModelMetrics]) -> Figure:
    """Error and winner agreement against the number of parameters, one point per model."""
    fig = Figure(figsize=(9.0, 3.8), layout="constrained")
    left, right = fig.subplots(1, 2)
    for name, model in models.items():
        params = model.n_parameters
        marker = "o^sD"[min(len(model.hidden), 4) - 1]
        points = [(left, 100 * model.relative_rmse, "#1f77b4")]
        if model.competition is not None:
            points.append((right, 100 * model.competition.winner_agreement, "#d62728"))
        for ax, value, colour in points:
            ax.scatter(params, value, marker=marker, c=colour)
            ax.annotate(
                name, (params, value), fontsize=7, xytext=(3, 3), textcoords="offset points"
            )
    for ax, label in ((left, "relative RMSE (%)"), (right, "winner agreement (%)")):
        ax.set_xscale("log")
        ax.set_xlabel("parameters (circle: 1 hidden layer, triangle: 2, square: 3)")
        ax.set_ylabel(label)
    left.set_yscale("log")
    fig.suptitle("Approximation quality against size (held-out inputs)")
    return fig


def _band_label(low: float, high: float) -> str:
    if low == 0:
        return f"< {high:g}"
    return f">= {low:g}" if high == np.inf else f"{low:g}-{high:g}"


def boundary_figure(models: dict[str, ModelMetrics]) -> Figure:
    """Where the error sits: share of held-out inputs and of each model's squared error by
    distance to the recurrent network's basin boundary."""
    fig = Figure(figsize=(7.5, 3.8), layout="constrained")
    ax = fig.subplots()
    first = next(m for m in models.values() if m.boundary_bands)
    labels = [_band_label(b.low, b.high) for b in first.boundary_bands]
    x = np.arange(len(labels))
    width = 0.8 / (1 + len(models))
    ax.bar(x, [100 * b.share_of_inputs for b in first.boundary_bands], width, color="0.7",
           label="share of inputs")  # fmt: skip
    for k, (name, model) in enumerate(models.items(), start=1):
        colour = PARTITION_COLOURS[(k - 1) % len(PARTITION_COLOURS)]
        shares = [100 * b.share_of_squared_error for b in model.boundary_bands or []]
        ax.bar(x + k * width, shares, width, color=colour, label=f"{name}: share of squared error")
    ax.set_xticks(x + 0.5 * width * len(models), labels)
    ax.set_xlabel("distance to the recurrent network's basin boundary")
    ax.set_ylabel("%")
    ax.legend(fontsize=8, frameon=False)
    ax.set_title("Where the approximation's error sits")
    return fig
