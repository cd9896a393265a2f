"""Linear regions of the piecewise-linear dynamics: exact fixed points and their stability."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import NamedTuple

import numpy as np
import scipy.linalg
import torch

from ._field import Dynamics

# Active sets of up to 62 neurons are packed into int64 codes; larger ones are keyed by bytes.
_MAX_CODED_NEURONS = 62
_MAX_DENSE_NEURONS = 16
# Above this size most inputs meet regions of their own, and a Lyapunov solve per region
# (scipy, one at a time) costs more than integrating on to convergence: measured on random
# networks, N = 16: 460 vs 10,000 inputs/s; N = 64: 35 vs 2,000 inputs/s.
LYAPUNOV_MAX_NEURONS = 8
# Elements of cached or gathered (N, N) matrices kept at once, bounding memory for large N.
_MATRIX_ELEMENTS = 1 << 24


class Regions(NamedTuple):
    """The active sets of a batch of rows: unique sets and each row's index into them."""

    unique_active: torch.Tensor  # (U, N) bool
    group: torch.Tensor  # (B,) int64
    keys: list[Hashable]  # cache key of each unique set


class Stability(NamedTuple):
    """Per region: eigenvalue margin, Lyapunov matrix and per-boundary gains (see RegionTable)."""

    max_real: torch.Tensor  # (U,)
    lyapunov: torch.Tensor  # (U, N, N)
    gains: torch.Tensor  # (U, N)


class RegionTable:
    r"""Exact fixed point, stability and an invariance certificate for each linear region.

    In the region of active set ``D`` the fixed point solves ``M x = drive`` with
    ``M = I - W D`` (or ``I - D W``), the dynamics are ``de/dt = A e`` for ``e = x - x*``
    with ``A = -T^-1 M``, and the boundaries are the hyperplanes ``s_j(x) = S_j x = 0``
    (``S = I`` or ``W``). ``max_real`` is the largest real part of the eigenvalues of ``A``
    (the stability margin). For a stable region, ``P`` solves the Lyapunov equation
    ``A^T P + P A = -I``, so ``e^T P e`` never increases and ``e(t)`` stays in the ellipsoid
    ``e^T P e <= e0^T P e0``; on it ``|S_j e| <= sqrt(e0^T P e0) g_j`` with
    ``g_j = sqrt((S P^-1 S^T)_jj)``. If that bound is below ``|s_j(x*)|`` for every ``j``
    the trajectory can never leave the region, hence converges to ``x*``.

    Results are cached by active set, so a structured network factorises each of its few
    regions once per call. Networks of more than 8 neurons skip the Lyapunov solve
    (``certificate`` is False): their rows are accepted by the convergence rule alone.
    """

    def __init__(self, dynamics: Dynamics) -> None:
        self.dyn = dynamics
        n = dynamics.eye.shape[0]
        self.coded = n <= _MAX_CODED_NEURONS
        self.certificate = n <= LYAPUNOV_MAX_NEURONS
        self.dense = n <= _MAX_DENSE_NEURONS
        self.bits = 1 << torch.arange(min(n, _MAX_CODED_NEURONS), device=dynamics.device)
        self.cache_size = max(256, _MATRIX_ELEMENTS // (n * n))
        self.inverse_cache: dict[Hashable, torch.Tensor] = {}
        self.stability_cache: dict[Hashable, tuple] = {}

    def regions(self, active: torch.Tensor) -> Regions:
        if self.coded:
            codes = (active.to(torch.int64) * self.bits).sum(1)
            if self.dense:
                # Few possible codes: count instead of sorting (same sorted unique codes).
                present = torch.bincount(codes, minlength=1 << active.shape[1])
                unique_codes = torch.nonzero(present)[:, 0]
                lookup = torch.zeros_like(present)
                lookup[unique_codes] = torch.arange(len(unique_codes), device=codes.device)
                group = lookup[codes]
            else:
                unique_codes, group = torch.unique(codes, return_inverse=True)
            unique_active = (unique_codes[:, None] & self.bits) != 0
            return Regions(unique_active, group, unique_codes.tolist())
        unique_active, group = torch.unique(active, dim=0, return_inverse=True)
        packed = np.packbits(unique_active.cpu().numpy(), axis=1)
        return Regions(unique_active, group, [row.tobytes() for row in packed])

    def _cached(self, cache: dict, keys: list, active: torch.Tensor, compute: Callable) -> list:
        found = {k: cache[k] for k in keys if k in cache}
        missing = [j for j, k in enumerate(keys) if k not in found]
        if missing:
            if len(cache) + len(missing) > self.cache_size:
                cache.clear()
            for j, value in zip(missing, compute(active[missing]), strict=True):
                cache[keys[j]] = found[keys[j]] = value
        return [found[k] for k in keys]

    def fixed_points(self, regions: Regions, drive: torch.Tensor) -> torch.Tensor:
        """``x* = M^-1 drive`` for each row in its own region, (B, N)."""
        inverse_u = torch.stack(
            self._cached(self.inverse_cache, regions.keys, regions.unique_active, self._invert)
        )
        return gather_apply(inverse_u, regions.group, drive)

    def _invert(self, active: torch.Tensor) -> torch.Tensor:
        inverse, info = torch.linalg.inv_ex(self.dyn.system_matrix(active))
        # A singular M has no isolated fixed point in that region: NaN fails every test.
        return torch.where((info != 0)[:, None, None], torch.nan, inverse)

    def stability(self, regions: Regions, rows: torch.Tensor) -> tuple[Stability, torch.Tensor]:
        """Stability of the regions of the rows indexed by ``rows``; returns the unique
        regions' :class:`Stability` and each selected row's index into it."""
        needed, local = torch.unique(regions.group[rows], return_inverse=True)
        keys = [regions.keys[j] for j in needed.tolist()]
        entries = self._cached(
            self.stability_cache, keys, regions.unique_active[needed], self._stability
        )
        fields = [torch.stack([e[f] for e in entries]) for f in range(3)]
        return Stability(*fields), local

    def _stability(self, active: torch.Tensor) -> list[tuple]:
        dyn = self.dyn
        jac = dyn.jacobian_from_active(active).cpu().double()
        switch = np.eye(jac.shape[1]) if dyn.threshold_linear else dyn.network.weights
        max_real = torch.linalg.eigvals(jac).real.amax(-1)
        out = []
        for a, m in zip(jac.numpy(), max_real.tolist(), strict=True):
            p = np.full_like(a, np.nan)
            gains = np.full(a.shape[0], np.inf)
            if m < 0 and self.certificate:
                p = scipy.linalg.solve_continuous_lyapunov(a.T, -np.eye(a.shape[0]))
                p = 0.5 * (p + p.T)
                try:
                    p_inv_switch = scipy.linalg.cho_solve(scipy.linalg.cho_factor(p), switch.T)
                    gains = np.sqrt(np.maximum(np.einsum("jk,kj->j", switch, p_inv_switch), 0))
                except np.linalg.LinAlgError:
                    pass  # P not positive definite numerically: no certificate.
            out.append(
                tuple(
                    torch.as_tensor(v, dtype=dyn.dtype, device=dyn.device) for v in (m, p, gains)
                )
            )
        return out


def gather_apply(matrices: torch.Tensor, group: torch.Tensor, vectors: torch.Tensor):
    """``matrices[group[b]] @ vectors[b]`` for every row, gathering in bounded chunks."""
    n = vectors.shape[1]
    chunk = max(1, _MATRIX_ELEMENTS // (n * n))
    out = torch.empty_like(vectors)
    for start in range(0, vectors.shape[0], chunk):
        rows = slice(start, start + chunk)
        out[rows] = torch.bmm(matrices[group[rows]], vectors[rows, :, None])[..., 0]
    return out
