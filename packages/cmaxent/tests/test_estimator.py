import numpy as np
import pytest

from mpiis.cmaxent import CMaxEntClassifier, CMaxEntConfig, InfeasibleMomentsError
from mpiis.shared.testing import check_estimator, check_save_load


@pytest.mark.parametrize(("direction", "p_x"), [("causal", "empirical"), ("causal", "gaussian"),
                                                ("anticausal", "gaussian")])
def test_common_checks(data2, tmp_path, direction, p_x):
    X, y = data2
    check_estimator(lambda: CMaxEntClassifier(direction, p_x=p_x), X, y, tmp_path=tmp_path,
                    methods=("predict_proba", "decision_function", "predict"))


def test_shapes_and_labels(data2):
    X, y = data2
    labels = np.where(y == 1, "yes", "no")
    est = CMaxEntClassifier("anticausal", config=CMaxEntConfig.tiny()).fit(X, labels)
    assert est.classes_.tolist() == ["no", "yes"]
    proba = est.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert est.predict(X).shape == (len(X),) and set(est.predict(X)) <= {"no", "yes"}
    assert est.coef_.shape == (2,)
    ll = est.log_loss_per_example(X, labels)
    assert ll.shape == (len(X),) and est.score(X, labels) == pytest.approx(ll.mean())


def test_fit_moments_and_float32(p1_table, data2):
    est = CMaxEntClassifier("causal").fit_moments(p1_table)
    assert est.predictors_ == ("X1", "X2") and est.classes_.tolist() == [0, 1]
    X, _ = data2
    np.testing.assert_array_equal(est.decision_function(X.astype(np.float32)),
                                  est.decision_function(X.astype(np.float32).astype(float)))


def test_save_load_bit_identical(p2_table, data2, tmp_path):
    X, y = data2
    for est in (CMaxEntClassifier("anticausal").fit_moments(p2_table),
                CMaxEntClassifier("causal", p_x="empirical").fit(X, np.where(y, "b", "a"))):
        loaded = check_save_load(est, lambda m: m.predict_proba(X), tmp_path / "m.npz")
        assert loaded.solution_.method == est.solution_.method
        np.testing.assert_array_equal(loaded.solution_.implied.second,
                                      est.solution_.implied.second)


def test_validation(data2):
    X, y = data2
    with pytest.raises(ValueError, match="`direction`"):
        CMaxEntClassifier("sideways")
    with pytest.raises(ValueError, match="`p_x`"):
        CMaxEntClassifier("causal", p_x="flat")
    with pytest.raises(TypeError, match="`config`"):
        CMaxEntClassifier("causal", config={"tol": 1})
    est = CMaxEntClassifier("causal")
    with pytest.raises(RuntimeError, match="not fitted"):
        est.predict(X)
    with pytest.raises(ValueError, match="multi-class"):
        est.fit(X, np.arange(len(X)) % 3)
    with pytest.raises(ValueError, match="2 classes"):
        est.fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match=r"`y` must have shape"):
        est.fit(X, y[:-1])
    with pytest.raises(TypeError, match="`table`"):
        est.fit_moments(X)
    est.fit(X, y)
    with pytest.raises(ValueError, match="classes_"):
        est.score(X, y + 5)


def test_separable_fit_raises(separable):
    X, y = separable
    with pytest.raises(InfeasibleMomentsError):
        CMaxEntClassifier("causal", p_x="empirical").fit(X, y)


def test_one_newton_step_lowers_the_dual(p1_table):
    """max_iter = 1 fails to converge, but a longer run reaches a lower dual than the start."""
    from mpiis.cmaxent import SolverDivergedError

    with pytest.raises(SolverDivergedError) as exc:
        CMaxEntClassifier("causal", config=CMaxEntConfig(max_iter=1)).fit_moments(p1_table)
    start_residual = abs(p1_table.m_y - 0.5) + np.max(np.abs(p1_table.cross - p1_table.mean / 2))
    assert exc.value.residual < start_residual
