import numpy as np
import pytest

from mpiis.cmaxent import (
    CMaxEntConfig,
    InfeasibleMomentsError,
    MomentTable,
    anticausal_moments,
    lda_from_moments,
    pooled_naive_bayes_from_moments,
    solve_anticausal,
)
from mpiis.cmaxent._anticausal import has_closed_form


def test_lda_closed_form_equals_sklearn(data2, full_table):
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    X, y = data2
    lda = LinearDiscriminantAnalysis(solver="lsqr").fit(X, y)
    sol = lda_from_moments(full_table)
    np.testing.assert_allclose(sol.coef, lda.coef_[0], atol=1e-9)
    assert sol.intercept == pytest.approx(lda.intercept_[0], abs=1e-9)


def test_numerical_dual_equals_closed_form(full_table, p1_table):
    for t in (full_table, p1_table):
        a = solve_anticausal(t, method="closed")
        b = solve_anticausal(t, method="numerical")
        np.testing.assert_allclose(b.coef, a.coef, atol=1e-7)
        assert b.intercept == pytest.approx(a.intercept, abs=1e-7)
        assert b.max_moment_residual < 1e-9


def test_p1_naive_bayes_formula(p1_table):
    sol = pooled_naive_bayes_from_moments(p1_table)
    p = p1_table.m_y
    delta = np.array([0.9, -0.6])
    var = p1_table.var
    np.testing.assert_allclose(sol.coef, delta / (var - p * (1 - p) * delta**2), rtol=1e-12)
    assert sol.implied.cov[0, 1] == pytest.approx(p * (1 - p) * delta[0] * delta[1], abs=1e-12)


def test_p2_numerical(p2_table):
    assert not has_closed_form(p2_table)
    sol = solve_anticausal(p2_table)
    assert sol.coef[1] == 0.0 and sol.n_iter > 0
    s = p2_table.cov_observed
    assert sol.implied.cov_y[1] == pytest.approx(s[0, 1] * p2_table.cov_y[0] / s[0, 0], abs=1e-9)
    assert sol.max_moment_residual < 1e-9


def test_chordal_three_variables():
    """Chain X1 - X2 - X3 observed: closed form (completed Sigma_w) equals the dual."""
    cov = np.array([[1.0, 0.4, 0.2], [0.4, 1.3, 0.5], [0.2, 0.5, 1.1]])
    obs = [("X1", "X2", "Y"), ("X2", "X3", "Y")]
    t = anticausal_moments(pi1=0.3, mu0=np.zeros(3), mu1=np.array([0.5, -0.2, 0.8]),
                           cov_within=cov, observed=obs)
    assert has_closed_form(t)
    a, b = solve_anticausal(t), solve_anticausal(t, method="numerical")
    assert a.method == "chordal-lda"
    np.testing.assert_allclose(a.coef, b.coef, atol=1e-7)
    lam = np.linalg.inv(a.implied.second - np.outer(a.implied.mean, a.implied.mean) -
                        0.3 * 0.7 * np.outer(*(2 * [np.array([0.5, -0.2, 0.8])])))
    assert abs(lam[0, 2]) < 1e-9  # precision zero on the unobserved pair


def test_closed_not_available(p2_table):
    with pytest.raises(ValueError, match="method='numerical'"):
        solve_anticausal(p2_table, method="closed")
    with pytest.raises(ValueError, match="observe every pair"):
        lda_from_moments(p2_table)
    with pytest.raises(ValueError, match="`method`"):
        solve_anticausal(p2_table, method="magic")


def test_within_class_not_pd():
    # Var X = 1 but Cov(X, Y)^2 / (pi1 pi0) > 1: the within-class variance is negative
    t = MomentTable.from_population(mean=[0.0, 0.5], second_moment=[[1.0, 0.6], [0.6, 0.5]],
                                    observed=[("X1", "Y")], names=("X1", "Y"))
    with pytest.raises(InfeasibleMomentsError, match="within-class covariance not PD"):
        solve_anticausal(t)


def test_tiny_config_converges(p2_table):
    sol = solve_anticausal(p2_table, config=CMaxEntConfig.tiny())
    assert sol.converged and sol.n_iter <= 30


def test_collinear_features_do_not_warn():
    """Nearly collinear features with a moderate class signal: well-conditioned LDA, no
    near-infeasibility warning (the margin is the share of variance left within class)."""
    import warnings

    rng = np.random.default_rng(4)
    y = (rng.random(3000) < 0.4).astype(float)
    x1 = 0.8 * y + rng.standard_normal(3000)
    x2 = x1 + 1e-3 * rng.standard_normal(3000)
    t = MomentTable.from_datasets({("X1", "X2", "Y"): np.column_stack([x1, x2, y])})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sol = solve_anticausal(t)
    assert 0.5 < sol.feasibility_margin < 1.0


def test_near_separated_classes_warn():
    from mpiis.cmaxent import NearlyInfeasibleWarning

    t = anticausal_moments(pi1=0.5, mu0=np.zeros(2), mu1=np.array([200.0, 0.0]),
                           cov_within=np.eye(2))
    with pytest.warns(NearlyInfeasibleWarning):
        solve_anticausal(t)
