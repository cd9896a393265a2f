"""Training settings (with the library's defaults) and what a training run did."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..common import check_choice, check_integer, check_real

SCHEDULES = ("cosine", "constant")


# Adam's step is refused above this: larger steps only overflow the float32 optimiser state.
MAX_LEARNING_RATE = 1e3


@dataclass(frozen=True)
class TrainingSettings:
    """The settings of :func:`train`, with the library's defaults (configs and the
    command line read them from here)."""

    epochs: int = 200
    batch_size: int = 1024
    learning_rate: float | None = None  # None: auto_learning_rate(model)
    restarts: int = 4
    patience: int = 50
    validation_fraction: float = 0.1
    schedule: str = "cosine"

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "restarts", "patience"):
            check_integer(name, getattr(self, name))
        if self.learning_rate is not None:
            check_real(
                "learning_rate", self.learning_rate, low=0.0, low_open=True, high=MAX_LEARNING_RATE
            )
        check_real("validation_fraction", self.validation_fraction, low=0.0, high=1.0)
        check_choice("schedule", self.schedule, SCHEDULES)


TRAINING_DEFAULTS = TrainingSettings()
# Adam's step for layers up to this wide; wider layers get proportionally smaller steps.
BASE_LEARNING_RATE, BASE_WIDTH = 1e-2, 64


def auto_learning_rate(model) -> float:
    """``1e-2 * min(1, 64 / widest hidden layer)``: Adam's step for ``model``.

    Measured on the competition network: a 128x128x128 model at 1e-2 never improved on its
    initial weights, and reached 7.9 % relative RMSE at 3e-3; up to 64 units wide, 1e-2 is
    the best of the steps tried.
    """
    own = getattr(model, "default_learning_rate", None)
    if own is not None:  # a family that knows better (e.g. unrolled dynamics)
        return own
    widest = max(getattr(model, "hidden", ()) or (BASE_WIDTH,))
    return BASE_LEARNING_RATE * min(1.0, BASE_WIDTH / widest)


@dataclass(frozen=True)
class RestartSummary:
    """How one restart went: its seed, best validation loss and where it stopped."""

    seed: int
    best_validation_loss: float
    best_epoch: int
    epochs_run: int
    stopped_early: bool

    def __getitem__(self, name: str):
        """``summary["seed"]``, as when restarts were dicts."""
        return getattr(self, name)


@dataclass
class TrainingHistory:
    """What :func:`train` did.

    Attributes:
        train_loss, validation_loss: per-epoch mean squared error of the rates (in the
            rates' own units) of the winning restart.
        best_epoch: 1-based epoch of the kept weights; ``validation_loss[best_epoch - 1]``
            equals ``best_validation_loss``. 0 when no epoch beat the initial weights,
            which are then kept.
        best_validation_loss: validation MSE of the kept weights (never above that of the
            initial weights).
        wall_time: seconds spent in :func:`train`.
        restarts: one :class:`RestartSummary` per restart; the winner has the lowest
            best_validation_loss.
        converged: False when the winner was still improving at the epoch limit or did not
            beat predicting the mean (a :class:`ConvergenceWarning` was then emitted).
    """

    train_loss: list[float] = field(default_factory=list)
    validation_loss: list[float] = field(default_factory=list)
    best_epoch: int = 0
    best_validation_loss: float = math.inf
    wall_time: float = 0.0
    restarts: list[RestartSummary] = field(default_factory=list)
    converged: bool = False
