"""Solver method ``"rk4"``: fixed-step RK4 from rest, with exact region solves along the way."""

from __future__ import annotations

import math

import torch

from ..common import ProgressCallback
from ._certify import RegionCertifier
from ._field import Dynamics
from ._options import SolverOptions
from ._outcomes import DivergenceTest, OscillationTest, Rows
from ._status import FixedPointResult, Status
from ._steps import default_step_size


class RK4Method:
    """Integrates every row with classical RK4 at one fixed step for the whole network.

    The step is ``options.step_size`` or :func:`default_step_size`; every half of the
    smallest time constant each row is checked: divergence, then acceptance of its current
    region (:class:`RegionCertifier`); every ``options.window_taus`` largest time constants,
    the oscillation test. Step and check times depend only on the network, so rows are
    independent of each other, and decided rows leave the batch.
    """

    def __init__(self, dynamics: Dynamics, options: SolverOptions) -> None:
        network = dynamics.network
        self.dyn = dynamics
        self.h = options.step_size or default_step_size(network)
        self.check_every = max(1, round(0.5 * network.tau.min() / self.h))
        window_time = options.window_taus * network.tau.max()
        window = max(1, round(window_time / (self.h * self.check_every)))
        self.window_steps = window * self.check_every
        self.max_steps = max(1, math.ceil(options.max_time / self.h))
        self.certify = RegionCertifier(dynamics, options.rtol, options.atol)
        self.diverging = DivergenceTest(options.divergence_factor)
        self.oscillation = OscillationTest(options.rtol, options.atol)

    def __call__(
        self, drive: torch.Tensor, x: torch.Tensor, progress: ProgressCallback | None = None
    ) -> FixedPointResult:
        b, n = drive.shape
        out = FixedPointResult.undecided(b, n, self.max_steps, drive.dtype, drive.device)
        rows = Rows(index=torch.arange(b, device=drive.device), drive=drive, x=x)
        rows["scaled_drive"] = drive * self.dyn.rate
        self.diverging.start(rows, drive, x)
        self.oscillation.start(rows, self._active(x))
        for step in range(1, self.max_steps + 1):
            rows["x"] = self.dyn.rk4_step(rows["x"], rows["scaled_drive"], self.h)
            if step % self.check_every and step != self.max_steps:
                continue
            decided = self._check(rows, step, out)
            if step % self.window_steps == 0:
                oscillating = self.oscillation.close_window(rows, decided)
                out.record(rows["index"][oscillating], step, Status.OSCILLATING)
                decided |= oscillating
            if decided.any():
                rows = rows.keep(~decided)
                if progress is not None:
                    progress(int(decided.sum()))
            if rows.count == 0:
                break
        if progress is not None and rows.count:
            progress(rows.count)
        return out

    def _active(self, x: torch.Tensor) -> torch.Tensor:
        """Active sets, restricted to the neurons whose switching matters (a neuron that
        only reports crossing its threshold is no change of region)."""
        return (self.dyn.switching(x) > 0) & self.dyn.effective

    def _check(self, rows: Rows, step: int, out: FixedPointResult) -> torch.Tensor:
        decided = self.diverging(rows)
        out.record(rows["index"][decided], step, Status.DIVERGING)
        changed = self.oscillation.observe(rows, self._active(rows["x"]))
        candidates = torch.nonzero(~changed & ~decided)[:, 0]
        if candidates.numel():
            accepted = self.certify(rows, candidates, step * self.h, step, out)
            decided[candidates[accepted]] = True
        return decided
