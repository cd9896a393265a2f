"""Whether a training run converged, and the warning when it did not."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

# A run that hit the epoch limit is "still improving" when its best validation MSE fell,
# over the last `patience` epochs, by more than this fraction of the mean predictor's MSE.
IMPROVEMENT_TOLERANCE = 1e-3
# Training has learned something when it lowered the initial weights' validation MSE by at
# least this fraction (or reached this small a fraction of the mean predictor's MSE).
LEARNED_FRACTION, NEGLIGIBLE = 0.05, 1e-6


class ConvergenceWarning(UserWarning):
    """Training ended before the validation loss settled, or without beating the mean."""


@dataclass(frozen=True)
class Diagnosis:
    """``converged`` and, when not, why and what to try."""

    converged: bool
    reason: str | None = None


def diagnose(
    curve: list[float],
    initial: float,
    best: float,
    *,
    patience: int,
    epochs: int,
    baseline: float,
    stopped_early: bool,
) -> Diagnosis:
    """Judge the winning restart from its validation curve.

    Converged means: its best validation MSE beats predicting the mean rate (``baseline``),
    beats the initial weights' by at least ``LEARNED_FRACTION`` (a run that never improves
    on its start has not converged, whatever its patience says), and it either stopped
    early (``patience`` epochs without improvement) or had stopped improving by more than
    ``IMPROVEMENT_TOLERANCE * baseline`` over its last ``patience`` epochs.
    """
    earlier = [initial, *curve[: max(0, len(curve) - patience)]]
    still_improving = min(earlier) - best > IMPROVEMENT_TOLERANCE * baseline
    if not (best < baseline or best == 0):
        return Diagnosis(
            False,
            "does not beat predicting the mean rate: check the data, or try another "
            "learning rate, more hidden units or more restarts",
        )
    learned = initial - best >= LEARNED_FRACTION * initial or best <= NEGLIGIBLE * baseline
    if not learned:
        return Diagnosis(
            False,
            f"never improved on its initial weights (validation MSE {initial:.3g}): try a "
            "smaller learning rate (e.g. a third of this one) or more restarts",
        )
    if still_improving and not stopped_early:
        return Diagnosis(
            False, f"was still improving at the epoch limit ({epochs}): try more epochs"
        )
    return Diagnosis(True)


def warn_unless_converged(diagnosis: Diagnosis, best: float) -> None:
    if not diagnosis.converged:
        warnings.warn(
            f"training did not converge: the best model (validation MSE {best:.3g}) "
            f"{diagnosis.reason}",
            ConvergenceWarning,
            stacklevel=3,
        )
