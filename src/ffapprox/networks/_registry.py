"""One registry of network builders, read by configs, the command line and ``ffapprox``.

Adding a builder is one function that returns a :class:`RecurrentNetwork` (keyword
arguments with defaults, validated by the function) and one entry in :data:`BUILDERS`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from ..dynamics import RecurrentNetwork
from ._amplifier import amplifier_network, amplifier_patterns
from ._ctln import ctln_network
from ._dale import random_dale_network
from ._partitioned import partition_groups, partitioned_network
from ._ring import ring_network


def _accepted(function: Callable, params: Mapping) -> dict:
    """The entries of ``params`` that ``function`` takes as keyword arguments."""
    names = inspect.signature(function).parameters
    return {k: v for k, v in params.items() if k in names}


@dataclass(frozen=True)
class Builder:
    """A network builder and what a run needs to know about its networks.

    Attributes:
        function: builds the network from keyword arguments.
        partitions: optional; from the same keyword arguments, the neuron indices of each
            group that competes (enables the competition figures and winner metrics).
        patterns: optional; from the same keyword arguments, the stored patterns, rows of
            shape (N,) (enables ``data.inputs = "patterns"``).
    """

    function: Callable[..., RecurrentNetwork]
    partitions: Callable[..., list[list[int]]] | None = None
    patterns: Callable[..., np.ndarray] | None = None

    @property
    def summary(self) -> str:
        """First line of the function's docstring."""
        return (inspect.getdoc(self.function) or "").splitlines()[0]

    def parameters(self) -> dict[str, object]:
        """Keyword arguments and their defaults (``inspect.Parameter.empty`` if required)."""
        return {name: p.default for name, p in inspect.signature(self.function).parameters.items()}

    def build(self, params: Mapping[str, object], where: str = "params") -> RecurrentNetwork:
        """The network for ``params``; one-line ``ValueError`` naming ``where`` for unknown
        or invalid keys."""
        allowed = list(self.parameters())
        unknown = sorted(set(params) - set(allowed))
        if unknown:
            raise ValueError(
                f"unknown {where} key {unknown[0]!r} for {self.function.__name__}; "
                f"allowed: {', '.join(allowed)}"
            )
        try:
            return self.function(**params)
        except (TypeError, ValueError) as err:
            raise ValueError(f"{where}: {err}") from None

    def groups(self, params: Mapping[str, object]) -> list[list[int]]:
        """The competing groups for ``params`` (empty without a ``partitions`` function)."""
        return (
            []
            if self.partitions is None
            else self.partitions(**_accepted(self.partitions, params))
        )

    def stored_patterns(self, params: Mapping[str, object]) -> np.ndarray | None:
        return None if self.patterns is None else self.patterns(**_accepted(self.patterns, params))


BUILDERS: dict[str, Builder] = {
    "partitioned": Builder(partitioned_network, partitions=partition_groups),
    "random-dale": Builder(random_dale_network),
    "ctln": Builder(ctln_network),
    "ring": Builder(ring_network),
    "amplifier": Builder(amplifier_network, patterns=amplifier_patterns),
}


def get_builder(name: str, where: str = "builder") -> Builder:
    """``BUILDERS[name]``; one-line ``ValueError`` listing the builders otherwise."""
    if name not in BUILDERS:
        raise ValueError(f"{where} must be one of {sorted(BUILDERS)}, got {name!r}")
    return BUILDERS[name]
