"""Progress reporting, injected: the library calls these; the command line draws them."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Protocol

# Called with the number of items just finished (``tqdm.update`` fits).
ProgressCallback = Callable[[int], None]


class ProgressFactory(Protocol):
    """``factory(total, description, unit)`` opens a progress display as a context manager
    that yields a :data:`ProgressCallback` (``unit``: what is counted, e.g. "epoch")."""

    def __call__(
        self, total: int, description: str, unit: str = "input"
    ) -> contextlib.AbstractContextManager[ProgressCallback]: ...


@contextlib.contextmanager
def no_progress(total: int, description: str, unit: str = "input") -> Iterator[ProgressCallback]:
    """A :class:`ProgressFactory` that shows nothing."""
    yield lambda n=1: None
