import numpy as np
import pytest

from mpiis.algocausal import CompressionDAG, simulate_sparse_shift
from mpiis.shared.testing import check_estimator


@pytest.fixture
def xy():
    d = simulate_sparse_shift(rng=np.random.default_rng(0), n_envs=4, n_per_env=50, n_vars=3)
    X = np.concatenate(d.envs)
    env = np.repeat(np.arange(4), 50)
    return X, env, d


def test_common_checks(xy, tmp_path):
    X, env, _ = xy
    check_estimator(lambda: CompressionDAG(max_parents=2), X, env, tmp_path=tmp_path,
                    methods=("score_samples",))


def test_fit_attributes_and_scores(xy):
    X, env, d = xy
    est = CompressionDAG().fit(X, env, columns=list(d.columns))
    assert est.adjacency_.shape == (3, 3)
    assert set(est.graph_.nodes) == set(d.columns)
    s = est.score_samples(X)
    assert s.shape == (200,) and np.isfinite(s).all()
    # code lengths of training rows are far shorter than of rows from a shifted distribution
    assert s.mean() < est.score_samples(X * 10.0).mean()
    assert est.get_params()["max_parents"] == 3
    with pytest.raises(ValueError, match="unknown parameter"):
        est.set_params(alpha=1)


def test_unfitted_and_bad_env(xy):
    X, env, _ = xy
    with pytest.raises(RuntimeError, match="not fitted"):
        CompressionDAG().score_samples(X)
    with pytest.raises(ValueError, match="`env` must have shape"):
        CompressionDAG().fit(X, env[:-1])
