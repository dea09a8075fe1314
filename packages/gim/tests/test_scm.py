import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from mpiis.gim import LinearSCM, LinearSDE, PerturbationData
from mpiis.gim._scm import stats_arrays


def _scm(d=3, cyclic=False):
    w = np.zeros((d, d))
    w[0, 1], w[1, 2] = 0.8, -0.6
    if cyclic:
        w[2, 0] = 0.5
    return LinearSCM.create(w, np.array([0.1, -0.2, 0.3])[:d], np.array([0.5, 0.8, 1.1])[:d])


def _data(rng, d=3, k=3):
    xs = [rng.normal(size=(15, d)) + rng.normal(size=d) for _ in range(k)]
    return PerturbationData.from_arrays(xs, rng.normal(size=(k, 2)),
                                        control=rng.normal(size=(25, d)))


@pytest.mark.parametrize("cyclic", [False, True])
def test_expected_loglik_equals_cell_sum_for_hard_targets(rng, cyclic):
    scm, data = _scm(cyclic=cyclic), _data(rng)
    t = (rng.random((4, 3)) < 0.5).astype(np.float32)
    t[0] = 0
    psi = rng.normal(size=(4, 3)).astype(np.float32)
    tau = (0.3 * rng.normal(size=(4, 3))).astype(np.float32)
    st = stats_arrays(data.stats())
    cells = [data.control, *data.xs]
    for log_scale in (None, jnp.asarray(tau)):
        direct = sum(
            float(scm.log_prob(jnp.asarray(x, jnp.float32), jnp.asarray(t[k] * psi[k]),
                               None if log_scale is None else t[k] * log_scale[k]).sum())
            for k, x in enumerate(cells))
        closed = float(scm.expected_loglik(st, jnp.asarray(t), jnp.asarray(psi), log_scale))
        assert closed == pytest.approx(direct, rel=1e-4)
        from_stats = scm.expected_loglik(data.stats(), jnp.asarray(t), jnp.asarray(psi), log_scale)
        assert float(from_stats) == pytest.approx(closed, rel=1e-6)


def test_expected_loglik_is_the_bernoulli_expectation(rng):
    """For fractional π it equals the exact average over all 2^d target vectors."""
    scm, data = _scm(), _data(rng, k=1)
    st = stats_arrays(data.stats())
    pi = np.array([[0, 0, 0], [0.2, 0.7, 0.4]], np.float32)
    psi = rng.normal(size=(2, 3)).astype(np.float32)
    for model in (scm, LinearSDE.create(scm.graph_weights, scm.bias, jnp.exp(scm.log_std))):
        total = 0.0
        for t in itertools.product([0, 1], repeat=3):
            t = np.array(t, np.float32)
            prob = np.prod(np.where(t > 0, pi[1], 1 - pi[1]))
            tt = np.stack([np.zeros(3, np.float32), t])
            total += prob * float(model.expected_loglik(st, jnp.asarray(tt), jnp.asarray(psi)))
        closed = float(model.expected_loglik(st, jnp.asarray(pi), jnp.asarray(psi)))
        assert closed == pytest.approx(total, rel=1e-4)


def test_mean_cov_matches_samples():
    scm = _scm()
    shift = jnp.array([[0.0, 2.0, 0.0]])
    mean, cov = scm.mean_cov(shift)
    x = np.asarray(scm.sample(20000, shift, key=jax.random.key(0)))[0]
    np.testing.assert_allclose(x.mean(0), mean[0], atol=0.05)
    np.testing.assert_allclose(np.cov(x.T), cov[0], atol=0.08)
    assert mean.shape == (1, 3) and cov.shape == (1, 3, 3)


def test_dag_has_zero_logdet_and_cycle_check():
    assert float(_scm().slogdet()[1]) == pytest.approx(0.0, abs=1e-6)
    assert _scm().check_stable() is None
    w = np.zeros((2, 2))
    w[0, 1] = w[1, 0] = 1.0  # gain-1 cycle: det(I - Bᵀ) = 0
    bad = LinearSCM.create(w, np.zeros(2), np.ones(2))
    assert "cycle" in bad.check_stable()


def test_sde_lyapunov_and_mean():
    scm = _scm()
    sde = LinearSDE.create(scm.graph_weights, scm.bias, jnp.exp(scm.log_std))
    sigma = np.asarray(sde.stationary_cov())
    w = np.asarray(sde.drift)
    resid = w @ sigma + sigma @ w.T + np.diag(np.exp(2 * np.asarray(sde.log_std)))
    np.testing.assert_allclose(resid, 0, atol=1e-5)
    shift = jnp.array([[1.0, 0.0, -1.0]])
    np.testing.assert_allclose(sde.mean_cov(shift)[0], scm.mean_cov(shift)[0], atol=1e-5)
    assert sde.check_stable() is None
    x = sde.sample(5, shift, key=jax.random.key(0))
    assert x.shape == (1, 5, 3)
    assert np.isfinite(np.asarray(sde.log_prob(x, shift))).all()
    with pytest.raises(ValueError, match="log_scale"):
        sde.mean_cov(shift, jnp.zeros((1, 3)))
