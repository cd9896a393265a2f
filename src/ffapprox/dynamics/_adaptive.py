"""Solver method ``"adaptive"``: per-row Dormand-Prince steps, exact and certified fixed points."""

from __future__ import annotations

import torch

from ..common import ProgressCallback
from ._acceptance import RegionAcceptance
from ._dopri import DormandPrince
from ._eigen_certificate import EIGEN_MAX_ACTIVE
from ._field import Dynamics
from ._options import SolverOptions
from ._outcomes import DivergenceTest, Rows, RowWindowOscillationTest
from ._products import make_field
from ._status import FixedPointResult, Status

# A region must have held for max(QUIET_TAUS tau_max, QUIET_FRACTION t) before the first
# certificate attempt in it (most transient regions of large networks are then skipped).
QUIET_TAUS = 0.5
QUIET_FRACTION = 0.1
# Certificate attempts on every CHECK_EVERY-th step attempt of a row (region work costs a
# fixed ~1 ms of small operations per call); divergence, oscillation windows and the time
# limit on every SLOW_EVERY-th.
CHECK_EVERY = 10
SLOW_EVERY = 4
# A step below MIN_STEP (1 + t) ends the row as unresolved.
MIN_STEP = 1e-14


class AdaptiveMethod:
    r"""Integrates every row with its own Dormand-Prince 5(4) step (:class:`DormandPrince`)
    and accepts it at its region's exact fixed point as soon as that is justified.

    After each step attempt (one per row and loop iteration, so a row's attempt counter is
    the iteration), per row:

    * the effective active set is updated (:attr:`Dynamics.effective`: a neuron that only
      reports is no region change);
    * convergence rule, on an accepted step that did not change the active set:
      ``|dx/dt| <= atol + rtol |x|`` element-wise -- a candidate for ``converged``;
    * every ``CHECK_EVERY``-th attempt, rows whose region has held long enough (see
      ``QUIET_TAUS``) and whose next certificate attempt is due are candidates for
      ``certified`` (:class:`RegionAcceptance`);
    * every ``SLOW_EVERY``-th attempt: diverging when ``max|x|`` exceeds
      ``divergence_factor (1 + max|i - b| + max|x0|)`` on an accepted (error-controlled)
      step -- a non-finite trial step is a rejected step, never a divergence; the
      oscillation test at the end of each of the row's windows
      (:class:`RowWindowOscillationTest`); unresolved at ``max_time`` or when the step
      underflows (a row reaching ``max_time`` gets these checks at once).

    Every decision uses only the row's own trajectory and attempt counter, so rows are
    independent (the region cache only changes speed); with ``reproducible`` every product
    is batch-invariant too and results are bitwise the same in any batch.
    """

    def __init__(self, dynamics: Dynamics, options: SolverOptions) -> None:
        network = dynamics.network
        tau_max, tau_min = float(network.tau.max()), float(network.tau.min())
        self.dyn, self.rtol, self.atol = dynamics, options.rtol, options.atol
        self.quiet = QUIET_TAUS * tau_max
        self.field = make_field(dynamics, options)
        self.integrator = DormandPrince(
            self.field, options.int_rtol, options.atol, options.max_time, options.reproducible
        )
        self.first_step = self.integrator.first_step(tau_min, options.step_size)
        self.accept = RegionAcceptance(dynamics, options.rtol, options.atol, self.quiet)
        window_time = options.window_taus * tau_max
        self.oscillation = RowWindowOscillationTest(options.rtol, options.atol, window_time)
        self.diverging = DivergenceTest(options.divergence_factor)
        self.certifies = dynamics.threshold_linear or network.n_neurons <= EIGEN_MAX_ACTIVE
        self.all_effective = bool(dynamics.effective.all())
        self.end = options.max_time * (1 - 1e-12)

    def __call__(
        self, drive: torch.Tensor, x: torch.Tensor, progress: ProgressCallback | None = None
    ) -> FixedPointResult:
        """Outcome for drives ``i - b`` (B, N) from states ``x`` (B, N)."""
        b, n = drive.shape
        out = FixedPointResult.undecided(b, n, 0, drive.dtype, drive.device)
        rows = self._start(drive, x)
        iteration = 0
        while rows.count:
            iteration += 1
            decided = self._iterate(rows, iteration, out)
            if decided is not None and bool(decided.any()):
                rows = rows.keep(~decided)
                if progress is not None:
                    progress(int(decided.sum()))
        return out

    def _start(self, drive: torch.Tensor, x: torch.Tensor) -> Rows:
        b, device = drive.shape[0], drive.device
        rows = Rows(index=torch.arange(b, device=device), drive=drive, x=x)
        rows["scaled_drive"] = drive * self.dyn.rate
        self.integrator.start(rows, self.first_step)
        self.diverging.start(rows, drive, x)
        self.oscillation.start(rows, self._active(x))
        rows["changed_at"] = torch.zeros(b, dtype=torch.float64, device=device)
        rows["next_certificate"] = torch.full((b,), self.quiet, dtype=torch.float64, device=device)
        rows["next_convergence"] = torch.zeros(b, dtype=torch.float64, device=device)
        return rows

    def _active(self, x: torch.Tensor) -> torch.Tensor:
        active = self.field.switching(x) > 0
        return active if self.all_effective else active & self.dyn.effective

    def _iterate(self, rows: Rows, iteration: int, out: FixedPointResult):
        """One step attempt and the checks after it; returns the rows decided (or None)."""
        accept, x_norm = self.integrator.advance(rows)
        changed, any_changed = self.oscillation.observe(rows, self._active(rows["x"]))
        if any_changed:
            t = rows["t"]
            rows["changed_at"] = torch.where(changed, t, rows["changed_at"])
            hold = torch.clamp(t * QUIET_FRACTION, min=self.quiet)
            rows["next_certificate"] = torch.where(changed, t + hold, rows["next_certificate"])
        slow = iteration % SLOW_EVERY == 0
        if slow:
            self.oscillation.sample(rows)
            checked = None
        else:
            # Off the cycle only the rows that reached max_time are checked, so that no
            # row's checks depend on the others.
            checked = rows["t"] >= self.end
            slow = bool(checked.any())
        decided = None
        if slow:
            diverging = torch.where(accept, x_norm, 0.0) > rows["bound"]
            decided = self._record(rows, _both(diverging, checked), Status.DIVERGING, out)
        converged = self._converged(rows, accept, x_norm, changed if any_changed else None)
        if decided is not None:
            converged &= ~decided
        candidates = converged
        if self.certifies and iteration % CHECK_EVERY == 0:
            due = (rows["t"] >= rows["next_certificate"]) & ~converged
            candidates = converged | (due if decided is None else due & ~decided)
        if bool(candidates.any()):
            decided = _either(decided, self.accept(rows, candidates, converged, out))
        if slow:
            decided = self._close(rows, decided, checked, out)
        return decided

    def _close(self, rows: Rows, decided, checked, out: FixedPointResult):
        """Oscillation windows, then the time limit, for the rows ``checked`` (None: all)."""
        open_rows = _both(None if decided is None else ~decided, checked)
        oscillating = self.oscillation.close(rows, open_rows)
        decided = _either(decided, self._record(rows, oscillating, Status.OSCILLATING, out))
        ended = (rows["t"] >= self.end) | (rows["h"] < MIN_STEP * (1 + rows["t"]))
        ended = _both(ended if decided is None else ended & ~decided, checked)
        return _either(decided, self._record(rows, ended, Status.UNRESOLVED, out))

    def _converged(self, rows: Rows, accept, x_norm, changed) -> torch.Tensor:
        """Rows meeting the convergence rule after an accepted step that kept the region;
        the row-max test is a necessary condition of the element-wise rule (a filter)."""
        limit = self.atol + self.rtol * x_norm
        converged = (rows["k1_norm"] <= limit) & accept & (rows["t"] >= rows["next_convergence"])
        if changed is not None:
            converged &= ~changed
        if bool(converged.any()):
            index = torch.nonzero(converged)[:, 0]
            x, k1 = rows["x"][index], rows["k1"][index]
            converged[index] = (k1.abs() <= self.atol + self.rtol * x.abs()).all(1)
        return converged

    @staticmethod
    def _record(rows: Rows, mask: torch.Tensor, status: Status, out: FixedPointResult):
        """Record ``status`` for the rows of ``mask``; returns the mask, or None if empty."""
        if not bool(mask.any()):
            return None
        out.record(rows["index"][mask], rows["steps"][mask], status)
        return mask


def _either(first: torch.Tensor | None, second: torch.Tensor | None) -> torch.Tensor | None:
    if first is None:
        return second
    return first if second is None else first | second


def _both(first: torch.Tensor | None, second: torch.Tensor | None) -> torch.Tensor | None:
    """``first & second``, None standing for all rows."""
    if first is None:
        return second
    return first if second is None else first & second
