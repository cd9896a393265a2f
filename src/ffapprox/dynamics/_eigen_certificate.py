"""Invariance certificate of a region from its eigendecomposition (regions of few neurons)."""

from __future__ import annotations

import math

import torch

from ._region_cache import MEMORY_BYTES, RegionCache
from ._rowwise import batched_mv, modulus, row_chunks, rowwise_mm, unique_first

# Regions with up to this many active neurons (rectified-recurrent: networks of up to this
# many neurons) get eigen-data; an eigendecomposition of more costs more than it saves.
EIGEN_MAX_ACTIVE = 48
# Largest condition number of the eigenvector matrix accepted for a certificate.
MAX_CONDITION = 1e8
# Relative inflation of the bound for the rounding of its O(N^2) sums.
ROUNDING = 1e-9


class EigenCertificate:
    r"""Eigen-data of regions, and the test that a row can never leave its region.

    With computed ``A ~ V L V^-1`` (``A``: the region's Jacobian, threshold-linear its
    active block), ``Y ~ V^-1``, ``eta = ||I - Y V||_inf < 1/2``,
    ``F = V^-1 (A V - V L)`` with ``eps = ||F||_inf <= ||Y (A V - V L)||_inf / (1 - eta)``
    and ``alpha = max Re L``, the mode coordinates ``y = V^-1 e`` of ``e = x - x*`` obey
    exactly ``y' = (L + F) y`` while the row stays in the region. If ``alpha + eps < 0``
    (which also proves the region stable: the log-norm of ``L + F`` in the max-norm is at
    most ``alpha + eps``), ``||y(s)|| <= ||y(0)|| e^{(alpha + eps) s}`` and by variation
    of constants, for all ``t >= 0``,

        ``|y_k(t)| <= |y_k(0)| + delta``, ``delta = eps ||y(0)|| / (|alpha| - eps)``,
        ``|y_k(0)| <= |c_k| + eta / (1 - eta) ||c||``, ``c = Y e(0)``.

    Hence (``|e^{lambda t}| <= 1`` for ``Re lambda < 0``), while the row stays:

    * active ``j``: ``|e_j(t)| <= sum_k |V_jk| (|y_k(0)| + delta) =: beta_j``;
    * inactive ``j`` (threshold-linear): ``|(W_US e_S(t))_j| <= sum_k |(W_US V)_jk| (...)
      =: g_j``, and as ``tau_j x_j' = -x_j + (W_US x_S)_j + d_j`` there,
      ``x_j(t) <= max(x_j(0), x*_j + g_j)``;
    * rectified-recurrent, every ``j``: ``|(W e(t))_j| <= sum_k |(W V)_jk| (...)``.

    The row is certified when ``x*_j - beta_j > 0`` (active), ``x_j(0) <= 0`` and
    ``x*_j + g_j < 0`` (inactive, effective neurons) -- or ``s*_j -+ bound > 0 / < 0``
    (rectified-recurrent): a first exit time would contradict these strict bounds, so the
    exact trajectory from the current state never leaves the region and converges to
    ``x*``. The error of ``x*`` itself (its residual ``r = d - M x*``, bounded through ``Y``
    and ``1 / (min |lambda| - eps)``) is added to the bounds, which are then inflated by
    ``ROUNDING``. Refused: ``cond_inf(V) > MAX_CONDITION``, ``eta >= 1/2`` or
    ``alpha + eps >= 0``.

    Regions of one size bucket (the next power of two) are decomposed together: smaller
    active blocks are padded with decoupled modes far left of their Gershgorin discs (per
    block, and moduli by :func:`modulus`, so that a region's data never depends on the
    regions it was decomposed with).
    """

    def __init__(self, cache: RegionCache) -> None:
        self.cache = cache
        n = cache.n
        # Blocks are padded to the next power of two: room for that many modes.
        self.modes = min(n, 1 << (EIGEN_MAX_ACTIVE - 1).bit_length())
        per_entry = self.modes * n * 24 + 64
        self.capacity = int(max(8, min(4096, MEMORY_BYTES // 2 // per_entry)))
        cache.add_array("eigen", torch.int64, -1)
        cache.on_clear(self.clear)
        self.clear()

    def clear(self) -> None:
        """Forget all eigen-data (the slots keep their stability verdicts)."""
        self.count = 0
        self._allocate(0)

    def _allocate(self, cap: int) -> None:
        n, m, device, f64 = self.cache.n, self.modes, self.cache.device, torch.float64
        old = getattr(self, "y", None) if cap else None
        fields = {
            "y": torch.zeros((cap, m, n), dtype=torch.complex128, device=device),
            "gains": torch.zeros((cap, n, m), dtype=f64, device=device),
            "alpha": torch.zeros(cap, dtype=f64, device=device),
            "eps": torch.zeros(cap, dtype=f64, device=device),
            "eta": torch.zeros(cap, dtype=f64, device=device),
            "inverse_gap": torch.zeros(cap, dtype=f64, device=device),
            "usable": torch.zeros(cap, dtype=torch.bool, device=device),
        }
        for name, value in fields.items():
            if old is not None:
                value[: self.count] = getattr(self, name)[: self.count]
            setattr(self, name, value)
        self.cap = cap

    def ensure(self, slots: torch.Tensor, active: torch.Tensor) -> None:
        """Compute the eigen-data (and stability verdict, margin) of the slots lacking it."""
        unique, first = unique_first(slots)
        todo = self.cache.arrays["eigen"][unique] < 0
        if not bool(todo.any()):
            return
        need = int(todo.sum())
        if self.count + need > self.capacity:
            self.cache.arrays["eigen"].fill_(-1)
            self.count, todo, need = 0, torch.ones_like(todo), len(unique)
        if self.count + need > self.cap:
            self._allocate(max(self.count + need, min(self.capacity, max(16, 2 * self.cap))))
        chosen, sets = unique[todo], active[first[todo]]
        n = self.cache.n
        sizes = sets.sum(1).tolist() if self.cache.threshold_linear else [n] * len(chosen)
        buckets = torch.tensor(
            [min(n, 1 << (size - 1).bit_length()) if size else 0 for size in sizes],
            device=chosen.device,
        )
        for k in sorted(set(buckets.tolist())):
            group = buckets == k
            self._decompose(chosen[group], sets[group], k)

    def _padded_jacobian(self, active: torch.Tensor, k: int):
        """Jacobians (G, k, k) of G regions; threshold-linear: active block padded with
        decoupled dummy modes; also the block indices (G, k) and their validity."""
        cache = self.cache
        g = active.shape[0]
        eye = torch.eye(k, dtype=torch.float64, device=cache.device)
        if not cache.threshold_linear:
            a = (active.to(torch.float64)[:, :, None] * cache.weights - eye) * cache.rate[:, None]
            return a, None, torch.ones((g, k), dtype=torch.bool, device=cache.device)
        order = torch.argsort((~active).to(torch.int8), dim=1, stable=True)
        index = order[:, :k]
        valid = torch.arange(k, device=cache.device)[None, :] < active.sum(1)[:, None]
        rate = cache.rate[index][:, :, None]
        a = (cache.weights[index[:, :, None], index[:, None, :]] - eye) * rate
        a = torch.where(valid[:, :, None] & valid[:, None, :], a, 0.0)
        dummy = -2.0 * (1.0 + a.abs().sum(2).amax(1))
        return a + torch.diag_embed(torch.where(valid, 0.0, dummy[:, None])), index, valid

    def _decompose(self, slots: torch.Tensor, active: torch.Tensor, k: int) -> None:
        cache, g = self.cache, len(slots)
        entries = torch.arange(self.count, self.count + g, device=cache.device)
        self.count += g
        cache.arrays["eigen"][slots] = entries
        self.y[entries] = 0
        self.gains[entries] = 0
        rest = cache.inactive_margin(active)
        if k == 0:
            # No active neuron: each x_j relaxes monotonically to x*_j.
            self.alpha[entries], self.eps[entries], self.eta[entries] = rest, 0.0, 0.0
            self.inverse_gap[entries], self.usable[entries] = 0.0, True
            self._judge(slots, rest, torch.ones_like(self.usable[entries]), rest)
            return
        a, index, valid = self._padded_jacobian(active, k)
        lam, v = torch.linalg.eig(a)
        alpha = lam.real.amax(1)
        y, info = torch.linalg.inv_ex(v)
        ok = (info == 0) & torch.isfinite(y).flatten(1).all(1)
        eye = torch.eye(k, dtype=torch.complex128, device=cache.device)
        eta = modulus(eye - y @ v).sum(2).amax(1)
        residual = a.to(torch.complex128) @ v - v * lam[:, None, :]
        eps = modulus(y @ residual).sum(2).amax(1) / (1 - eta).clamp_min(1e-300)
        ok &= eta < 0.5
        eps = torch.where(ok, eps, math.inf)
        condition = modulus(v).sum(2).amax(1) * modulus(y).sum(2).amax(1)
        smallest = modulus(lam).amin(1)
        proven = ok & (alpha + eps < 0)
        self._judge(slots, alpha, proven, torch.maximum(alpha, rest))
        self.alpha[entries], self.eps[entries] = alpha, eps
        self.eta[entries] = torch.where(ok, eta / (1 - eta), math.inf)
        gap = smallest - eps
        self.inverse_gap[entries] = torch.where(gap > 0, 1.0 / gap, math.inf)
        self.usable[entries] = proven & (condition < MAX_CONDITION)
        self._store(entries, v, y, index, valid, k)

    def _judge(self, slots, alpha, proven, margin) -> None:
        """Stability verdict of new slots: proven by ``alpha + eps < 0``, else by the sign
        of the computed ``alpha``; ``margin``: the whole Jacobian's largest real part."""
        stable = self.cache.arrays["stable"]
        verdict = torch.where(proven | (alpha < 0), 1, 0).to(torch.int8)
        stable[slots] = torch.where(stable[slots] < 0, verdict, stable[slots])
        self.cache.arrays["margin"][slots] = margin

    def _store(self, entries, v, y, index, valid, k) -> None:
        """``Y`` by neuron columns and the gains ``|V|`` (active rows), ``|W_US V|``
        (threshold-linear inactive rows) or ``|W V|`` (rectified-recurrent)."""
        cache, g, n = self.cache, len(entries), self.cache.n
        effective = cache.effective.to(torch.float64)[None, :, None]
        if not cache.threshold_linear:
            self.y[entries, :k] = y
            product = cache.weights.to(torch.complex128) @ v
            self.gains[entries, :, :k] = modulus(product) * effective
            return
        column = torch.where(valid, index, n)  # dummy coordinates go to a dump column n
        spread = torch.zeros((g, k, n + 1), dtype=torch.complex128, device=cache.device)
        spread.scatter_(2, column[:, None, :].expand(g, k, k), y)
        self.y[entries, :k] = spread[:, :, :n]
        inputs = cache.weights[:, index].permute(1, 0, 2) * valid[:, None, :]
        gains = torch.zeros((g, n + 1, k), dtype=torch.float64, device=cache.device)
        gains[:, :n] = modulus(inputs.to(torch.complex128) @ v)
        gains.scatter_(1, column[:, :, None].expand(g, k, k), modulus(v))
        self.gains[entries, :, :k] = gains[:, :n] * effective

    def certify(self, slots, x, fixed, active, drive):
        """Rows (R) proven never to leave their region (see the class); also the factor by
        which each bound must still shrink and the rate at which it decays at least."""
        cache = self.cache
        entry = cache.arrays["eigen"][slots]
        bound = torch.empty_like(fixed)
        residual = drive.to(torch.float64) - cache.apply_system(fixed, active)
        for rows in row_chunks(len(entry), 3 * self.modes * cache.n):
            bound[rows] = self._bound(entry[rows], x[rows], fixed[rows], residual[rows])
        good = inside(cache, bound, x, fixed, active) & torch.isfinite(bound).all(1)
        good &= self.usable[entry] & (self.alpha[entry] + self.eps[entry] < 0)
        rate = (-(self.alpha[entry] + self.eps[entry])).clamp_min(1e-12)
        return good, shrink_needed(cache, bound, fixed), rate

    def _bound(self, entry, x, fixed, residual) -> torch.Tensor:
        y, gains, eta, eps = self.y[entry], self.gains[entry], self.eta[entry], self.eps[entry]
        c = modulus(batched_mv(y, (x.to(torch.float64) - fixed).to(torch.complex128)))
        c += eta[:, None] * c.amax(1, keepdim=True)
        delta = eps * c.amax(1) / (-self.alpha[entry] - eps)
        bound = batched_mv(gains, c + delta[:, None])
        scaled = (residual * self.cache.rate).to(torch.complex128)
        error = modulus(batched_mv(y, scaled)).amax(1) * (1 + eta) * self.inverse_gap[entry]
        bound += error[:, None] * gains.sum(2) + residual.abs()
        return bound * (1 + ROUNDING) + 1e-300


def inside(cache: RegionCache, bound, x, fixed, active) -> torch.Tensor:
    """Rows whose bounds keep every effective neuron on its side of its threshold."""
    if cache.threshold_linear:
        ok_active = fixed - bound > 0
        ok_inactive = (fixed + bound < 0) & (x.to(torch.float64) <= 0)
    else:
        s = rowwise_mm(fixed, cache.weights_t)
        ok_active, ok_inactive = s - bound > 0, s + bound < 0
    return (torch.where(active, ok_active, ok_inactive) | ~cache.effective).all(1)


def shrink_needed(cache: RegionCache, bound, fixed) -> torch.Tensor:
    """Factor (R,) by which the bounds must still shrink: ``max_j bound_j / |s*_j|``."""
    s = fixed if cache.threshold_linear else rowwise_mm(fixed, cache.weights_t)
    need = bound / s.abs().clamp_min(1e-300)
    return torch.where(cache.effective, need, 0.0).amax(1)
