"""The benchmark protocol and the ``mpiis-bench`` command.

A package declares its suite under the entry-point group ``mpiis.benchmarks``: the name is the
package name (``cmaxent``) and the object a :class:`Suite`, one registered function per claim::

    suite = Suite("cmaxent", options=[Option("csv", type=Path, help="a table", env="X_CSV")])

    @suite.claim("G1", "Parity with scikit-learn's logistic regression.", gate=True)
    def _g1(ctx: Context) -> ClaimResult: ...

The runner calls each claim with a :class:`Context` (preset, seed, output folder, options, a
memo for shared steps, figure drawing that never loses results). A claim that raises is recorded
as errored and the others still run. A plain callable ``run(preset, *, seed, out_dir)`` is still
accepted and run whole.

A :class:`ClaimResult` records one claim: what is measured, the value and its spread over
seeds, the threshold and comparator, whether it is a GATE (must pass) or REPORTED, the
baseline's value and the wall time. :func:`compare_speed` times speed claims by the protocol
(warm, interleaved, medians). The JSON record of a run carries ``schema_version``; its JSON
Schema is :func:`load_schema`.

    mpiis-bench                         # every installed package at the quick preset
    mpiis-bench cmaxent --preset full --out DIR
    mpiis-bench aisafety --set epoch_csv=PATH
    mpiis-bench --list

Exit status: 0 when every GATE passed (and one ran), 1 when one failed, a claim or suite
raised, or no GATE ran, 2 on bad arguments.
"""

from ._claim import COMPARATORS as COMPARATORS
from ._claim import PRESETS as PRESETS
from ._claim import ClaimResult as ClaimResult
from ._claim import check_preset as check_preset
from ._claim import seed_gate as seed_gate
from ._claim import timer as timer
from ._cli import main as main
from ._runner import ENTRY_POINT_GROUP as ENTRY_POINT_GROUP
from ._runner import SCHEMA_VERSION as SCHEMA_VERSION
from ._runner import SuiteReport as SuiteReport
from ._runner import discover as discover
from ._runner import load_schema as load_schema
from ._runner import machine_info as machine_info
from ._runner import record_version as record_version
from ._runner import render_markdown as render_markdown
from ._runner import run_suite as run_suite
from ._speed import SpeedComparison as SpeedComparison
from ._speed import compare_speed as compare_speed
from ._speed import thread_settings as thread_settings
from ._suite import ClaimSkipped as ClaimSkipped
from ._suite import Context as Context
from ._suite import Option as Option
from ._suite import Suite as Suite
from ._suite import SuiteRun as SuiteRun

__all__ = [
    "COMPARATORS",
    "ENTRY_POINT_GROUP",
    "PRESETS",
    "SCHEMA_VERSION",
    "ClaimResult",
    "ClaimSkipped",
    "Context",
    "Option",
    "SpeedComparison",
    "Suite",
    "SuiteReport",
    "SuiteRun",
    "check_preset",
    "compare_speed",
    "discover",
    "load_schema",
    "machine_info",
    "main",
    "record_version",
    "render_markdown",
    "run_suite",
    "seed_gate",
    "thread_settings",
    "timer",
]
