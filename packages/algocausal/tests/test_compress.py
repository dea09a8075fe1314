import networkx as nx
import numpy as np
import pytest

from mpiis.algocausal import (
    CompressionConfig,
    codebook_cost_bits,
    compress,
    reference_codebook_search,
    simulate_sparse_shift,
)
from mpiis.shared.testing import check_deterministic, check_save_load


def test_result_fields_tiny(bivariate):
    cfg = CompressionConfig.tiny()
    r = compress(bivariate, ("X1", "X2"), config=cfg)
    assert r.total_bits == pytest.approx(r.model_bits + r.data_bits + r.label_bits)
    assert r.label_bits == pytest.approx(240 * np.log2(4))
    assert set(r.k) == {"X1", "X2"} and set(r.k["X2"]) == {"b:X1->X2", "v:X2"}
    assert r.curve.shape == (3 * 4 + 1,)
    assert np.isinf(r.curve[:3]).all()
    assert r.total_bits == pytest.approx(np.min(r.curve))
    assert r.parameters["X2"].shape == (len(r.partitions["X2"]), 2)
    assert sorted(e for b in r.partitions["X1"] for e in b) == [0, 1, 2, 3]
    assert r.dtype == "float64"
    assert isinstance(r.graph, nx.DiGraph) and list(r.graph.edges) == [("X1", "X2")]


def test_parity_with_reference(small_problem):
    data, books = small_problem
    ref = reference_codebook_search(data, ("X1", "X2"), books)
    r = compress(data, ("X1", "X2"), config=CompressionConfig.tiny(), codebook=books)
    fin = np.isfinite(ref["curve"])
    np.testing.assert_allclose(r.curve[fin], ref["curve"][fin], rtol=1e-10)
    for kv, e in ref["table"].items():
        a, b = r.mechanism_tables["X1"][kv[:1]], r.mechanism_tables["X2"][kv[1:]]
        assert a["select_value"] + b["select_value"] == pytest.approx(e["kl"], rel=1e-10)
        assert a["data_bits"] + b["data_bits"] == pytest.approx(e["data_bits"], rel=1e-10)
        assert a["subsets"] + b["subsets"] == e["subsets"]


def test_search_beats_every_subset_tuple(small_problem):
    """The nested minimum is the exhaustive minimum (a brute-force check on k = (2, 1, 2))."""
    data, books = small_problem
    r = compress(data, ("X1", "X2"), config=CompressionConfig.tiny(), codebook=books)
    got = r.mechanism_tables["X2"][(1, 2)]["select_value"]
    ref = reference_codebook_search(data, ("X1", "X2"), books)
    brute = min(e["kl"] for kv, e in ref["table"].items() if kv[1:] == (1, 2) and kv[0] == 1)
    x1 = r.mechanism_tables["X1"][(1,)]["select_value"]
    assert got + x1 <= brute + 1e-9


def test_model_bits_match_eq_a(small_problem):
    data, books = small_problem
    r = compress(data, ("X1", "X2"), config=CompressionConfig.tiny(), codebook=books)
    want = sum(codebook_cost_bits(3, k, 4) for ks in r.k.values() for k in ks.values())
    assert r.model_bits == pytest.approx(want)


def test_partition_cost(bivariate):
    r = compress(bivariate, ("X1", "X2"), config=CompressionConfig(cost="partition"))
    assert r.curve.shape == (9,)
    assert r.cost == "partition"
    assert r.parameters["X1"].shape[1] == 1


def test_deterministic():
    def run(seed):
        d = simulate_sparse_shift(rng=np.random.default_rng(seed), n_envs=3, n_per_env=30)
        return compress(d, ("X1", "X2"), config=CompressionConfig.tiny()).curve

    check_deterministic(run)


def test_save_load_and_new_data(bivariate, tmp_path):
    r = compress(bivariate, ("X1", "X2"), config=CompressionConfig.tiny())
    new = simulate_sparse_shift(rng=np.random.default_rng(11), n_envs=2, n_per_env=40)
    loaded = check_save_load(r, lambda m: np.array([m.data_bits_of(new), m.total_bits]),
                             tmp_path / "fit.npz")
    assert loaded.partitions == r.partitions and loaded.k == r.k
    np.testing.assert_array_equal(loaded.curve, r.curve)
    # the training data themselves, assigned freely, code no longer than under the fit
    assert r.data_bits_of(bivariate) <= r.data_bits + 1e-6


def test_x64_false_records_dtype(bivariate):
    r = compress(bivariate, ("X1", "X2"), config=CompressionConfig.tiny(x64=False))
    assert r.dtype == "float32" and np.isfinite(r.total_bits)


def test_validation(bivariate):
    with pytest.raises(ValueError, match="must be a DAG"):
        compress(bivariate, nx.DiGraph([("X1", "X2"), ("X2", "X1")]))
    with pytest.raises(ValueError, match="nodes must equal the columns"):
        compress(bivariate, nx.DiGraph([("X1", "Z")]))
    with pytest.raises(ValueError, match="ordering must list every column"):
        compress(bivariate, ("X1",))
    with pytest.raises(TypeError, match="`graph`"):
        compress(bivariate, "X1->X2")
    with pytest.raises(ValueError, match=r"`k_max` \(=2\) must be >= the number of mechanism"):
        compress(bivariate, ("X1", "X2"), config=CompressionConfig(k_max=2))
    with pytest.raises(ValueError, match=r"max_combinations = 10.*smaller `codebook_size`"):
        compress(bivariate, ("X1", "X2"), config=CompressionConfig(max_combinations=10))
    with pytest.raises(ValueError, match="unknown type names"):
        compress(bivariate, ("X1", "X2"), codebook={"v:X9": np.ones(3)})
    with pytest.raises(ValueError, match=r"`codebook\['v:X1'\]`"):
        compress(bivariate, ("X1", "X2"), codebook={"v:X1": np.array([np.nan])})
    with pytest.raises(ValueError, match="`codebook` applies to cost='codebook' only"):
        compress(bivariate, ("X1", "X2"), config=CompressionConfig(cost="partition"),
                 codebook={"v:X1": np.ones(3)})
    with pytest.raises(TypeError, match="`config`"):
        compress(bivariate, ("X1", "X2"), config={"cost": "codebook"})


def test_partition_refuses_many_envs():
    d = simulate_sparse_shift(rng=np.random.default_rng(0), n_envs=13, n_per_env=5)
    with pytest.raises(ValueError, match="at most 12 environments, got N = 13"):
        compress(d, ("X1", "X2"), config=CompressionConfig(cost="partition"))


def test_config_validation():
    with pytest.raises(ValueError, match="`codebook_size` must be >= 1"):
        CompressionConfig(codebook_size=0)
    with pytest.raises(ValueError, match="`margin`"):
        CompressionConfig(margin=-0.1)
    with pytest.raises(ValueError, match="`cost`"):
        CompressionConfig(cost="mdl")
    with pytest.raises(ValueError, match="`select`"):
        CompressionConfig(select="bic")
    with pytest.raises(TypeError, match="`center`"):
        CompressionConfig(center=1)


def test_nonpositive_variances_are_masked(small_problem):
    data, books = small_problem
    books = dict(books, **{"v:X2": np.array([-1.0, 0.0, 0.9, 1.5])})
    r = compress(data, ("X1", "X2"), config=CompressionConfig.tiny(), codebook=books)
    assert np.isfinite(r.total_bits)
    assert not np.isnan(r.curve).any()
    assert (r.assignments["X2"][:, -1] > 0).all()


def test_code_length_selection(small_problem):
    data, books = small_problem
    kl = compress(data, ("X1", "X2"), config=CompressionConfig.tiny(), codebook=books)
    cl = compress(data, ("X1", "X2"), config=CompressionConfig.tiny(select="code_length"),
                  codebook=books)
    # selecting by code length can only lower the data bits of every k-vector
    for kv, e in cl.mechanism_tables["X2"].items():
        assert e["data_bits"] <= kl.mechanism_tables["X2"][kv]["data_bits"] + 1e-9
    assert cl.total_bits <= kl.total_bits + 1e-9


def test_dag_markov_equivalence_one_env():
    d = simulate_sparse_shift(rng=np.random.default_rng(5), n_envs=1, n_per_env=80, n_vars=3)
    graphs = [nx.DiGraph([("X1", "X2"), ("X2", "X3")]), nx.DiGraph([("X3", "X2"), ("X2", "X1")]),
              nx.DiGraph([("X2", "X1"), ("X2", "X3")])]
    for cost in ("codebook", "partition"):
        bits = [compress(d, g, config=CompressionConfig(cost=cost)).total_bits for g in graphs]
        assert max(bits) - min(bits) < 1e-6
    # the collider is not Markov equivalent: it codes differently
    collider = compress(d, nx.DiGraph([("X1", "X2"), ("X3", "X2")]),
                        config=CompressionConfig(cost="partition")).total_bits
    assert abs(collider - bits[0]) > 1e-3
