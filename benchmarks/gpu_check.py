"""GPU check: the exact solver gives the same answers on CUDA as on the CPU, and its speed.

Run on a machine with CUDA: ``python benchmarks/gpu_check.py [BATCH ...]``. Prints one line
per check.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import torch

from ffapprox import RecurrentNetwork, solve_fixed_points
from ffapprox.networks import partitioned_network

# Batch sizes for the throughput part; override with arguments, e.g. `gpu_check.py 1e7 3e7`.
BATCHES = [int(float(a)) for a in sys.argv[1:]] or [10**5, 10**6, 10**7]


def _timed(func) -> tuple[float, object]:
    torch.cuda.synchronize()
    start = time.perf_counter()
    out = func()
    torch.cuda.synchronize()
    return time.perf_counter() - start, out


def main() -> None:
    print("device:", torch.cuda.get_device_name(0), "torch", torch.__version__)
    rng = np.random.default_rng(0)
    weights = rng.normal(size=(32, 32)) / np.sqrt(32)
    weights *= 0.8 / np.abs(weights).sum(1, keepdims=True).max()
    networks = {
        "partitioned": partitioned_network(),
        "slow-inhibition": partitioned_network(tau_I=1.0),
        "random-32": RecurrentNetwork(weights, tau=rng.uniform(0.5, 2, 32)),
        "rectified-32": RecurrentNetwork(weights, form="rectified-recurrent"),
    }
    for name, network in networks.items():
        inputs = rng.uniform(-1, 1, (4000, network.n_neurons))
        cpu = solve_fixed_points(network, inputs)
        gpu = solve_fixed_points(network, inputs, device="cuda")
        same_status = bool((cpu.status == gpu.status.cpu()).all())
        stable = (cpu.status == 0).numpy()
        diff = np.abs(cpu.rates.numpy()[stable] - gpu.rates.cpu().numpy()[stable]).max()
        print(
            f"{name}: counts cpu {cpu.counts()} gpu {gpu.counts()}; same status {same_status}; "
            f"max |rates cpu - gpu| {diff:.2e}; max gpu residual "
            f"{np.nanmax(gpu.residual.cpu().numpy()):.2e}"
        )
    network = partitioned_network()
    for dtype in (torch.float64, torch.float32):
        for n in BATCHES:
            inputs = torch.rand((n, 5), device="cuda", dtype=dtype) * 2 - 1
            solve_fixed_points(network, inputs[:1000], device="cuda", dtype=dtype)
            seconds, result = _timed(
                lambda inputs=inputs, dtype=dtype: solve_fixed_points(
                    network, inputs, device="cuda", dtype=dtype
                )
            )
            print(
                f"exact solver {str(dtype)[6:]} batch {n:>9,}: {n / seconds:,.0f} fixed points/s "
                f"({seconds:.2f} s), stable {result.counts()['stable']:,}"
            )


if __name__ == "__main__":
    main()
