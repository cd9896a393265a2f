"""Per-input outcome tests a solver method composes: divergence and sustained oscillation.

Both keep their per-row bookkeeping in the solver's :class:`Rows`, so that rows which are
decided can leave the batch together with everything known about them.
"""

from __future__ import annotations

import torch

# A state this many times larger than (1 + |drive| + |x0|) counts as diverging.
DIVERGENCE_FACTOR = 1e6
# Oscillation test: windows of this many tau_max; amplitude ratio between windows.
WINDOW_TAUS = 25.0
AMPLITUDE_RATIO = (0.95, 1.25)
# ... and the least number of times one neuron switches within a window of chaos.
MIN_TOGGLES = 3


class Rows(dict):
    """Per-row tensors of the inputs still being integrated (leading dimension: rows)."""

    def keep(self, mask: torch.Tensor) -> Rows:
        return Rows({name: value[mask] for name, value in self.items()})

    @property
    def count(self) -> int:
        return int(self["index"].numel())


class DivergenceTest:
    """Diverging: the state left the ball of radius ``DIVERGENCE_FACTOR (1 + |drive| + |x0|)``
    (max-norms), or stopped being finite."""

    def start(self, rows: Rows, drive: torch.Tensor, x0: torch.Tensor) -> None:
        rows["bound"] = DIVERGENCE_FACTOR * (1 + drive.abs().amax(1) + x0.abs().amax(1))

    def __call__(self, rows: Rows) -> torch.Tensor:
        x = rows["x"]
        return ~torch.isfinite(x).all(1) | (x.abs().amax(1) > rows["bound"])


class OscillationTest:
    """Sustained oscillation, judged over consecutive windows of ``WINDOW_TAUS tau_max``.

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
