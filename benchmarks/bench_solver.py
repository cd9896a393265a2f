"""Fixed points per second: ffapprox.solve_fixed_points against scipy solve_ivp.

Prints figures; never a test. Two networks:

* the paper's competitive network, ``partitioned_network()`` (N = 5), inputs uniform in
  (-1, 1)^5;
* a random 256-neuron network, Gaussian weights scaled to spectral radius 0.8.

ffapprox solves every input in one batched call (median of repeats). scipy integrates one
input at a time with RK45 (rtol 1e-8, atol 1e-10) until a terminal steady-state event
``max|dx/dt| <= 1e-6`` or ``t = max_time``, on a random subset; its per-input rate is
extrapolated. Run::

    python benchmarks/bench_solver.py            # full (a few minutes)
    python benchmarks/bench_solver.py --quick    # seconds
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy as np
import torch

from ffapprox import RecurrentNetwork, Status, solve_fixed_points
from ffapprox.bench._peers import solve_ivp_steady_state
from ffapprox.networks import partitioned_network

MAX_TIME = 500.0
# scipy's steady-state event: max |dx/dt| below this. RK45 at rtol 1e-8 leaves |dx/dt| at a
# noise floor of ~1e-8 to 1e-7 near a fixed point, so a 1e-8 event is missed for ~half the
# inputs (measured); 1e-6 puts the end state within ~1e-6 of the fixed point.
STEADY_FIELD = 1e-6


def scipy_fixed_points(network: RecurrentNetwork, inputs: np.ndarray) -> tuple[np.ndarray, int]:
    """Rates at the steady-state event (NaN where none occurred) and the number settled."""
    result = solve_ivp_steady_state(network, inputs, steady=STEADY_FIELD, max_time=MAX_TIME)
    rates = np.where(result.converged[:, None], np.maximum(result.state, 0), np.nan)
    return rates, int(result.converged.sum())


def _figure(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def bench(name: str, network: RecurrentNetwork, n_inputs: int, n_scipy: int, repeats: int, seed):
    rng = np.random.default_rng(seed)
    inputs = rng.uniform(-1, 1, size=(n_inputs, network.n_neurons))
    times, cpu_times = [], []
    for _ in range(repeats):
        start, cpu_start = time.perf_counter(), time.process_time()
        result = solve_fixed_points(network, inputs, max_time=MAX_TIME)
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
    ffapprox_time, ffapprox_cpu = statistics.median(times), statistics.median(cpu_times)

    subset = rng.choice(n_inputs, size=min(n_scipy, n_inputs), replace=False)
    start, cpu_start = time.perf_counter(), time.process_time()
    scipy_rates, scipy_settled = scipy_fixed_points(network, inputs[subset])
    scipy_time, scipy_cpu = time.perf_counter() - start, time.process_time() - cpu_start

    stable = (result.status == Status.STABLE).numpy()
    steps = result.steps.numpy()
    residual = result.residual.numpy()[stable]
    ours = result.rates.numpy()[subset]
    both = np.isfinite(scipy_rates[:, 0]) & stable[subset]
    difference = np.abs(ours[both] - scipy_rates[both]).max(1)
    # A different winner (basin) shows as an O(1) difference; report those separately.
    disagree = int((difference > 1e-3).sum())

    ffapprox_rate = n_inputs / ffapprox_time
    scipy_rate = len(subset) / scipy_time
    cpu_ratio = (n_inputs / ffapprox_cpu) / (len(subset) / scipy_cpu)
    rows = [
        ("network", f"{name} (N = {network.n_neurons}, {network.form})"),
        ("inputs (ffapprox / scipy subset)", f"{n_inputs:,} / {len(subset):,}"),
        (
            "ffapprox float64, median of " + str(repeats),
            f"{ffapprox_time:.3f} s wall, {ffapprox_cpu:.3f} s CPU",
        ),
        ("  fixed points per second", _figure(ffapprox_rate)),
        (
            "scipy RK45, one input at a time",
            f"{scipy_time:.3f} s wall, {scipy_cpu:.3f} s CPU for {len(subset)} inputs",
        ),
        ("  fixed points per second", _figure(scipy_rate)),
        ("speed-up (ffapprox / scipy), wall", _figure(ffapprox_rate / scipy_rate) + "x"),
        ("speed-up (ffapprox / scipy), process CPU", _figure(cpu_ratio) + "x"),
        ("status counts", ", ".join(f"{k} {v:,}" for k, v in result.counts().items())),
        ("max residual of stable results", f"{residual.max():.2e}" if residual.size else "n/a"),
        ("residual <= 1e-10", str(bool((residual <= 1e-10).all()))),
        (
            "solver steps p50 / p99 / max",
            "{:.0f} / {:.0f} / {:.0f}".format(*np.percentile(steps, [50, 99]), steps.max()),
        ),
        ("scipy settled (event) on subset", f"{scipy_settled} / {len(subset)}"),
        ("subset compared (both settled)", f"{int(both.sum())}"),
        ("  max |rates difference|", f"{difference.max():.2e}" if both.any() else "n/a"),
        ("  median |rates difference|", f"{np.median(difference):.2e}" if both.any() else "n/a"),
        ("  different winner (> 1e-3)", str(disagree)),
    ]
    width = max(len(k) for k, _ in rows)
    print("-" * (width + 50))
    for key, value in rows:
        print(f"{key:<{width}}  {value}")


def random_network(n: int, seed: int, radius: float = 0.8) -> RecurrentNetwork:
    rng = np.random.default_rng(seed)
    weights = rng.normal(size=(n, n)) / np.sqrt(n)
    weights *= radius / np.abs(np.linalg.eigvals(weights)).max()
    return RecurrentNetwork(weights)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-inputs", type=int, default=100_000, help="ffapprox inputs, N = 5")
    parser.add_argument("--scipy-inputs", type=int, default=300, help="scipy subset, N = 5")
    # Each input of an unstructured N = 256 network visits its own active sets, each costing
    # an O(N^3) Lyapunov solve (~0.2 s on one core): keep the default run to minutes.
    parser.add_argument("--large-inputs", type=int, default=100, help="ffapprox, N = 256")
    parser.add_argument("--large-scipy-inputs", type=int, default=20, help="scipy, N = 256")
    parser.add_argument("--repeats", type=int, default=3, help="ffapprox repeats, N = 5")
    parser.add_argument("--large-repeats", type=int, default=1, help="ffapprox repeats, N = 256")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args()
    if args.quick:
        args.n_inputs, args.scipy_inputs = 5_000, 30
        args.large_inputs, args.large_scipy_inputs, args.repeats = 10, 3, 1
    if args.threads:
        torch.set_num_threads(args.threads)
    print(
        f"ffapprox solver benchmark: torch {torch.__version__}, {torch.get_num_threads()} "
        f"threads, {platform.processor() or platform.machine()}, seed {args.seed}"
    )
    bench(
        "partitioned_network()",
        partitioned_network(),
        args.n_inputs,
        args.scipy_inputs,
        args.repeats,
        args.seed,
    )
    bench(
        "random Gaussian, spectral radius 0.8",
        random_network(256, args.seed),
        args.large_inputs,
        args.large_scipy_inputs,
        args.large_repeats,
        args.seed + 1,
    )


if __name__ == "__main__":
    main()
