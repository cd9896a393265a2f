"""Training data for the approximation: sampled inputs and their recurrent fixed points."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..dynamics import Acceptance, Status, count_status
from ._formats import read_dataset_npz, write_dataset_npz
from ._store import ARRAYS, is_store_path, save_store
from ._store_reader import Store


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
        accepted_by: :class:`Acceptance` code of each input, (S,) int8: which rule
            accepted a stable row; when omitted (data from before it was recorded),
            ``unrecorded`` for stable rows and ``none`` for the others.

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
    accepted_by: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.inputs)
        if self.accepted_by is None:
            unknown = np.where(self.stable_mask, Acceptance.UNRECORDED, Acceptance.NONE)
            object.__setattr__(self, "accepted_by", unknown.astype(np.int8))
        for name in ("inputs", "rates", "state"):
            array = getattr(self, name)
            if array.ndim != 2 or len(array) != n:
                raise ValueError(f"{name} must have shape ({n}, N), got shape {array.shape}")
        for name in ("status", "steps", "accepted_by"):
            if getattr(self, name).shape != (n,):
                raise ValueError(f"{name} must have shape ({n},), got {getattr(self, name).shape}")
        self._check_values()
        for name in ARRAYS:
            array = np.array(getattr(self, name))  # a private, read-only copy
            array.setflags(write=False)
            object.__setattr__(self, name, array)

    def _check_values(self) -> None:
        """Refuse rows that cannot come from a solve: non-finite inputs, unknown codes,
        stable rows whose rates are not ``[state]^+`` of a finite state."""
        stable = self.stable_mask
        checks = [("inputs must be finite, got NaN or inf", ~np.isfinite(self.inputs).all(1))]
        for name, codes in (("status", len(Status)), ("accepted_by", len(Acceptance))):
            array = getattr(self, name)
            checks.append(
                (f"{name} codes must be in 0..{codes - 1}", (array < 0) | (array >= codes))
            )
        for name in ("rates", "state"):
            bad = stable & ~np.isfinite(getattr(self, name)).all(1)
            checks.append((f"{name} of stable inputs must be finite, got NaN or inf", bad))
        checks.append(("rates of stable inputs must be >= 0", stable & (self.rates < 0).any(1)))
        if self.rates.shape == self.state.shape:
            wrong = (self.rates != np.maximum(self.state, 0)).any(1) & stable
            checks.append(("rates of stable inputs must equal [state]^+", wrong))
        for message, bad in checks:
            if bad.any():
                first = int(np.argmax(bad))
                raise ValueError(f"{message} in {int(bad.sum())} rows (first: row {first})")

    @property
    def n_neurons(self) -> int:
        """Columns of ``inputs``."""
        return self.inputs.shape[1]

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
            accepted_by=self.accepted_by[index],
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

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays by name (inputs, rates, state, status, steps, accepted_by)."""
        return {name: getattr(self, name) for name in ARRAYS}

    def save(self, path) -> None:
        """Write to ``.npz`` (keys inputs, rates, state, status, status_names, steps,
        metadata), or to a chunked Zarr store when ``path`` ends in ``.zarr``."""
        if is_store_path(path):
            save_store(self.arrays(), self.metadata, path)
        else:
            write_dataset_npz(path, self.arrays(), self.metadata)

    @classmethod
    def load(cls, path) -> FixedPointDataset:
        """Read a dataset written by :meth:`save` (all of it, also from a ``.zarr`` store);
        one-line ``ValueError`` if it cannot."""
        if is_store_path(path):
            store = Store(path)
            arrays, metadata = store.read_all(), dict(store.metadata)
            where = f"dataset store {str(path)!r}"
        else:
            arrays, metadata = read_dataset_npz(path)
            where = f"dataset file {str(path)!r}"
        try:
            return cls(**arrays, metadata=metadata)
        except ValueError as err:
            raise ValueError(f"{where} is inconsistent: {err}") from None

    def __len__(self) -> int:
        return len(self.inputs)

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in self.counts().items())
        return f"FixedPointDataset(n_samples={len(self)}, {counts})"
