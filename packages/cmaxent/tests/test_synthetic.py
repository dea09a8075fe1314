import numpy as np
import pytest

from mpiis.cmaxent import (
    causal_moments,
    make_anticausal_gaussian,
    make_causal_logistic,
    random_instance,
)


def test_generators_shapes_and_determinism():
    kw = dict(pi1=0.3, mu0=np.zeros(2), mu1=np.ones(2), cov_within=np.eye(2), n=50)
    a = make_anticausal_gaussian(**kw, rng=np.random.default_rng(0))
    b = make_anticausal_gaussian(**kw, rng=np.random.default_rng(0))
    c = make_anticausal_gaussian(**kw, rng=np.random.default_rng(1))
    assert a[0].shape == (50, 2) and a[1].shape == (50,)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c[0])
    X, y = make_causal_logistic(mean=np.zeros(3), cov=np.eye(3), beta0=0.0, beta=np.ones(3),
                                n=20, rng=np.random.default_rng(0))
    assert X.shape == (20, 3) and set(np.unique(y)) <= {0, 1}


def test_causal_moments_match_monte_carlo():
    kw = dict(mean=np.array([0.2, -0.1]), cov=np.diag([1.0, 2.0]), beta0=0.3,
              beta=np.array([1.0, -0.5]))
    t = causal_moments(**kw)
    X, y = make_causal_logistic(**kw, n=200_000, rng=np.random.default_rng(0))
    assert t.m_y == pytest.approx(y.mean(), abs=5e-3)
    np.testing.assert_allclose(t.cross, (X * y[:, None]).mean(axis=0), atol=1e-2)


@pytest.mark.parametrize("kind", ["emp", "lda", "full", "p1", "p1-equal", "p2",
                                  "oov-anticausal", "oov-causal"])
def test_random_instance_kinds(kind):
    inst = random_instance(kind, k=2, rng=np.random.default_rng(0), n=100)
    assert inst.table.k == 2
    if kind == "p1-equal":
        t = inst.table
        rho2 = t.cov_y**2 / (t.var * t.m_y * (1 - t.m_y))
        assert rho2[0] == pytest.approx(rho2[1], rel=1e-10)
    if kind.startswith("oov"):
        X, _ = inst.sample(10, rng=np.random.default_rng(1))
        assert inst.bayes_log_odds(X).shape == (10,)


def test_validation():
    with pytest.raises(ValueError, match="`kind`"):
        random_instance("nope", k=2, rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match="`rng`"):
        random_instance("p1", k=2, rng=0)
    with pytest.raises(ValueError, match="`r`"):
        random_instance("inf", k=2, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="`pi1`"):
        make_anticausal_gaussian(pi1=1.5, mu0=[0.0], mu1=[1.0], cov_within=[[1.0]], n=3,
                                 rng=np.random.default_rng(0))
