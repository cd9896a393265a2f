"""Training data: input samplers, the dataset, generation (in memory, chunked, distributed),
file formats and the batches training reads."""

from ._batches import MAX_TRAINING_VALUE as MAX_TRAINING_VALUE
from ._batches import InMemory as InMemory
from ._batches import Scaling as Scaling
from ._batches import Streamed as Streamed
from ._batches import check_training_values as check_training_values
from ._dataset import FixedPointDataset as FixedPointDataset
from ._distributed import generate_store as generate_store
from ._generate import check_dataset_memory as check_dataset_memory
from ._generate import generate_dataset as generate_dataset
from ._generate import sample_inputs as sample_inputs
from ._inputs import DEFAULT_HIGH as DEFAULT_HIGH
from ._inputs import DEFAULT_LOW as DEFAULT_LOW
from ._inputs import SAMPLE_BLOCK as SAMPLE_BLOCK
from ._inputs import SignalPlusNoise as SignalPlusNoise
from ._inputs import UniformInputs as UniformInputs
from ._inputs import draw_rows as draw_rows
from ._store import ARRAYS as ARRAYS
from ._store import DEFAULT_CHUNK_SIZE as DEFAULT_CHUNK_SIZE
from ._store import is_store_path as is_store_path
from ._zarr_dataset import ZarrDataset as ZarrDataset
from ._zarr_dataset import open_dataset as open_dataset
