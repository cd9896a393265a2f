"""Exact fixed points of the networks users run, ffapprox against the ODE tools they would
otherwise use, at equal final accuracy (``benchmarks/bench_networks.py`` drives it).

Every method gets the same inputs (uniform in (-1, 1)^N). ffapprox's answers are taken as
they are; every peer's final state is first polished by one exact solve on its final
active set (:func:`polish`), so that all answers are exact and only speed differs. Each
peer runs at three tolerance settings and is compared at its fastest setting whose polished
answers match the tight reference (statuses on >= 99.9 % of inputs, no input in another
basin); a ratio is only given when both of its parts were measured. Repeats are
interleaved (method A, B, C, A, B, C, ...); times are medians of process CPU time and of
wall time.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import torch

from ..dynamics import DEFAULT_MAX_TIME, Acceptance, Status, solve_fixed_points
from ..networks import partitioned_network, random_dale_network, ring_network
from ._ode_peers import DiffraxSteadyState, odeint_steady_state, solve_ivp_steady_state
from ._reference import judge, polish, reference

# name -> (network, number of inputs); every method is timed on all of them.
NETWORKS: dict[str, tuple[Callable, int]] = {
    "partitioned5": (lambda: partitioned_network(), 500),
    "ring32": (lambda: ring_network(32), 200),
    "dale64": (lambda: random_dale_network(64, gain=1.0), 100),
    "dale256": (lambda: random_dale_network(256, gain=1.0), 40),
    "dale1024": (lambda: random_dale_network(1024, gain=1.0), 6),
}
# Peer tolerance settings: "A" the usual 1e-6 steady state, "B" the same with a tight atol
# (no noise floor near the fixed point), "C" tight throughout.
PEER_SETTINGS = {
    "A": {"rtol": 1e-6, "atol": 1e-8, "steady": 1e-6},
    "B": {"rtol": 1e-6, "atol": 1e-10, "steady": 1e-6},
    "C": {"rtol": 1e-8, "atol": 1e-10, "steady": 1e-8},
}
# Agreement a peer setting needs to count (fraction of statuses equal to the reference's).
MATCH = 0.999


def inputs_for(name: str, n_neurons: int, count: int) -> np.ndarray:
    seed = sum(map(ord, name))
    return np.random.default_rng(seed).uniform(-1.0, 1.0, (count, n_neurons))


def _peers(network, inputs: np.ndarray, max_time: float, available: set[str]) -> dict:
    """name -> (family, callable returning (answer, claimed stable, own claim count))."""
    table = {}
    x = torch.as_tensor(inputs)

    def polished(result):
        p = polish(network, inputs, np.nan_to_num(result.state, nan=-1.0))
        stable = p.consistent & (p.max_real < 0) & np.isfinite(result.state).all(1)
        return p.state, stable, int(np.sum(result.converged))

    for tag, settings in PEER_SETTINGS.items():
        for method in ("RK45", "LSODA"):
            table[f"scipy {method} {tag}"] = (f"scipy {method}", lambda m=method, s=settings: (
                polished(solve_ivp_steady_state(network, inputs, method=m, max_time=max_time,
                                                **s))))  # fmt: skip
        if "torchdiffeq" in available:
            table[f"torchdiffeq dopri5 {tag}"] = ("torchdiffeq dopri5", lambda s=settings: (
                polished(odeint_steady_state(network, x, max_time=max_time, **s))))  # fmt: skip
    return table


def _diffrax(network, inputs, max_time: float, progress) -> tuple[dict, dict]:
    """diffrax entries (compiled and warmed up here) and their compile times."""
    table, compiled = {}, {}
    for tag, settings in PEER_SETTINGS.items():
        progress(f"diffrax {tag}: compiling")
        cpu, wall = time.process_time(), time.perf_counter()
        peer = DiffraxSteadyState(network, max_time=max_time, **settings)
        peer(inputs)
        compiled[tag] = {"cpu_s": time.process_time() - cpu, "wall_s": time.perf_counter() - wall}

        def run(peer=peer):
            result = peer(inputs)
            p = polish(network, inputs, np.nan_to_num(result.state, nan=-1.0))
            stable = p.consistent & (p.max_real < 0) & np.isfinite(result.state).all(1)
            return p.state, stable, int(np.sum(result.converged))

        table[f"diffrax Tsit5 {tag}"] = ("diffrax Tsit5", run)
    return table, compiled


def _ffapprox(network, inputs, max_time: float, methods: list[str]) -> dict:
    table = {}
    for method in methods:

        def run(method=method):
            result = solve_fixed_points(network, inputs, max_time=max_time, method=method)
            stable = result.status.numpy() == Status.STABLE
            return result.state.numpy(), stable, result.accepted_by.numpy()

        table[f"ffapprox {method}"] = (f"ffapprox {method}", run)
    return table


def _time(func) -> tuple[object, float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    out = func()
    return out, time.process_time() - cpu, time.perf_counter() - wall


def run_network(
    name: str,
    *,
    repeats: int = 3,
    methods: tuple[str, ...] = ("adaptive", "rk4"),
    peers: tuple[str, ...] = ("scipy", "torchdiffeq", "diffrax"),
    max_time: float = DEFAULT_MAX_TIME,
    count: int | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> dict:
    """Time every method on network ``name`` of :data:`NETWORKS`; a JSON-ready dict.

    ffapprox methods run ``repeats`` times; the slower peers (scipy, torchdiffeq, the rk4
    method) once, interleaved with the first repeat. ``count`` overrides the number of
    inputs.
    """
    build, default_count = NETWORKS[name]
    count = count or default_count
    network = build()
    inputs = inputs_for(name, network.n_neurons, count)
    progress(f"{name}: tight reference (DOP853 rtol 1e-10) on {count} inputs")
    ref, ref_cpu, _ = _time(lambda: reference(network, inputs, max_time))
    table = _ffapprox(network, inputs, max_time, list(methods))
    if "scipy" in peers:
        table |= _peers(network, inputs, max_time, set(peers))
    compiled = {}
    if "diffrax" in peers:
        diffrax_table, compiled = _diffrax(network, inputs, max_time, progress)
        table |= diffrax_table
    slow = {k for k in table if not k.startswith(("ffapprox adaptive", "diffrax"))}
    times, outputs = {k: [] for k in table}, {}
    for repeat in range(repeats):
        for key, (_, func) in table.items():
            if repeat and key in slow:
                continue
            outputs[key], cpu, wall = _time(func)
            times[key].append((cpu, wall))
            progress(f"{name}: {key}, repeat {repeat + 1}: {cpu:.2f} s CPU, {wall:.2f} s wall")
    return _summarise(name, network, inputs, ref, ref_cpu, table, times, outputs, compiled)


def _summarise(name, network, inputs, ref, ref_cpu, table, times, outputs, compiled) -> dict:
    entries = {}
    for key, (family, _) in table.items():
        answer, stable, extra = outputs[key]
        cpu = float(np.median([t[0] for t in times[key]]))
        wall = float(np.median([t[1] for t in times[key]]))
        entry = {
            "family": family,
            "cpu_s": cpu,
            "wall_s": wall,
            "per_s_cpu": len(inputs) / cpu,
            "per_s_wall": len(inputs) / wall,
            "repeats": len(times[key]),
            "accuracy": judge(network, inputs, answer, stable, ref),
        }
        if key.startswith("ffapprox"):
            entry["certified"] = int((extra == Acceptance.CERTIFIED).sum())
            entry["converged"] = int((extra == Acceptance.CONVERGED).sum())
        else:
            entry["own_steady_claims"] = extra
        entries[key] = entry
    return {
        "network": name,
        "n_neurons": network.n_neurons,
        "n_inputs": len(inputs),
        "reference_cpu_s": ref_cpu,
        "reference_status_counts": np.bincount(ref["status"], minlength=len(Status)).tolist(),
        "methods": entries,
        "best": best_settings(entries),
        "diffrax_compile": compiled,
    }


def best_settings(entries: dict) -> dict[str, str | None]:
    """Per peer family, its fastest (CPU) setting that matches the reference, or None."""
    best: dict[str, str | None] = {}
    for key, entry in entries.items():
        family, accuracy = entry["family"], entry["accuracy"]
        best.setdefault(family, None)
        if accuracy["status_agreement"] < MATCH or accuracy["other_basin"]:
            continue
        current = best[family]
        if current is None or entry["per_s_cpu"] > entries[current]["per_s_cpu"]:
            best[family] = key
    return best
