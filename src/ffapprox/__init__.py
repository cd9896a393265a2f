"""ffapprox: feed-forward approximations of recurrent threshold-linear rate networks.

Muir, D. R. (2018). Feed-forward approximations to dynamic recurrent network architectures.
Neural Computation 30(2):546-567. doi:10.1162/neco_a_01042
"""

from ._builders import ctln_network as ctln_network
from ._builders import partitioned_network as partitioned_network
from ._builders import random_dale_network as random_dale_network
from ._computing_networks import amplifier_network as amplifier_network
from ._computing_networks import amplifier_patterns as amplifier_patterns
from ._computing_networks import ring_angles as ring_angles
from ._computing_networks import ring_network as ring_network
from ._dataset import FixedPointDataset as FixedPointDataset
from ._dataset import generate_dataset as generate_dataset
from ._distributed import generate_store as generate_store
from ._dynamics import jacobian as jacobian
from ._dynamics import simulate as simulate
from ._dynamics import vector_field as vector_field
from ._fixed_points import STATUS_NAMES as STATUS_NAMES
from ._fixed_points import FixedPointResult as FixedPointResult
from ._fixed_points import Status as Status
from ._fixed_points import solve_fixed_points as solve_fixed_points
from ._inputs import SignalPlusNoise as SignalPlusNoise
from ._inputs import UniformInputs as UniformInputs
from ._model import FeedForwardApproximation as FeedForwardApproximation
from ._model import export_onnx as export_onnx
from ._network import RecurrentNetwork as RecurrentNetwork
from ._noise import noise_sweep as noise_sweep
from ._store import ZarrDataset as ZarrDataset
from ._store import open_dataset as open_dataset
from ._training import ConvergenceWarning as ConvergenceWarning
from ._training import TrainingHistory as TrainingHistory
from ._training import train as train

__version__ = "0.1.0"
