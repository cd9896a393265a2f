"""Other ways to find a network's fixed points, written the usual way, for the benchmark.

Each peer returns a :class:`PeerResult`: the state it reports (float64, on the CPU) and
whether it claims convergence for each input. Nothing here knows about ffapprox's solver;
the benchmark judges every answer with :func:`ffapprox.vector_field`. Optional libraries
(scipy, torchdiffeq, torchdeq) are imported inside the functions that need them.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from ..dynamics import DEFAULT_MAX_TIME, RecurrentNetwork
from ._extra import INSTALL_HINT

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
    network: RecurrentNetwork, inputs, *, steady_tolerance: float = STEADY_TOLERANCE
) -> PeerResult:
    """One ``scipy.integrate.solve_ivp`` call per input (RK45), the common recipe.

    Integrates ``tau dx/dt = -x + W[x]^+ + i - b`` from rest with rtol 1e-8 / atol 1e-10 and
    a terminal event at ``max|dx/dt| = steady_tolerance`` (default 1e-8); converged when the
    event fired before 500 tau.
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
            return np.abs(field(t, x, d)).max() - steady_tolerance

        settled.terminal = True
        solution = solve_ivp(
            field,
            (0.0, MAX_TIME),
            np.zeros_like(d),
            method="RK45",
            rtol=ODE_RTOL,
            atol=ODE_ATOL,
            events=settled,
        )
        evaluations += solution.nfev
        converged[row] = solution.status == 1
        state[row] = solution.y_events[0][0] if converged[row] else solution.y[:, -1]
    return PeerResult(state, converged, evaluations)


def odeint_steady_state(
    network: RecurrentNetwork, inputs: torch.Tensor, *, first_horizon: float = 1.0
) -> PeerResult:
    """The whole batch through ``torchdiffeq.odeint`` (dopri5) over doubling horizons.

    Integrates from rest to ``T``, then on from ``T`` to ``2T`` and so on, until every
    input has ``max|dx/dt| <= 1e-8`` or the horizon passes 500 tau. The adaptive step is
    shared by the batch (torchdiffeq's error norm covers the whole tensor), as in any
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
        x = odeint(field, x, times, method="dopri5", rtol=ODE_RTOL, atol=ODE_ATOL)[-1]
        evaluations += 1
        settled = field(None, x).abs().amax(1) <= STEADY_TOLERANCE
        if bool(settled.all()) or horizon >= MAX_TIME:
            break
        start, horizon = horizon, min(2 * horizon, MAX_TIME)
    state = x.detach().to("cpu", torch.float64).numpy()
    return PeerResult(state, settled.cpu().numpy(), evaluations)


def fixed_point_map(network: RecurrentNetwork, inputs: torch.Tensor):
    """``g(x) = W[x]^+ + i - b``, whose fixed points are those of the dynamics."""
    weights, _, bias = network.tensors(inputs.dtype, inputs.device)
    drive, weights_t = inputs - bias, weights.T.contiguous()
    return lambda x: torch.addmm(drive, torch.relu(x), weights_t)


def relative_residual(x: torch.Tensor, gx: torch.Tensor) -> torch.Tensor:
    """``||g(x) - x|| / (||g(x)|| + 1e-9)`` per row, the DEQ libraries' stopping measure."""
    return (gx - x).norm(dim=1) / (gx.norm(dim=1) + 1e-9)


def fixed_point_iteration(g, x0: torch.Tensor, *, max_iter: int = 500, tol: float = 1e-8):
    """Plain iteration ``x <- g(x)`` until every row's relative residual is below ``tol``."""
    x, iterations = x0, 0
    while iterations < max_iter:
        gx = g(x)
        residual = relative_residual(x, gx)
        x, iterations = gx, iterations + 1
        if bool((residual < tol).all()):
            break
    return PeerResult(x, torch.isfinite(residual) & (residual < tol), iterations)


def anderson(
    g,
    x0: torch.Tensor,
    *,
    m: int = 5,
    beta: float = 1.0,
    lam: float = 1e-4,
    max_iter: int = 500,
    tol: float = 1e-8,
):
    r"""Anderson acceleration of ``x <- g(x)``, as in the DEQ libraries (Bai et al. 2019).

    Keeps the last ``m`` iterates ``X`` and images ``F = g(X)``; each step solves the
    regularised least-squares problem ``min_a ||(F - X)^T a||^2 + lam ||a||^2`` with
    ``sum(a) = 1`` (bordered system, as in the ``deq`` and ``torchdeq`` code) and mixes
    ``x = beta a F + (1 - beta) a X``. Stops when every row's relative residual
    ``||g(x) - x|| / ||g(x)||`` is below ``tol``, or after ``max_iter`` iterations; the
    last iterate is returned with a per-row convergence flag.

    Returns:
        ``PeerResult(state, converged, iterations)``; ``state`` is a tensor here.
    """
    batch, dim = x0.shape
    kw = {"dtype": x0.dtype, "device": x0.device}
    history_x = torch.zeros(batch, m, dim, **kw)
    history_f = torch.zeros(batch, m, dim, **kw)
    history_x[:, 0], history_f[:, 0] = x0, g(x0)
    history_x[:, 1], history_f[:, 1] = history_f[:, 0], g(history_f[:, 0])
    bordered = torch.zeros(batch, m + 1, m + 1, **kw)
    bordered[:, 0, 1:] = bordered[:, 1:, 0] = 1
    rhs = torch.zeros(batch, m + 1, 1, **kw)
    rhs[:, 0] = 1
    residual = relative_residual(history_x[:, 1], history_f[:, 1])
    x = history_f[:, 1]
    iteration = 2
    for iteration in range(2, max_iter):
        n = min(iteration, m)
        diffs = history_f[:, :n] - history_x[:, :n]
        bordered[:, 1 : n + 1, 1 : n + 1] = (
            torch.bmm(diffs, diffs.transpose(1, 2)) + lam * (torch.eye(n, **kw)[None])
        )
        alpha = torch.linalg.solve(bordered[:, : n + 1, : n + 1], rhs[:, : n + 1])[:, 1:, 0]
        mixed = beta * (alpha[:, None] @ history_f[:, :n])[:, 0]
        if beta != 1.0:
            mixed += (1 - beta) * (alpha[:, None] @ history_x[:, :n])[:, 0]
        x = history_x[:, iteration % m] = mixed
        gx = history_f[:, iteration % m] = g(x)
        residual = relative_residual(x, gx)
        if bool((residual < tol).all()):
            break
    converged = torch.isfinite(residual) & (residual < tol)
    return PeerResult(x, converged, iteration + 1)


def torchdeq_anderson(g, x0: torch.Tensor, *, m: int = 5, max_iter: int = 500, tol: float = 1e-8):
    """``torchdeq``'s Anderson solver with the same settings (returns its lowest-residual
    iterate, per torchdeq's design)."""
    from torchdeq.solver import get_solver

    solver = get_solver("anderson")
    x, _, info = solver(g, x0, max_iter=max_iter, tol=tol, stop_mode="rel", m=m, tau=1.0)
    converged = (info["rel_lowest"] < tol).to(x.device)
    return PeerResult(x, converged, int(info["nstep"].max()))


def availability() -> dict[str, str | None]:
    """``None`` for each optional peer library that imports, else why it does not."""
    found: dict[str, str | None] = {}
    for name, module in (
        ("scipy", "scipy.integrate"),
        ("torchdiffeq", "torchdiffeq"),
        ("torchdeq", "torchdeq.solver"),
    ):
        try:
            __import__(module)
            found[name] = None
        except Exception as err:  # any import failure makes the peer unavailable
            reason = str(err).splitlines()[0] if str(err) else ""
            found[name] = f"{type(err).__name__}: {reason} ({INSTALL_HINT})"
    return found
