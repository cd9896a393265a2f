"""What the dynamics did for each input: status codes and the per-input result record."""

from __future__ import annotations

import enum
from typing import NamedTuple

import numpy as np
import torch


class Status(enum.IntEnum):
    """What the dynamics did for one input; the value is the code stored in files."""

    STABLE = 0  # settled into a fixed point whose region is stable (see solve_fixed_points)
    OSCILLATING = 1  # bounded, keeps switching active sets without settling
    DIVERGING = 2  # grew past the divergence bound
    UNRESOLVED = 3  # none of the above decided within max_time


STATUS_NAMES: tuple[str, ...] = tuple(s.name.lower() for s in Status)


class Acceptance(enum.IntEnum):
    """Which rule accepted a ``stable`` input; the value is the code stored in files."""

    NONE = 0  # not stable
    CERTIFIED = 1  # proven never to leave a stable region again: its exact fixed point
    CONVERGED = 2  # |dx/dt| <= atol + rtol |x| in a stable region with that fixed point
    UNRECORDED = 3  # stable in a dataset written before the rule was recorded


ACCEPTANCE_NAMES: tuple[str, ...] = tuple(a.name.lower() for a in Acceptance)


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
        steps: integration steps spent on the input (B,), int64 (``"adaptive"``: accepted
            steps, up to the decision).
        stability_margin: largest real part of the Jacobian's eigenvalues at ``state``
            (negative when stable); NaN unless stable, and NaN where the method proved
            stability without computing eigenvalues (``"adaptive"``: regions of more than
            48 active neurons).
        accepted_by: :class:`Acceptance` codes, int8 (B,): the rule that accepted each
            stable input (``certified`` or ``converged``); ``none`` otherwise.
    """

    state: torch.Tensor
    rates: torch.Tensor
    status: torch.Tensor
    residual: torch.Tensor
    settle_time: torch.Tensor
    steps: torch.Tensor
    stability_margin: torch.Tensor
    accepted_by: torch.Tensor

    @classmethod
    def undecided(cls, b: int, n: int, max_steps: int, dtype, device) -> FixedPointResult:
        """A result for ``b`` inputs with every input ``unresolved`` after ``max_steps``."""
        nan = torch.full((b,), torch.nan, dtype=dtype, device=device)
        return cls(
            state=torch.full((b, n), torch.nan, dtype=dtype, device=device),
            rates=torch.full((b, n), torch.nan, dtype=dtype, device=device),
            status=torch.full((b,), int(Status.UNRESOLVED), dtype=torch.int8, device=device),
            residual=nan.clone(),
            settle_time=nan.clone(),
            steps=torch.full((b,), max_steps, dtype=torch.int64, device=device),
            stability_margin=nan.clone(),
            accepted_by=torch.zeros((b,), dtype=torch.int8, device=device),
        )

    def record(self, index: torch.Tensor, step: int | torch.Tensor, status: Status) -> None:
        """Mark inputs ``index`` as decided with ``status`` after ``step`` steps (one number,
        or one per input) (in place)."""
        self.status[index] = int(status)
        self.steps[index] = step

    def counts(self) -> dict[str, int]:
        """Number of inputs per status name."""
        return count_status(self.status.cpu().numpy())

    def numpy(self) -> dict[str, np.ndarray]:
        """All fields as numpy arrays on the CPU."""
        return {k: v.detach().cpu().numpy() for k, v in self._asdict().items()}
