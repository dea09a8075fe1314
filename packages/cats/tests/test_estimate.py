import jax
import numpy as np
import pandas as pd
import pytest

from mpiis.cats import CausalGraph, EvalSpec, estimate_effect
from mpiis.shared.testing import check_deterministic


def test_calibrated_effect_carries_proxy_warning(shortcut_bench, key):
    b = shortcut_bench
    e = estimate_effect(b.responses, b.spec, "F", "Y", n_boot=30, key=key)
    assert e.adjustment_set == frozenset({"D"}) and e.method == "gcomp"
    assert e.proxy is not None and e.proxy.n_reference == 10
    assert e.proxy.warning and "weak proxy" in e.proxy.advice  # K=10: rho < 0.9
    assert e.ci[0] <= e.estimate <= e.ci[1]
    assert e.n == 400 and e.converged
    # the plug-in baseline behind the same type
    p = estimate_effect(b.responses, b.spec, "F", "Y", method="plugin_proxy", n_boot=0, key=key)
    assert np.isclose(p.coef, e.proxy.plugin_estimate)
    naive = estimate_effect(b.responses, b.spec, "F", "Y", method="naive_thirds", n_boot=0,
                            key=key)
    assert naive.estimate < 0 and naive.adjustment_set == frozenset()


def test_deterministic_bootstrap(shortcut_bench):
    b = shortcut_bench
    check_deterministic(lambda s: estimate_effect(b.responses, b.spec, "F", "Y", n_boot=20,
                                                  key=jax.random.key(s)).ci)


def _confounded(n=3000, effect=0.1, seed=0):
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal(n)
    T = (rng.random(n) < 1 / (1 + np.exp(-Z))).astype(float)
    Y = (rng.random(n) < 1 / (1 + np.exp(-(0.5 * Z + effect * 4 * T - 2 * effect)))).astype(
        float)
    spec = EvalSpec(CausalGraph([("Z", "T"), ("Z", "Y"), ("T", "Y")]),
                    columns={"Z": "z", "T": "t", "Y": "y"},
                    types={"Z": "continuous", "T": "binary", "Y": "binary"})
    return pd.DataFrame({"z": Z, "t": T, "y": Y}), spec


@pytest.mark.parametrize("method", ["gcomp", "ipw", "aipw"])
def test_estimators_agree_on_binary_treatment(method, key):
    df, spec = _confounded()
    e = estimate_effect(df, spec, "T", "Y", method=method, n_boot=50, key=key)
    g = estimate_effect(df, spec, "T", "Y", n_boot=0, key=key)
    naive = estimate_effect(df, spec, "T", "Y", method="unadjusted", n_boot=0, key=key)
    assert abs(e.estimate - g.estimate) < 0.03
    assert naive.estimate > g.estimate + 0.03  # confounding inflates the unadjusted effect


def test_selection_weights(filter_bench, key):
    b = filter_bench
    ev = b.responses[~b.responses.is_reference]
    spec = EvalSpec(b.spec.graph, columns=b.spec.columns, types=b.spec.types,
                    selection_weights="selection_prob")
    w = estimate_effect(ev, spec, "S", "Y", weights="selection_prob", n_boot=0, key=key)
    u = estimate_effect(ev, spec, "S", "Y", n_boot=0, key=key)
    assert u.estimate < -0.02 and abs(w.estimate) < abs(u.estimate) / 2


@pytest.mark.parametrize("kw, match", [
    (dict(treatment="Y", outcome="Y"), "must differ"),
    (dict(treatment="D", outcome="Y"), "latent"),
    (dict(treatment="Q", outcome="Y"), "unknown node"),
    (dict(treatment="F", outcome="Y", method="magic"), "method"),
    (dict(treatment="F", outcome="Y", method="ipw"), "binary treatment"),
    (dict(treatment="F", outcome="Y", n_boot=-1), "n_boot"),
    (dict(treatment="F", outcome="Y", adjust={"Q"}), "unknown node"),
])
def test_errors(shortcut_bench, key, kw, match):
    b = shortcut_bench
    with pytest.raises(ValueError, match=match):
        estimate_effect(b.responses, b.spec, key=key, **{"n_boot": 0, **kw})


def test_table_errors(shortcut_bench, key):
    b = shortcut_bench
    bad = b.responses.copy()
    bad.loc[3, "F"] = np.nan
    with pytest.raises(ValueError, match=r"'F'.*1 NaN"):
        estimate_effect(bad, b.spec, "F", "Y", n_boot=0, key=key)
    bad = b.responses.copy()
    bad.loc[3, "correct"] = 0.5
    with pytest.raises(ValueError, match="declared binary"):
        estimate_effect(bad, b.spec, "F", "Y", n_boot=0, key=key)
    with pytest.raises(ValueError, match="misses the columns"):
        estimate_effect(b.responses.drop(columns="F"), b.spec, "F", "Y", n_boot=0, key=key)
    with pytest.raises(ValueError, match="key"):
        estimate_effect(b.responses, b.spec, "F", "Y", n_boot=0, key=None)


def test_no_adjustment_set():
    g = CausalGraph([("Z", "T"), ("Z", "Y"), ("T", "Y")], latent=["Z"])
    spec = EvalSpec(g, columns={"T": "t", "Y": "y"}, types={"T": "binary", "Y": "binary"})
    df = pd.DataFrame({"t": [0, 1] * 10, "y": [1, 0] * 10})
    with pytest.raises(ValueError, match="no valid adjustment set"):
        estimate_effect(df, spec, "T", "Y", n_boot=0, key=jax.random.key(0))
