"""Acceptance of a row's current region: its exact fixed point, once settling is proven."""

from __future__ import annotations

import torch

from ._field import Dynamics
from ._outcomes import Rows
from ._regions import RegionTable, gather_apply
from ._status import Acceptance, FixedPointResult, Status


class RegionCertifier:
    r"""Accepts a row at its current region's exact fixed point when that is justified.

    For rows whose active set (over the neurons whose switching matters, see
    ``Dynamics.effective``) did not change since the previous check, the region's fixed
    point ``x* = M^-1 drive`` is computed (one linear solve, cached per active set). It is
    accepted when it lies in the region (consistent signs, within tolerance), the region is
    stable (every eigenvalue of its Jacobian has negative real part) and either

    * a Lyapunov certificate proves the trajectory can no longer leave the region (see
      :class:`RegionTable`; networks of up to ``LYAPUNOV_MAX_NEURONS`` neurons), or
    * the integrated state has converged, ``|dx/dt| <= atol + rtol |x|`` element-wise.
    """

    def __init__(self, dynamics: Dynamics, rtol: float, atol: float) -> None:
        self.dyn, self.rtol, self.atol = dynamics, rtol, atol
        self.table = RegionTable(dynamics)

    def __call__(
        self, rows: Rows, cand: torch.Tensor, time: float, step: int, out: FixedPointResult
    ) -> torch.Tensor:
        """Accept what can be accepted among rows ``cand``; records them in ``out`` and
        returns a mask over ``cand``."""
        dyn, table = self.dyn, self.table
        accept = torch.zeros(cand.shape[0], dtype=torch.bool, device=cand.device)
        x, drive = rows["x"][cand], rows["drive"][cand]
        converged = (dyn.field(x, drive).abs() <= self.atol + self.rtol * x.abs()).all(1)
        # Without the Lyapunov certificate (large N) only converged rows can be accepted:
        # skip the O(N^3) region work for the others.
        idx = torch.arange(cand.shape[0], device=cand.device)
        if not table.certificate:
            idx = idx[converged]
        if idx.numel() == 0:
            return accept
        active = rows["active"][cand[idx]]
        regions = table.regions(active)
        fixed = table.fixed_points(regions, drive[idx])
        s_fixed = dyn.switching(fixed)
        tol = self.atol + self.rtol * s_fixed.abs()
        # Active sets cover the neurons whose switching matters (``dyn.effective``); the
        # others may sit on either side of their threshold.
        consistent = (torch.where(active, s_fixed >= -tol, s_fixed <= tol) | ~dyn.effective).all(1)
        sub = torch.nonzero(consistent)[:, 0]
        if sub.numel() == 0:
            return accept
        stability, local = table.stability(regions, sub)
        error = x[idx[sub]] - fixed[sub]
        radius = (error * gather_apply(stability.lyapunov, local, error)).sum(1)
        reach = radius.clamp_min(0).sqrt()[:, None] * stability.gains[local]
        inside = (reach < s_fixed[sub].abs()) | (dyn.switch_row_norm == 0) | ~dyn.effective
        max_real = stability.max_real[local]
        certified = inside.all(1)
        ok = (max_real < 0) & (certified | converged[idx[sub]])
        sub, max_real, certified = sub[ok], max_real[ok], certified[ok]
        if sub.numel():
            accept[idx[sub]] = True
            where = rows["index"][cand[idx[sub]]]
            state = fixed[sub]
            out.record(where, step, Status.STABLE)
            out.state[where] = state
            out.rates[where] = torch.relu(state)
            out.residual[where] = dyn.field(state, drive[idx[sub]]).abs().amax(1)
            out.settle_time[where] = time
            out.stability_margin[where] = max_real
            out.accepted_by[where] = torch.where(
                certified, int(Acceptance.CERTIFIED), int(Acceptance.CONVERGED)
            ).to(torch.int8)
        return accept
