"""Settings every fixed-point solver method receives, validated once."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..common import check_real

# Integration time limit of the solver, in units of tau (the library-wide default).
DEFAULT_MAX_TIME = 500.0


@dataclass(frozen=True)
class SolverOptions:
    """Tolerances, time limit and step of a solve (see :func:`solve_fixed_points`)."""

    rtol: float
    atol: float
    max_time: float = DEFAULT_MAX_TIME
    step_size: float | None = None

    @classmethod
    def checked(cls, dtype: torch.dtype, rtol, atol, max_time, step_size) -> SolverOptions:
        """Validated options; default tolerances 1e-8 / 1e-10 (float64) or 1e-4 / 1e-5
        (float32), rtol raised to at least 10 machine epsilons."""
        eps = torch.finfo(dtype).eps
        double = dtype == torch.float64
        rtol = check_real("rtol", (1e-8 if double else 1e-4) if rtol is None else rtol, low=0.0)
        atol = check_real("atol", (1e-10 if double else 1e-5) if atol is None else atol, low=0.0)
        if rtol + atol == 0:
            raise ValueError(f"rtol and atol must not both be 0, got {rtol}, {atol}")
        max_time = check_real("max_time", max_time, low=0.0, low_open=True)
        if step_size is not None:
            step_size = check_real("step_size", step_size, low=0.0, low_open=True)
        return cls(max(rtol, 10 * eps), atol, max_time, step_size)
