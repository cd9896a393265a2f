"""Settings every fixed-point solver method receives, validated once."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..common import check_real

# Integration time limit of the solver, in units of tau (the library-wide default).
DEFAULT_MAX_TIME = 500.0
# Oscillation test: windows of this many of the largest time constant.
DEFAULT_WINDOW_TAUS = 25.0
# A state this many times larger than (1 + |drive| + |x0|) counts as diverging.
DEFAULT_DIVERGENCE_FACTOR = 1e6
# Local error tolerance of the adaptive method's step control (relative, max-norm): no
# input of the benchmark networks changed basin between 1e-5 and 1e-4; one did at 3e-4.
DEFAULT_INT_RTOL = 1e-4


@dataclass(frozen=True)
class SolverOptions:
    """Tolerances, limits and switches of a solve (see :func:`solve_fixed_points`).

    Attributes:
        rtol, atol: the convergence rule ``|dx/dt| <= atol + rtol |x|`` (element-wise) and
            the tolerance of the region test of a fixed point.
        max_time: integration time limit, in units of tau.
        step_size: ``"rk4"``: the fixed step (default :func:`default_step_size`);
            ``"adaptive"``: the first step of every input (default ``0.1 tau_min``).
        window_taus: length of one window of the oscillation test, in units of the
            largest time constant; an input oscillates after three windows with a steady
            amplitude in which its active set goes back and forth.
        divergence_factor: an input diverges when ``max|x|`` exceeds this factor times
            ``1 + max|i - b| + max|x0|``.
        int_rtol: ``"adaptive"``: relative local error tolerance of the step control
            (``int_atol = int_rtol / 100``); a larger value takes fewer steps but a
            trajectory may end in a neighbouring basin of a multistable network.
        reproducible: ``"adaptive"``: compute every product in fixed blocks of rows, so
            that each input's result (steps and times included) is bitwise the same in
            any batch; costs 20-45 % more time (measured at N = 5 to 1024).
        mixed_precision: ``"adaptive"``, float64, N >= 512: form the products ``W [x]^+``
            in float32 while ``|dx/dt|`` is far above float32 rounding (never with
            ``reproducible``).
    """

    rtol: float
    atol: float
    max_time: float = DEFAULT_MAX_TIME
    step_size: float | None = None
    window_taus: float = DEFAULT_WINDOW_TAUS
    divergence_factor: float = DEFAULT_DIVERGENCE_FACTOR
    int_rtol: float = DEFAULT_INT_RTOL
    reproducible: bool = False
    mixed_precision: bool = True

    @classmethod
    def checked(
        cls,
        dtype: torch.dtype,
        rtol,
        atol,
        max_time,
        step_size,
        *,
        window_taus=DEFAULT_WINDOW_TAUS,
        divergence_factor=DEFAULT_DIVERGENCE_FACTOR,
        int_rtol=DEFAULT_INT_RTOL,
        reproducible=False,
        mixed_precision=True,
    ) -> SolverOptions:
        """Validated options; default tolerances 1e-8 / 1e-10 (float64) or 1e-4 / 1e-5
        (float32), rtol and int_rtol raised to at least 10 machine epsilons.

        Raises:
            ValueError: naming the first argument out of range or of the wrong type.
        """
        eps = torch.finfo(dtype).eps
        double = dtype == torch.float64
        rtol = check_real("rtol", (1e-8 if double else 1e-4) if rtol is None else rtol, low=0.0)
        atol = check_real("atol", (1e-10 if double else 1e-5) if atol is None else atol, low=0.0)
        if rtol + atol == 0:
            raise ValueError(f"rtol and atol must not both be 0, got {rtol}, {atol}")
        max_time = check_real("max_time", max_time, low=0.0, low_open=True)
        if step_size is not None:
            step_size = check_real("step_size", step_size, low=0.0, low_open=True)
        window_taus = check_real("window_taus", window_taus, low=0.0, low_open=True)
        divergence_factor = check_real(
            "divergence_factor", divergence_factor, low=1.0, low_open=True
        )
        int_rtol = check_real("int_rtol", int_rtol, low=0.0, high=1.0, low_open=True)
        for name, flag in (("reproducible", reproducible), ("mixed_precision", mixed_precision)):
            if not isinstance(flag, bool):
                raise ValueError(f"{name} must be True or False, got {flag!r}")
        return cls(
            max(rtol, 10 * eps),
            atol,
            max_time,
            step_size,
            window_taus,
            divergence_factor,
            max(int_rtol, 10 * eps),
            reproducible,
            mixed_precision,
        )
