import warnings

import numpy as np
import pytest

from mpiis.cmaxent import (
    CMaxEntConfig,
    InfeasibleMomentsError,
    MomentTable,
    NearlyInfeasibleWarning,
    PreparedTable,
    SolverDivergedError,
    causal_direction_gaussian,
    check_feasibility,
    random_instance,
    solve_anticausal,
    solve_causal,
)
from mpiis.cmaxent._causal import solve_causal_reduced

TOL = 1e-6  # brief G1


def _lr(X, y):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=np.inf, solver="newton-cholesky", tol=1e-12,
                              max_iter=1000).fit(X, y)


def test_empirical_equals_logistic_regression(data2, full_table):
    X, y = data2
    sol = solve_causal(full_table, p_x="empirical", X=X)
    lr = _lr(X, y)
    np.testing.assert_allclose(sol.coef, lr.coef_[0], rtol=0, atol=TOL)
    assert sol.intercept == pytest.approx(lr.intercept_[0], abs=TOL)
    assert sol.max_moment_residual <= 1e-9
    assert sol.converged


def test_empirical_equals_statsmodels_logit(data2, full_table):
    sm = pytest.importorskip("statsmodels.api")
    X, y = data2
    sol = solve_causal(full_table, p_x="empirical", X=X)
    res = sm.Logit(y, sm.add_constant(X)).fit(disp=0, method="newton", tol=1e-12)
    np.testing.assert_allclose(np.r_[sol.intercept, sol.coef], res.params, atol=1e-7)


@pytest.mark.slow
def test_sklearn_real_data_parity():
    from sklearn.datasets import load_iris

    from mpiis.cmaxent import CMaxEntClassifier

    iris = load_iris()
    keep = iris.target > 0
    X, y = iris.data[keep], iris.target[keep] - 1
    ours = CMaxEntClassifier("causal", p_x="empirical").fit(X, y)
    lr = _lr(X, y)
    scale = np.maximum(1.0, np.abs(np.r_[lr.intercept_, lr.coef_[0]]))
    assert np.max(np.abs(np.r_[ours.intercept_, ours.coef_] - np.r_[lr.intercept_, lr.coef_[0]])
                  / scale) <= TOL


def test_gaussian_full_solver_matches_reduced(p1_table, full_table):
    for t in (p1_table, full_table):
        a, b = solve_causal(t), solve_causal_reduced(t)
        np.testing.assert_allclose(a.coef, b.coef, atol=1e-7)
        assert a.intercept == pytest.approx(b.intercept, abs=1e-7)
        d = causal_direction_gaussian(t)
        assert abs(1 - a.coef @ d / np.linalg.norm(a.coef) / np.linalg.norm(d)) < 1e-10


def test_gaussian_matches_moments(p1_table):
    sol = solve_causal(p1_table)
    assert sol.max_moment_residual <= 1e-10
    assert sol.implied.m_y == pytest.approx(p1_table.m_y, abs=1e-10)
    np.testing.assert_allclose(sol.implied.cross, p1_table.cross, atol=1e-10)
    assert sol.implied.cov[0, 1] == 0.0  # causal ignores the unobserved covariance


@pytest.mark.slow
def test_lbfgs_agrees_with_newton(p1_table):
    a = solve_causal(p1_table)
    b = solve_causal(p1_table, config=CMaxEntConfig(solver="lbfgs", tol=1e-8, max_iter=500))
    np.testing.assert_allclose(a.coef, b.coef, atol=1e-6)


def test_deterministic(p1_table):
    a, b = solve_causal(p1_table), solve_causal(p1_table)
    np.testing.assert_array_equal(a.coef, b.coef)


def test_p2_zero_outside_observed(p2_table):
    sol = solve_causal(p2_table)
    assert sol.coef[1] == 0.0
    s = p2_table.cov_observed
    assert sol.implied.cov_y[1] == pytest.approx(s[0, 1] * p2_table.cov_y[0] / s[0, 0], abs=1e-9)


def test_infeasible_raises(rng):
    t = random_instance("inf", k=2, r=1.01, rng=rng).table
    f = check_feasibility(t)
    assert not f.feasible and f.margin == pytest.approx(-0.01, abs=1e-9)
    with pytest.raises(InfeasibleMomentsError, match=r"r = 1\.01") as exc:
        solve_causal(t)
    assert exc.value.margin < 0


def test_separable_raises(separable, rng):
    X, y = separable
    t = MomentTable.from_datasets({("X1", "X2", "Y"): np.column_stack([X, y])})
    with pytest.raises(InfeasibleMomentsError, match="separable"):
        solve_causal(t, p_x="empirical", X=X)


def test_near_boundary_warns_and_is_finite(rng):
    t = random_instance("inf", k=2, r=0.9999, rng=rng).table
    with pytest.warns(NearlyInfeasibleWarning, match="nearly infeasible"):
        sol = solve_causal(t)
    assert np.isfinite(sol.coef).all() and np.linalg.norm(sol.coef) > 10
    t = random_instance("inf", k=2, r=0.5, rng=rng).table
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        solve_causal(t)


def test_max_iter_raises(p1_table):
    with pytest.raises(SolverDivergedError, match="did not converge"):
        solve_causal(p1_table, config=CMaxEntConfig(max_iter=1))


def test_validation(full_table, data2):
    X, _ = data2
    with pytest.raises(ValueError, match="required for p_x='empirical'"):
        solve_causal(full_table, p_x="empirical")
    with pytest.raises(ValueError, match=r"`X` must have shape \(\*, 2\)"):
        solve_causal(full_table, p_x="empirical", X=X[:, :1])
    with pytest.raises(ValueError, match="`p_x`"):
        solve_causal(full_table, p_x="uniform")
    with pytest.raises(TypeError, match="`table`"):
        solve_causal({"X1": 1})
    pd = pytest.importorskip("pandas")
    with pytest.raises(ValueError, match="columns must match"):
        solve_causal(full_table, p_x="empirical", X=pd.DataFrame(X, columns=["X2", "X1"]))


def test_config_validation():
    with pytest.raises(ValueError, match="`tol`"):
        CMaxEntConfig(tol=-1.0)
    with pytest.raises(ValueError, match="`solver`"):
        CMaxEntConfig(solver="sgd")
    with pytest.raises(ValueError, match="`max_iter`"):
        CMaxEntConfig(max_iter=0)
    assert CMaxEntConfig.tiny().max_iter == 30


def test_certificate_bounds_the_lp_margin(data2, full_table, separable):
    """The converged solve certifies feasibility with a margin no larger than the exact LP's;
    separable data fail the certificate, and the exact LP then raises."""
    X, _ = data2
    sol = solve_causal(full_table, p_x="empirical", X=X)
    exact = check_feasibility(full_table, p_x="empirical", X=X)
    assert 1e-3 <= sol.feasibility_margin <= exact.margin + 1e-9
    Xs, ys = separable
    t = MomentTable.from_datasets({("X1", "X2", "Y"): np.column_stack([Xs, ys])})
    with pytest.raises(InfeasibleMomentsError, match="separable"):
        solve_causal(t, p_x="empirical", X=Xs)


def test_anticausal_feasibility(full_table):
    f = check_feasibility(full_table, direction="anticausal")
    assert f.feasible and 0 < f.margin <= 1
    with pytest.raises(ValueError, match="`direction`"):
        check_feasibility(full_table, direction="both")


def test_infeasible_error_names_feature_study_and_next_step():
    """Two studies each saw one feature with Y; the strongly predictive one makes r >= 1."""
    rng = np.random.default_rng(3)
    y = (rng.random(2000) < 0.5).astype(float)
    strong = 3.0 * y + rng.standard_normal(2000)  # r_i > 1 alone under a Gaussian p(x)
    weak = 0.3 * y + rng.standard_normal(2000)
    t = MomentTable.from_datasets({("radius", "Y"): np.column_stack([strong[:1000], y[:1000]]),
                                   ("texture", "Y"): np.column_stack([weak[1000:], y[1000:]])})
    with pytest.raises(InfeasibleMomentsError) as exc:
        solve_causal(t)
    msg = str(exc.value)
    assert "'radius'" in msg and "['radius', 'Y']" in msg and "n = 1000" in msg
    assert "p_x='empirical'" in msg and "anticausal" in msg
    assert exc.value.feature == "radius" and exc.value.studies == (("radius", "Y"),)
    # the suggested anticausal merge works on the same table
    assert np.isfinite(solve_anticausal(t).coef).all()


def test_prepared_table_is_computed_once(p1_table, monkeypatch):
    import mpiis.cmaxent._prepared as prepared_mod

    calls = []
    real = prepared_mod.max_entropy_completion

    def counting(*args, **kwargs):
        calls.append(kwargs.get("what"))
        return real(*args, **kwargs)

    monkeypatch.setattr(prepared_mod, "max_entropy_completion", counting)
    prep = PreparedTable(p1_table)
    check_feasibility(prep)
    a = solve_causal(prep)
    solve_causal(prep)
    check_feasibility(prep, direction="anticausal")
    solve_anticausal(prep)
    assert calls.count("the X covariance") == 1
    assert calls.count("the within-class covariance") == 1
    np.testing.assert_array_equal(a.coef, solve_causal(p1_table).coef)


def test_modules_import_downwards_only():
    """The data flow: no private module imports one that comes later in this order (the old
    _causal <-> _feasibility circle is gone)."""
    import ast
    from pathlib import Path

    import mpiis.cmaxent as pkg

    order = ["_errors", "_solution", "_moments", "_completion", "_quadrature", "_newton",
             "_prepared", "_feasibility", "_causal", "_anticausal", "_estimator",
             "_merge_baselines", "_geometry", "_synthetic", "_plot"]
    root = Path(pkg.__file__).parent
    for i, mod in enumerate(order):
        tree = ast.parse((root / f"{mod}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
                assert node.module in order[:i] or node.module not in order, (mod, node.module)
