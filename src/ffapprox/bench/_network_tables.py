"""Markdown tables of :func:`run_network` results: a summary of ratios and every entry."""

from __future__ import annotations

REFERENCE_METHOD = "ffapprox adaptive"
SUMMARY_FAMILIES = ("scipy RK45", "scipy LSODA", "torchdiffeq dopri5", "diffrax Tsit5")


def _ratio(result: dict, key: str | None, unit: str = "per_s_cpu") -> str:
    """ffapprox's throughput over ``key``'s, or why there is none."""
    ours = result["methods"].get(REFERENCE_METHOD)
    if ours is None:
        return "not run"
    if key is None:
        return "no setting matched"
    if key not in result["methods"]:
        return "not run"
    return f"{ours[unit] / result['methods'][key][unit]:.3g}x"


def summary_table(results: list[dict]) -> str:
    """One row per network: ffapprox's fixed points per second (CPU time) and its ratio to
    each peer family at that family's fastest setting matching the reference."""
    families = [*SUMMARY_FAMILIES, "ffapprox rk4"]
    header = ["network", "N", "inputs", "ffapprox / s (CPU)"] + [f"vs {f}" for f in families]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for result in results:
        ours = result["methods"].get(REFERENCE_METHOD)
        rate = f"{ours['per_s_cpu']:,.4g}" if ours else "not run"
        cells = [result["network"], str(result["n_neurons"]), str(result["n_inputs"]), rate]
        for family in families:
            if family not in result["best"]:
                cells.append("not run")
            else:
                cells.append(_ratio(result, result["best"][family]))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _number(value, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def entries_table(results: list[dict]) -> str:
    """Every method and setting: throughput (CPU and wall), ratios, agreement."""
    header = [
        "network", "method", "fixed points/s CPU", "wall", "ffapprox/it CPU", "wall",
        "statuses = reference", "max error", "other basin", "best setting",
    ]  # fmt: skip
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for result in results:
        best = set(result["best"].values())
        for key, entry in result["methods"].items():
            accuracy = entry["accuracy"]
            lines.append(
                "| " + " | ".join([
                    result["network"], key, f"{entry['per_s_cpu']:.4g}",
                    f"{entry['per_s_wall']:.4g}", _ratio(result, key),
                    _ratio(result, key, "per_s_wall"), f"{accuracy['status_agreement']:.2%}",
                    _number(accuracy["max_error"], ".1e"), str(accuracy["other_basin"]),
                    "yes" if key in best else "",
                ]) + " |"
            )  # fmt: skip
        for tag, compiled in result.get("diffrax_compile", {}).items():
            lines.append(
                f"| {result['network']} | diffrax compile {tag} (not timed above) | "
                f"{compiled['cpu_s']:.1f} s CPU | {compiled['wall_s']:.1f} s | | | | | | |"
            )
    return "\n".join(lines)
