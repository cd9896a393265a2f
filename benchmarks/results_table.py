"""Print the method table of one or more ``bench.json`` files as Markdown (for RESULTS.md).

Usage: ``python benchmarks/results_table.py CPU/bench.json [GPU/bench.json]``
"""

from __future__ import annotations

import json
import sys


def _g(value) -> str:
    return "-" if value is None else f"{value:.3g}"


def main(paths: list[str]) -> None:
    runs = [json.load(open(p)) for p in paths]
    devices = [r["machine"].get("gpu") or r["machine"]["device"] for r in runs]
    print("| method | " + " | ".join(f"{d} per s" for d in devices) + " | max \\|dx/dt\\| | "
          "max \\|dr\\| | within 1e-6 | converged / failed |")  # fmt: skip
    print("|---" * (5 + len(runs)) + "|")
    for k, method in enumerate(runs[0]["methods"]):
        rates = []
        for run in runs:
            m = run["methods"][k]
            rates.append(_g(m["throughput"]) if m["available"] else "unavailable")
        if not method["available"]:
            print(f"| {method['name']} | " + " | ".join(rates) + " | | | | |")
            continue
        a, o = method["accuracy"], method["outcomes"]
        print(
            f"| {method['name']} | " + " | ".join(rates) + f" | {_g(a['max_residual'])} | "
            f"{_g(a['max_abs_error'])} | {100 * a['fraction_within']:.2f} % | "
            f"{o['converged']} / {o['failed']} |"
        )
    for run, device in zip(runs, devices, strict=True):
        print(f"\n{device} summary: " + json.dumps(run["summary"]))


if __name__ == "__main__":
    main(sys.argv[1:])
