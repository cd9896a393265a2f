"""Training data for the approximation: sampled inputs and their recurrent fixed points."""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ._checks import check_integer
from ._fixed_points import Status, count_status, solve_fixed_points
from ._inputs import SAMPLE_BLOCK, SignalPlusNoise, UniformInputs, draw_rows
from ._network import RecurrentNetwork


@dataclass(frozen=True, eq=False)
class FixedPointDataset:
    """Sampled inputs with the recurrent network's response, one row per input.

    Attributes:
        inputs: every sampled input, (S, N) float64.
        rates: the response ``[x*]^+`` at the stable fixed point, (S, N_out) float64; NaN
            where the input has no stable fixed point.
        state: the fixed point ``x*`` itself, (S, N) float64; NaN where not stable.
        status: :class:`Status` code of each input, (S,) int8.
        steps: solver steps spent on each input, (S,) int64.
        metadata: JSON-able provenance (network fingerprint, sampling and solver settings).

    Only the ``stable`` rows are training data (Muir 2018 discards inputs without a stable
    fixed point); the others are kept so that the discarded fraction can be reported.

    Raises:
        ValueError: for arrays of mismatched shapes, non-finite inputs, or non-finite
            rates or state in a stable row.
    """

    inputs: np.ndarray
    rates: np.ndarray
    state: np.ndarray
    status: np.ndarray
    steps: np.ndarray
    metadata: dict

    def __post_init__(self) -> None:
        n = len(self.inputs)
        for name in ("inputs", "rates", "state"):
            array = getattr(self, name)
            if array.ndim != 2 or len(array) != n:
                raise ValueError(f"{name} must have shape ({n}, N), got shape {array.shape}")
        for name in ("status", "steps"):
            if getattr(self, name).shape != (n,):
                raise ValueError(f"{name} must have shape ({n},), got {getattr(self, name).shape}")
        bad = ~np.isfinite(self.inputs).all(1)
        if bad.any():
            raise ValueError(
                f"inputs must be finite, got NaN or inf in {int(bad.sum())} rows "
                f"(first: row {int(np.argmax(bad))})"
            )
        stable = self.stable_mask
        for name in ("rates", "state"):
            bad = stable & ~np.isfinite(getattr(self, name)).all(1)
            if bad.any():
                raise ValueError(
                    f"{name} of stable inputs must be finite, got NaN or inf in "
                    f"{int(bad.sum())} rows (first: row {int(np.argmax(bad))})"
                )
        for name in ("inputs", "rates", "state", "status", "steps"):
            array = np.array(getattr(self, name))  # a private, read-only copy
            array.setflags(write=False)
            object.__setattr__(self, name, array)

    @property
    def stable_mask(self) -> np.ndarray:
        """Boolean (S,): inputs that reached a stable fixed point."""
        return self.status == int(Status.STABLE)

    def counts(self) -> dict[str, int]:
        """Number of inputs per status name (they add up to ``len(self)``)."""
        return count_status(self.status)

    def subset(self, index) -> FixedPointDataset:
        """The rows selected by ``index`` (integer array, slice or boolean mask)."""
        return FixedPointDataset(
            inputs=self.inputs[index],
            rates=self.rates[index],
            state=self.state[index],
            status=self.status[index],
            steps=self.steps[index],
            metadata=dict(self.metadata),
        )

    def split(
        self, fractions: Sequence[float] = (0.8, 0.1, 0.1), *, seed: int = 0
    ) -> tuple[FixedPointDataset, ...]:
        """Disjoint random parts of the given fractions (summing to 1), reproducible from seed."""
        fractions = np.asarray(fractions, dtype=np.float64)
        if (
            fractions.ndim != 1
            or fractions.size == 0
            or not np.all(np.isfinite(fractions))
            or np.any(fractions < 0)
            or not math.isclose(fractions.sum(), 1.0, abs_tol=1e-9)
        ):
            raise ValueError(f"fractions must be >= 0 and sum to 1, got {fractions.tolist()}")
        order = np.random.default_rng(seed).permutation(len(self))
        bounds = np.round(np.cumsum(fractions) * len(self)).astype(np.int64)
        bounds[-1] = len(self)
        starts = np.concatenate([[0], bounds[:-1]])
        return tuple(self.subset(order[a:b]) for a, b in zip(starts, bounds, strict=True))

    def save(self, path) -> None:
        """Write to ``.npz`` (keys inputs, rates, state, status, status_names, steps,
        metadata), or to a chunked Zarr store when ``path`` ends in ``.zarr``."""
        if str(path).rstrip("/").endswith(".zarr"):
            from ._store import save_store

            return save_store(self, path)
        from ._io import save_dataset

        save_dataset(self, path)

    @classmethod
    def load(cls, path) -> FixedPointDataset:
        """Read a dataset written by :meth:`save` (all of it, also from a ``.zarr`` store);
        one-line ``ValueError`` if it cannot."""
        if str(path).rstrip("/").endswith(".zarr"):
            from ._store import ZarrDataset

            return ZarrDataset(path).load()
        from ._io import load_dataset

        return load_dataset(path)

    def __len__(self) -> int:
        return len(self.inputs)

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in self.counts().items())
        return f"FixedPointDataset(n_samples={len(self)}, {counts})"


def sample_inputs(
    n_neurons: int,
    n_samples: int,
    *,
    low: float = -1.0,
    high: float = 1.0,
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
    low: float = -1.0,
    high: float = 1.0,
    seed: int = 0,
    inputs: UniformInputs | SignalPlusNoise | None = None,
    chunk_size: int = 8192,
    max_time: float = 500.0,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    progress: Callable[[int], None] | None = None,
) -> FixedPointDataset:
    """Sample inputs (by default uniform in ``(low, high)^N``), solve each for its fixed point.

    This is the data of Muir (2018): each input ``i`` is held constant and the dynamics
    ``tau dx/dt = -x + W[x]^+ + i - b`` are run from rest with :func:`solve_fixed_points`;
    the stable fixed point's rates ``[x*]^+`` are the target, and inputs that oscillate,
    diverge or stay unresolved are marked by their status (rates NaN).

    The inputs depend only on ``seed`` (see :mod:`ffapprox._inputs`), and each input is solved
    independently: the same ``chunk_size`` gives the same bits. Across chunk sizes, states
    can differ in the last bits (~1e-15), because BLAS may sum a matrix product in an order
    that depends on how many rows it multiplies together; statuses and steps do not change
    short of a state within rounding of a decision threshold. ``chunk_size`` bounds the
    solver's working memory.

    Arguments:
        network: the recurrent network.
        n_samples: number of inputs to draw (>= 1).
        low, high: bounds of the input cube (finite, ``low < high``).
        inputs: another input distribution, e.g. noisy bumps for a ring network
            (:class:`SignalPlusNoise`); ``low`` and ``high`` are then unused.
        seed: seed of the input sequence.
        chunk_size: inputs solved together.
        max_time, dtype, device, rtol, atol: passed to :func:`solve_fixed_points`.
        progress: called with the number of newly decided inputs (e.g. ``tqdm.update``).

    Returns:
        A :class:`FixedPointDataset` of ``n_samples`` rows, float64 arrays on the CPU.

    Raises:
        ValueError: for ``n_samples < 1``, non-finite bounds, ``low >= high``, a bad
            ``chunk_size`` or ``seed``, and for invalid solver settings.

    Example:
        >>> from ffapprox._builders import partitioned_network
        >>> data = generate_dataset(partitioned_network(), 100, seed=1)
        >>> len(data), data.counts()["stable"]
        (100, 100)
    """
    sampler = check_sampling(network, n_samples, inputs, low, high, chunk_size, seed)
    solver = {"max_time": max_time, "dtype": dtype, "device": device, "rtol": rtol, "atol": atol}
    parts = []
    for start in range(0, n_samples, chunk_size):
        rows = min(chunk_size, n_samples - start)
        parts.append(solve_rows(network, sampler, seed, start, rows, progress=progress, **solver))
    arrays = {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}
    metadata = dataset_metadata(network, sampler, seed, n_samples, solver)
    return FixedPointDataset(**arrays, metadata=metadata)


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
    progress: Callable[[int], None] | None = None,
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
    }


def dataset_metadata(network, sampler, seed: int, n_samples: int, solver: dict) -> dict:
    """What a dataset was made from (stored with it; compared when a store is resumed)."""
    from . import __version__

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
        },
        "ffapprox_version": __version__,
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }
