import numpy as np
import pytest
from scipy.special import logit

from mpiis.cmaxent import CMaxEntClassifier, LogOddsSumMerge, solve_causal
from mpiis.shared.testing import check_estimator


def test_sum_of_univariate_log_odds(p1_table):
    m = LogOddsSumMerge().fit_moments(p1_table)
    s1 = solve_causal(p1_table.subset(["X1"]))
    s2 = solve_causal(p1_table.subset(["X2"]))
    np.testing.assert_allclose(m.coef_, [s1.coef[0], s2.coef[0]])
    assert m.intercept_ == pytest.approx(s1.intercept + s2.intercept - logit(p1_table.m_y))


def test_single_predictor_equals_causal(p1_table):
    t = p1_table.subset(["X1"])
    m = LogOddsSumMerge().fit_moments(t)
    c = CMaxEntClassifier("causal").fit_moments(t)
    np.testing.assert_allclose(m.coef_, c.coef_)


def test_common_checks(data2, tmp_path):
    X, y = data2
    check_estimator(LogOddsSumMerge, X, y, tmp_path=tmp_path,
                    methods=("predict_proba", "decision_function"))
