"""Exact, batched fixed points of the recurrent dynamics, with an outcome for every input."""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..common import ProgressCallback, check_choice, check_dtype
from ._field import Dynamics, as_batch
from ._network import RecurrentNetwork
from ._options import DEFAULT_MAX_TIME, SolverOptions
from ._rk4 import RK4Method
from ._status import FixedPointResult

# A solver method is built from the dynamics and the options, then called with the drives
# (B, N), the initial states and a progress callback. A second method is one module and
# one entry here.
SolverMethod = Callable[[Dynamics, SolverOptions], Callable[..., FixedPointResult]]
SOLVERS: dict[str, SolverMethod] = {"rk4": RK4Method}
DEFAULT_METHOD = "rk4"


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
) -> FixedPointResult:
    r"""Find, for each input, the stable fixed point the dynamics reach from ``x0``.

    Solves ``tau dx/dt = -x + W[x]^+ + i - b`` (or the rectified-recurrent form, see
    :class:`RecurrentNetwork`) for constant inputs ``i``. The dynamics are integrated with
    fixed-step RK4 from ``x0``; every few steps each input's current active set
    ``{j : s_j(x) > 0}`` gives a candidate fixed point by one linear solve,
    ``x* = (I - W D)^-1 (i - b)``. The candidate is accepted when it lies in that region
    (consistent signs), the region's Jacobian ``A`` has eigenvalues with negative real part,
    and either

    * a Lyapunov certificate proves that the trajectory from the current state never leaves
      the region again, hence converges to ``x*`` (see ``RegionTable``; networks of up to
      8 neurons); or
    * the integrated state has converged, ``|dx/dt| <= atol + rtol |x|`` element-wise,
      without changing active set since the last check (fixed points on a boundary).

    The returned state is the exact solution of the linear system, not the last iterate.
    Inputs are independent: the step size and check times depend only on the network, and
    settled inputs leave the batch. Inputs whose state exceeds ``1e6 (1 + |i - b| + |x0|)``
    are ``diverging``; inputs that keep switching active sets with a non-decaying amplitude
    over three windows of 25 ``tau_max``, and go back and forth (the last window returns to
    its first active set, or one neuron switches at least 3 times in it), are
    ``oscillating``; the rest, if undecided at ``max_time``, are ``unresolved``.

    Arguments:
        network: the recurrent network.
        inputs: constant inputs, shape (B, N) (or (N,) for one input).
        x0: initial states (B, N); rest (zeros) when omitted.
        rtol, atol: tolerances of the convergence rule and of the region test; default
            1e-8 / 1e-10 in float64, 1e-4 / 1e-5 in float32 (rtol is raised to at least
            10 machine epsilons).
        max_time: integration time limit, in the units of ``tau``.
        step_size: RK4 step; default ``1 / L``, ``L`` the largest ``|eigenvalue|`` of the
            Jacobian over all active sets (see ``default_step_size``).
        dtype: ``torch.float64`` (default) or ``torch.float32``.
        device: torch device for the computation and the result.
        method: the solver method, a key of ``SOLVERS`` (``"rk4"``: :class:`RK4Method`).
        progress: called with the number of inputs decided after each check.

    Returns:
        A :class:`FixedPointResult`.

    Raises:
        ValueError: for inputs or ``x0`` of the wrong shape or with NaN/inf, or a bad
            tolerance, ``max_time``, ``step_size`` or ``dtype``.

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
    options = SolverOptions.checked(dtype, rtol, atol, max_time, step_size)
    dyn = Dynamics(network, dtype, device)
    u = as_batch(network, "inputs", inputs, dtype, dyn.device)
    x = torch.zeros_like(u) if x0 is None else as_batch(network, "x0", x0, dtype, dyn.device)
    if x.shape != u.shape:
        raise ValueError(f"x0 must have shape {tuple(u.shape)}, got shape {tuple(x.shape)}")
    return SOLVERS[method](dyn, options)(u - dyn.bias, x.clone(), progress)
