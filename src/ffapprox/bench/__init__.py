"""The benchmark behind ``ffapprox bench`` (optional extra ``bench``): ffapprox against the
usual ways of finding fixed points, its peers, and the fused approximation kernel."""

from ._bench import BenchSizes as BenchSizes
from ._bench import run_bench as run_bench
from ._extra import BENCH_PACKAGES as BENCH_PACKAGES
from ._extra import missing_bench_packages as missing_bench_packages
from ._extra import require_bench_extra as require_bench_extra
from ._plots import bench_figure as bench_figure
