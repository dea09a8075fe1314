"""Readers of evaluation logs (private; re-exported by mpiis.cats)."""

from ._inspect import read_inspect_log
from ._lm_eval import read_lm_eval_samples
from ._tables import read_table

__all__ = ["read_inspect_log", "read_lm_eval_samples", "read_table"]
