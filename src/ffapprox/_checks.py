"""Argument checks shared by the public functions: one message style everywhere."""

from __future__ import annotations

import numpy as np


def check_integer(name: str, value, minimum: int = 1) -> int:
    """``value`` as an int; ``ValueError`` naming ``name`` unless an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)
