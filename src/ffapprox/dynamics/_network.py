"""The recurrent rate network: immutable weights, time constants, bias and form."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import torch

from ..common import load_npz, real_array, save_npz

Form = Literal["threshold-linear", "rectified-recurrent"]
FORMS: tuple[str, ...] = ("threshold-linear", "rectified-recurrent")


def _as_readonly(array: np.ndarray) -> np.ndarray:
    array = np.array(array, dtype=np.float64, copy=True)
    array.setflags(write=False)
    return array


def _per_neuron(name: str, value, n: int, *, positive: bool) -> np.ndarray:
    array = real_array(name, value)
    if array.ndim == 0:
        array = np.full(n, float(array))
    if array.shape != (n,):
        raise ValueError(f"{name} must be a scalar or have shape ({n},), got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite, got {array.tolist()}")
    if positive and np.any(array <= 0):
        raise ValueError(f"{name} must be positive, got {array.tolist()}")
    return _as_readonly(array)


@dataclass(frozen=True, eq=False)
class RecurrentNetwork:
    r"""A single-layer recurrent network of rectified-linear rate neurons.

    Two forms of the dynamics are supported, with ``W`` the recurrent weights, ``i`` the
    input, ``b`` the bias and ``tau`` the per-neuron time constants (time is measured in
    the same units as ``tau``):

    ``"threshold-linear"`` (default)
        ``tau * dx/dt = -x + W [x]^+ + i - b``; the response ("rates") is ``[x]^+``.
    ``"rectified-recurrent"``
        ``tau * dx/dt = -x + [W x]^+ + i - b``, the equation as printed in Muir (2018).
        The response is again ``[x]^+`` (the paper approximates ``[f]^+``).

    The threshold-linear form is the default because the competitive behaviour described
    by Muir (2018) -- the losing partition completely silent although it receives positive
    input -- needs the rectification on each neuron's own state: in the rectified-recurrent
    form every neuron obeys ``x >= i - b`` at a fixed point, so a neuron with positive input
    can never be silenced.

    Arguments:
        weights: recurrent weight matrix, shape ``(N, N)``; ``weights[j, k]`` is the weight
            from neuron ``k`` onto neuron ``j``.
        tau: time constants, a positive scalar or shape ``(N,)``.
        bias: thresholds ``b``, a scalar or shape ``(N,)``.
        form: ``"threshold-linear"`` or ``"rectified-recurrent"``.

    Raises:
        ValueError: for a non-square or non-finite matrix, non-positive or non-finite
            ``tau``, a non-finite or wrongly shaped bias, or an unknown form.

    Example:
        >>> import numpy as np
        >>> net = RecurrentNetwork(np.zeros((3, 3)), tau=1.0)
        >>> net.n_neurons
        3
    """

    weights: np.ndarray
    tau: np.ndarray = field(default=1.0)  # type: ignore[assignment]
    bias: np.ndarray = field(default=0.0)  # type: ignore[assignment]
    form: Form = "threshold-linear"

    def __post_init__(self) -> None:
        weights = real_array("weights", self.weights)
        if weights.ndim != 2 or weights.shape[0] != weights.shape[1] or weights.shape[0] == 0:
            raise ValueError(
                f"weights must be a non-empty square matrix, got shape {weights.shape}"
            )
        if not np.all(np.isfinite(weights)):
            raise ValueError("weights must be finite, got NaN or inf entries")
        if self.form not in FORMS:
            raise ValueError(f"form must be one of {list(FORMS)}, got {self.form!r}")
        n = weights.shape[0]
        object.__setattr__(self, "weights", _as_readonly(weights))
        object.__setattr__(self, "tau", _per_neuron("tau", self.tau, n, positive=True))
        object.__setattr__(self, "bias", _per_neuron("bias", self.bias, n, positive=False))

    @property
    def n_neurons(self) -> int:
        return self.weights.shape[0]

    def fingerprint(self) -> str:
        """A short hash of weights, tau, bias and form, for provenance in datasets."""
        digest = hashlib.sha256()
        for array in (self.weights, self.tau, self.bias):
            digest.update(np.ascontiguousarray(array).tobytes())
        digest.update(self.form.encode())
        return digest.hexdigest()[:16]

    def tensors(
        self, dtype: torch.dtype = torch.float64, device: torch.device | str | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(weights, tau, bias)`` as tensors of the given dtype and device."""
        return tuple(  # type: ignore[return-value]
            torch.as_tensor(np.array(a), dtype=dtype, device=device)
            for a in (self.weights, self.tau, self.bias)
        )

    def save(self, path) -> None:
        """Write the network to ``path`` as ``.npz`` (keys weights, tau, bias, form),
        atomically."""
        save_npz(
            path, weights=self.weights, tau=self.tau, bias=self.bias, form=np.array(self.form)
        )

    @classmethod
    def load(cls, path) -> RecurrentNetwork:
        """Read a network written by :meth:`save` (or any ``.npz`` with a ``weights`` key
        and optionally ``tau``, ``bias``, ``form``); one-line ``ValueError`` if it cannot."""
        data = load_npz(path, ("weights",), "network")
        form = str(data["form"]) if "form" in data else "threshold-linear"
        try:
            return cls(data["weights"], data.get("tau", 1.0), data.get("bias", 0.0), form)
        except ValueError as err:
            raise ValueError(f"network file {str(path)!r}: {err}") from None

    def __repr__(self) -> str:
        return (
            f"RecurrentNetwork(n_neurons={self.n_neurons}, form={self.form!r}, "
            f"fingerprint={self.fingerprint()!r})"
        )
