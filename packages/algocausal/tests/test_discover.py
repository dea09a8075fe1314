import networkx as nx
import numpy as np
import pytest

from mpiis.algocausal import CompressionConfig, compress, discover_dag, simulate_sparse_shift


def test_recovers_d3_dag_with_attributes():
    d = simulate_sparse_shift(rng=np.random.default_rng(0), n_envs=6, n_per_env=200, n_vars=3)
    r = discover_dag(d)
    assert set(r.graph.edges) == set(d.truth.graph.edges)
    assert r.adjacency.shape == (3, 3)
    for a, b in r.graph.edges:
        assert r.adjacency[d.columns.index(a), d.columns.index(b)] == 1
        assert np.isfinite(r.graph.edges[a, b]["weight"])
    for n in r.graph.nodes:
        blocks = r.graph.nodes[n]["partition"]
        assert sorted(e for b in blocks for e in b) == list(range(6))
    assert r.gap_bits > 0
    # the score is the compress() code length of the chosen graph
    again = compress(d, r.graph, config=CompressionConfig(cost="partition"))
    assert again.total_bits == pytest.approx(r.score_bits)


def test_one_environment_returns_markov_class():
    d = simulate_sparse_shift(rng=np.random.default_rng(5), n_envs=1, n_per_env=200, n_vars=3)
    r = discover_dag(d)
    # every equivalent DAG shares the skeleton and the score
    skel = {frozenset(e) for e in r.graph.edges}
    for g in r.equivalent:
        assert {frozenset(e) for e in g.edges} == skel
    assert r.gap_bits <= 1e-6 or len(r.equivalent) == 1


def test_dynamic_programming_d6():
    d = simulate_sparse_shift(rng=np.random.default_rng(1), n_envs=4, n_per_env=100, n_vars=6)
    r = discover_dag(d, max_parents=2)
    assert nx.is_directed_acyclic_graph(r.graph)
    assert np.isnan(r.gap_bits)
    assert max(dict(r.graph.in_degree()).values()) <= 2
    local = sum(r.local_bits[c][tuple(sorted(r.graph.predecessors(c),
                                                key=d.columns.index))] for c in d.columns)
    assert r.score_bits == pytest.approx(local + sum(d.n_samples) * np.log2(4))
    truth = compress(d, d.truth.graph, config=CompressionConfig(cost="partition"))
    if max(dict(d.truth.graph.in_degree()).values(), default=0) <= 2:
        assert r.score_bits <= truth.total_bits + 1e-6


def test_validation():
    d = simulate_sparse_shift(rng=np.random.default_rng(2), n_envs=2, n_per_env=20, n_vars=9)
    with pytest.raises(ValueError, match="at most 8 columns for discover_dag, got 9"):
        discover_dag(d)
    d3 = simulate_sparse_shift(rng=np.random.default_rng(2), n_envs=6, n_per_env=20, n_vars=3)
    with pytest.raises(ValueError, match="max_combinations"):
        discover_dag(d3, config=CompressionConfig(max_combinations=1000))
    with pytest.raises(ValueError, match="`max_parents`"):
        discover_dag(d3, max_parents=-1)
