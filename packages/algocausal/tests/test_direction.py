import networkx as nx
import numpy as np
import pytest

from mpiis.algocausal import (
    CompressionConfig,
    MultiEnvData,
    discover_direction,
    simulate_official_bivariate,
    simulate_sparse_shift,
)


@pytest.mark.parametrize("cost", ["codebook", "partition"])
def test_one_environment_ties(cost):
    d = simulate_sparse_shift(rng=np.random.default_rng(1), n_envs=1, n_per_env=100)
    r = discover_direction(d, config=CompressionConfig(cost=cost))
    assert r.cause is None and r.effect is None
    assert r.gap_bits < 1e-6
    assert r.graph.number_of_edges() == 0


def test_sparse_shift_direction_and_baselines():
    d = simulate_sparse_shift(rng=np.random.default_rng(2), n_envs=6, n_per_env=300)
    (c, e), = list(d.truth.graph.edges)
    r = discover_direction(d, config=CompressionConfig(cost="partition"))
    assert (r.cause, r.effect) == (c, e)
    assert r.gap_bits > 1.0
    assert list(r.graph.edges) == [(c, e)]
    ind = discover_direction(d, config=CompressionConfig(cost="partition"),
                             baseline="independent")
    assert ind.cause is None and ind.method == "independent"
    lrt = discover_direction(d, baseline="lrt_changes")
    assert lrt.method == "lrt_changes" and lrt.fits == {}
    assert all(float(v).is_integer() for v in lrt.bits.values())


def test_official_replica_with_oracle_codebooks():
    from mpiis.algocausal.benchmark import oracle_codebooks

    d = simulate_official_bivariate(rng=np.random.default_rng(0))
    r = discover_direction(d, config=CompressionConfig(k_max=15, center=False),
                           codebooks=oracle_codebooks())
    assert r.cause == "X1"
    causal = r.fits["X1->X2"]
    assert causal.curve.shape == (16,)
    assert np.isfinite(causal.curve[3:]).all()


def test_x64_false_relative_tie():
    d = simulate_sparse_shift(rng=np.random.default_rng(4), n_envs=1, n_per_env=100)
    r = discover_direction(d, config=CompressionConfig(cost="partition", x64=False))
    assert r.cause is None
    assert r.fits["X1->X2"].dtype == "float32"


def test_validation():
    d3 = simulate_sparse_shift(rng=np.random.default_rng(0), n_envs=2, n_per_env=20, n_vars=3)
    with pytest.raises(ValueError, match="2 columns for discover_direction, got 3"):
        discover_direction(d3)
    d = simulate_sparse_shift(rng=np.random.default_rng(0), n_envs=2, n_per_env=20)
    with pytest.raises(ValueError, match="`baseline`"):
        discover_direction(d, baseline="anm")
    with pytest.raises(TypeError, match="`data`"):
        discover_direction(np.zeros((10, 2)))
    assert isinstance(discover_direction(list(d.envs)).graph, nx.DiGraph)
    assert isinstance(d, MultiEnvData)
