"""One registry of approximation families: a model class and how its restarts are trained.

Adding a family is one module with an :class:`Approximation` subclass (and its ensemble of
training restarts) plus one entry in :data:`FAMILIES`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from ._base import Approximation
from ._ensemble import Ensemble
from ._formats import load_model_as, read_config
from ._mlp import FeedForwardApproximation
from ._module_ensemble import ModuleEnsemble
from ._region_table import RegionTable
from ._unrolled import PredictorCorrector, Unrolled


@dataclass(frozen=True)
class Family:
    """An approximation family.

    Attributes:
        model: the :class:`Approximation` subclass.
        build: ``build(n_inputs, n_outputs, *, network=None, **params)`` makes a fresh
            model; ``network`` is the recurrent network being approximated (families
            that start from its weights need it), ``params`` come from a config's
            ``[[models]]`` entry (``hidden`` and the family's own).
        ensemble: ``ensemble(model, init_inputs, init_rates, *, scaling, seeds, dtype,
            device)`` builds the restarts :func:`train` optimises side by side (an object
            with the methods of :class:`Ensemble`).
    """

    model: type[Approximation]
    ensemble: Callable[..., Ensemble]
    build: Callable[..., Approximation]


def _mlp(n_inputs: int, n_outputs: int, *, network=None, hidden=None) -> FeedForwardApproximation:
    """The paper's MLP; it needs no network (the other families may read its weights)."""
    return FeedForwardApproximation(n_inputs, hidden, n_outputs)


def _of_network(cls):
    """``build`` for a family made from the network's own weights (``cls.from_network``);
    ``hidden`` is passed on when given (the widths of its MLP part)."""

    def build(n_inputs: int, n_outputs: int, *, network=None, hidden=None, **params):
        if network is None:
            raise ValueError(f"a {cls.family!r} model is built from its recurrent network")
        if n_inputs != network.n_neurons or n_outputs != network.n_neurons:
            raise ValueError(f"a {cls.family!r} model maps N = {network.n_neurons} to N")
        if hidden:
            params["hidden"] = tuple(hidden)
        return cls.from_network(network, **params)

    return build


FAMILIES: dict[str, Family] = {
    "mlp": Family(FeedForwardApproximation, Ensemble.for_model, _mlp),
    "unrolled": Family(Unrolled, ModuleEnsemble.for_model, _of_network(Unrolled)),
    "predictor-corrector": Family(
        PredictorCorrector, ModuleEnsemble.for_model, _of_network(PredictorCorrector)
    ),
    "regions": Family(RegionTable, ModuleEnsemble.for_model, _of_network(RegionTable)),
}


def get_family(name: str, where: str = "family") -> Family:
    """``FAMILIES[name]``; one-line ``ValueError`` listing the families otherwise."""
    if name not in FAMILIES:
        raise ValueError(f"{where} must be one of {sorted(FAMILIES)}, got {name!r}")
    return FAMILIES[name]


def load_model(directory: str | os.PathLike) -> Approximation:
    """Read a model folder of any family; one-line ``ValueError`` if it cannot."""
    family = read_config(directory)["family"]
    return load_model_as(
        get_family(str(family), f"model {str(directory)!r} family").model, directory
    )
