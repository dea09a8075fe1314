import jax

from mpiis.cats import Contamination, SimConfig, compare_models, diagnose, simulate


def test_diagnose_shortcut(shortcut_bench, key):
    found = diagnose(shortcut_bench.responses, shortcut_bench.spec, key=key, n_boot=20)
    eff = [f for f in found if f.kind == "effect"]
    assert eff and eff[0].target == "F -> Y" and eff[0].proxy_warning


def test_diagnose_bypass(bypass_bench, key):
    found = diagnose(bypass_bench.responses, bypass_bench.spec, key=key, n_boot=20)
    assert any(f.kind == "mediation" for f in found)


def test_compare_models():
    b = simulate(SimConfig(n_items=300, n_models=4, n_reference=8,
                           monsters=(Contamination(n_leaked=1),)), key=jax.random.key(0))
    res = compare_models(b.responses, b.spec, key=jax.random.key(1), adjust=["Overlap"],
                         n_boot=20)
    assert list(res.columns[:3]) == ["model", "accuracy", "accuracy_lo"]
    assert len(res) == 4 and "adjust_slope" in res
    assert (res.accuracy_lo <= res.accuracy).all() and sorted(res.ability_rank) == [1, 2, 3, 4]
