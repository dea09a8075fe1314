import jax
import numpy as np
import pytest

from mpiis.cats import CausalGraph, CheckConfig, EvalSpec, check, check_many
from mpiis.cats.benchmark import B7_GRAPHS, _b7_table

TYPES = {"W": "continuous", "Z": "continuous", "X": "continuous", "M": "continuous",
         "Y": "binary"}


def _specs():
    return {k: EvalSpec(CausalGraph(v), columns={c: c for c in TYPES}, types=TYPES)
            for k, v in B7_GRAPHS.items()}


def test_true_graph_not_contradicted_and_ranked_first(key):
    df = _b7_table(np.random.default_rng(0), 1500)
    specs = _specs()
    rep = check(specs["true"], df, n_perm=10, key=key)
    assert rep.n_contradicted == 0 and "not contradicted by these tests" in rep.summary()
    assert "supported" not in rep.summary() and rep.fisher_c["df"] == 2 * rep.n_testable
    assert 0 < rep.falsification["p_value"] <= 1 and len(rep.falsification["perm_contradicted"])
    wrong = check(specs["reversed_edge"], df, n_perm=0, key=key)
    assert wrong.n_contradicted > 0 and wrong.falsification is None
    assert "| implication |" in wrong.to_markdown()
    ranking = check_many(specs, df, key=key, n_perm=5)
    assert ranking.iloc[0]["name"] == "true" and list(ranking["rank"]) == [1, 2, 3, 4]


def test_selection_induced_flag(filter_bench, key):
    b = filter_bench
    ev = b.responses[~b.responses.is_reference]
    spec = EvalSpec(b.spec.graph, columns=b.spec.columns, types=b.spec.types,
                    selection_weights="selection_prob")
    rep = check(spec, ev, n_perm=0, key=key)
    row = rep.rows.iloc[0]
    assert row["status"] == "population" and row["selection_induced"]
    assert row["verdict"] == "not_contradicted"
    nosel = EvalSpec(b.spec.graph, columns=b.spec.columns, types=b.spec.types)
    rep2 = check(nosel, ev, n_perm=0, key=key)
    assert rep2.rows.iloc[0]["verdict"] == "untestable"
    assert "selection_weights" in rep2.rows.iloc[0]["reason"]


def test_config_and_errors(key):
    assert CheckConfig.tiny().n_perm == 10
    with pytest.raises(ValueError, match="alpha"):
        CheckConfig(alpha=2.0)
    with pytest.raises(ValueError, match="n_boot"):
        CheckConfig(n_boot=-1)
    df = _b7_table(np.random.default_rng(0), 100)
    with pytest.raises(ValueError, match="correction"):
        check(_specs()["true"], df, correction="bonferroni", key=key)
    with pytest.raises(ValueError, match="non-empty"):
        check_many({}, df, key=jax.random.key(0))
