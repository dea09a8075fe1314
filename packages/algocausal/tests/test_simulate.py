import numpy as np
import pytest

from mpiis.algocausal import (
    OFFICIAL_THETA,
    simulate_official_bivariate,
    simulate_sparse_shift,
)
from mpiis.shared.testing import check_deterministic


def test_official_replica_truth():
    d = simulate_official_bivariate(rng=np.random.default_rng(0))
    assert d.n_envs == 5 and d.n_samples == (20,) * 5
    assert list(d.truth.graph.edges) == [("X1", "X2")]
    assert d.truth.partitions["v:X1"] == ((0, 1), (2, 3), (4,))
    assert d.truth.partitions["v:X2"] == ((0, 1, 2), (3, 4))
    assert d.truth.partitions["b:X1->X2"] == ((0, 1), (2,), (3, 4))
    np.testing.assert_array_equal(d.truth.parameters["v:X1"], [t[0] for t in OFFICIAL_THETA])


def test_sparse_shift_truth():
    d = simulate_sparse_shift(rng=np.random.default_rng(4), n_envs=6, n_per_env=30)
    (c, e), = list(d.truth.graph.edges)
    assert {c, e} == {"X1", "X2"}
    for m in (c, e):
        assert sorted(i for b in d.truth.partitions[m] for i in b) == list(range(6))
        assert 0 in d.truth.partitions[m][0]
    d4 = simulate_sparse_shift(rng=np.random.default_rng(4), n_envs=5, n_per_env=30, n_vars=4)
    assert d4.n_vars == 4 and len(d4.truth.partitions) == 4


def test_deterministic():
    check_deterministic(lambda s: np.concatenate(
        simulate_sparse_shift(rng=np.random.default_rng(s), n_envs=3, n_per_env=10).envs))


def test_bad_rng():
    with pytest.raises(TypeError, match=r"`rng` must be a numpy\.random\.Generator"):
        simulate_sparse_shift(rng=0)
