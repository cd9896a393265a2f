"""The figure, the command-line summary and the report's top of a scaling study."""

from __future__ import annotations

import html

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from ._figures import PARTITION_COLOURS
from ._results import percent
from ._scale_results import ScaleResult


def scale_figure(result: ScaleResult) -> Figure:
    """Per network: relative RMSE against training samples, and against cost per input."""
    names = list(result.networks)
    fig = Figure(figsize=(8.0, 3.0 * len(names)), layout="constrained")
    axes = np.atleast_2d(fig.subplots(len(names), 2, squeeze=False))
    for row, name in enumerate(names):
        network = result.networks[name]
        models = list(dict.fromkeys(p.model for p in network.points))
        samples_ax, cost_ax = axes[row]
        for k, model in enumerate(models):
            points = [p for p in network.points if p.model == model]
            colour = PARTITION_COLOURS[k % len(PARTITION_COLOURS)]
            errors = [100 * p.relative_rmse for p in points]
            samples_ax.loglog([p.n_train for p in points], errors, "o-", color=colour, label=model)
            costs = [1e6 / p.evals_per_s for p in points]
            cost_ax.loglog(costs, errors, "o", color=colour, label=model)
        cost_ax.axvline(1e6 / network.solver_fixed_points_per_s, color="k", ls="--", lw=1,
                        label="exact solver")  # fmt: skip
        samples_ax.set_title(f"{name} (N = {network.n_neurons}, {network.inputs} inputs)")
        samples_ax.xaxis.set_minor_formatter(NullFormatter())  # labels of 2e3, 3e3, ... overlap
        samples_ax.set_xlabel("stable training samples")
        samples_ax.set_ylabel("relative RMSE (%)")
        cost_ax.set_xlabel(r"time per input ($\mu$s, batched)")
        cost_ax.legend(fontsize=7, frameon=False)
    return fig


def _best(network) -> object | None:
    points = [p for p in network.points if np.isfinite(p.relative_rmse)]
    return min(points, key=lambda p: p.relative_rmse, default=None)


def scale_summary(result: ScaleResult) -> list[str]:
    """One line per network and model: error at the largest training set, speed-up."""
    lines = []
    for name, network in result.networks.items():
        stable = network.dataset.stable_fraction
        lines.append(f"{name} (N = {network.n_neurons}): {stable:.1%} of inputs stable")
        for model in dict.fromkeys(p.model for p in network.points):
            point = max((p for p in network.points if p.model == model), key=lambda p: p.n_train)
            trusted = (
                "" if point.trusted_share is None
                else f", vouches for {percent(point.trusted_share)}"
            )  # fmt: skip
            lines.append(
                f"  {model:>20}: {percent(point.relative_rmse)} relative RMSE with "
                f"{point.n_train:,} samples, {point.speedup:,.1f}x the exact solver{trusted}"
            )
    lines.append(f"run took {result.wall_seconds:.0f} s.")
    return lines


def scale_report(result: ScaleResult) -> tuple[str, str, str]:
    """Cards (the best point of each network), the table of every point, a status line."""
    cards = []
    for name, network in result.networks.items():
        best = _best(network)
        if best is not None:
            cards.append(
                f"<div class='card'>{html.escape(name)}: {html.escape(best.model)}"
                f"<b>{percent(best.relative_rmse)}</b></div>"
            )
    header = ["network", "model", "family", "samples", "relative RMSE", "vouches for",
              "RMSE on those", "speed-up", "converged"]  # fmt: skip
    rows = []
    for name, network in result.networks.items():
        for p in network.points:
            rows.append([
                name, p.model, p.family, f"{p.n_train:,}", percent(p.relative_rmse),
                percent(p.trusted_share), percent(p.relative_rmse_trusted),
                f"{p.speedup:,.1f}x", "yes" if p.converged else "no",
            ])  # fmt: skip
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows
    )
    status = "; ".join(
        f"{name}: {network.dataset.stable_fraction:.1%} stable"
        for name, network in result.networks.items()
    )
    return "".join(cards), f"<table><tr>{head}</tr>{body}</table>", f"Inputs: {status}."
