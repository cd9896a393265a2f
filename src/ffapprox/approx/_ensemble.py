"""Several ReLU networks of one architecture trained side by side (training restarts).

The restarts share mini-batches but not parameters: weights are stacked along a leading
restart axis and evaluated with batched matrix products, and Adam acts element-wise, so
each restart follows exactly the path it would alone, at the cost of roughly one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import torch

from ..data import Scaling

# Quantile range for initial thresholds: each hidden unit starts active on 15-85 % of data.
_ACTIVE_QUANTILES = (0.15, 0.85)
INIT_ROWS = 4096
_RIDGE = 1e-3  # relative: keeps the least-squares output layer well conditioned


class Ensemble:
    """Stacked weights of ``len(seeds)`` networks with layer ``sizes``, fit to scaled data.

    Inputs are standardised per column and rates divided by their root mean square; the
    scaling is undone when a member is copied into a model (:meth:`load_into`).
    """

    def __init__(
        self,
        init_inputs: np.ndarray,
        init_rates: np.ndarray,
        *,
        scaling: Scaling,
        sizes: Sequence[int],
        seeds: Sequence[int],
        dtype: torch.dtype,
        device: torch.device,
    ) -> None:
        self.input_mean, self.input_scale, self.rate_scale = scaling[:3]
        self.dtype, self.device = dtype, device
        x = (init_inputs[:INIT_ROWS] - self.input_mean) / self.input_scale
        members = [self._init(x, init_rates[:INIT_ROWS], sizes, s) for s in seeds]
        self.weights = [
            torch.stack([torch.as_tensor(m[i][0]) for m in members]).to(device, dtype)
            for i in range(len(sizes) - 1)
        ]
        self.biases = [
            torch.stack([torch.as_tensor(m[i][1]) for m in members])[:, None].to(device, dtype)
            for i in range(len(sizes) - 1)
        ]
        self.parameters = [*self.weights, *self.biases]
        for p in self.parameters:
            p.requires_grad_(True)
        self.best = [p.detach().clone() for p in self.parameters]

    @classmethod
    def for_model(cls, model, init_inputs, init_rates, *, scaling, seeds, dtype, device):
        """Restarts of ``model``'s architecture (a :class:`FeedForwardApproximation`)."""
        sizes = (model.n_inputs, *model.hidden, model.n_outputs)
        return cls(
            init_inputs, init_rates, scaling=scaling, sizes=sizes, seeds=seeds, dtype=dtype,
            device=device,
        )  # fmt: skip

    def scaled(self, inputs: np.ndarray, rates: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """Standardised inputs and scaled rates as tensors on the training device."""
        x = (inputs - self.input_mean) / self.input_scale
        return (
            torch.as_tensor(x, dtype=self.dtype, device=self.device),
            torch.as_tensor(rates / self.rate_scale, dtype=self.dtype, device=self.device),
        )

    def _init(self, x: np.ndarray, rates: np.ndarray, sizes: Sequence[int], seed: int) -> list:
        """Hidden units alive on the data; output layer = least squares on the last features."""
        rng = np.random.default_rng(seed)
        layers, h = [], x
        for n_out in sizes[1:-1]:
            w = rng.standard_normal((n_out, h.shape[1]))
            z = h @ w.T
            spread = z.std(0)
            spread[spread == 0] = 1.0
            w, z = w / spread[:, None], z / spread
            q = rng.uniform(*_ACTIVE_QUANTILES, size=n_out)
            bias = -np.array([np.quantile(z[:, j], q[j]) for j in range(n_out)])
            layers.append((w, bias))
            h = np.maximum(z + bias, 0.0)
        design = np.hstack([h, np.ones((len(h), 1))])
        gram = design.T @ design
        gram += _RIDGE * np.trace(gram) / len(gram) * np.eye(len(gram))
        solution = np.linalg.solve(gram, design.T @ (rates / self.rate_scale))
        layers.append((solution[:-1].T, solution[-1]))
        return layers

    def forward(self, x: torch.Tensor, weights=None, biases=None) -> torch.Tensor:
        """Outputs of every member, (R, B, n_out), for shared inputs ``x`` (B, n_in)."""
        weights = self.weights if weights is None else weights
        biases = self.biases if biases is None else biases
        h = x.expand(weights[0].shape[0], *x.shape)
        for w, b in zip(weights, biases, strict=True):
            h = torch.relu(torch.baddbmm(b, h, w.transpose(1, 2)))
        return h

    def epoch(self, optimizer, batches: Iterable[tuple[torch.Tensor, torch.Tensor]]) -> np.ndarray:
        """One pass of Adam over scaled mini-``batches``; mean MSE per member (rate units)."""
        total = torch.zeros(self.weights[0].shape[0], dtype=self.dtype, device=self.device)
        n_rows = 0
        for x, y in batches:
            errors = (self.forward(x) - y).square().mean((1, 2))
            optimizer.zero_grad(set_to_none=True)
            errors.sum().backward()
            optimizer.step()
            total += errors.detach() * len(x)
            n_rows += len(x)
        return (total / n_rows).cpu().numpy() * self.rate_scale**2

    def validation_loss(self, inputs: torch.Tensor, rates: torch.Tensor) -> np.ndarray:
        """MSE per member on raw ``inputs`` and ``rates``, in rate units."""
        mean = torch.as_tensor(self.input_mean, dtype=inputs.dtype, device=inputs.device)
        scale = torch.as_tensor(self.input_scale, dtype=inputs.dtype, device=inputs.device)
        with torch.no_grad():
            out = self.forward((inputs - mean) / scale) * self.rate_scale
            return (out - rates).square().mean((1, 2)).cpu().numpy()

    def keep(self, members: np.ndarray) -> None:
        """Remember the current weights of the selected members as their best."""
        if members.any():
            index = torch.as_tensor(np.flatnonzero(members), device=self.device)
            for saved, p in zip(self.best, self.parameters, strict=True):
                saved[index] = p.detach()[index]

    def load_into(self, model: torch.nn.Module, member: int) -> None:
        """Copy a member's best weights into ``model``, folding the data scaling back in."""
        n = len(self.weights)
        weights = [w[member].double().cpu().numpy() for w in self.best[:n]]
        biases = [b[member, 0].double().cpu().numpy() for b in self.best[n:]]
        # First layer on standardised inputs: W (x - m) / s + c = (W / s) x + (c - W m / s).
        weights[0] = weights[0] / self.input_scale
        biases[0] = biases[0] - weights[0] @ self.input_mean
        # Last layer: relu(a) * k = relu(a * k) for k > 0.
        weights[-1] = weights[-1] * self.rate_scale
        biases[-1] = biases[-1] * self.rate_scale
        with torch.no_grad():
            for layer, w, b in zip(model.layers, weights, biases, strict=True):
                layer.weight.copy_(torch.as_tensor(w))
                layer.bias.copy_(torch.as_tensor(b))
