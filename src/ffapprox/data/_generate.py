"""Generating a dataset: sample inputs, solve each one's fixed point, record provenance."""

from __future__ import annotations

import datetime

import numpy as np
import torch

from ..common import ProgressCallback, __version__, check_choice, check_integer, check_memory
from ..dynamics import (
    DEFAULT_MAX_TIME,
    DEFAULT_METHOD,
    SOLVERS,
    RecurrentNetwork,
    solve_fixed_points,
)
from ._dataset import FixedPointDataset
from ._inputs import (
    DEFAULT_HIGH,
    DEFAULT_LOW,
    SAMPLE_BLOCK,
    SignalPlusNoise,
    UniformInputs,
    draw_rows,
)
from ._store import DEFAULT_CHUNK_SIZE


def sample_inputs(
    n_neurons: int,
    n_samples: int,
    *,
    low: float = DEFAULT_LOW,
    high: float = DEFAULT_HIGH,
    seed: int = 0,
    start: int = 0,
) -> np.ndarray:
    """Rows ``start .. start + n_samples`` of the uniform input sequence for ``seed``.

    Row ``k`` is the same however the sequence is cut, so disjoint ranges generated apart
    concatenate to exactly the single-run sequence.
    """
    return draw_rows(UniformInputs(n_neurons, low, high), n_samples, seed=seed, start=start)


def generate_dataset(
    network: RecurrentNetwork,
    n_samples: int,
    *,
    low: float = DEFAULT_LOW,
    high: float = DEFAULT_HIGH,
    seed: int = 0,
    inputs: UniformInputs | SignalPlusNoise | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    max_time: float = DEFAULT_MAX_TIME,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    method: str = DEFAULT_METHOD,
    progress: ProgressCallback | None = None,
) -> FixedPointDataset:
    """Sample inputs (by default uniform in ``(low, high)^N``), solve each for its fixed point.

    This is the data of Muir (2018): each input ``i`` is held constant and the dynamics
    ``tau dx/dt = -x + W[x]^+ + i - b`` are run from rest with :func:`solve_fixed_points`;
    the stable fixed point's rates ``[x*]^+`` are the target, and inputs that oscillate,
    diverge or stay unresolved are marked by their status (rates NaN).

    The inputs depend only on ``seed`` (see :class:`UniformInputs`), and each input is solved
    independently: the same ``chunk_size`` gives the same bits. Across chunk sizes, states
    can differ in the last bits (~1e-15), because BLAS may sum a matrix product in an order
    that depends on how many rows it multiplies together; statuses and fixed points do not
    change short of a state within rounding of a decision threshold, while the adaptive
    method's step counts may (its step control sees the rounding; pass a solver with
    ``reproducible=True`` to :func:`solve_fixed_points` for bitwise batch independence).
    ``chunk_size`` bounds the solver's working memory.

    Arguments:
        network: the recurrent network.
        n_samples: number of inputs to draw (>= 1).
        low, high: bounds of the input cube (finite, ``low < high``).
        inputs: another input distribution, e.g. noisy bumps for a ring network
            (:class:`SignalPlusNoise`); ``low`` and ``high`` are then unused.
        seed: seed of the input sequence.
        chunk_size: inputs solved together.
        max_time, dtype, device, rtol, atol, method: passed to :func:`solve_fixed_points`.
        progress: called with the number of newly decided inputs (e.g. ``tqdm.update``).

    Returns:
        A :class:`FixedPointDataset` of ``n_samples`` rows, float64 arrays on the CPU.

    Raises:
        ValueError: for ``n_samples < 1``, non-finite bounds, ``low >= high``, a bad
            ``chunk_size`` or ``seed``, and for invalid solver settings.

    Example:
        >>> from ffapprox.networks import partitioned_network
        >>> data = generate_dataset(partitioned_network(), 100, seed=1)
        >>> len(data), data.counts()["stable"]
        (100, 100)
    """
    sampler = check_sampling(network, n_samples, inputs, low, high, chunk_size, seed)
    check_choice("method", method, list(SOLVERS))
    check_dataset_memory(n_samples, network.n_neurons)
    solver = {"max_time": max_time, "dtype": dtype, "device": device, "rtol": rtol, "atol": atol}
    solver["method"] = method
    parts = []
    for start in range(0, n_samples, chunk_size):
        rows = min(chunk_size, n_samples - start)
        parts.append(solve_rows(network, sampler, seed, start, rows, progress=progress, **solver))
    arrays = {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}
    metadata = dataset_metadata(network, sampler, seed, n_samples, solver)
    return FixedPointDataset(**arrays, metadata=metadata)


def check_dataset_memory(n_samples: int, n_neurons: int) -> None:
    """Refuse a dataset that cannot be held in memory (three float64 arrays of N columns,
    and the solver's working copies), naming the store to write instead."""
    check_memory(
        f"a dataset of {n_samples} inputs of {n_neurons} neurons",
        n_samples * (4 * 8 * n_neurons + 32),
        "write a chunked .zarr store instead (generate -o DATA.zarr, or generate_store)",
    )


def check_sampling(network, n_samples, inputs, low, high, chunk_size, seed):
    """Validate the sampling arguments of :func:`generate_dataset`; return the sampler."""
    check_integer("n_samples", n_samples, 1)
    n = network.n_neurons
    sampler = inputs if inputs is not None else UniformInputs(n, low, high)
    if not isinstance(sampler, UniformInputs | SignalPlusNoise) or sampler.n_neurons != n:
        raise ValueError(
            f"inputs must be a UniformInputs or SignalPlusNoise for {n} neurons, got {inputs!r}"
        )
    check_integer("chunk_size", chunk_size, 1)
    check_integer("seed", seed, 0)
    return sampler


def solve_rows(
    network: RecurrentNetwork,
    sampler,
    seed: int,
    start: int,
    n_rows: int,
    *,
    progress: ProgressCallback | None = None,
    **solver,
) -> dict[str, np.ndarray]:
    """Rows ``start .. start + n_rows`` of a dataset: inputs and their solved fixed points."""
    inputs = draw_rows(sampler, n_rows, seed=seed, start=start)
    result = solve_fixed_points(network, inputs, progress=progress, **solver)
    return {
        "inputs": inputs,
        "rates": result.rates.cpu().numpy().astype(np.float64),
        "state": result.state.cpu().numpy().astype(np.float64),
        "status": result.status.cpu().numpy(),
        "steps": result.steps.cpu().numpy(),
        "accepted_by": result.accepted_by.cpu().numpy(),
    }


def dataset_metadata(network, sampler, seed: int, n_samples: int, solver: dict) -> dict:
    """What a dataset was made from (stored with it; compared when a store is resumed)."""
    return {
        "network_fingerprint": network.fingerprint(),
        "n_neurons": network.n_neurons,
        "form": network.form,
        "seed": int(seed),
        "inputs": sampler.describe(),
        "n_samples": int(n_samples),
        "sample_block": SAMPLE_BLOCK,
        "solver": {
            "max_time": float(solver["max_time"]),
            "dtype": str(solver["dtype"]),
            "rtol": solver["rtol"],
            "atol": solver["atol"],
            "method": solver.get("method", DEFAULT_METHOD),
        },
        "ffapprox_version": __version__,
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }
