"""mpiis.cats: causal evaluation of benchmarks with Common Abstract Topologies (CATs).

Leeb, Jin & Schölkopf (2025), "Causality can systematically address the monsters under the
bench(marks)" (arXiv 2502.05085). Tour:

    g = compose(confounding(), bind={"X": "F", "Y": "correct", "Z": "D"})  # CAT templates
    implied_independencies(g); adjustment_sets(g, "F", "correct")          # graph logic
    bench = simulate(SimConfig(monsters=(Shortcut(strength=0.3),)), key=jax.random.key(0))
    spec = bench.spec                       # declared assumptions over the table's columns
    check(spec, bench.responses, key=key).summary()   # implications, Holm, Fisher's C
    eff = estimate_effect(bench.responses, spec, "F", "Y", key=key)  # calibrated adjustment
    eff.estimate, eff.ci, eff.proxy.warning           # with the weak-proxy warning
    estimate_mediation(...); label_bias_test(...); paired_flip_test(...)
    fit_irt(reference_rows); diagnose(table, spec, key=key); compare_models(table, spec, key=key)
    read_lm_eval_samples(path); read_inspect_log(path)   # real evaluation logs
"""

from ._catalogue import CAT as CAT
from ._catalogue import catalogue as catalogue
from ._catalogue import compose as compose
from ._catalogue import confounding as confounding
from ._catalogue import contamination as contamination
from ._catalogue import measurement as measurement
from ._catalogue import mediation as mediation
from ._catalogue import selection as selection
from ._catalogue import spurious_correlation as spurious_correlation
from ._check import CheckConfig as CheckConfig
from ._check import Report as Report
from ._check import check as check
from ._check import check_many as check_many
from ._citests import CIResult as CIResult
from ._citests import ci_test as ci_test
from ._design import ProxyDiagnostics as ProxyDiagnostics
from ._diagnose import Finding as Finding
from ._diagnose import compare_models as compare_models
from ._diagnose import diagnose as diagnose
from ._estimate import Effect as Effect
from ._estimate import estimate_effect as estimate_effect
from ._features import FlipTest as FlipTest
from ._features import holm as holm
from ._features import label_bias_test as label_bias_test
from ._features import paired_flip_test as paired_flip_test
from ._features import slice_accuracy_test as slice_accuracy_test
from ._features import spurious_features as spurious_features
from ._glm import GLMFit as GLMFit
from ._glm import fit_glm as fit_glm
from ._glm import fit_glm_batch as fit_glm_batch
from ._graph import CausalGraph as CausalGraph
from ._graph import Independence as Independence
from ._graph import adjustment_sets as adjustment_sets
from ._graph import d_separated as d_separated
from ._graph import implied_independencies as implied_independencies
from ._io import read_inspect_log as read_inspect_log
from ._io import read_lm_eval_samples as read_lm_eval_samples
from ._io import read_table as read_table
from ._irt import IRTFit as IRTFit
from ._irt import fit_irt as fit_irt
from ._irt import plugin_difficulty as plugin_difficulty
from ._mediation import MediationEffect as MediationEffect
from ._mediation import estimate_mediation as estimate_mediation
from ._sim import AdversarialFilter as AdversarialFilter
from ._sim import Contamination as Contamination
from ._sim import FormatSensitivity as FormatSensitivity
from ._sim import MediatorBypass as MediatorBypass
from ._sim import Shortcut as Shortcut
from ._sim import SimBenchmark as SimBenchmark
from ._sim import SimConfig as SimConfig
from ._sim import SpuriousFeatures as SpuriousFeatures
from ._sim import mediation_truth as mediation_truth
from ._sim import simulate as simulate
from ._sim import suite as suite
from ._spec import EvalSpec as EvalSpec
from ._spec import Hypothesis as Hypothesis
from ._spec import Implication as Implication
from ._spec import Proxy as Proxy
from ._spec import implications as implications

__all__ = [
    "CAT", "AdversarialFilter", "CIResult", "CausalGraph", "CheckConfig", "Contamination",
    "Effect", "EvalSpec", "Finding", "FlipTest", "FormatSensitivity", "GLMFit", "Hypothesis",
    "IRTFit", "Implication", "Independence", "MediationEffect", "MediatorBypass", "Proxy",
    "ProxyDiagnostics", "Report", "Shortcut", "SimBenchmark", "SimConfig", "SpuriousFeatures",
    "adjustment_sets", "catalogue", "check", "check_many", "ci_test", "compare_models",
    "compose", "confounding", "contamination", "d_separated", "diagnose", "estimate_effect",
    "estimate_mediation", "fit_glm", "fit_glm_batch", "fit_irt", "holm", "implications",
    "implied_independencies", "label_bias_test", "measurement", "mediation", "mediation_truth",
    "paired_flip_test", "plugin_difficulty", "read_inspect_log", "read_lm_eval_samples",
    "read_table", "selection", "simulate", "slice_accuracy_test", "spurious_correlation",
    "spurious_features", "suite",
]
