"""Dormand-Prince 5(4) steps with a step size, error test and controller for every row."""

from __future__ import annotations

import math

import torch

from ._outcomes import Rows
from ._products import Field
from ._rowwise import position_invariant

# Dormand & Prince (1980): stage i + 1 evaluates the field at x + h sum_j A[i][j] k_j; the
# last row is the 5th-order solution (first same as last: its field is the next k_1).
TABLEAU = (
    (1 / 5,),
    (3 / 40, 9 / 40),
    (44 / 45, -56 / 15, 32 / 9),
    (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
    (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656),
    (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84),
)
# Weights of the error estimate (5th minus 4th order), one per stage, the last on k_7.
ERROR_WEIGHTS = (71 / 57600, 0.0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40)
ORDER = 5
STAGES = 7
# PI controller: h <- h * SAFETY r^-BETA1 r_prev^BETA2, the factor clipped to the range.
SAFETY, FACTOR_MIN, FACTOR_MAX = 0.9, 0.2, 5.0
BETA1, BETA2 = 0.7 / ORDER, 0.4 / ORDER
# The local error is also kept below DISPLACEMENT_FRACTION h |dx/dt| (no noise floor near
# a fixed point) and never required below DISPLACEMENT_FRACTION atol.
DISPLACEMENT_FRACTION = 1e-2
INT_ATOL_FRACTION = 1e-2  # int_atol = int_rtol * INT_ATOL_FRACTION


class DormandPrince:
    r"""One step attempt per row per call, each row with its own step size ``h``.

    The error of a step is ``err = h sum_j E_j k_j`` (max-norm over neurons); the step is
    accepted when ``err <= scale`` with

        ``scale = max(min(int_atol + int_rtol |x_new|, c h |k_1|), c atol)``,  ``c = 1e-2``.

    The cap ``c h |k_1|`` (the error at most 1 % of the step's displacement) matters near a
    fixed point: with a plain ``atol + rtol |x|`` the controller, once stability-limited,
    accepts slightly unstable steps and the stiff components sit at a noise floor of order
    ``int_atol``, so ``|dx/dt|`` never reaches the convergence rule. A non-finite error is a
    rejected step. With ``r = err / scale`` the next step is
    ``h clip(0.9 r^-0.14 r_prev^0.08, 0.2, 5)`` after an accepted step (PI control) and
    ``h clip(0.9 r^-0.2, 0.2, 1)`` after a rejected one, never past ``max_time``.
    Everything a row's step depends on is its own.

    Per-row tensors used and updated: ``x``, ``k1`` (``dx/dt`` at ``x``), ``k1_norm``
    (``|k1|_inf``, float64), ``t``, ``h``, ``error_ratio`` (float64), ``steps`` (accepted
    steps, int64), read: ``scaled_drive``.
    """

    def __init__(
        self, field: Field, int_rtol: float, atol: float, max_time: float, reproducible: bool
    ) -> None:
        dyn = field.dyn
        self.field, self.max_time, self.reproducible = field, max_time, reproducible
        self.int_rtol, self.int_atol = int_rtol, int_rtol * INT_ATOL_FRACTION
        self.floor = DISPLACEMENT_FRACTION * atol
        self.dtype, self.device = dyn.dtype, dyn.device
        self.stage_weights = [
            torch.tensor(row, dtype=dyn.dtype, device=dyn.device) for row in TABLEAU
        ]
        self.error_weights = torch.tensor(ERROR_WEIGHTS[:-1], dtype=dyn.dtype, device=dyn.device)
        self.buffer: torch.Tensor | None = None

    def first_step(self, tau_min: float, step_size: float | None) -> float:
        """``step_size`` or ``min(0.1, int_rtol^(1/5)) tau_min``."""
        return step_size or min(0.1, self.int_rtol ** (1.0 / ORDER)) * tau_min

    def start(self, rows: Rows, h0: float) -> None:
        b, device = rows.count, self.device
        rows["t"] = torch.zeros(b, dtype=torch.float64, device=device)
        rows["h"] = torch.full((b,), h0, dtype=torch.float64, device=device)
        rows["error_ratio"] = torch.ones(b, dtype=torch.float64, device=device)
        rows["steps"] = torch.zeros(b, dtype=torch.int64, device=device)
        self.field.start(rows)
        rows["k1"] = self.field(rows["x"], rows["scaled_drive"])
        rows["k1_norm"] = rows["k1"].abs().amax(1).to(torch.float64)

    def advance(self, rows: Rows) -> tuple[torch.Tensor, torch.Tensor]:
        """One attempt for every row; returns which rows accepted theirs and the max-norm of
        each row's trial state (float64)."""
        self.field.prepare(rows)
        h = rows["h"]
        x_new, k_new, error = self._stages(rows["x"], rows["k1"], rows["scaled_drive"], h)
        x_norm = x_new.abs().amax(1).to(torch.float64)
        scale = torch.minimum(
            x_norm * self.int_rtol + self.int_atol,
            (rows["k1_norm"] * h).mul_(DISPLACEMENT_FRACTION),
        ).clamp_min_(self.floor)
        error_norm = error.abs_().amax(1).to(torch.float64)
        ratio = torch.nan_to_num(error_norm.mul_(h).div_(scale), nan=math.inf)
        accept = ratio <= 1.0
        self._control(rows, ratio, accept, x_new, k_new)
        self.field.promote(rows)
        rows["k1_norm"] = rows["k1"].abs().amax(1).to(torch.float64)
        return accept, x_norm

    def _stages(self, x, k1, scaled_drive, h):
        """Trial state, its field and the error estimate (without the factor h)."""
        b, n = x.shape
        if self.buffer is None or self.buffer.shape[1] != b:
            self.buffer = torch.empty((STAGES - 1, b, n), dtype=self.dtype, device=self.device)
        stages = self.buffer
        stages[0] = k1
        flat = stages.view(STAGES - 1, b * n)
        column = h.to(self.dtype)[:, None]
        for i in range(1, STAGES):
            if self.reproducible:
                trial = x + column * _combine(stages, TABLEAU[i - 1])
            elif i == 1:
                trial = torch.addcmul(x, column, stages[0], value=TABLEAU[0][0])
            else:
                combined = torch.matmul(self.stage_weights[i - 1], flat[:i]).view(b, n)
                trial = torch.addcmul(x, column, combined)
            last = self.field(trial, scaled_drive, stages[i] if i < STAGES - 1 else None)
        if self.reproducible:
            error = _combine(stages, ERROR_WEIGHTS[:-1]) + last * ERROR_WEIGHTS[-1]
        else:
            error = torch.matmul(self.error_weights, flat).view(b, n)
            error.add_(last, alpha=ERROR_WEIGHTS[-1])
        return trial, last, error

    def _control(self, rows: Rows, ratio, accept, x_new, k_new) -> None:
        """Accept or reject each row's attempt and choose its next step size."""
        h, previous = rows["h"], rows["error_ratio"]
        safe = ratio.clamp(1e-10, 1e10)
        factor = (self._pow(safe, -BETA1) * self._pow(previous, BETA2) * SAFETY).clamp_(
            FACTOR_MIN, FACTOR_MAX
        )
        if bool(accept.all()):
            t = rows["t"] + h
            rows["error_ratio"] = safe.clamp_min(1e-4)
            rows["x"], rows["k1"] = x_new, k_new
        else:
            shrink = (self._pow(safe, -1.0 / ORDER) * SAFETY).clamp_(FACTOR_MIN, 1.0)
            factor = torch.where(accept, factor, shrink)
            t = torch.where(accept, rows["t"] + h, rows["t"])
            rows["error_ratio"] = torch.where(accept, safe.clamp_min(1e-4), previous)
            column = accept[:, None]
            rows["x"] = torch.where(column, x_new, rows["x"])
            rows["k1"] = torch.where(column, k_new, rows["k1"])
        rows["h"] = torch.minimum(h * factor, (self.max_time - t).clamp_min(1e-300))
        rows["t"] = t
        rows["steps"] += accept

    def _pow(self, values: torch.Tensor, exponent: float) -> torch.Tensor:
        if self.reproducible:
            return position_invariant(lambda part: part.pow(exponent), values)
        return values.pow(exponent)


def _combine(stages: torch.Tensor, weights: tuple) -> torch.Tensor:
    """``sum_j weights[j] stages[j]`` by separately rounded products and sums: unlike fused
    multiply-adds (used by SIMD loops, not by their scalar tails) each element's result is
    then independent of its position in the batch."""
    combined = stages[0] * weights[0]
    for j in range(1, len(weights)):
        if weights[j] != 0.0:
            combined += stages[j] * weights[j]
    return combined
