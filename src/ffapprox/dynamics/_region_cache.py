"""Regions met by the adaptive method, each in a slot: exact fixed points and per-slot data."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

from ._field import Dynamics
from ._rowwise import batched_mv, row_chunks, rowwise_mm, unique_first

# Active sets of up to this many neurons are slots through a lookup table of 2^N codes.
LOOKUP_MAX_NEURONS = 20
# Up to this many neurons a slot keeps the dense inverse of M (batched gathers); above,
# the LU factors of its active block.
DENSE_MAX_NEURONS = 128
# Memory budget of the cache (half for the slots' matrices), bytes; the table is cleared
# when a call needs more.
MEMORY_BYTES = 2**29


class RegionCache:
    r"""Slots for the regions (effective active sets) met so far, with their fixed points.

    In the region of active set ``D`` the fixed point solves ``M x = drive``, ``M = I - W D``
    (threshold-linear) or ``I - D W`` (rectified-recurrent). Threshold-linear ``M`` is block
    lower triangular (inactive neurons have zero columns in ``W D``), so
    ``x*_S = (I - W_SS)^-1 d_S`` and ``x*_U = d_U + W_US x*_S``: beyond
    ``DENSE_MAX_NEURONS`` only the active block is factorised. Every fixed point gets one
    step of iterative refinement. All computations are float64 on the dynamics' device.

    Per-slot arrays (``arrays[name]``, indexed by slot) hold what other components learn
    about a region (``stable``: -1 unknown, 0 no, 1 yes; ``margin``: largest real part of
    the Jacobian's eigenvalues, NaN unknown); components may add their own with
    :meth:`add_array` and be told of a clearing through :meth:`on_clear`.
    """

    def __init__(self, dynamics: Dynamics, memory_bytes: float = MEMORY_BYTES) -> None:
        network, device = dynamics.network, dynamics.device
        n = network.n_neurons
        self.n, self.device = n, device
        self.threshold_linear = dynamics.threshold_linear
        self.weights, self.tau, _ = network.tensors(torch.float64, device)
        self.weights_t = self.weights.T.contiguous()
        self.rate = 1.0 / self.tau
        self.effective = dynamics.effective
        self.eye = torch.eye(n, dtype=torch.float64, device=device)
        self.dense = n <= DENSE_MAX_NEURONS
        self.capacity = int(max(64, min(1 << 16, memory_bytes // 2 // (8 * n * n + 256))))
        if n <= LOOKUP_MAX_NEURONS:
            self.bits = 1 << torch.arange(n, device=device)
            self.lookup = torch.full((1 << n,), -1, dtype=torch.int64, device=device)
        self.keys: dict[bytes, int] = {}
        self.fills: dict[str, tuple[torch.dtype, float]] = {}
        self.listeners: list[Callable[[], None]] = []
        self.arrays: dict[str, torch.Tensor] = {}
        self.add_array("stable", torch.int8, -1)
        self.add_array("margin", torch.float64, math.nan)
        self._allocate(16)

    def add_array(self, name: str, dtype: torch.dtype, fill: float) -> None:
        """A per-slot array ``arrays[name]``, filled with ``fill`` for new slots."""
        self.fills[name] = (dtype, fill)
        self.arrays[name] = torch.full((16,), fill, dtype=dtype, device=self.device)

    def on_clear(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` whenever the table is cleared."""
        self.listeners.append(listener)

    def _allocate(self, cap: int) -> None:
        n = self.n
        self.cap, self.used = cap, 0
        shape = (cap, n, n) if self.dense else (0,)
        self.inverse = torch.zeros(shape, dtype=torch.float64, device=self.device)
        self.factors: dict[int, tuple] = {}
        for name, (dtype, fill) in self.fills.items():
            self.arrays[name] = torch.full((cap,), fill, dtype=dtype, device=self.device)

    def _grow(self, need: int) -> None:
        if self.used + need <= self.cap:
            return
        cap = max(self.used + need, min(self.capacity, 2 * self.cap))
        if self.dense:
            inverse = torch.zeros((cap, self.n, self.n), dtype=torch.float64, device=self.device)
            inverse[: self.used] = self.inverse[: self.used]
            self.inverse = inverse
        for name, (dtype, fill) in self.fills.items():
            grown = torch.full((cap,), fill, dtype=dtype, device=self.device)
            grown[: self.used] = self.arrays[name][: self.used]
            self.arrays[name] = grown
        self.cap = cap

    def _clear(self) -> None:
        self.keys.clear()
        if self.n <= LOOKUP_MAX_NEURONS:
            self.lookup.fill_(-1)
        self._allocate(16)
        for listener in self.listeners:
            listener()

    def slots(self, active: torch.Tensor) -> torch.Tensor:
        """Slot of each row's region, (R,) int64, for effective active sets (R, N) bool;
        new regions are built (the table is cleared first when over its budget)."""
        if self.n <= LOOKUP_MAX_NEURONS:
            codes = (active.to(torch.int64) * self.bits).sum(1)
            missing = self.lookup[codes] < 0
            if not bool(missing.any()):
                return self.lookup[codes]
            new_codes, first = unique_first(codes[missing])
            if self.used and self.used + len(new_codes) > self.capacity:
                self._clear()
                return self.slots(active)
            rows = torch.nonzero(missing)[:, 0][first]
            self.lookup[new_codes] = self._build(active[rows])
            return self.lookup[codes]
        keys = [row.tobytes() for row in np.packbits(active.cpu().numpy(), axis=1)]
        new: dict[bytes, int] = {}
        for j, key in enumerate(keys):
            if key not in self.keys and key not in new:
                new[key] = j
        if new:
            if self.used and self.used + len(new) > self.capacity:
                self._clear()
                return self.slots(active)
            built = self._build(active[list(new.values())]).tolist()
            self.keys.update(zip(new, built, strict=True))
        return torch.tensor([self.keys[k] for k in keys], dtype=torch.int64, device=self.device)

    def _build(self, active: torch.Tensor) -> torch.Tensor:
        """Fill new slots for the distinct active sets ``active`` (U, N); returns them."""
        count = active.shape[0]
        self._grow(count)
        slots = torch.arange(self.used, self.used + count, device=self.device)
        self.used += count
        if self.dense:
            inverse, info = torch.linalg.inv_ex(self.system_matrix(active))
            # A singular M has no isolated fixed point: NaN fails every later test.
            self.inverse[slots] = torch.where((info != 0)[:, None, None], math.nan, inverse)
        else:
            for slot, row in zip(slots.tolist(), active, strict=True):
                self.factors[slot] = self._factorise(row)
        return slots

    def system_matrix(self, active: torch.Tensor) -> torch.Tensor:
        """``M`` for active sets (U, N) -> (U, N, N), float64."""
        mask = active.to(torch.float64)
        if self.threshold_linear:
            return self.eye - self.weights * mask[:, None, :]
        return self.eye - self.weights * mask[:, :, None]

    def _factorise(self, active: torch.Tensor) -> tuple:
        """(active indices, LU, pivots, info) of ``I - W_SS`` (threshold-linear) or of
        ``M`` (indices None, rectified-recurrent)."""
        if not self.threshold_linear:
            lu, pivots, info = torch.linalg.lu_factor_ex(self.system_matrix(active[None])[0])
            return None, lu, pivots, int(info)
        index = torch.nonzero(active)[:, 0]
        if index.numel() == 0:
            return index, None, None, 0
        block = torch.eye(len(index), dtype=torch.float64, device=self.device)
        block -= self.weights[index[:, None], index]
        lu, pivots, info = torch.linalg.lu_factor_ex(block)
        return index, lu, pivots, int(info)

    def apply_system(self, x: torch.Tensor, active: torch.Tensor) -> torch.Tensor:
        """``M x`` for rows x (R, N) float64 in their regions ``active`` (R, N), row-wise."""
        mask = active.to(torch.float64)
        if self.threshold_linear:
            return x - rowwise_mm(x * mask, self.weights_t)
        return x - mask * rowwise_mm(x, self.weights_t)

    def fixed_points(
        self, slots: torch.Tensor, drive: torch.Tensor, active: torch.Tensor
    ) -> torch.Tensor:
        """``x* = M^-1 drive`` of each row's region after one refinement step, (R, N)
        float64; NaN where ``M`` is singular."""
        d = drive.to(torch.float64)
        out = torch.empty_like(d)
        if not self.dense:
            for i, slot in enumerate(slots.tolist()):
                out[i] = self._solve(slot, d[i], active[i])
            return out
        for rows in row_chunks(len(d), self.n * self.n):
            inverse = self.inverse[slots[rows]]
            x = batched_mv(inverse, d[rows])
            residual = d[rows] - self.apply_system(x, active[rows])
            out[rows] = x + batched_mv(inverse, residual)
        return out

    def _solve(self, slot: int, d: torch.Tensor, active: torch.Tensor) -> torch.Tensor:
        """One row's refined fixed point from its slot's LU factors."""
        index, lu, pivots, info = self.factors[slot]
        if info != 0:
            return torch.full_like(d, math.nan)
        if index is None:
            x = torch.linalg.lu_solve(lu, pivots, d[:, None])[:, 0]
            residual = d - self.apply_system(x[None], active[None])[0]
            return x + torch.linalg.lu_solve(lu, pivots, residual[:, None])[:, 0]
        if index.numel() == 0:
            return d.clone()
        block = self.weights[index[:, None], index]
        x_s = torch.linalg.lu_solve(lu, pivots, d[index, None])[:, 0]
        residual = d[index] - (x_s - block @ x_s)
        x_s = x_s + torch.linalg.lu_solve(lu, pivots, residual[:, None])[:, 0]
        x = d + self.weights[:, index] @ x_s
        x[index] = x_s
        return x

    def jacobian_block(self, active: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``(A, index)`` for one active set (N,), float64.

        Threshold-linear: the active block ``A_SS = T_S^-1 (W_SS - I)`` and the active
        indices (the Jacobian's other eigenvalues are ``-1/tau_j``, ``j`` inactive);
        rectified-recurrent: the full Jacobian ``T^-1 (D W - I)`` and None.
        """
        if self.threshold_linear:
            index = torch.nonzero(active)[:, 0]
            block = self.weights[index[:, None], index] - self.eye[: len(index), : len(index)]
            return block * self.rate[index, None], index
        mask = active.to(torch.float64)
        return (mask[:, None] * self.weights - self.eye) * self.rate[:, None], None

    def inactive_margin(self, active: torch.Tensor) -> torch.Tensor:
        """Largest of the eigenvalues ``-1/tau_j`` of the inactive neurons, per active set
        (U, N) -> (U,) float64; ``-inf`` where none (and always, rectified-recurrent)."""
        if not self.threshold_linear:
            return torch.full(
                (active.shape[0],), -math.inf, dtype=torch.float64, device=self.device
            )
        return -torch.where(active, math.inf, self.rate[None, :]).amin(1)

    def field(self, x: torch.Tensor, drive: torch.Tensor) -> torch.Tensor:
        """``dx/dt`` at states x (R, N) for drives ``i - b`` (R, N), float64, row-wise."""
        if self.threshold_linear:
            recurrent = rowwise_mm(torch.relu(x), self.weights_t)
        else:
            recurrent = torch.relu(rowwise_mm(x, self.weights_t))
        return (recurrent + drive - x) * self.rate
