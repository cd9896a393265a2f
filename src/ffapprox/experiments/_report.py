"""``report.html``: a self-contained page summarising a run, rendered from its typed result
(figures embedded as base64 PNG)."""

from __future__ import annotations

import base64
import html
from collections.abc import Callable
from pathlib import Path

import numpy as np
import tomli_w

from ..common import json_ready
from ..dynamics import RecurrentNetwork
from ._captions import CAPTIONS, STYLE
from ._config import ExperimentConfig
from ._results import ExperimentResult, ModelMetrics, Outcome, RunResult, SweepResult, percent

# Rows of the "at a glance" table of a single-network run: label, value of a model (None
# when the model has no such figure; a row where no model has one is left out).
SUMMARY_ROWS: tuple[tuple[str, Callable[[ModelMetrics], str | None]], ...] = (
    ("hidden layers", lambda m: str(m.hidden)),
    ("relative RMSE", lambda m: percent(m.relative_rmse)),
    ("family", lambda m: m.family),
    ("inputs it vouches for", lambda m: m.trusted_share is not None and percent(m.trusted_share)),
    (
        "relative RMSE on those",
        lambda m: m.relative_rmse_trusted is not None and percent(m.relative_rmse_trusted),
    ),
    ("winner agreement", lambda m: m.competition and percent(m.competition.winner_agreement)),
    (
        "agreement near boundary",
        lambda m: m.competition and percent(m.competition.winner_agreement_near_boundary),
    ),
    (
        "Fig. 2b sweep: same winner",
        lambda m: (
            m.competition
            and m.competition.mixture_winner_agreement is not None
            and percent(m.competition.mixture_winner_agreement)
        ),
    ),
    (
        "Fig. 2b sweep: largest error (of the peak rate)",
        lambda m: (
            m.competition
            and m.competition.mixture_max_error is not None
            and percent(m.competition.mixture_max_error)
        ),
    ),
    (
        "larger-input rule (approx.)",
        lambda m: m.competition and percent(m.competition.ideal_rule_agreement_approximation),
    ),
    (
        "rel. RMSE vs time average (oscillating)",
        lambda m: (
            m.oscillating and percent(m.oscillating.oscillating_relative_rmse_to_time_average)
        ),
    ),
    ("smallest SNR gain (dB)", lambda m: m.noise and f"{m.noise.snr_gain_db_min:.2f}"),
    (
        "smallest SNR gain, recurrent (dB)",
        lambda m: m.noise and f"{m.noise.snr_gain_db_min_recurrent:.2f}",
    ),
    ("largest SNR gap to recurrent (dB)", lambda m: m.noise and f"{m.noise.snr_gap_db:.2f}"),
    (
        "largest position-error gap",
        lambda m: (
            m.noise
            and m.noise.position_error_gap is not None
            and f"{m.noise.position_error_gap:.1%}"
        ),
    ),
    (
        "inputs within 0.01 of the basin boundary",
        lambda m: m.boundary_bands and percent(m.boundary_bands[0].share_of_inputs),
    ),
    (
        "... their share of the squared error",
        lambda m: m.boundary_bands and percent(m.boundary_bands[0].share_of_squared_error),
    ),
    ("approx. evals / s", lambda m: f"{m.approximation_evals_per_s:,.0f}"),
    ("speed-up vs exact solver", lambda m: f"{m.speedup:,.0f}x"),
    ("training converged", lambda m: "yes" if m.training_converged else "no (see warning)"),
)


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return html.escape(str(value))


def html_table(rows: list[list[str]], header: list[str]) -> str:
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _cards(cards: list[tuple[str, str]]) -> str:
    return "".join(f"<div class='card'>{k}<b>{v}</b></div>" for k, v in cards)


def single_report(result: RunResult) -> tuple[str, str, str]:
    """Cards, the at-a-glance table and the status line of a single-network run."""
    solver, models = result.solver, result.models
    cards = [
        ("inputs solved", f"{result.dataset.n_samples:,}"),
        ("stable", f"{result.dataset.stable_fraction:.1%}"),
        ("exact fixed points / s", f"{solver.solver_fixed_points_per_s:,.0f}"),
        (
            "solver steps p50 / p99",
            f"{solver.solver_steps_p50:.0f} / {solver.solver_steps_p99:.0f}",
        ),
    ]
    competition = next(iter(models.values())).competition
    if competition is not None:
        cards.append(
            ("recurrent picks larger input", percent(competition.ideal_rule_agreement_recurrent))
        )
    rows = []
    for label, value in SUMMARY_ROWS:
        cells = [value(m) or "-" for m in models.values()]
        if any(c != "-" for c in cells):
            rows.append([label, *cells])
    settle = result.settle_predictor
    status = ", ".join(f"{name}: {c:,}" for name, c in result.dataset.counts.items())
    text = (
        f"Status of all sampled inputs: {status}. Only stable inputs are used for training "
        "and error metrics."
    )
    if settle is not None:
        text += (
            f" A separate classifier predicts whether an input settles: accuracy "
            f"{settle.accuracy:.2%} on {settle.n_test:,} held-out inputs (recall "
            f"{settle.recall_text()})."
        )
    return _cards(cards), html_table(rows, ["", *models]), text


def sweep_report(result: SweepResult) -> tuple[str, str, str]:
    """Cards, the per-size table and the status line of a size sweep: totals over all
    sizes in the cards, each size in its own row."""
    sizes = list(result.sizes.values())
    fitted = sum(s.fitted for s in sizes)
    cards = [
        ("inputs solved (all sizes)", f"{result.dataset.n_samples:,}"),
        ("stable (all sizes)", f"{result.dataset.stable_fraction:.1%}"),
        ("network sizes", ", ".join(str(s.n_neurons) for s in sizes)),
        ("approximations fitted", f"{fitted} of {len(sizes)}"),
    ]
    rows = [
        [
            str(s.n_neurons),
            " / ".join(f"{100 * v:.0f}" for v in s.status_fractions.values()),
            f"{s.solver_steps_p50:.0f} / {s.solver_steps_p99:.0f}",
            f"{s.solver_fixed_points_per_s:,.1f}",
            percent(s.relative_rmse) if s.fitted else html.escape(s.skipped or "not fitted"),
            "-" if s.speedup is None else f"{s.speedup:,.0f}x",
        ]
        for s in sizes
    ]
    header = [
        "N", "stable / osc. / div. / unres. (%)", "solver steps p50 / p99",
        "exact fixed points / s", "approx. relative RMSE (stable)", "speed-up",
    ]  # fmt: skip
    status = ", ".join(f"{name}: {c:,}" for name, c in result.dataset.counts.items())
    text = f"Status of all sampled inputs, all sizes together: {status}."
    return _cards(cards), html_table(rows, header), text


def _network_section(network: RecurrentNetwork) -> str:
    n = network.n_neurons
    weights = ""
    if n <= 12:
        rows = [[f"{j}"] + [f"{w:.3g}" for w in network.weights[j]] for j in range(n)]
        weights = "<p>Weights W[j, k] (onto j from k):</p>" + html_table(
            rows, ["j \\ k", *map(str, range(n))]
        )
    params = html_table(
        [
            ["form", network.form],
            ["neurons", str(n)],
            ["tau", np.array2string(network.tau, precision=3, threshold=20)],
            ["bias", np.array2string(network.bias, precision=3, threshold=20)],
            ["fingerprint", network.fingerprint()],
        ],
        ["", "value"],
    )
    return params + weights


def _noise_section(result) -> str:
    sweep = getattr(result, "noise_sweep", None)
    if sweep is None:
        return ""
    flat = sweep.to_json()
    rows = [[k] + [_fmt(v) for v in values] for k, values in flat.items() if k != "noise"]
    header = ["noise level sigma", *(f"{v:g}" for v in sweep.noise)]
    return (
        "<h2>Noise sweep</h2><p>SNR in dB; position errors in neuron spacings.</p>"
        + html_table(rows, header)
    )


def _figures(folder: Path, figures: list[str]) -> str:
    parts = []
    for name in figures:
        data = base64.b64encode((folder / name).read_bytes()).decode()
        caption = html.escape(CAPTIONS.get(name, name))
        parts.append(
            f"<figure><img alt='{name}' src='data:image/png;base64,{data}'>"
            f"<figcaption><b>{name}</b>. {caption}</figcaption></figure>"
        )
    return "".join(parts)


def write_report(
    path: Path,
    config: ExperimentConfig,
    outcome: Outcome,
    figures: list[str],
    summarise: Callable[[ExperimentResult], tuple[str, str, str]],
) -> None:
    """Write ``report.html`` next to the figures named in ``figures`` (embedded inline);
    ``summarise`` gives the result's cards, at-a-glance table and status line."""
    result = outcome.result
    cards, summary, status = summarise(result)
    metrics = result.to_json().get("models", {})
    keys = sorted({k for block in metrics.values() for k in block if k != "status_fractions"})
    full = html_table(
        [[k] + [_fmt(metrics[m].get(k, "")) for m in metrics] for k in keys], ["metric", *metrics]
    )
    machine = html_table([[k, _fmt(v)] for k, v in json_ready(result.machine).items()], ["", ""])
    name = html.escape(config.name)
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>ffapprox run: {name}</title>
<style>{STYLE}</style></head><body>
<h1>ffapprox run: {name}</h1>
<p class="sub">A recurrent rate network and its feed-forward approximations, compared on
held-out inputs (method: Muir, Neural Computation 30:546, 2018). Run took
{result.wall_seconds:.0f} s.</p>
<div class="cards">{cards}</div>
<h2>At a glance</h2>{summary}
<p>{status}</p>
<h2>Figures</h2>{_figures(Path(path).parent, figures)}
{_noise_section(result)}
<h2>Network</h2>{_network_section(outcome.network)}
<h2>All metrics (held-out test split)</h2>{full}
<h2>Settings</h2><pre>{html.escape(tomli_w.dumps(config.to_dict()))}</pre>
<h2>Machine</h2>{machine}
</body></html>
"""
    Path(path).write_text(page)
