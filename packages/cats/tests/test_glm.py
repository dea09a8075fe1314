import numpy as np
import pytest
import statsmodels.api as sm

from mpiis.cats import fit_glm, fit_glm_batch
from mpiis.shared.testing import check_refuses_nonfinite


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    n = 600
    X = np.column_stack([np.ones(n), rng.standard_normal((n, 2))])
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ [0.3, 0.8, -0.5])))).astype(float)
    groups = np.repeat(np.arange(200), 3)
    return X, y, groups


def test_logistic_parity_with_statsmodels(data):
    X, y, groups = data
    ours = fit_glm(X, y, clusters=groups)
    ref = sm.Logit(y, X).fit(disp=0, cov_type="cluster", cov_kwds={"groups": groups})
    np.testing.assert_allclose(ours.beta, ref.params, atol=1e-6)
    # statsmodels scales the cluster covariance by G/(G-1) (n-1)/(n-k); we use G/(G-1)
    n, k = X.shape
    np.testing.assert_allclose(ours.se * np.sqrt((n - 1) / (n - k)), ref.bse, rtol=1e-4)
    assert ours.converged and np.isclose(ours.loglik, ref.llf)


def test_linear_parity(data):
    X, y, _ = data
    yc = X @ [1.0, 2.0, -1.0] + np.random.default_rng(1).standard_normal(len(y))
    ours = fit_glm(X, yc, family="linear")
    ref = sm.OLS(yc, X).fit(cov_type="HC0")
    np.testing.assert_allclose(ours.beta, ref.params, atol=1e-8)
    n = len(yc)
    np.testing.assert_allclose(ours.se, ref.bse * np.sqrt(n / (n - 1)), rtol=1e-6)


def test_batch_equals_single_weighted_fits(data):
    X, y, _ = data
    rng = np.random.default_rng(2)
    W = rng.multinomial(len(y), np.full(len(y), 1 / len(y)), size=3).astype(float)
    B = fit_glm_batch(X, y, W)
    for b, w in zip(B, W, strict=True):
        np.testing.assert_allclose(b, fit_glm(X, y, weights=w).beta, atol=1e-7)
    with pytest.raises(ValueError, match="weights"):
        fit_glm_batch(X, y, W[:, :5])


def test_separation_is_flagged():
    x = np.linspace(-1, 1, 50)
    X = np.column_stack([np.ones(50), x])
    f = fit_glm(X, (x > 0).astype(float))
    assert not f.converged and "separation" in f.note and np.isfinite(f.beta).all()


def test_nonfinite_refused(data):
    X, y, _ = data
    check_refuses_nonfinite(lambda x: fit_glm(x, y), X, match="X")
