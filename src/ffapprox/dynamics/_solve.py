"""Exact, batched fixed points of the recurrent dynamics, with an outcome for every input."""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..common import ProgressCallback, check_choice, check_dtype
from ._adaptive import AdaptiveMethod
from ._feasibility import check_feasible
from ._field import Dynamics, as_batch
from ._network import RecurrentNetwork
from ._options import (
    DEFAULT_DIVERGENCE_FACTOR,
    DEFAULT_INT_RTOL,
    DEFAULT_MAX_TIME,
    DEFAULT_WINDOW_TAUS,
    SolverOptions,
)
from ._rk4 import RK4Method
from ._status import FixedPointResult

# A solver method is built from the dynamics and the options, then called with the drives
# (B, N), the initial states and a progress callback. A further method is its modules and
# one entry here.
SolverMethod = Callable[[Dynamics, SolverOptions], Callable[..., FixedPointResult]]
SOLVERS: dict[str, SolverMethod] = {"adaptive": AdaptiveMethod, "rk4": RK4Method}
DEFAULT_METHOD = "adaptive"


def solve_fixed_points(
    network: RecurrentNetwork,
    inputs,
    *,
    x0=None,
    rtol: float | None = None,
    atol: float | None = None,
    max_time: float = DEFAULT_MAX_TIME,
    step_size: float | None = None,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str | None = None,
    method: str = DEFAULT_METHOD,
    progress: ProgressCallback | None = None,
    window_taus: float = DEFAULT_WINDOW_TAUS,
    divergence_factor: float = DEFAULT_DIVERGENCE_FACTOR,
    int_rtol: float = DEFAULT_INT_RTOL,
    reproducible: bool = False,
    mixed_precision: bool = True,
) -> FixedPointResult:
    r"""Find, for each input, the stable fixed point the dynamics reach from ``x0``.

    Solves ``tau dx/dt = -x + W[x]^+ + i - b`` (or the rectified-recurrent form, see
    :class:`RecurrentNetwork`) for constant inputs ``i``, integrating from ``x0``. Along
    the way each input's active set ``D`` gives a candidate ``x* = (I - W D)^-1 (i - b)``
    (one linear solve), accepted when it lies in that region, the region is stable (the
    Jacobian's eigenvalues have negative real parts) and either a certificate proves that
    the trajectory never leaves the region again (``certified``) or ``|dx/dt| <= atol +
    rtol |x|`` element-wise without a change of region (``converged``); the state returned
    is that exact solution. Otherwise ``diverging``: ``max|x| > divergence_factor (1 +
    max|i - b| + max|x0|)``; ``oscillating``: active sets going back and forth with a
    steady amplitude over three windows of ``window_taus tau_max``; ``unresolved``:
    undecided at ``max_time``. Inputs are independent: each one's steps and checks depend
    on its own trajectory only. Methods: ``"adaptive"`` (default, :class:`AdaptiveMethod`),
    Dormand-Prince 5(4) with a step size per input; ``"rk4"`` (:class:`RK4Method`).

    Arguments:
        network: the recurrent network.
        inputs: constant inputs, shape (B, N) (or (N,) for one input).
        x0: initial states (B, N); rest (zeros) when omitted.
        rtol, atol: tolerances of the convergence rule and of the region test; default
            1e-8 / 1e-10 in float64, 1e-4 / 1e-5 in float32.
        max_time: integration time limit, in the units of ``tau``.
        step_size: ``"rk4"``: the step (default :func:`default_step_size`);
            ``"adaptive"``: every input's first step (default ``0.1 tau_min``).
        dtype: ``torch.float64`` (default) or ``torch.float32``.
        device: torch device for the computation and the result.
        method: the solver method, a key of ``SOLVERS``.
        progress: called with the number of inputs decided after each check.
        window_taus, divergence_factor, int_rtol, reproducible, mixed_precision: the
            oscillation window (25 tau_max), the divergence factor (1e6), and for
            ``"adaptive"`` the local error tolerance (1e-4), bitwise batch independence
            (off) and float32 products in transients (on): see :class:`SolverOptions`.

    Returns:
        A :class:`FixedPointResult`.

    Raises:
        ValueError: for inputs or ``x0`` of the wrong shape or with NaN/inf, a bad
            tolerance, ``max_time``, ``step_size``, ``dtype``, method or option, or a solve
            that is not feasible (see ``check_feasible``: time limit, step, dtype range).

    Example:
        >>> import numpy as np
        >>> from ffapprox import STATUS_NAMES
        >>> net = RecurrentNetwork(np.array([[0.0, -2.0], [-2.0, 0.0]]))
        >>> result = solve_fixed_points(net, [[1.0, 0.5]])
        >>> result.rates.tolist(), STATUS_NAMES[result.status[0]]
        ([[1.0, 0.0]], 'stable')
    """
    dtype = check_dtype(dtype)
    method = check_choice("method", method, list(SOLVERS))
    options = SolverOptions.checked(
        dtype, rtol, atol, max_time, step_size, window_taus=window_taus,
        divergence_factor=divergence_factor, int_rtol=int_rtol, reproducible=reproducible,
        mixed_precision=mixed_precision,
    )  # fmt: skip
    dyn, drive, x = _prepare(network, inputs, x0, dtype, device)
    check_feasible(network, drive, options, dtype, method)
    return SOLVERS[method](dyn, options)(drive, x, progress)


def _prepare(network: RecurrentNetwork, inputs, x0, dtype, device):
    """The dynamics, the drives ``inputs - bias`` and a copy of ``x0`` (zeros when None),
    validated as (B, N) tensors on the device."""
    dyn = Dynamics(network, dtype, device)
    u = as_batch(network, "inputs", inputs, dtype, dyn.device)
    x = torch.zeros_like(u) if x0 is None else as_batch(network, "x0", x0, dtype, dyn.device)
    if x.shape != u.shape:
        raise ValueError(f"x0 must have shape {tuple(u.shape)}, got shape {tuple(x.shape)}")
    return dyn, u - dyn.bias, x.clone()
