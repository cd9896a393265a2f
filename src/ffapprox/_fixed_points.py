"""Exact, batched fixed points of the recurrent dynamics, with an outcome for every input."""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import torch

from ._dynamics import Dynamics, _as_batch, default_step_size
from ._network import RecurrentNetwork
from ._regions import RegionTable, _gather_apply


class Status(enum.IntEnum):
    """What the dynamics did for one input; the value is the code stored in files."""

    STABLE = 0  # settled into a fixed point whose region is stable (see solve_fixed_points)
    OSCILLATING = 1  # bounded, keeps switching active sets without settling
    DIVERGING = 2  # grew past the divergence bound
    UNRESOLVED = 3  # none of the above decided within max_time


STATUS_NAMES: tuple[str, ...] = tuple(s.name.lower() for s in Status)

# A state this many times larger than (1 + |drive| + |x0|) counts as diverging.
DIVERGENCE_FACTOR = 1e6
# Oscillation test: windows of this many tau_max; amplitude ratio between windows.
WINDOW_TAUS = 25.0
_AMPLITUDE_RATIO = (0.95, 1.25)
# ... and the least number of times one neuron switches within a window of chaos.
MIN_TOGGLES = 3


def count_status(status: np.ndarray) -> dict[str, int]:
    """Number of entries per status name, for an array of :class:`Status` codes."""
    codes = np.bincount(np.asarray(status, dtype=np.int64), minlength=len(Status))
    return {name: int(c) for name, c in zip(STATUS_NAMES, codes, strict=True)}


class FixedPointResult(NamedTuple):
    """Per-input outcome of :func:`solve_fixed_points`; every field has leading dim B.

    Attributes:
        state: ``x`` at the fixed point (B, N); NaN unless stable.
        rates: the response ``[x]^+`` (B, N); NaN unless stable.
        status: :class:`Status` codes, int8 (B,).
        residual: max-norm of ``dx/dt`` at ``state`` (B,); NaN unless stable.
        settle_time: time (units of tau) at which settling was certified; NaN unless stable.
        steps: integration steps spent on the input (B,), int64.
        stability_margin: largest real part of the Jacobian's eigenvalues at ``state``
            (negative when stable); NaN unless stable.
    """

    state: torch.Tensor
    rates: torch.Tensor
    status: torch.Tensor
    residual: torch.Tensor
    settle_time: torch.Tensor
    steps: torch.Tensor
    stability_margin: torch.Tensor

    def counts(self) -> dict[str, int]:
        """Number of inputs per status name."""
        return count_status(self.status.cpu().numpy())

    def numpy(self) -> dict[str, np.ndarray]:
        """All fields as numpy arrays on the CPU."""
        return {k: v.detach().cpu().numpy() for k, v in self._asdict().items()}


def _tolerances(dtype: torch.dtype, rtol: float | None, atol: float | None):
    eps = torch.finfo(dtype).eps
    rtol = (1e-8 if dtype == torch.float64 else 1e-4) if rtol is None else rtol
    atol = (1e-10 if dtype == torch.float64 else 1e-5) if atol is None else atol
    if not (rtol >= 0 and atol >= 0 and rtol + atol > 0):
        raise ValueError(f"rtol and atol must be >= 0 and not both 0, got {rtol}, {atol}")
    return max(rtol, 10 * eps), atol


def solve_fixed_points(
    network: RecurrentNetwork,
    inputs,
    *,
    x0=None,
    rtol: float | None = None,
    atol: float | None = None,
    max_time: float = 500.0,
    step_size: float | None = None,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str | None = None,
    progress: Callable[[int], None] | None = None,
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
        progress: called with the number of inputs decided after each check.

    Returns:
        A :class:`FixedPointResult`.

    Raises:
        ValueError: for inputs or ``x0`` of the wrong shape or with NaN/inf, or a bad
            tolerance, ``max_time``, ``step_size`` or ``dtype``.

    Example:
        >>> import numpy as np
        >>> net = RecurrentNetwork(np.array([[0.0, -2.0], [-2.0, 0.0]]))
        >>> result = solve_fixed_points(net, [[1.0, 0.5]])
        >>> result.rates.tolist(), STATUS_NAMES[result.status[0]]
        ([[1.0, 0.0]], 'stable')
    """
    if dtype not in (torch.float32, torch.float64):
        raise ValueError(f"dtype must be torch.float32 or torch.float64, got {dtype}")
    if not (math.isfinite(max_time) and max_time > 0):
        raise ValueError(f"max_time must be a positive finite number, got {max_time}")
    if step_size is not None and not (math.isfinite(step_size) and step_size > 0):
        raise ValueError(f"step_size must be a positive finite number, got {step_size}")
    rtol, atol = _tolerances(dtype, rtol, atol)
    dyn = Dynamics(network, dtype, device)
    u = _as_batch(network, "inputs", inputs, dtype, dyn.device)
    x = torch.zeros_like(u) if x0 is None else _as_batch(network, "x0", x0, dtype, dyn.device)
    if x.shape != u.shape:
        raise ValueError(f"x0 must have shape {tuple(u.shape)}, got shape {tuple(x.shape)}")
    return _Solver(dyn, rtol, atol, max_time, step_size, progress).run(u - dyn.bias, x)


class _Solver:
    def __init__(self, dyn: Dynamics, rtol, atol, max_time, step_size, progress) -> None:
        network = dyn.network
        self.dyn, self.rtol, self.atol, self.progress = dyn, rtol, atol, progress
        self.table = RegionTable(dyn)
        self.h = step_size or default_step_size(network)
        self.check_every = max(1, round(0.5 * network.tau.min() / self.h))
        window = max(1, round(WINDOW_TAUS * network.tau.max() / (self.h * self.check_every)))
        self.window_steps = window * self.check_every
        self.max_steps = max(1, math.ceil(max_time / self.h))

    def run(self, drive: torch.Tensor, x: torch.Tensor) -> FixedPointResult:
        b, n = drive.shape
        dtype, device = drive.dtype, drive.device
        nan = torch.full((b,), torch.nan, dtype=dtype, device=device)
        self.out = FixedPointResult(
            state=torch.full((b, n), torch.nan, dtype=dtype, device=device),
            rates=torch.full((b, n), torch.nan, dtype=dtype, device=device),
            status=torch.full((b,), int(Status.UNRESOLVED), dtype=torch.int8, device=device),
            residual=nan.clone(),
            settle_time=nan.clone(),
            steps=torch.full((b,), self.max_steps, dtype=torch.int64, device=device),
            stability_margin=nan.clone(),
        )
        bound = DIVERGENCE_FACTOR * (1 + drive.abs().amax(1) + x.abs().amax(1))
        s = self.dyn.switching(x)
        rows = {
            "index": torch.arange(b, device=device),
            "drive": drive,
            "scaled_drive": drive * self.dyn.rate,
            "x": x,
            "bound": bound,
            "active": s > 0,
            "high": x.clone(),
            "low": x.clone(),
            "switches": torch.zeros(b, dtype=torch.int64, device=device),
            "window_active": s > 0,
            "away": torch.zeros(b, dtype=torch.bool, device=device),
            "returns": torch.zeros(b, dtype=torch.int64, device=device),
            "toggles": torch.zeros((b, n), dtype=torch.int32, device=device),
            "amplitudes": torch.full((b, 3), torch.nan, dtype=dtype, device=device),
        }
        for step in range(1, self.max_steps + 1):
            rows["x"] = self.dyn.rk4_step(rows["x"], rows["scaled_drive"], self.h)
            if step % self.check_every == 0 or step == self.max_steps:
                decided = self._check(rows, step)
                if step % self.window_steps == 0:
                    decided |= self._window(rows, step, decided)
                if decided.any():
                    keep = ~decided
                    rows = {k: v[keep] for k, v in rows.items()}
                    if self.progress is not None:
                        self.progress(int(decided.sum()))
                if rows["index"].numel() == 0:
                    break
        if self.progress is not None and rows["index"].numel():
            self.progress(int(rows["index"].numel()))
        return self.out

    def _record(self, index, step: int, status: Status) -> None:
        self.out.status[index] = int(status)
        self.out.steps[index] = step

    def _check(self, rows: dict, step: int) -> torch.Tensor:
        dyn, x = self.dyn, rows["x"]
        decided = torch.zeros(x.shape[0], dtype=torch.bool, device=x.device)
        diverging = ~torch.isfinite(x).all(1) | (x.abs().amax(1) > rows["bound"])
        if diverging.any():
            self._record(rows["index"][diverging], step, Status.DIVERGING)
            decided |= diverging
        active = dyn.switching(x) > 0
        toggled = active != rows["active"]
        rows["toggles"] += toggled.to(torch.int32)
        changed = toggled.any(1)
        rows["switches"] += changed.to(torch.int64)
        rows["active"] = active
        same = (active == rows["window_active"]).all(1)
        rows["returns"] += (same & rows["away"]).to(torch.int64)
        rows["away"] = ~same
        rows["high"] = torch.maximum(rows["high"], x)
        rows["low"] = torch.minimum(rows["low"], x)
        candidates = torch.nonzero(~changed & ~decided)[:, 0]
        if candidates.numel():
            stable = self._certify(rows, candidates, step)
            decided[candidates[stable]] = True
        return decided

    def _certify(self, rows: dict, cand: torch.Tensor, step: int) -> torch.Tensor:
        dyn, table = self.dyn, self.table
        accept = torch.zeros(cand.shape[0], dtype=torch.bool, device=cand.device)
        x, drive = rows["x"][cand], rows["drive"][cand]
        field = dyn.field(x, drive)
        converged = (field.abs() <= self.atol + self.rtol * x.abs()).all(1)
        # Without the Lyapunov certificate (large N) only converged rows can be accepted:
        # skip the O(N^3) region work for the others.
        idx = torch.arange(cand.shape[0], device=cand.device)
        if not table.certificate:
            idx = idx[converged]
        if idx.numel() == 0:
            return accept
        active = rows["active"][cand[idx]]
        regions = table.regions(active)
        fixed = table.fixed_points(regions, drive[idx])
        s_fixed = dyn.switching(fixed)
        tol = self.atol + self.rtol * s_fixed.abs()
        consistent = torch.where(active, s_fixed >= -tol, s_fixed <= tol).all(1)
        sub = torch.nonzero(consistent)[:, 0]
        if sub.numel() == 0:
            return accept
        stability, local = table.stability(regions, sub)
        error = x[idx[sub]] - fixed[sub]
        lyapunov = _gather_apply(stability.lyapunov, local, error)
        radius = (error * lyapunov).sum(1).clamp_min(0).sqrt()
        reach = radius[:, None] * stability.gains[local]
        inside = (reach < s_fixed[sub].abs()) | (dyn.switch_row_norm == 0)
        max_real = stability.max_real[local]
        ok = (max_real < 0) & (inside.all(1) | converged[idx[sub]])
        sub, max_real = sub[ok], max_real[ok]
        if sub.numel():
            accept[idx[sub]] = True
            where = rows["index"][cand[idx[sub]]]
            state = fixed[sub]
            self._record(where, step, Status.STABLE)
            self.out.state[where] = state
            self.out.rates[where] = torch.relu(state)
            self.out.residual[where] = dyn.field(state, drive[idx[sub]]).abs().amax(1)
            self.out.settle_time[where] = step * self.h
            self.out.stability_margin[where] = max_real
        return accept

    def _window(self, rows: dict, step: int, decided: torch.Tensor) -> torch.Tensor:
        amplitude = (rows["high"] - rows["low"]).amax(1)
        history = torch.cat([rows["amplitudes"][:, 1:], amplitude[:, None]], dim=1)
        rows["amplitudes"] = history
        low, high = _AMPLITUDE_RATIO
        r1 = history[:, 2] / history[:, 1]
        r2 = history[:, 1] / history[:, 0]
        sustained = (r1 >= low) & (r1 <= high) & (r2 >= low) & (r2 <= high)
        scale = self.atol + self.rtol * rows["x"].abs().amax(1)
        # Sustained activity goes back and forth: a periodic orbit comes back to the active
        # set it had when the window opened, and in chaos some neuron switches on and off
        # again and again. A slow drift to a fixed point (a bump creeping along a ring)
        # keeps a steady amplitude and switches too, but each neuron switches on and off
        # at most once.
        toggling = rows["toggles"].amax(1) >= MIN_TOGGLES
        recurrent = (rows["switches"] > 0) & ((rows["returns"] > 0) | toggling)
        oscillating = sustained & recurrent & (amplitude > 1e3 * scale) & ~decided
        if oscillating.any():
            self._record(rows["index"][oscillating], step, Status.OSCILLATING)
        rows["high"], rows["low"] = rows["x"].clone(), rows["x"].clone()
        rows["switches"] = torch.zeros_like(rows["switches"])
        rows["window_active"] = rows["active"].clone()
        rows["away"] = torch.zeros_like(rows["away"])
        rows["returns"] = torch.zeros_like(rows["returns"])
        rows["toggles"] = torch.zeros_like(rows["toggles"])
        return oscillating
