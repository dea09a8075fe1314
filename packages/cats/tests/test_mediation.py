import numpy as np
import pytest

from mpiis.cats import estimate_mediation, mediation_truth


def test_formula_and_stratified(bypass_bench, key):
    b = bypass_bench
    m = estimate_mediation(b.responses, b.spec, "X", "M", "Y", n_boot=40, key=key)
    assert m.adjustment_set == frozenset({"D"})
    assert np.isclose(m.te, m.nde + m.nie) and m.nde_ci[0] <= m.nde <= m.nde_ci[1]
    assert m.proxy is not None and m.proxy.reliability < 0.9
    s = estimate_mediation(b.responses, b.spec, "X", "M", "Y", method="stratified", n_boot=0,
                           key=key)
    assert s.method == "stratified" and s.adjustment_set == frozenset()
    # the truth of the simulator
    t = b.truth
    assert np.isclose(t["bypass_te"], t["bypass_nde"] + t["bypass_nie"])


def test_truth_monotone_in_direct_effect():
    rng = np.random.default_rng(0)
    assert mediation_truth(0.0, rng, 50000)["nde"] == pytest.approx(0.0, abs=1e-12)
    assert mediation_truth(1.0, rng, 50000)["pm"] < mediation_truth(0.2, rng, 50000)["pm"]


@pytest.mark.parametrize("kw, match", [
    (dict(mediator="Y"), "must differ"),
    (dict(mediator="D"), "observed binary"),
    (dict(method="bogus"), "method"),
    (dict(n_boot=5), "at least 20"),
])
def test_errors(bypass_bench, key, kw, match):
    b = bypass_bench
    args = {"treatment": "X", "mediator": "M", "outcome": "Y", "n_boot": 20, **kw}
    with pytest.raises(ValueError, match=match):
        estimate_mediation(b.responses, b.spec, key=key, **args)
