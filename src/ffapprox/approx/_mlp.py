"""The feed-forward approximation: a stack of ReLU layers (Muir 2018, Fig. 1b)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from ..common import check_integer, check_memory
from ._base import Approximation


class FeedForwardApproximation(Approximation):
    r"""Feed-forward ReLU network approximating a recurrent network's fixed-point response.

    With ``L`` layers the response to an input ``i`` is (Muir 2018, eqs. for Fig. 1b)

    .. math::
        x^1 = [W^1 i - b^1]^+,\quad x^{l} = [W^{l} x^{l-1} - b^{l}]^+,\quad
        \mathrm{out} = x^L,

    every layer rectified, the output included, so the output is a non-negative rate like
    the recurrent network's ``[f]^+``. Layers are ``torch.nn.Linear``: its ``bias`` is the
    negated threshold, ``bias = -b``; :meth:`thresholds` returns the ``b`` of the paper.

    Arguments:
        n_inputs: input size ``N``.
        hidden: hidden layer sizes; an int for one hidden layer; default ``(n_inputs,)``,
            the paper's two-layer ``N x N`` architecture.
        n_outputs: output size; default ``n_inputs``.

    Attributes:
        n_inputs, hidden, n_outputs: the architecture.
        layers: the ``torch.nn.Linear`` layers.
        metadata: training settings and validation metrics, filled by :func:`train`.

    Family ``"mlp"``; saved as ``model.safetensors`` + ``model.json``, exported by
    :func:`export_onnx`.

    Example:
        >>> model = FeedForwardApproximation(5)
        >>> model.predict(np.zeros((2, 5))).shape
        (2, 5)
    """

    family = "mlp"

    def __init__(
        self,
        n_inputs: int,
        hidden: Sequence[int] | int | None = None,
        n_outputs: int | None = None,
    ) -> None:
        super().__init__(n_inputs, n_outputs)
        if hidden is None:
            hidden = (self.n_inputs,)
        elif isinstance(hidden, int | np.integer) and not isinstance(hidden, bool):
            hidden = (hidden,)
        elif not isinstance(hidden, Sequence) or isinstance(hidden, str):
            raise ValueError(f"hidden must be an integer or a list of integers, got {hidden!r}")
        self.hidden = tuple(check_integer("hidden", h) for h in hidden)
        sizes = (self.n_inputs, *self.hidden, self.n_outputs)
        count = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
        # The weights, their gradients and Adam's two moments, in float32 or float64.
        check_memory(f"hidden layers {list(self.hidden)}: the model", 4 * 8 * count)
        self.layers = torch.nn.ModuleList(
            torch.nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:], strict=True)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = torch.relu(layer(x))
        return x

    def thresholds(self) -> list[np.ndarray]:
        """The thresholds ``b^l`` of the paper's equations (``-bias`` of each layer)."""
        return [-layer.bias.detach().cpu().numpy() for layer in self.layers]

    def architecture(self) -> dict:
        return {
            "n_inputs": self.n_inputs,
            "hidden": list(self.hidden),
            "n_outputs": self.n_outputs,
        }

    def extra_repr(self) -> str:
        return f"n_inputs={self.n_inputs}, hidden={self.hidden}, n_outputs={self.n_outputs}"
