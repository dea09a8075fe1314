import numpy as np
import pytest

from mpiis.gim import (
    energy_distance,
    gaussian_w2,
    mean_rmse,
    median_bandwidths,
    mmd2,
    shd,
    target_auprc,
    target_auroc,
    target_f1,
)


def test_mmd_jax_matches_shared(rng):
    x = rng.normal(size=(3, 80, 4))
    y = rng.normal(size=(3, 90, 4)) + np.array([0.0, 0.5, 1.0])[:, None, None]
    bw = median_bandwidths(x[0])
    ref = mmd2(x, y, bandwidths=bw)
    fast = mmd2(x, y, bandwidths=bw, backend="jax")
    assert ref.shape == (3,)
    np.testing.assert_allclose(fast, ref, atol=2e-5)
    assert ref[0] < ref[1] < ref[2]


def test_bandwidths_scale_with_data(rng):
    x = rng.normal(size=(300, 3))
    b1, b2 = median_bandwidths(x), median_bandwidths(3 * x)
    np.testing.assert_allclose(np.array(b2) / np.array(b1), 3.0)
    assert b1[1] / b1[0] == pytest.approx(2.0)


def test_other_distances(rng):
    x = rng.normal(size=(2, 100, 3))
    y = x + np.array([0.0, 2.0])[:, None, None]
    e = energy_distance(x, y)
    assert e[0] == pytest.approx(0.0, abs=1e-12) and e[1] > 1
    np.testing.assert_allclose(mean_rmse(x, y), [0.0, 2.0], atol=1e-12)
    mu = np.zeros((1, 2))
    cov = np.eye(2)[None]
    assert gaussian_w2(mu, cov, mu + np.array([[3.0, 4.0]]), cov)[0] == pytest.approx(5.0)
    with pytest.raises(ValueError, match="agree"):
        mmd2(x, y[:1], bandwidths=(1.0,))
    with pytest.raises(ValueError, match="backend"):
        mmd2(x, y, bandwidths=(1.0,), backend="torch")


def test_target_metrics():
    truth = np.array([[1, 0, 0], [0, 1, 0]])
    perfect = truth * 0.9 + 0.05
    assert target_auroc(perfect, truth) == 1.0
    assert target_auprc(perfect, truth) == 1.0
    assert target_f1(perfect, truth) == 1.0
    assert target_auroc(1 - perfect, truth) == 0.0
    with pytest.raises(ValueError, match="truth"):
        target_auroc(perfect, truth[:1])


def test_shd_threshold():
    w = np.array([[0, 1.0], [0, 0]])
    assert shd(w, np.array([[0, 0.5], [0, 0]])) == 0
    assert shd(w, np.array([[0, 0.2], [0, 0]])) == 1
    assert shd(w, np.array([[0, 0.0], [0.5, 0]])) == 1
