"""The vector field for the adaptive method's stages: plain, batch-invariant or mixed precision.

Each evaluates ``dx/dt = T^-1 (-x + W [x]^+) + scaled_drive`` (threshold-linear; ``[W x]^+``
rectified-recurrent) for states ``x`` (R, N), ``scaled_drive = T^-1 (i - b)`` (R, N),
optionally into a preallocated ``out`` (R, N).
"""

from __future__ import annotations

import numpy as np
import torch

from ._field import Dynamics
from ._options import SolverOptions
from ._outcomes import Rows

# Reproducible mode: rows go through the products in fixed blocks of this many.
REPRODUCIBLE_BLOCK = 8
# Mixed precision: from this many neurons (below, the casts cost what float32 saves) ...
MIXED_MIN_NEURONS = 512
# ... and until |dx/dt| comes within this factor of the float32 rounding of the product.
MIXED_NOISE_FACTOR = 100.0


class Field:
    """``dx/dt`` with one BLAS product per call (fastest; rounding may depend on R)."""

    def __init__(self, dynamics: Dynamics) -> None:
        self.dyn = dynamics

    def start(self, rows: Rows) -> None:
        """Per-row state of the field, if any (none here)."""

    def prepare(self, rows: Rows) -> None:
        """Called before each step's stages (nothing to do here)."""

    def promote(self, rows: Rows) -> None:
        """Called after each step (nothing to do here)."""

    def __call__(self, x, scaled_drive, out=None) -> torch.Tensor:
        dyn = self.dyn
        if dyn.threshold_linear:
            y = torch.addmm(scaled_drive, torch.relu(x), dyn.rate_weights_t, out=out)
        else:
            product = torch.mm(x, dyn.weights_t)
            y = torch.relu(product) if out is None else torch.clamp(product, min=0.0, out=out)
            y.mul_(dyn.rate).add_(scaled_drive)
        return y.addcmul_(x, dyn.rate, value=-1.0)

    def switching(self, x: torch.Tensor) -> torch.Tensor:
        """``s(x)``: ``x`` or ``W x`` (see :class:`Dynamics`)."""
        return self.dyn.switching(x)


class ReproducibleField(Field):
    """``dx/dt`` with the product formed in fixed blocks of ``REPRODUCIBLE_BLOCK`` rows
    (one ``bmm``), so that every row meets the same kernel whatever the batch size."""

    def _blocked(self, z: torch.Tensor) -> torch.Tensor:
        r, n = z.shape
        blocks = -(-r // REPRODUCIBLE_BLOCK)
        padded = torch.zeros((blocks * REPRODUCIBLE_BLOCK, n), dtype=z.dtype, device=z.device)
        padded[:r] = z
        weights_t = self.dyn.weights_t.expand(blocks, n, n)
        product = torch.bmm(padded.view(blocks, REPRODUCIBLE_BLOCK, n), weights_t)
        return product.view(blocks * REPRODUCIBLE_BLOCK, n)[:r]

    def __call__(self, x, scaled_drive, out=None) -> torch.Tensor:
        dyn = self.dyn
        if dyn.threshold_linear:
            y = self._blocked(torch.relu(x))
        else:
            y = torch.relu(self._blocked(x))
        # Separately rounded operations (no fused multiply-add): see _dopri._combine.
        y = y.mul_(dyn.rate).add_(scaled_drive).sub_(x * dyn.rate)
        if out is None:
            return y
        return out.copy_(y)

    def switching(self, x: torch.Tensor) -> torch.Tensor:
        return x if self.dyn.threshold_linear else self._blocked(x)


class MixedPrecisionField(Field):
    """``dx/dt`` with the product ``W [x]^+`` in float32 for rows not yet ``precise``.

    Half the memory traffic of float64; its rounding, about ``eps32 ||T^-1 W||_inf |x|``,
    is far below the local error the step control allows during a transient. A row turns
    precise for good once ``|dx/dt|_inf <= MIXED_NOISE_FACTOR`` times that rounding, and
    its last stage is then recomputed in float64.
    """

    def __init__(self, dynamics: Dynamics) -> None:
        super().__init__(dynamics)
        self.rate_weights_t32 = dynamics.rate_weights_t.to(torch.float32)
        self.weights_t32 = dynamics.weights_t.to(torch.float32)
        network = dynamics.network
        gain = float((np.abs(network.weights).sum(1) / network.tau).max())
        self.noise = MIXED_NOISE_FACTOR * torch.finfo(torch.float32).eps * gain
        self.mode = "rough"

    def start(self, rows: Rows) -> None:
        rows["precise"] = torch.zeros(rows.count, dtype=torch.bool, device=rows["x"].device)
        self.mode = "rough"

    def prepare(self, rows: Rows) -> None:
        if self.mode == "precise":
            return
        precise = rows["precise"]
        count = int(precise.sum())
        self.mode = "rough" if count == 0 else "precise" if count == rows.count else "both"
        if self.mode == "both":
            self.precise_rows = torch.nonzero(precise)[:, 0]
            self.rough_rows = torch.nonzero(~precise)[:, 0]

    def _rough(self, x: torch.Tensor, scaled_drive: torch.Tensor) -> torch.Tensor:
        dyn = self.dyn
        if dyn.threshold_linear:
            y = torch.relu(x).to(torch.float32).mm(self.rate_weights_t32).to(x.dtype)
        else:
            y = torch.relu(x.to(torch.float32).mm(self.weights_t32)).to(x.dtype)
            y.mul_(dyn.rate)
        return y.add_(scaled_drive).addcmul_(x, dyn.rate, value=-1.0)

    def __call__(self, x, scaled_drive, out=None) -> torch.Tensor:
        if self.mode == "precise":
            return super().__call__(x, scaled_drive, out)
        if self.mode == "rough":
            y = self._rough(x, scaled_drive)
        else:
            p, r = self.precise_rows, self.rough_rows
            y = torch.empty_like(x)
            y[p] = super().__call__(x[p], scaled_drive[p])
            y[r] = self._rough(x[r], scaled_drive[r])
        if out is None:
            return y
        return out.copy_(y)

    def promote(self, rows: Rows) -> None:
        if self.mode == "precise":
            return
        x, k1 = rows["x"], rows["k1"]
        quiet = k1.abs().amax(1) <= self.noise * (1.0 + x.abs().amax(1))
        switch = quiet & ~rows["precise"]
        if bool(switch.any()):
            rows["precise"] = rows["precise"] | switch
            index = torch.nonzero(switch)[:, 0]
            k1[index] = super().__call__(x[index], rows["scaled_drive"][index])


def make_field(dynamics: Dynamics, options: SolverOptions) -> Field:
    """The field for ``options``: reproducible, mixed precision (float64, N >= 512) or plain."""
    if options.reproducible:
        return ReproducibleField(dynamics)
    large = dynamics.network.n_neurons >= MIXED_MIN_NEURONS
    if options.mixed_precision and large and dynamics.dtype == torch.float64:
        return MixedPrecisionField(dynamics)
    return Field(dynamics)
