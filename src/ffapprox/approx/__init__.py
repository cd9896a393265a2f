"""Feed-forward approximations: model families behind one registry, training, file formats."""

from ._base import Approximation as Approximation
from ._convergence import ConvergenceWarning as ConvergenceWarning
from ._families import FAMILIES as FAMILIES
from ._families import Family as Family
from ._families import get_family as get_family
from ._families import load_model as load_model
from ._formats import check_model_folder as check_model_folder
from ._formats import export_onnx as export_onnx
from ._history import TRAINING_DEFAULTS as TRAINING_DEFAULTS
from ._history import RestartSummary as RestartSummary
from ._history import TrainingHistory as TrainingHistory
from ._history import TrainingSettings as TrainingSettings
from ._history import auto_learning_rate as auto_learning_rate
from ._mlp import FeedForwardApproximation as FeedForwardApproximation
from ._region_table import RegionTable as RegionTable
from ._training import train as train
from ._unrolled import PredictorCorrector as PredictorCorrector
from ._unrolled import Unrolled as Unrolled
