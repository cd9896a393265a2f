"""What this is and what it runs on: the package version, the machine, the logger."""

from __future__ import annotations

import contextlib
import importlib.metadata
import logging
import os
import platform
from pathlib import Path

import numpy as np
import torch

try:
    __version__ = importlib.metadata.version("ffapprox")
except importlib.metadata.PackageNotFoundError:  # run from a source tree, not installed
    __version__ = "0+unknown"

# The library reports what it is doing here; the command line attaches the handler.
logger = logging.getLogger("ffapprox")
logger.addHandler(logging.NullHandler())


def machine_info() -> dict[str, str | int]:
    """What a timing ran on: CPU model, cores, threads and library versions."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cores": os.cpu_count() or 0,
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "platform": platform.platform(),
        "ffapprox": __version__,
    }
