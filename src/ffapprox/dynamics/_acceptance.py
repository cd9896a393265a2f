"""Acceptance of the adaptive method's rows at their regions' exact fixed points."""

from __future__ import annotations

import math
from typing import NamedTuple

import torch

from ._eigen_certificate import EIGEN_MAX_ACTIVE, EigenCertificate
from ._field import Dynamics
from ._lyapunov_certificate import LyapunovCertificate
from ._outcomes import Rows
from ._region_cache import RegionCache
from ._rowwise import position_invariant, rowwise_mm
from ._status import Acceptance, FixedPointResult, Status

# After a failed certificate the next attempt waits until the bound is predicted to have
# shrunk below 1 / WAIT_MARGIN of what it must beat, between 1 and MAX_WAIT quiet times.
WAIT_MARGIN = 1.2
MAX_WAIT = 50.0


class Candidates(NamedTuple):
    """The rows (R) examined in one call, as indices ``row`` into the batch, with their
    state, drive, time, region slot and fixed point (float64)."""

    row: torch.Tensor
    active: torch.Tensor
    x: torch.Tensor
    drive: torch.Tensor
    t: torch.Tensor
    slots: torch.Tensor
    fixed: torch.Tensor
    converged: torch.Tensor
    eigen: torch.Tensor  # certificate by eigen-data (few active neurons)
    lyapunov: torch.Tensor  # certificate by a Lyapunov ellipsoid (threshold-linear, larger)
    wants: torch.Tensor  # not converged: asks for a certificate


class RegionAcceptance:
    r"""Accepts rows at the exact fixed point ``x*`` of their current region when justified.

    For every candidate row the region's ``x*`` is computed (:class:`RegionCache`). It must
    lie in the region (``s_j(x*) >= -tol`` for active, ``<= tol`` for inactive effective
    neurons, ``tol = atol + rtol |s_j(x*)|``) and the region must be stable; then the row
    is ``converged`` when the caller's convergence rule held on this step, else
    ``certified`` when a certificate proves that the trajectory can never leave the region
    (:class:`EigenCertificate` up to ``EIGEN_MAX_ACTIVE`` active neurons,
    :class:`LyapunovCertificate` above, threshold-linear).

    Cadence, per row: an inconsistent ``x*`` or an unstable region gets no certificate
    attempt before the next region change (``next_certificate = inf``); a failed
    certificate is retried when its bound should have shrunk enough,
    ``log(WAIT_MARGIN bound / margin) / (|alpha| - eps)``, but no later than after half
    the time already spent in the region plus one quiet time (eigen-data); Lyapunov data
    has no rate: after the time already spent in the region (a geometric back-off).
    Waits lie between 1 and ``MAX_WAIT`` quiet times. Per-row tensors used:
    ``active``, ``x``, ``drive``, ``t``, ``steps``, ``index``, ``changed_at``; updated:
    ``next_certificate``, ``next_convergence``.
    """

    def __init__(self, dynamics: Dynamics, rtol: float, atol: float, quiet: float) -> None:
        self.cache = RegionCache(dynamics)
        self.eigen = EigenCertificate(self.cache)
        self.lyapunov = LyapunovCertificate(self.cache)
        self.rtol, self.atol, self.quiet, self.dtype = rtol, atol, quiet, dynamics.dtype

    def __call__(
        self, rows: Rows, candidates: torch.Tensor, converged: torch.Tensor, out: FixedPointResult
    ) -> torch.Tensor:
        """Accept what can be accepted among ``candidates`` (B,); ``converged`` (B,) marks
        the rows that met the convergence rule. Records them in ``out`` and returns them."""
        c = self._gather(rows, candidates, converged)
        consistent = self._consistent(c.fixed, c.active)
        inconsistent = ~consistent
        if bool(inconsistent.any()):
            rows["next_certificate"][c.row[inconsistent & c.wants]] = math.inf
            late = inconsistent & c.converged
            rows["next_convergence"][c.row[late]] = c.t[late] + self.quiet
        how = torch.zeros(len(c.row), dtype=torch.int8, device=c.row.device)
        chosen = torch.nonzero(consistent)[:, 0]
        if chosen.numel():
            self._judge(rows, c, chosen, how)
        accepted = how > 0
        decided = torch.zeros(rows.count, dtype=torch.bool, device=c.row.device)
        if bool(accepted.any()):
            self._record(rows, c, accepted, how, out)
            decided[c.row[accepted]] = True
        return decided

    def _gather(self, rows: Rows, candidates, converged) -> Candidates:
        cache = self.cache
        row = torch.nonzero(candidates)[:, 0]
        active, drive = rows["active"][row], rows["drive"][row]
        slots = cache.slots(active)
        size = active.sum(1) if cache.threshold_linear else torch.full_like(row, cache.n)
        eigen = size <= EIGEN_MAX_ACTIVE
        lyapunov = ~eigen & cache.threshold_linear
        is_converged = converged[row]
        return Candidates(
            row, active, rows["x"][row], drive, rows["t"][row], slots,
            cache.fixed_points(slots, drive, active), is_converged,
            eigen, lyapunov, (eigen | lyapunov) & ~is_converged,
        )  # fmt: skip

    def _consistent(self, fixed: torch.Tensor, active: torch.Tensor) -> torch.Tensor:
        cache = self.cache
        s = fixed if cache.threshold_linear else rowwise_mm(fixed, cache.weights_t)
        tol = self.atol + self.rtol * s.abs()
        ok = torch.where(active, s >= -tol, s <= tol) | ~cache.effective
        return ok.all(1) & torch.isfinite(fixed).all(1)

    def _judge(self, rows: Rows, c: Candidates, chosen: torch.Tensor, how: torch.Tensor) -> None:
        """Stability, then convergence or a certificate, for the consistent rows."""
        cache, slots = self.cache, c.slots[chosen]
        eigen_rows = chosen[c.eigen[chosen] & c.wants[chosen]]
        if eigen_rows.numel():
            if not bool((cache.arrays["eigen"][c.slots[eigen_rows]] >= 0).all()):
                self.eigen.ensure(c.slots[eigen_rows], c.active[eigen_rows])
        build = c.lyapunov[chosen] & c.wants[chosen]
        unknown = not bool((cache.arrays["stable"][slots] >= 0).all())
        if unknown or (bool(build.any()) and self.lyapunov.lacking(slots[build])):
            self.lyapunov.ensure_stability(slots, c.active[chosen], build)
        stable = cache.arrays["stable"][slots] == 1
        converged = c.converged[chosen]
        how[chosen[converged & stable]] = int(Acceptance.CONVERGED)
        # Converged next to an unstable region: keep integrating, retry a little later.
        late = chosen[converged & ~stable]
        rows["next_convergence"][c.row[late]] = c.t[late] + self.quiet
        rows["next_certificate"][c.row[chosen[c.wants[chosen] & ~stable]]] = math.inf
        for eigen in (True, False):
            kind = c.eigen if eigen else c.lyapunov
            trying = chosen[kind[chosen] & c.wants[chosen] & stable]
            if trying.numel():
                self._certify(rows, c, trying, how, eigen)

    def _certify(self, rows: Rows, c: Candidates, trying, how, eigen: bool) -> None:
        slots, row = c.slots[trying], c.row[trying]
        spent = c.t[trying] - rows["changed_at"][row]
        if eigen:
            good, need, rate = self.eigen.certify(
                slots, c.x[trying], c.fixed[trying], c.active[trying], c.drive[trying]
            )
            usable = self.eigen.usable[self.cache.arrays["eigen"][slots]]
            # The bound decays at least like exp(-rate t); the prediction is pessimistic
            # and re-checks are cheap, so it is capped by a back-off in the time spent.
            wait = position_invariant(torch.log, need.clamp(1.0, 1e300) * WAIT_MARGIN) / rate
            wait = torch.minimum(wait, 0.5 * spent + self.quiet)
        else:
            good, need = self.lyapunov.certify(slots, c.x[trying], c.fixed[trying])
            usable = torch.isfinite(need)
            wait = spent.clamp_min(self.quiet)
        how[trying[good]] = int(Acceptance.CERTIFIED)
        failed = ~good
        if bool(failed.any()):
            longest = MAX_WAIT * self.quiet
            wait = torch.nan_to_num(wait, nan=longest).clamp(self.quiet, longest)
            wait = torch.where(usable, wait, math.inf)
            rows["next_certificate"][row[failed]] = c.t[trying][failed] + wait[failed]

    def _record(self, rows: Rows, c: Candidates, accepted, how, out: FixedPointResult) -> None:
        cache, dtype = self.cache, self.dtype
        row = c.row[accepted]
        where = rows["index"][row]
        fixed, drive = c.fixed[accepted], c.drive[accepted].to(torch.float64)
        out.record(where, rows["steps"][row], Status.STABLE)
        out.state[where] = fixed.to(dtype)
        out.rates[where] = torch.relu(fixed).to(dtype)
        out.residual[where] = cache.field(fixed, drive).abs().amax(1).to(dtype)
        out.settle_time[where] = c.t[accepted].to(dtype)
        out.stability_margin[where] = cache.arrays["margin"][c.slots[accepted]].to(dtype)
        out.accepted_by[where] = how[accepted]
