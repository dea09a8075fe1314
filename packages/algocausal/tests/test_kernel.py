import numpy as np
import pytest

from mpiis.algocausal import CompressionConfig, compress, discover_dag, simulate_sparse_shift
from mpiis.algocausal._compress import codebook_charge_bits
from mpiis.algocausal._gaussian import env_stats
from mpiis.algocausal._kernel import env_bucket
from mpiis.algocausal._nodes import codebook_node, default_codebooks


def test_numpy_backend_equals_jax(small_problem):
    data, books = small_problem
    a = compress(data, ("X1", "X2"), config=CompressionConfig.tiny(backend="jax"), codebook=books)
    b = compress(data, ("X1", "X2"), config=CompressionConfig.tiny(backend="numpy"),
                 codebook=books)
    np.testing.assert_allclose(a.curve, b.curve, rtol=1e-12)
    for mech in ("X1", "X2"):
        for kv, e in a.mechanism_tables[mech].items():
            f = b.mechanism_tables[mech][kv]
            assert e["subsets"] == f["subsets"]
            assert e["data_bits"] == pytest.approx(f["data_bits"], rel=1e-12)


@pytest.mark.parametrize(("n_envs", "m", "loop"), [(2, 6, False), (3, 6, False),
                                                   (4, 5, False), (4, 5, True)])
def test_bitmask_and_dp_main_pass_match_numpy_with_ties(n_envs, m, loop, monkeypatch):
    # (2, 6) runs XLA's subset DP, the others its bitmask form (K close to M), in one pass
    # or (loop) in a lax.map over pieces as at N = 8, M = 12; repeated codebook values make
    # ties, which must break as in numpy (first subset, first column)
    import jax

    from mpiis.algocausal import _kernel
    from mpiis.algocausal.benchmark import _random_problem

    if loop:
        monkeypatch.setattr(_kernel, "JAX_ONE_SHOT_ELEMENTS", 0)
        monkeypatch.setattr(_kernel, "JAX_PIECE_COLUMNS", 8)
        jax.clear_caches()

    data, books = _random_problem(np.random.default_rng([3, n_envs, m]), n_envs, m)
    books = {k: np.sort(np.concatenate([v[: m - 2], v[: 2]])) for k, v in books.items()}
    res = {be: compress(data, ("X1", "X2"), codebook=books,
                        config=CompressionConfig(codebook_size=m, backend=be))
           for be in ("jax", "numpy")}
    np.testing.assert_allclose(res["jax"].curve, res["numpy"].curve, rtol=1e-12)
    for mech in ("X1", "X2"):
        for kv, e in res["jax"].mechanism_tables[mech].items():
            assert e["subsets"] == res["numpy"].mechanism_tables[mech][kv]["subsets"]
    if loop:
        jax.clear_caches()  # later tests compile with the shipped constants


def test_env_buckets_pad_without_changing_results():
    assert [env_bucket(n) for n in (1, 2, 3, 4, 5, 6, 7, 9, 13)] == [1, 2, 3, 4, 6, 6, 8, 10, 16]
    d = simulate_sparse_shift(rng=np.random.default_rng(2), n_envs=5, n_per_env=40)
    r = compress(d, ("X1", "X2"), config=CompressionConfig.tiny())
    # N = 5 runs padded to 6; the curve only has k <= N per type
    assert r.curve.size == 1 + 4 + 4 + 4 and np.isfinite(r.total_bits)


def _two_parent_node(seed: int, n_envs: int = 4):
    d = simulate_sparse_shift(rng=np.random.default_rng(seed), n_envs=n_envs, n_per_env=80,
                              n_vars=3, edge_prob=1.0)
    order = [c for c in d.columns if d.truth.graph.in_degree(c) == 2]
    idx = {c: i for i, c in enumerate(d.columns)}
    child = idx[order[0]]
    parents = tuple(sorted(idx[c] for c in d.truth.graph.predecessors(order[0])))
    return d, child, parents


def test_beam_search_is_used_above_the_budget_and_matches_small_exact():
    d, child, parents = _two_parent_node(1)
    stats = env_stats(d, center=True)
    exact_cfg = CompressionConfig(codebook_size=5, max_combinations=10**9)
    books = default_codebooks(stats, child, parents, exact_cfg)
    ex = codebook_node(stats, child, parents, books, exact_cfg)
    bm = codebook_node(stats, child, parents, books,
                       CompressionConfig(codebook_size=5, max_combinations=1, beam_width=8))
    assert not ex.approximate and bm.approximate
    assert np.min(bm.curve) >= np.min(ex.curve) - 1e-9  # a restriction never beats the exact
    assert np.min(bm.curve) - np.min(ex.curve) < 1.0
    with pytest.raises(ValueError, match="max_combinations"):
        codebook_node(stats, child, parents, books,
                      CompressionConfig(codebook_size=5, max_combinations=1, beam_width=None))


def test_codebook_dag_with_two_parent_nodes_at_default_m():
    # issue #12, "Done when": runs at the default codebook size (M = 8)
    d = simulate_sparse_shift(rng=np.random.default_rng(0), n_envs=6, n_per_env=200,
                              n_vars=4, edge_prob=0.8)
    assert max(dict(d.truth.graph.in_degree()).values()) >= 2
    res = discover_dag(d, max_parents=2, config=CompressionConfig(cost="codebook"))
    assert res.adjacency.shape == (4, 4) and np.isfinite(res.score_bits)


def test_codebook_charge_counts_data_driven_types_only(bivariate):
    charged = compress(bivariate, ("X1", "X2"), config=CompressionConfig.tiny())
    free = compress(bivariate, ("X1", "X2"), config=CompressionConfig.tiny(codebook_charge=False))
    per_type = codebook_charge_bits(np.array(bivariate.n_samples))
    assert per_type == pytest.approx(0.5 * sum(np.log2(bivariate.n_samples)))
    assert charged.total_bits - free.total_bits == pytest.approx(3 * per_type)
    # a user codebook for one type removes that type's charge
    book = {"v:X1": np.array([0.5, 1.0, 2.0, 3.0])}
    part = compress(bivariate, ("X1", "X2"), config=CompressionConfig.tiny(), codebook=book)
    part_free = compress(bivariate, ("X1", "X2"), config=CompressionConfig.tiny(
        codebook_charge=False), codebook=book)
    assert part.total_bits - part_free.total_bits == pytest.approx(2 * per_type)


def test_new_config_fields_are_validated():
    with pytest.raises(ValueError, match="backend"):
        CompressionConfig(backend="torch")
    with pytest.raises(ValueError, match="beam_width"):
        CompressionConfig(beam_width=0)
    with pytest.raises(TypeError, match="codebook_charge"):
        CompressionConfig(codebook_charge=1)


def test_result_records_the_beam_approximation(tmp_path):
    d, _, _ = _two_parent_node(3)
    g = d.truth.graph
    exact = compress(d, g, config=CompressionConfig(codebook_size=4))
    beam = compress(d, g, config=CompressionConfig(codebook_size=4, max_combinations=100))
    assert not exact.approximate and beam.approximate
    beam.save(tmp_path / "r.npz")
    assert type(beam).load(tmp_path / "r.npz").approximate
