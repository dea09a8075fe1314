"""The planted-monster simulator (private; re-exported by mpiis.cats)."""

from ._bypass import MediatorBypass, mediation_truth
from ._contamination import Contamination
from ._filter import AdversarialFilter
from ._format import FormatSensitivity
from ._shortcut import Shortcut
from ._simulator import SimBenchmark, SimConfig, simulate
from ._spurious import SpuriousFeatures
from ._suite import suite

__all__ = ["AdversarialFilter", "Contamination", "FormatSensitivity", "MediatorBypass",
           "Shortcut", "SimBenchmark", "SimConfig", "SpuriousFeatures", "mediation_truth",
           "simulate", "suite"]
