"""Network builders behind one registry, :data:`BUILDERS`."""

from ._amplifier import amplifier_network as amplifier_network
from ._amplifier import amplifier_patterns as amplifier_patterns
from ._ctln import ctln_network as ctln_network
from ._ctln import ctln_rest_state as ctln_rest_state
from ._dale import random_dale_network as random_dale_network
from ._partitioned import partition_groups as partition_groups
from ._partitioned import partition_labels as partition_labels
from ._partitioned import partitioned_network as partitioned_network
from ._registry import BUILDERS as BUILDERS
from ._registry import Builder as Builder
from ._registry import get_builder as get_builder
from ._ring import ring_angles as ring_angles
from ._ring import ring_network as ring_network
