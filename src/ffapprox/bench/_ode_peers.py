"""ODE solvers run to a steady state, the way users of scipy, torchdiffeq and diffrax do it.

Each returns a :class:`PeerResult`: the final state (float64 numpy) and whether its own
steady-state test fired. Nothing here knows about ffapprox's solver. The optional libraries
are imported inside the functions that use them (the ``bench`` extra).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from ..dynamics import DEFAULT_MAX_TIME, RecurrentNetwork

# Steady state for the ODE peers: max_j |dx_j/dt| at or below this.
STEADY_TOLERANCE = 1e-8
ODE_RTOL, ODE_ATOL = 1e-8, 1e-10
MAX_TIME = DEFAULT_MAX_TIME


class PeerResult(NamedTuple):
    """What a peer method reported.

    Attributes:
        state: the method's final ``x`` (B, N): float64 numpy for the ODE peers, a tensor
            for the iterations; NaN where it gave none.
        converged: the method's own claim of convergence (B,), bool.
        iterations: what the method spent: iterations (fixed-point methods), ``odeint``
            calls (torchdiffeq) or right-hand-side evaluations in total (scipy).
    """

    state: np.ndarray
    converged: np.ndarray
    iterations: int


def _field_parts(network: RecurrentNetwork, inputs: np.ndarray):
    if network.form != "threshold-linear":
        raise ValueError(f"peers implement the threshold-linear form only, got {network.form!r}")
    drive = np.atleast_2d(np.asarray(inputs, dtype=np.float64)) - network.bias
    return network.weights, network.tau, drive


def solve_ivp_steady_state(
    network: RecurrentNetwork,
    inputs,
    *,
    method: str = "RK45",
    rtol: float = ODE_RTOL,
    atol: float = ODE_ATOL,
    steady: float = STEADY_TOLERANCE,
    max_time: float = MAX_TIME,
) -> PeerResult:
    """One ``scipy.integrate.solve_ivp`` call per input, the common recipe.

    Integrates ``tau dx/dt = -x + W[x]^+ + i - b`` from rest with ``method`` (RK45, LSODA,
    DOP853, ...) and a terminal event at ``max|dx/dt| = steady``; converged when the event
    fired before ``max_time``. ``iterations`` counts right-hand-side evaluations.
    """
    from scipy.integrate import solve_ivp

    weights, tau, drive = _field_parts(network, inputs)
    state = np.full(drive.shape, np.nan)
    converged = np.zeros(len(drive), dtype=bool)
    evaluations = 0
    for row, d in enumerate(drive):

        def field(t, x, d=d):
            return (-x + weights @ np.maximum(x, 0.0) + d) / tau

        def settled(t, x, d=d):
            return np.abs(field(t, x, d)).max() - steady

        settled.terminal = True
        settled.direction = -1
        solution = solve_ivp(
            field, (0.0, max_time), np.zeros_like(d), method=method, rtol=rtol, atol=atol,
            events=settled,
        )  # fmt: skip
        evaluations += solution.nfev
        converged[row] = solution.status == 1
        state[row] = solution.y_events[0][0] if converged[row] else solution.y[:, -1]
    return PeerResult(state, converged, evaluations)


def odeint_steady_state(
    network: RecurrentNetwork,
    inputs: torch.Tensor,
    *,
    rtol: float = ODE_RTOL,
    atol: float = ODE_ATOL,
    steady: float = STEADY_TOLERANCE,
    max_time: float = MAX_TIME,
    first_horizon: float = 1.0,
) -> PeerResult:
    """The whole batch through ``torchdiffeq.odeint`` (dopri5) over doubling horizons.

    Integrates from rest to ``T``, then on from ``T`` to ``2T`` and so on, until every
    input has ``max|dx/dt| <= steady`` or the horizon passes ``max_time``. The adaptive step
    is shared by the batch (torchdiffeq's error norm covers the whole tensor), as in any
    batched ``odeint`` call.
    """
    from torchdiffeq import odeint

    dtype, device = inputs.dtype, inputs.device
    weights, tau, bias = network.tensors(dtype, device)
    drive = inputs - bias
    weights_t = weights.T.contiguous()

    def field(t, x):
        return (torch.relu(x) @ weights_t - x + drive) / tau

    x = torch.zeros_like(drive)
    start, horizon, evaluations = 0.0, first_horizon, 0
    while True:
        times = torch.tensor([start, horizon], dtype=dtype, device=device)
        x = odeint(field, x, times, method="dopri5", rtol=rtol, atol=atol)[-1]
        evaluations += 1
        settled = field(None, x).abs().amax(1) <= steady
        if bool(settled.all()) or horizon >= max_time:
            break
        start, horizon = horizon, min(2 * horizon, max_time)
    state = x.detach().to("cpu", torch.float64).numpy()
    return PeerResult(state, settled.cpu().numpy(), evaluations)


class DiffraxSteadyState:
    """``jax.jit(jax.vmap(diffrax.diffeqsolve))`` with Tsit5, a PID step-size controller and
    a steady-state event ``max|dx/dt| < steady``: the way a JAX user batches this problem.

    Built once per network; the first call compiles (time it apart). Needs jax and diffrax
    (``pip install 'ffapprox[bench]'``); switches JAX to 64-bit floats.
    """

    def __init__(
        self,
        network: RecurrentNetwork,
        *,
        rtol: float = ODE_RTOL,
        atol: float = ODE_ATOL,
        steady: float = STEADY_TOLERANCE,
        max_time: float = MAX_TIME,
        max_steps: int = 200_000,
    ) -> None:
        import diffrax
        import jax
        import jax.numpy as jnp

        jax.config.update("jax_enable_x64", True)
        _field_parts(network, network.bias)  # the threshold-linear form only
        weights, tau = jnp.asarray(network.weights), jnp.asarray(network.tau)

        def field(t, x, drive):
            return (-x + weights @ jnp.maximum(x, 0.0) + drive) / tau

        def settled(t, y, args, **kwargs):
            return jnp.max(jnp.abs(field(t, y, args))) < steady

        def one(u):
            drive = u - jnp.asarray(network.bias)
            solution = diffrax.diffeqsolve(
                diffrax.ODETerm(field), diffrax.Tsit5(), 0.0, max_time, None,
                jnp.zeros_like(drive), args=drive,
                stepsize_controller=diffrax.PIDController(rtol=rtol, atol=atol),
                event=diffrax.Event(settled), max_steps=max_steps, throw=False,
                saveat=diffrax.SaveAt(t1=True),
            )  # fmt: skip
            fired = solution.result == diffrax.RESULTS.event_occurred
            return solution.ys[-1], fired, solution.stats["num_steps"]

        self._solve = jax.jit(jax.vmap(one))
        self._asarray = jnp.asarray

    def __call__(self, inputs) -> PeerResult:
        state, fired, steps = self._solve(self._asarray(np.atleast_2d(inputs)))
        state.block_until_ready()
        return PeerResult(np.asarray(state), np.asarray(fired), int(np.sum(steps)))
