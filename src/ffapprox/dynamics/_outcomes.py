"""Per-input outcome tests a solver method composes: divergence and sustained oscillation.

They keep their per-row bookkeeping in the solver's :class:`Rows`, so that rows which are
decided can leave the batch together with everything known about them. The thresholds
(divergence factor, window length) come from :class:`SolverOptions`.
"""

from __future__ import annotations

import torch

# Oscillation test: amplitude ratio between consecutive windows.
AMPLITUDE_RATIO = (0.95, 1.25)
# ... and the least number of times one neuron switches within a window of chaos.
MIN_TOGGLES = 3


class Rows(dict):
    """Per-row tensors of the inputs still being integrated (leading dimension: rows)."""

    def keep(self, mask: torch.Tensor) -> Rows:
        """The rows where ``mask`` (B,) is True, every tensor alike."""
        index = torch.nonzero(mask)[:, 0]
        return Rows({name: value.index_select(0, index) for name, value in self.items()})

    @property
    def count(self) -> int:
        return int(self["index"].numel())


class DivergenceTest:
    """Diverging: the state left the ball of radius ``factor (1 + |drive| + |x0|)``
    (max-norms), or stopped being finite."""

    def __init__(self, factor: float) -> None:
        self.factor = factor

    def start(self, rows: Rows, drive: torch.Tensor, x0: torch.Tensor) -> None:
        rows["bound"] = self.factor * (1 + drive.abs().amax(1) + x0.abs().amax(1))

    def __call__(self, rows: Rows) -> torch.Tensor:
        x = rows["x"]
        return ~torch.isfinite(x).all(1) | (x.abs().amax(1) > rows["bound"])


class OscillationTest:
    """Sustained oscillation, judged over consecutive windows of ``window_taus tau_max``.

    A row oscillates when, over three windows, its amplitude (max - min of the state within
    a window) neither decays nor grows by more than ``AMPLITUDE_RATIO``, stays well above
    the tolerance, and its activity goes back and forth within the last window: it returns
    to the active set it had when the window opened (a periodic orbit) or some neuron
    switches at least ``MIN_TOGGLES`` times (chaos). A slow drift to a fixed point (a bump
    creeping along a ring) keeps a steady amplitude and switches too, but each neuron
    switches on and off at most once.
    """

    def __init__(self, rtol: float, atol: float) -> None:
        self.rtol, self.atol = rtol, atol

    def start(self, rows: Rows, active: torch.Tensor) -> None:
        b, n = active.shape
        x, device = rows["x"], active.device
        rows["active"] = active
        rows["high"], rows["low"] = x.clone(), x.clone()
        rows["amplitudes"] = torch.full((b, 3), torch.nan, dtype=x.dtype, device=device)
        self._reset(rows)

    def _reset(self, rows: Rows) -> None:
        b, n = rows["active"].shape
        device = rows["active"].device
        rows["window_active"] = rows["active"].clone()
        rows["switches"] = torch.zeros(b, dtype=torch.int64, device=device)
        rows["away"] = torch.zeros(b, dtype=torch.bool, device=device)
        rows["returns"] = torch.zeros(b, dtype=torch.int64, device=device)
        rows["toggles"] = torch.zeros((b, n), dtype=torch.int32, device=device)

    def observe(self, rows: Rows, active: torch.Tensor) -> torch.Tensor:
        """Record a check's active sets; returns which rows changed active set since the
        previous check."""
        x = rows["x"]
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
        return changed

    def close_window(self, rows: Rows, decided: torch.Tensor) -> torch.Tensor:
        """End a window: which undecided rows oscillate; then start the next window."""
        amplitude = (rows["high"] - rows["low"]).amax(1)
        history = torch.cat([rows["amplitudes"][:, 1:], amplitude[:, None]], dim=1)
        rows["amplitudes"] = history
        low, high = AMPLITUDE_RATIO
        r1 = history[:, 2] / history[:, 1]
        r2 = history[:, 1] / history[:, 0]
        sustained = (r1 >= low) & (r1 <= high) & (r2 >= low) & (r2 <= high)
        scale = self.atol + self.rtol * rows["x"].abs().amax(1)
        toggling = rows["toggles"].amax(1) >= MIN_TOGGLES
        recurrent = (rows["switches"] > 0) & ((rows["returns"] > 0) | toggling)
        oscillating = sustained & recurrent & (amplitude > 1e3 * scale) & ~decided
        rows["high"], rows["low"] = rows["x"].clone(), rows["x"].clone()
        self._reset(rows)
        return oscillating


class RowWindowOscillationTest:
    """The oscillation test of :class:`OscillationTest`, with windows in each row's own time.

    For a method whose rows take steps of their own sizes: row ``r``'s window ``w`` covers
    its times ``[w L, (w + 1) L)``, ``L = window_taus tau_max``. Active sets are observed
    after every step (:meth:`observe`), the amplitude is sampled every few steps
    (:meth:`sample`) and a row's window is judged when its time passes the window's end
    (:meth:`close`). A row that never changes active set never switches, so it is never
    called oscillating.
    """

    def __init__(self, rtol: float, atol: float, window_time: float) -> None:
        self.rtol, self.atol, self.window_time = rtol, atol, window_time

    def start(self, rows: Rows, active: torch.Tensor) -> None:
        b, n = active.shape
        x, device = rows["x"], active.device
        rows["active"], rows["window_active"] = active, active.clone()
        rows["high"], rows["low"] = x.clone(), x.clone()
        rows["amplitudes"] = torch.full((b, 3), torch.nan, dtype=torch.float64, device=device)
        rows["window"] = torch.zeros(b, dtype=torch.int64, device=device)
        rows["toggles"] = torch.zeros((b, n), dtype=torch.int32, device=device)
        rows["switches"] = torch.zeros(b, dtype=torch.int64, device=device)
        rows["returns"] = torch.zeros(b, dtype=torch.int64, device=device)
        rows["away"] = torch.zeros(b, dtype=torch.bool, device=device)

    def observe(self, rows: Rows, active: torch.Tensor) -> tuple[torch.Tensor, bool]:
        """Record the active sets (B, N) after a step; returns which rows changed active
        set and whether any did."""
        toggled = active != rows["active"]
        changed = toggled.any(1)
        any_changed = bool(changed.any())
        if any_changed:
            rows["toggles"] += toggled
            rows["switches"] += changed
            rows["active"] = active
            same = (active == rows["window_active"]).all(1)
            away = rows["away"]
            rows["returns"] += same & away & changed
            rows["away"] = away | ~same
        return changed, any_changed

    def sample(self, rows: Rows) -> None:
        """Widen each row's range of states in the current window by its current state."""
        torch.maximum(rows["high"], rows["x"], out=rows["high"])
        torch.minimum(rows["low"], rows["x"], out=rows["low"])

    def close(self, rows: Rows, undecided: torch.Tensor | None) -> torch.Tensor:
        """Judge the rows (among ``undecided``) whose time ``rows["t"]`` left their window;
        returns the oscillating ones and starts a new window for every closing row."""
        window = torch.floor(rows["t"] / self.window_time).to(torch.int64)
        closing = window > rows["window"]
        if undecided is not None:
            closing &= undecided
        if not bool(closing.any()):
            return closing
        x = rows["x"]
        amplitude = (rows["high"] - rows["low"]).amax(1).to(torch.float64)
        old = rows["amplitudes"]
        history = torch.stack([old[:, 1], old[:, 2], amplitude], 1)
        history = torch.where(closing[:, None], history, old)
        rows["amplitudes"] = history
        low, high = AMPLITUDE_RATIO
        r1, r2 = history[:, 2] / history[:, 1], history[:, 1] / history[:, 0]
        sustained = (r1 >= low) & (r1 <= high) & (r2 >= low) & (r2 <= high)
        scale = self.atol + self.rtol * x.abs().amax(1).to(torch.float64)
        toggling = rows["toggles"].amax(1) >= MIN_TOGGLES
        recurrent = (rows["switches"] > 0) & ((rows["returns"] > 0) | toggling)
        oscillating = closing & sustained & recurrent & (amplitude > 1e3 * scale)
        column = closing[:, None]
        rows["high"] = torch.where(column, x, rows["high"])
        rows["low"] = torch.where(column, x, rows["low"])
        rows["window_active"] = torch.where(column, rows["active"], rows["window_active"])
        rows["toggles"] = torch.where(column, 0, rows["toggles"])
        for name in ("switches", "returns", "away"):
            rows[name] = torch.where(closing, 0, rows[name]).to(rows[name].dtype)
        rows["window"] = torch.where(closing, window, rows["window"])
        return oscillating
