"""A self-contained HTML page summarising a run (figures embedded as base64 PNG)."""

from __future__ import annotations

import base64
import html
from pathlib import Path

import numpy as np
import tomli_w

from ._config import ExperimentConfig
from ._network import RecurrentNetwork

CAPTIONS = {
    "fig_competition.png": (
        "Competition (Muir 2018, Fig. 2b). Partition A receives input alpha and partition B "
        "1 - alpha (top, shading). Solid: exact fixed-point responses of the recurrent "
        "network; dashed/dotted: the feed-forward approximations. Only one partition is "
        "active at each mixture. At the exact tie the symmetric fixed point is a saddle: the "
        "solver does not report it as stable, so the solid lines have a gap there."
    ),
    "fig_decision_boundary.png": (
        "Decision boundary (Muir 2018, Fig. 3). Held-out inputs projected on the summed input "
        "to each partition. Grey: the approximation picks the recurrent network's winner; "
        "orange: it does not; light: no partition active. Dashed: the ideal boundary "
        "iota_A = iota_B."
    ),
    "fig_random.png": (
        "Random Dale's-law networks of growing size N: the share of inputs per outcome of the "
        "recurrent dynamics, the approximation's error on stable inputs, and the cost per "
        "input of the exact solver (annotated with its 99th-percentile step count) and of the "
        "approximation, whose cost does not depend on what the input does."
    ),
    "fig_noise.png": (
        "Noise rejection. Clean signals plus Gaussian noise at several levels; each method's "
        "signal is its response to the clean input and its noise the change the input noise "
        "causes. Above the dotted line the method cleans its input. For a ring, the right "
        "panel decodes the bump's position (population vector) from the raw input, the "
        "recurrent network's fixed point and the approximation."
    ),
    "fig_example.png": (
        "One noisy input from the middle noise level (top) and the responses of the recurrent "
        "network (exact fixed point) and of each approximation (bottom)."
    ),
    "fig_training.png": "Adam training of each approximation (best restart; dotted: kept epoch).",
    "fig_capacity.png": (
        "Held-out relative RMSE and winner agreement against the number of parameters of each "
        "approximation: the curve to pick an architecture from."
    ),
    "fig_cost.png": (
        "Cost. Left: integration steps the exact solver needed per held-out input, which "
        "vary with the input. Middle: settle time against the gap between the partitions' "
        "summed inputs. "
        "Right: time per input of the exact solver and of one feed-forward pass (batched)."
    ),
}

SUMMARY_KEYS = (
    ("hidden", "hidden layers", "{}"),
    ("relative_rmse", "relative RMSE", "{:.2%}"),
    ("winner_agreement", "winner agreement", "{:.2%}"),
    ("winner_agreement_near_boundary", "agreement near boundary", "{:.2%}"),
    ("ideal_rule_agreement_approximation", "larger-input rule (approx.)", "{:.2%}"),
    (
        "oscillating_relative_rmse_to_time_average",
        "rel. RMSE vs time average (oscillating)",
        "{:.2%}",
    ),  # fmt: skip
    ("snr_gain_db_min", "smallest SNR gain (dB)", "{:.2f}"),
    ("snr_gain_db_min_recurrent", "smallest SNR gain, recurrent (dB)", "{:.2f}"),
    ("snr_gap_db", "largest SNR gap to recurrent (dB)", "{:.2f}"),
    ("position_error_gap", "largest position-error gap", "{:.1%}"),
    ("approximation_evals_per_s", "approx. evals / s", "{:,.0f}"),
    ("speedup", "speed-up vs exact solver", "{:,.0f}x"),
)

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;
margin:2rem auto;padding:0 1.2rem;color:#222;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:1px solid #ddd}
.sub{color:#666;margin-top:0}table{border-collapse:collapse;margin:.6rem 0;font-size:.92rem}
td,th{border:1px solid #ddd;padding:.3rem .6rem;text-align:right}
th{background:#f5f5f5}td:first-child,th:first-child{text-align:left}
figure{margin:1.2rem 0}figure img{max-width:100%;border:1px solid #eee}
figcaption{color:#444;font-size:.9rem;max-width:900px}
pre{background:#f7f7f7;padding:.8rem;overflow-x:auto;font-size:.85rem}
.cards{display:flex;gap:1rem;flex-wrap:wrap}.card{background:#f3f6fa;border-radius:6px;
padding:.6rem 1rem;min-width:170px}.card b{display:block;font-size:1.3rem}
"""


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return html.escape(str(value))


def _table(rows: list[list[str]], header: list[str]) -> str:
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _summary(models: dict) -> str:
    names = list(models)
    rows = []
    for key, label, fmt in SUMMARY_KEYS:
        if all(key in models[n] for n in names):
            rows.append([label] + [fmt.format(models[n][key]) for n in names])
    return _table(rows, ["", *names])


def _network_section(network: RecurrentNetwork) -> str:
    n = network.n_neurons
    weights = ""
    if n <= 12:
        rows = [[f"{j}"] + [f"{w:.3g}" for w in network.weights[j]] for j in range(n)]
        weights = "<p>Weights W[j, k] (onto j from k):</p>" + _table(
            rows, ["j \\ k", *map(str, range(n))]
        )
    params = _table(
        [
            ["form", network.form],
            ["neurons", str(n)],
            ["tau", np.array2string(network.tau, precision=3)],
            ["bias", np.array2string(network.bias, precision=3)],
            ["fingerprint", network.fingerprint()],
        ],
        ["", "value"],
    )
    return params + weights


def _settle_text(settle: dict | None) -> str:
    if not settle:
        return ""
    return (
        f" A separate classifier predicts whether an input settles: accuracy "
        f"{settle['accuracy']:.2%} on {settle['n_test']:,} held-out inputs "
        f"(recall {settle['recall_settling']:.2%} on settling, "
        f"{settle['recall_not_settling']:.2%} on non-settling inputs)."
    )


def _noise_section(sweep: dict | None) -> str:
    if not sweep:
        return ""
    keys = [k for k in sweep if k != "noise"]
    rows = [[k] + [_fmt(v) for v in sweep[k]] for k in keys]
    header = ["noise level sigma", *(f"{v:g}" for v in sweep["noise"])]
    return "<h2>Noise sweep</h2><p>SNR in dB; position errors in neuron spacings.</p>" + _table(
        rows, header
    )


def write_report(
    path: Path,
    config: ExperimentConfig,
    network: RecurrentNetwork,
    metrics: dict,
    figures: list[str],
) -> None:
    """Write ``report.html`` next to the figures named in ``figures`` (embedded inline)."""
    folder = Path(path).parent
    models = metrics["models"]
    first = next(iter(models.values()))
    counts = metrics["dataset"]["counts"]
    cards = [
        ("inputs solved", f"{metrics['dataset']['n_samples']:,}"),
        ("stable", f"{first['status_fractions']['stable']:.1%}"),
        ("exact fixed points / s", f"{first['solver_fixed_points_per_s']:,.0f}"),
        (
            "solver steps p50 / p99",
            f"{first['solver_steps_p50']:.0f} / {first['solver_steps_p99']:.0f}",
        ),
    ]
    if "ideal_rule_agreement_recurrent" in first:
        cards.append(
            ("recurrent picks larger input", f"{first['ideal_rule_agreement_recurrent']:.2%}")
        )
    card_html = "".join(f"<div class='card'>{k}<b>{v}</b></div>" for k, v in cards)
    figure_html = []
    for name in figures:
        data = base64.b64encode((folder / name).read_bytes()).decode()
        caption = html.escape(CAPTIONS.get(name, name))
        figure_html.append(
            f"<figure><img alt='{name}' src='data:image/png;base64,{data}'>"
            f"<figcaption><b>{name}</b>. {caption}</figcaption></figure>"
        )
    keys = sorted({k for block in models.values() for k in block if k != "status_fractions"})
    full = _table(
        [[k] + [_fmt(models[m].get(k, "")) for m in models] for k in keys], ["metric", *models]
    )
    machine = _table([[k, _fmt(v)] for k, v in metrics["machine"].items()], ["", ""])
    status = ", ".join(f"{name}: {c:,}" for name, c in counts.items())
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>ffapprox run: {html.escape(config.name)}</title>
<style>{STYLE}</style></head><body>
<h1>ffapprox run: {html.escape(config.name)}</h1>
<p class="sub">A recurrent rate network and its feed-forward approximations, compared on
held-out inputs (method: Muir, Neural Computation 30:546, 2018). Run took
{metrics["wall_seconds"]:.0f} s.</p>
<div class="cards">{card_html}</div>
<h2>Approximations at a glance</h2>{_summary(models)}
<p>Status of all sampled inputs: {status}. Only stable inputs are used for training
and error metrics.{_settle_text(metrics.get("settle_predictor"))}</p>
<h2>Figures</h2>{"".join(figure_html)}
{_noise_section(metrics.get("noise_sweep"))}
<h2>Network</h2>{_network_section(network)}
<h2>All metrics (held-out test split)</h2>{full}
<h2>Settings</h2><pre>{html.escape(tomli_w.dumps(config.to_dict()))}</pre>
<h2>Machine</h2>{machine}
</body></html>
"""
    Path(path).write_text(page)
