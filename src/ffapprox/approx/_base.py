"""What every approximation family shares: fixed-cost prediction, metadata, file format."""

from __future__ import annotations

import copy
from typing import ClassVar

import numpy as np
import torch

from ..common import check_device, check_integer, finite_tensor, real_array
from ._formats import load_model_as, save_model

# Rows evaluated at once by predict().
PREDICT_BATCH = 65536


def uniform_layers(layers, seed: int) -> None:
    """Re-draw the weights and biases of ``torch.nn.Linear`` layers from PyTorch's default
    ranges, ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``, with a generator seeded by ``seed``."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in layers:
            bound = layer.in_features**-0.5
            for p in (layer.weight, layer.bias):
                drawn = torch.rand(p.shape, generator=generator, dtype=torch.float64)
                p.copy_(drawn * 2 * bound - bound)


class Approximation(torch.nn.Module):
    """Base class of the feed-forward approximations: one pass of fixed cost per input.

    A family subclasses it, sets ``family`` (its key in ``FAMILIES``), builds its layers in
    ``__init__`` from keyword arguments that :meth:`architecture` returns (so that a saved
    model can be rebuilt) and implements ``forward``.

    Attributes:
        n_inputs, n_outputs: input and output sizes.
        metadata: training settings and validation metrics, filled by :func:`train`.
    """

    family: ClassVar[str] = ""

    def __init__(self, n_inputs: int, n_outputs: int | None = None) -> None:
        super().__init__()
        self.n_inputs = check_integer("n_inputs", n_inputs)
        self.n_outputs = (
            self.n_inputs if n_outputs is None else check_integer("n_outputs", n_outputs)
        )
        self.metadata: dict = {}

    @property
    def n_parameters(self) -> int:
        """Number of trainable numbers."""
        return sum(p.numel() for p in self.parameters())

    def architecture(self) -> dict:
        """Keyword arguments that rebuild this model's layers (stored in ``model.json``)."""
        return {"n_inputs": self.n_inputs, "n_outputs": self.n_outputs}

    # Adam's step when train() is not given one (None: by width, see auto_learning_rate).
    default_learning_rate: ClassVar[float | None] = None

    @property
    def dtype(self) -> torch.dtype:
        return next(self.parameters()).dtype

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def predict(
        self, inputs, *, batch_size: int = PREDICT_BATCH, device: torch.device | str | None = None
    ) -> np.ndarray:
        """Outputs for a batch of inputs, as numpy in the model's dtype (float32 by default).

        Arguments:
            inputs: array-like or tensor of shape ``(B, n_inputs)`` (or ``(n_inputs,)``) of
                real numbers; cast to the model's dtype.
            batch_size: rows evaluated at once.
            device: where to evaluate; default the model's device.

        Raises:
            ValueError: for a wrong shape, a non-real dtype or NaN/inf entries in
                ``inputs``, or an unknown or unavailable ``device``.
        """
        return self._batched(lambda model, x: model(x), inputs, batch_size, device)

    def trust(
        self, inputs, *, batch_size: int = PREDICT_BATCH, device: torch.device | str | None = None
    ) -> np.ndarray | None:
        """Per input, whether the output can be trusted (bool, (B,)), for families that can
        tell (see their ``trust_tensor``); None for the others (the MLP)."""
        if not hasattr(self, "trust_tensor"):
            return None
        return self._batched(lambda model, x: model.trust_tensor(x), inputs, batch_size, device)

    def _batched(self, func, inputs, batch_size: int, device) -> np.ndarray:
        """``func(model, rows)`` over batches of checked inputs, concatenated as numpy."""
        batch_size = check_integer("batch_size", batch_size)
        x = torch.from_numpy(real_array("inputs", inputs))
        if x.ndim == 1:
            x = x[None]
        if x.ndim != 2 or x.shape[1] != self.n_inputs:
            raise ValueError(
                f"inputs must have shape (B, {self.n_inputs}), got shape {tuple(x.shape)}"
            )
        x = finite_tensor("inputs", x, self.dtype)
        model = self
        if device is not None and check_device(device) != self.device:
            model = copy.deepcopy(self).to(device)
        device = model.device
        with torch.no_grad():
            out = [
                func(model, x[a : a + batch_size].to(device)) for a in range(0, len(x), batch_size)
            ]
            if not out:
                return func(model, x[:0].to(device)).cpu().numpy()
        return torch.cat(out).cpu().numpy()

    def save(self, directory, *, force: bool = False) -> None:
        """Write ``model.safetensors`` and ``model.json`` into ``directory`` (atomically);
        a folder holding other files is refused unless ``force`` (they are kept)."""
        save_model(self, directory, force=force)

    @classmethod
    def load(cls, directory):
        """Read a model of this family written by :meth:`save`; one-line ``ValueError`` if
        it cannot (use ``ffapprox.load_model`` for a model of any family)."""
        return load_model_as(cls, directory)
