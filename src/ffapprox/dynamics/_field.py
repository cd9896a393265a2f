"""The vector field and Jacobian of the recurrent dynamics, region by region (no I/O)."""

from __future__ import annotations

import numpy as np
import torch

from ..common import check_device, finite_tensor, real_array
from ._network import RecurrentNetwork


class Dynamics:
    """The network's dynamics as tensors on one device and dtype.

    ``drive = inputs - bias`` is passed to every method so that one object serves any batch.
    The switching function ``s(x)`` is ``x`` (threshold-linear) or ``W x``
    (rectified-recurrent); neuron ``j`` is active where ``s_j(x) > 0``. On each region of
    fixed activity the dynamics are linear: ``dx/dt = A x + drive / tau`` with
    ``A = T^-1 (-I + W D)`` (threshold-linear) or ``T^-1 (-I + D W)`` (rectified-recurrent),
    ``D`` the diagonal 0/1 matrix of the active set and ``T = diag(tau)``.
    """

    def __init__(self, network: RecurrentNetwork, dtype: torch.dtype, device) -> None:
        self.network = network
        device = check_device(device)
        self.weights, tau, self.bias = network.tensors(dtype, device)
        self.rate = 1.0 / tau
        self.weights_t = self.weights.T.contiguous()
        # T^-1 W, transposed: the field is then (relu(x) @ rate_weights_t + rate*drive) - rate*x.
        self.rate_weights_t = (self.rate[:, None] * self.weights).T.contiguous()
        self.threshold_linear = network.form == "threshold-linear"
        self.dtype = dtype
        self.device = self.weights.device
        n = network.n_neurons
        self.eye = torch.eye(n, dtype=dtype, device=self.device)
        # Row norms of the switching matrix S (s(x) = S x): distances to region boundaries.
        switch_rows = (
            np.ones(n) if self.threshold_linear else np.linalg.norm(network.weights, axis=1)
        )
        self.switch_row_norm = torch.as_tensor(switch_rows, dtype=dtype, device=self.device)
        # Neurons whose rectification can change the dynamics: threshold-linear, those whose
        # rate feeds some neuron (a nonzero column of W); rectified-recurrent, those with a
        # nonzero row (s_j = (W x)_j is not identically 0). The others only report.
        feeds = network.weights != 0
        effective = feeds.any(0) if self.threshold_linear else feeds.any(1)
        self.effective = torch.as_tensor(effective, device=self.device)

    def switching(self, x: torch.Tensor) -> torch.Tensor:
        return x if self.threshold_linear else x @ self.weights_t

    def field(self, x: torch.Tensor, drive: torch.Tensor) -> torch.Tensor:
        """``dx/dt`` for states ``x`` (B, N) and drives (B, N)."""
        return self.scaled_field(x, drive * self.rate)

    def scaled_field(self, x: torch.Tensor, scaled_drive: torch.Tensor) -> torch.Tensor:
        """``dx/dt`` given ``scaled_drive = drive / tau`` (saves one operation per call)."""
        if self.threshold_linear:
            out = torch.addmm(scaled_drive, torch.relu(x), self.rate_weights_t)
        else:
            out = torch.relu(x @ self.weights_t).mul_(self.rate).add_(scaled_drive)
        return out.addcmul_(x, self.rate, value=-1.0)

    def rk4_step(self, x: torch.Tensor, drive: torch.Tensor, h: float) -> torch.Tensor:
        """One classical RK4 step of size ``h``; ``drive`` must already be divided by tau."""
        k = self.scaled_field(x, drive)
        acc = k.clone()
        k = self.scaled_field(torch.add(x, k, alpha=0.5 * h), drive)
        acc.add_(k, alpha=2.0)
        k = self.scaled_field(torch.add(x, k, alpha=0.5 * h), drive)
        acc.add_(k, alpha=2.0)
        k = self.scaled_field(torch.add(x, k, alpha=h), drive)
        acc.add_(k)
        return acc.mul_(h / 6.0).add_(x)

    def system_matrix(self, active: torch.Tensor) -> torch.Tensor:
        """``M = I - W D`` (or ``I - D W``) for active sets (U, N); fixed points solve
        ``M x = drive``."""
        mask = active.to(self.dtype)
        if self.threshold_linear:
            return self.eye - self.weights * mask[:, None, :]
        return self.eye - self.weights * mask[:, :, None]

    def jacobian_from_active(self, active: torch.Tensor) -> torch.Tensor:
        """``A = -T^-1 M`` for active sets (U, N) -> (U, N, N)."""
        return -self.rate[:, None] * self.system_matrix(active)


def as_batch(network: RecurrentNetwork, name: str, value, dtype, device) -> torch.Tensor:
    """``value`` as a (B, N) tensor of finite reals; (N,) is one row."""
    if isinstance(value, torch.Tensor):
        if value.is_complex() or value.dtype == torch.bool:
            raise ValueError(
                f"{name} must hold integer or real floating numbers, got {value.dtype}"
            )
        tensor = value.detach()
    else:
        tensor = torch.from_numpy(real_array(name, value))
    n = network.n_neurons
    if tensor.ndim == 0:
        raise ValueError(f"{name} must have shape (B, {n}), got a scalar")
    if tensor.ndim > 2 or tensor.shape[-1] != n:
        raise ValueError(f"{name} must have shape (B, {n}), got shape {tuple(tensor.shape)}")
    if tensor.ndim == 1:
        tensor = tensor[None]
    return finite_tensor(name, tensor, dtype, device)


def vector_field(network: RecurrentNetwork, state, inputs) -> torch.Tensor:
    """``dx/dt`` of the network at ``state`` (B, N) for ``inputs`` (B, N), float64.

    Example:
        >>> import numpy as np
        >>> net = RecurrentNetwork(np.zeros((2, 2)))
        >>> vector_field(net, np.zeros((1, 2)), np.ones((1, 2))).tolist()
        [[1.0, 1.0]]
    """
    dyn = Dynamics(network, torch.float64, None)
    x = as_batch(network, "state", state, torch.float64, None)
    u = as_batch(network, "inputs", inputs, torch.float64, None)
    return dyn.field(x, u - dyn.bias)


def jacobian(network: RecurrentNetwork, state) -> torch.Tensor:
    """Jacobian ``d(dx/dt)/dx`` at ``state`` (B, N) -> (B, N, N), float64.

    At a point on a region boundary (``s_j(x) == 0``) neuron ``j`` counts as inactive.
    """
    dyn = Dynamics(network, torch.float64, None)
    x = as_batch(network, "state", state, torch.float64, None)
    return dyn.jacobian_from_active(dyn.switching(x) > 0)
