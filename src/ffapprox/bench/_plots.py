"""The benchmark's figure: method comparison, scaling with batch and network size, roofline."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

SERIES_COLOURS = {"ffapprox float64": "#1f77b4", "approximation float32": "#d62728"}


def _series(entries: list[dict], method: str) -> tuple[np.ndarray, np.ndarray]:
    points = [(e["size"], e["throughput"]) for e in entries if e["method"] == method]
    points = [(s, t) for s, t in points if t]
    return np.array([p[0] for p in points]), np.array([p[1] for p in points])


def bench_figure(results: dict) -> Figure:
    """Four panels from :func:`run_bench`'s results; returns the Figure (saving is the
    caller's)."""
    fig = Figure(figsize=(12, 9), layout="constrained")
    (bars, batch), (size, roof) = fig.subplots(2, 2)
    methods = [m for m in results["methods"] if m.get("throughput")]
    names = [m["name"] for m in methods]
    rates = [m["throughput"] for m in methods]
    colours = ["#1f77b4" if m["kind"] == "exact" else "#d62728" if m["kind"] == "approximation"
               else "#7f7f7f" for m in methods]  # fmt: skip
    position = np.arange(len(methods))
    bars.barh(position, rates, color=colours)
    bars.set_yticks(position, names, fontsize=8)
    bars.invert_yaxis()
    bars.set_xscale("log")
    bars.set_xlabel("fixed points (or evaluations) per second")
    for k, m in enumerate(methods):
        within = m["accuracy"]["fraction_within"]
        bars.text(rates[k], k, f" {100 * within:.1f}% within 1e-6", va="center", fontsize=7)
    device = results["machine"]["device"]
    bars.set_title(f"Same {results['sizes']['n_inputs']} inputs, competitive network ({device})")

    for axis, key, label in (
        (batch, "batch_scaling", "batch size"),
        (size, "size_scaling", "network size N (random contraction)"),
    ):
        for method, colour in SERIES_COLOURS.items():
            x, y = _series(results[key], method)
            if len(x):
                axis.loglog(x, y, "o-", color=colour, label=method)
        axis.set_xlabel(label)
        axis.set_ylabel("per second")
        axis.legend(fontsize=8, frameon=False)
        axis.grid(True, which="major", alpha=0.3)
    batch.set_title("Throughput against batch size (competitive network)")
    size.set_title("Throughput against network size")

    roofline = results["roofline"]
    bandwidth = roofline["memory_bandwidth_bytes_per_second"]
    intensity = np.logspace(-1, 3, 100)
    roof.loglog(intensity, bandwidth * intensity, "k-", lw=1, label="memory bandwidth")
    for dtype, peak in roofline["matmul_flops_per_second"].items():
        roof.axhline(peak, color="0.4", ls="--", lw=1, label=f"matmul {dtype}")
    for k, variant in enumerate(roofline["variants"]):
        roof.loglog(
            variant["arithmetic_intensity"], variant["flops_per_second"], "o", ms=7,
            color=f"C{k + 3}",
            label=f"{variant['variant']}: {100 * variant['fraction_of_bandwidth_bound']:.0f}%"
            " of bandwidth bound",
        )  # fmt: skip
    roof.set_xlabel("arithmetic intensity (flop per input+output byte)")
    roof.set_ylabel("flop/s")
    roof.set_title("Approximation roofline at large batch")
    roof.legend(fontsize=7, frameon=False, loc="lower right")
    roof.grid(True, which="major", alpha=0.3)
    return fig
