import numpy as np
import pytest

from mpiis.algocausal import (
    OFFICIAL_COVSHIFT_THETAS,
    covariate_shift_curve,
    reference_covariate_shift,
    simulate_covariate_shift,
)


def test_recovers_two_values_and_matches_reference():
    d = simulate_covariate_shift(rng=np.random.default_rng(0),
                                 theta=OFFICIAL_COVSHIFT_THETAS[2], n_per_env=10)
    assert d.k_true == 2 and d.x1.shape == (100,) and d.x1.max() <= 19
    r = covariate_shift_curve(d.x1, d.x2, d.env, k_values=range(1, 5))
    assert r.k_hat == 2
    assert len(r.partition) == 2 and r.mechanisms.shape == (2,)
    ref = reference_covariate_shift(d.x1, d.x2, d.env, k_values=range(1, 5))
    np.testing.assert_allclose(r.curve, ref["curve"], rtol=1e-10)
    np.testing.assert_allclose(r.theta_hat, ref["theta_hat"])


def test_penalty_size_and_codebook_options():
    d = simulate_covariate_shift(rng=np.random.default_rng(1),
                                 theta=OFFICIAL_COVSHIFT_THETAS[1], n_per_env=10)
    a = covariate_shift_curve(d.x1, d.x2, d.env, k_values=[1, 2, 3])
    b = covariate_shift_curve(d.x1, d.x2, d.env, k_values=[1, 2, 3], penalty_codebook_size=21)
    assert (b.curve > a.curve).all()
    c = covariate_shift_curve(d.x1, d.x2, d.env, k_values=[1, 2],
                              codebook=np.array([0.1, 0.5, 0.9]))
    assert set(c.mechanisms.tolist()) <= {0.1, 0.5, 0.9}


def test_simulate_is_deterministic():
    a = simulate_covariate_shift(rng=np.random.default_rng(3), theta=[0.2, 0.8])
    b = simulate_covariate_shift(rng=np.random.default_rng(3), theta=[0.2, 0.8])
    np.testing.assert_array_equal(a.x1, b.x1)
    np.testing.assert_array_equal(a.truth, b.truth)


def test_validation():
    x = np.array([0, 1, 2, 3])
    env = np.array([0, 0, 1, 1])
    with pytest.raises(ValueError, match="`x1` must hold integers"):
        covariate_shift_curve(np.array([0.5, 1, 2, 3]), x, env, k_values=[1])
    with pytest.raises(ValueError, match=r"`x2` values must lie in \{0..19\}"):
        covariate_shift_curve(x, np.array([0, 1, 2, 25]), env, k_values=[1])
    with pytest.raises(ValueError, match="environment 2 of `env` is empty"):
        covariate_shift_curve(x, x, env, k_values=[1], n_envs=3)
    with pytest.raises(ValueError, match="`k_values` must be <="):
        covariate_shift_curve(x, x, env, k_values=[3])
    with pytest.raises(ValueError, match="equal lengths"):
        covariate_shift_curve(x, x[:3], env, k_values=[1])
    with pytest.raises(ValueError, match="`theta`"):
        simulate_covariate_shift(rng=np.random.default_rng(0), theta=[1.5])
