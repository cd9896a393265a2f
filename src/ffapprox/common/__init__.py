"""Plumbing every layer shares: argument checks, safe file writes, timing, progress, version.

The lowest layer: it imports nothing else from ffapprox.
"""

from ._about import __version__ as __version__
from ._about import logger as logger
from ._about import machine_info as machine_info
from ._checks import check_choice as check_choice
from ._checks import check_device as check_device
from ._checks import check_dtype as check_dtype
from ._checks import check_integer as check_integer
from ._checks import check_pair as check_pair
from ._checks import check_real as check_real
from ._checks import finite_tensor as finite_tensor
from ._checks import real_array as real_array
from ._files import atomic_path as atomic_path
from ._files import file_mode as file_mode
from ._files import folder_of as folder_of
from ._files import json_ready as json_ready
from ._files import json_text as json_text
from ._files import load_array as load_array
from ._files import load_npz as load_npz
from ._files import save_npz as save_npz
from ._files import write_json as write_json
from ._memory import check_memory as check_memory
from ._memory import check_network_size as check_network_size
from ._progress import ProgressCallback as ProgressCallback
from ._progress import ProgressFactory as ProgressFactory
from ._progress import no_progress as no_progress
from ._timing import Timing as Timing
from ._timing import measure as measure
from ._timing import synchronize as synchronize
from ._timing import throughput as throughput
