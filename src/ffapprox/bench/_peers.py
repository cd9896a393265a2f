"""Fixed-point iterations as deep-equilibrium libraries run them, for the benchmark (the ODE
peers are in ``_ode_peers``).

Each peer returns a :class:`PeerResult`: the state it reports and whether it claims
convergence for each input. Nothing here knows about ffapprox's solver; the benchmark
judges every answer with :func:`ffapprox.vector_field`. torchdeq is imported inside the
function that uses it.
"""

from __future__ import annotations

import torch

from ..dynamics import RecurrentNetwork
from ._extra import INSTALL_HINT
from ._ode_peers import PeerResult
from ._ode_peers import odeint_steady_state as odeint_steady_state
from ._ode_peers import solve_ivp_steady_state as solve_ivp_steady_state


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
