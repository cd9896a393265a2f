"""The feed-forward approximation: a stack of ReLU layers (Muir 2018, Fig. 1b)."""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np
import torch

from ._checks import check_integer
from ._dynamics import check_device
from ._model_io import export_onnx as export_onnx  # the model's file formats live there


def _check_size(name: str, value) -> int:
    return check_integer(name, value, 1)


class FeedForwardApproximation(torch.nn.Module):
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

    Example:
        >>> model = FeedForwardApproximation(5)
        >>> model.predict(np.zeros((2, 5))).shape
        (2, 5)
    """

    def __init__(
        self,
        n_inputs: int,
        hidden: Sequence[int] | int | None = None,
        n_outputs: int | None = None,
    ) -> None:
        super().__init__()
        self.n_inputs = _check_size("n_inputs", n_inputs)
        if hidden is None:
            hidden = (self.n_inputs,)
        elif isinstance(hidden, (int, np.integer)) and not isinstance(hidden, bool):
            hidden = (hidden,)
        self.hidden = tuple(_check_size("hidden", h) for h in hidden)
        self.n_outputs = (
            self.n_inputs if n_outputs is None else _check_size("n_outputs", n_outputs)
        )
        sizes = (self.n_inputs, *self.hidden, self.n_outputs)
        self.layers = torch.nn.ModuleList(
            torch.nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:], strict=True)
        )
        self.metadata: dict = {}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = torch.relu(layer(x))
        return x

    def thresholds(self) -> list[np.ndarray]:
        """The thresholds ``b^l`` of the paper's equations (``-bias`` of each layer)."""
        return [-layer.bias.detach().cpu().numpy() for layer in self.layers]

    @property
    def dtype(self) -> torch.dtype:
        return self.layers[0].weight.dtype

    def predict(
        self, inputs, *, batch_size: int = 65536, device: torch.device | str | None = None
    ) -> np.ndarray:
        """Outputs for a batch of inputs, as numpy in the model's dtype (float32 by default).

        Arguments:
            inputs: array-like or tensor of shape ``(B, n_inputs)`` (or ``(n_inputs,)``),
                any float dtype; cast to the model's dtype.
            batch_size: rows evaluated at once.
            device: where to evaluate; default the model's device.

        Raises:
            ValueError: for a wrong shape or NaN/inf entries in ``inputs``, or an unknown
                or unavailable ``device``.
        """
        batch_size = _check_size("batch_size", batch_size)
        if isinstance(inputs, torch.Tensor):
            x = inputs.detach().to("cpu", self.dtype)
        else:
            # np.array copies: torch warns on read-only arrays (such as a frozen network's).
            x = torch.from_numpy(np.array(inputs, dtype=np.float64)).to(self.dtype)
        if x.ndim == 1:
            x = x[None]
        if x.ndim != 2 or x.shape[1] != self.n_inputs:
            raise ValueError(
                f"inputs must have shape (B, {self.n_inputs}), got shape {tuple(x.shape)}"
            )
        if not torch.isfinite(x).all():
            raise ValueError("inputs must be finite, got NaN or inf entries")
        model = self
        if device is not None and check_device(device) != self.layers[0].weight.device:
            model = copy.deepcopy(self).to(device)
        device = model.layers[0].weight.device
        with torch.no_grad():
            out = [model(x[a : a + batch_size].to(device)) for a in range(0, len(x), batch_size)]
        result = torch.cat(out) if out else x.new_zeros((0, self.n_outputs))
        return result.cpu().numpy()

    def save(self, directory) -> None:
        """Write ``model.safetensors`` and ``model.json`` into ``directory`` (atomically)."""
        from ._model_io import save_model

        save_model(self, directory)

    @classmethod
    def load(cls, directory) -> FeedForwardApproximation:
        """Read a model written by :meth:`save`; one-line ``ValueError`` if it cannot."""
        from ._model_io import load_model

        return load_model(directory)

    def extra_repr(self) -> str:
        return f"n_inputs={self.n_inputs}, hidden={self.hidden}, n_outputs={self.n_outputs}"
