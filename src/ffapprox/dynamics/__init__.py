"""The recurrent network and its dynamics: vector field, regions, fixed-point solvers.

No file I/O beyond a network's own ``save``/``load``, no printing, no global state.
"""

from ._adaptive import AdaptiveMethod as AdaptiveMethod
from ._field import Dynamics as Dynamics
from ._field import as_batch as as_batch
from ._field import jacobian as jacobian
from ._field import vector_field as vector_field
from ._network import FORMS as FORMS
from ._network import RecurrentNetwork as RecurrentNetwork
from ._options import DEFAULT_MAX_TIME as DEFAULT_MAX_TIME
from ._options import SolverOptions as SolverOptions
from ._rk4 import RK4Method as RK4Method
from ._simulate import simulate as simulate
from ._solve import DEFAULT_METHOD as DEFAULT_METHOD
from ._solve import SOLVERS as SOLVERS
from ._solve import solve_fixed_points as solve_fixed_points
from ._status import ACCEPTANCE_NAMES as ACCEPTANCE_NAMES
from ._status import STATUS_NAMES as STATUS_NAMES
from ._status import Acceptance as Acceptance
from ._status import FixedPointResult as FixedPointResult
from ._status import Status as Status
from ._status import count_status as count_status
from ._steps import default_step_size as default_step_size
from ._steps import spectral_bound as spectral_bound
