"""Trajectories of the recurrent dynamics at requested times (no I/O)."""

from __future__ import annotations

import math

import numpy as np
import torch

from ..common import check_real
from ._field import Dynamics, as_batch
from ._network import RecurrentNetwork
from ._steps import default_step_size

# simulate() takes steps this fraction of the solver's: a trajectory, not just its end.
SIMULATE_STEP_FRACTION = 0.1


def simulate(
    network: RecurrentNetwork,
    inputs,
    t,
    *,
    x0=None,
    step_size: float | None = None,
    dtype: torch.dtype = torch.float64,
    device=None,
) -> torch.Tensor:
    """Integrate the dynamics from ``x0`` (default rest) and sample the state at times ``t``.

    Uses classical RK4 with a fixed step, shortened to land exactly on each requested time.
    The default step is a tenth of :func:`default_step_size` (the solver's step, which is
    chosen for stability, not accuracy: with it ``exp(-t)`` is off by 1 % at ``t = 1``).

    Arguments:
        network: the recurrent network.
        inputs: constant inputs, shape (B, N) or (N,).
        t: increasing sample times >= 0, in units of tau, shape (T,).
        x0: initial states, shape (B, N); zeros when omitted.

    Returns:
        States of shape (T, B, N).

    Example:
        >>> import numpy as np
        >>> net = RecurrentNetwork(np.zeros((1, 1)))
        >>> x = simulate(net, [[1.0]], [0.0, 1.0])
        >>> round(float(x[-1, 0, 0]), 5)  # 1 - exp(-1) = 0.6321206
        0.63212
    """
    dyn = Dynamics(network, dtype, device)
    u = as_batch(network, "inputs", inputs, dtype, device)
    x = torch.zeros_like(u) if x0 is None else as_batch(network, "x0", x0, dtype, device)
    if x.shape != u.shape:
        raise ValueError(f"x0 must have shape {tuple(u.shape)}, got shape {tuple(x.shape)}")
    times = np.asarray(t, dtype=np.float64).reshape(-1)
    if times.size == 0 or np.any(times < 0) or np.any(np.diff(times) < 0):
        raise ValueError(f"t must be a non-empty increasing sequence of times >= 0, got {t!r}")
    if step_size is not None:
        step_size = check_real("step_size", step_size, low=0.0, low_open=True)
    h_max = step_size or SIMULATE_STEP_FRACTION * default_step_size(network)
    drive = (u - dyn.bias) * dyn.rate
    out = torch.empty((times.size, *u.shape), dtype=dtype, device=dyn.device)
    now = 0.0
    for k, target in enumerate(times):
        n_steps = math.ceil((target - now) / h_max - 1e-9) if target > now else 0
        for _ in range(n_steps):
            x = dyn.rk4_step(x, drive, (target - now) / n_steps)
        now = float(target)
        out[k] = x
    return out
