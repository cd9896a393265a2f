"""Exact fixed points per second on the networks users run: ffapprox against scipy
(solve_ivp RK45 and LSODA, per input), torchdiffeq (dopri5, batched) and diffrax (Tsit5,
jit + vmap), at equal final accuracy. See ffapprox.bench._networks for the protocol.

    python benchmarks/bench_networks.py                       # every network
    python benchmarks/bench_networks.py dale256 --repeats 3 --out results.json

One thread for every method (set below, before numpy, torch and jax load). Needs the bench
extra: pip install -e ".[bench]" (jax and diffrax included).
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_variable] = "1"
os.environ["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"

import argparse  # noqa: E402
import sys  # noqa: E402

import torch  # noqa: E402

from ffapprox.bench._network_tables import entries_table, summary_table  # noqa: E402
from ffapprox.bench._networks import NETWORKS, run_network  # noqa: E402
from ffapprox.common import machine_info, write_json  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("networks", nargs="*", help=f"some of {', '.join(NETWORKS)} (all)")
    parser.add_argument("--inputs", type=int, help="Inputs per network (default: its own).")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default="bench-networks.json")
    parser.add_argument("--no-rk4", action="store_true", help="Leave out the rk4 method.")
    args = parser.parse_args()
    unknown = sorted(set(args.networks) - set(NETWORKS))
    if unknown:
        parser.error(f"unknown network {unknown[0]!r}; choose from {', '.join(NETWORKS)}")
    torch.set_num_threads(1)
    methods = ("adaptive",) if args.no_rk4 else ("adaptive", "rk4")
    results = []
    for name in args.networks or list(NETWORKS):
        results.append(
            run_network(
                name, repeats=args.repeats, methods=methods, count=args.inputs,
                progress=lambda m: print(m, file=sys.stderr, flush=True),
            )
        )  # fmt: skip
        write_json(args.out, {"machine": machine_info(), "results": results})
    print(summary_table(results))
    print()
    print(entries_table(results))


if __name__ == "__main__":
    main()
