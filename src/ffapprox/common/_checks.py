"""Argument checks shared by every layer: one message style, ``name must be ..., got ...``.

Each check returns the value converted to the type the caller needs, or raises a one-line
``ValueError`` naming the argument, the value received and what is allowed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

_REAL_TYPES = (int, float, np.integer, np.floating)


def check_integer(name: str, value, minimum: int = 1, maximum: int | None = None) -> int:
    """``value`` as an int in ``[minimum, maximum]``; bools and non-integers are refused."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        allowed = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
        raise ValueError(f"{name} must be an integer {allowed}, got {value!r}")
    return int(value)


def check_real(
    name: str,
    value,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """``value`` as a finite float in the interval from ``low`` to ``high``.

    The ends are included unless ``low_open`` / ``high_open``. Bools, strings, complex
    numbers, NaN and infinities are refused.
    """
    if isinstance(value, bool) or not isinstance(value, _REAL_TYPES):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    number = float(value)
    below = number <= low if low_open else number < low
    above = number >= high if high_open else number > high
    if not math.isfinite(number) or below or above:
        raise ValueError(
            f"{name} must be {_interval(low, high, low_open, high_open)}, got {value!r}"
        )
    return number


def _interval(low: float, high: float, low_open: bool, high_open: bool) -> str:
    if low == -math.inf and high == math.inf:
        return "a finite number"
    if high == math.inf:
        return f"a finite number {'>' if low_open else '>='} {low:g}"
    if low == -math.inf:
        return f"a finite number {'<' if high_open else '<='} {high:g}"
    return f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"


def check_choice(name: str, value, choices: Sequence[str]) -> str:
    """``value`` if it is one of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")
    return value


def check_pair(name: str, value, *, minimum: float = -math.inf) -> tuple[float, float]:
    """A ``(low, high)`` pair of finite reals with ``minimum <= low <= high``."""
    try:
        low, high = value
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (low, high), got {value!r}") from None
    low = check_real(f"{name}[0]", low, low=minimum)
    high = check_real(f"{name}[1]", high, low=low)
    return low, high


def check_device(device, name: str = "device") -> torch.device:
    """``device`` as a ``torch.device`` (default CPU); refused when unknown or unavailable."""
    if device is None:
        return torch.device("cpu")
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(
            f"{name} must be a torch device such as 'cpu' or 'cuda', got {device!r}"
        ) from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"{name} {str(device)!r} requested but CUDA is not available")
    return device


def check_dtype(dtype) -> torch.dtype:
    """``torch.float32`` or ``torch.float64``."""
    if dtype not in (torch.float32, torch.float64):
        raise ValueError(f"dtype must be torch.float32 or torch.float64, got {dtype}")
    return dtype


def real_array(name: str, value, *, dtype=np.float64) -> np.ndarray:
    """``value`` as a new numpy array of ``dtype``; integer and real floating input only.

    Complex, boolean, string and object arrays are refused rather than converted (numpy
    would drop an imaginary part or parse a string without a word).
    """
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be an array of real numbers ({err})") from None
    if array.dtype.kind not in "iuf":
        raise ValueError(
            f"{name} must hold integer or real floating numbers, got dtype {array.dtype}"
        )
    return np.array(array, dtype=dtype)


def finite_tensor(name: str, tensor: torch.Tensor, dtype: torch.dtype, device=None):
    """``tensor`` cast to ``dtype`` (and ``device``) once it is finite there.

    One scan when all is well; on failure the message says whether the entries were NaN or
    inf to begin with, or only overflow ``dtype``.
    """
    cast = tensor.to(device=device, dtype=dtype)
    if not torch.isfinite(cast).all():
        if not torch.isfinite(tensor).all():
            raise ValueError(f"{name} must be finite, got NaN or inf entries")
        raise ValueError(
            f"{name} must be within +-{torch.finfo(dtype).max:.3g} in "
            f"{str(dtype).removeprefix('torch.')}, got entries that overflow it"
        )
    return cast
