"""ffapprox: feed-forward approximations of recurrent threshold-linear rate networks.

Muir, D. R. (2018). Feed-forward approximations to dynamic recurrent network architectures.
Neural Computation 30(2):546-567. doi:10.1162/neco_a_01042

Layers, lowest first (a layer imports only those before it): ``common`` (checks, files,
timing), ``dynamics`` (the network, its dynamics, fixed-point solvers), ``networks``
(builders), ``data`` (samplers, datasets, stores), ``approx`` (approximation families,
training, export), ``experiments`` (runs, metrics, figures, report), ``bench`` and ``cli``.
"""

from .approx import FAMILIES as FAMILIES
from .approx import Approximation as Approximation
from .approx import ConvergenceWarning as ConvergenceWarning
from .approx import FeedForwardApproximation as FeedForwardApproximation
from .approx import TrainingHistory as TrainingHistory
from .approx import export_onnx as export_onnx
from .approx import load_model as load_model
from .approx import train as train
from .common import __version__ as __version__
from .data import FixedPointDataset as FixedPointDataset
from .data import SignalPlusNoise as SignalPlusNoise
from .data import UniformInputs as UniformInputs
from .data import ZarrDataset as ZarrDataset
from .data import generate_dataset as generate_dataset
from .data import generate_store as generate_store
from .data import open_dataset as open_dataset
from .dynamics import ACCEPTANCE_NAMES as ACCEPTANCE_NAMES
from .dynamics import SOLVERS as SOLVERS
from .dynamics import STATUS_NAMES as STATUS_NAMES
from .dynamics import Acceptance as Acceptance
from .dynamics import FixedPointResult as FixedPointResult
from .dynamics import RecurrentNetwork as RecurrentNetwork
from .dynamics import Status as Status
from .dynamics import jacobian as jacobian
from .dynamics import simulate as simulate
from .dynamics import solve_fixed_points as solve_fixed_points
from .dynamics import vector_field as vector_field
from .experiments import NoiseSweep as NoiseSweep
from .experiments import load_config as load_config
from .experiments import noise_sweep as noise_sweep
from .experiments import run_experiment as run_experiment
from .networks import BUILDERS as BUILDERS
from .networks import amplifier_network as amplifier_network
from .networks import amplifier_patterns as amplifier_patterns
from .networks import ctln_network as ctln_network
from .networks import ctln_rest_state as ctln_rest_state
from .networks import partitioned_network as partitioned_network
from .networks import random_dale_network as random_dale_network
from .networks import ring_angles as ring_angles
from .networks import ring_network as ring_network
