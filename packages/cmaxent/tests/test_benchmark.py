"""The suite runs, and every GATE has a negative control: a broken variant (the wrong direction,
the wrong p(x), shuffled labels, a solver without its feasibility check) run through the same
claim code fails the threshold that the real method passes."""

import numpy as np
import pytest

from mpiis.cmaxent import (
    CMaxEntClassifier,
    CMaxEntConfig,
    PreparedTable,
    benchmark,
    pooled_naive_bayes_from_moments,
    random_instance,
    solve_anticausal,
    solve_causal,
)
from mpiis.shared.bench import ClaimResult, Suite

B = benchmark


@pytest.fixture
def emp(data2):
    return [data2]


@pytest.fixture
def lda_insts():
    rng = np.random.default_rng(5)
    return [random_instance("lda", k=2, rng=rng, n=300) for _ in range(3)]


@pytest.fixture
def p1_insts():
    return B._feasible("p1", np.random.default_rng(6), 3)


@pytest.mark.slow
def test_smoke_run(tmp_path):
    res = benchmark.run("smoke", seed=0, out_dir=tmp_path)
    assert all(isinstance(r, ClaimResult) for r in res)
    gates = [r for r in res if r.gate and r.status != "skipped"]
    assert {r.id for r in res if r.gate and r.status == "skipped"} == {"G1-real"}
    assert {r.id for r in gates} == {"G1", "G1-residual", "G2", "G2-numerical", "G3",
                                     "G3-offset", "G3-symmetric", "G4", "G4-causal-direction",
                                     "G4-implied-cov", "G4-angle", "G4-equal", "G6", "G6-near"}
    assert all(r.passed for r in gates), [(r.id, r.value) for r in gates if not r.passed]


def test_suite_registered():
    assert isinstance(benchmark.suite, Suite)
    assert set(benchmark.suite.claims) <= set(benchmark.CLAIMS) | {"F"}
    with pytest.raises(ValueError, match="preset"):
        benchmark.run("huge")


def test_g1_negative_control(emp):
    assert max(B.g1_parity(emp)) <= B.G1_COEF
    wrong_px = B.g1_parity(emp, fit=lambda X, y: CMaxEntClassifier(p_x="gaussian").fit(X, y))
    assert max(wrong_px) > B.G1_COEF


def test_g1_residual_negative_control(emp):
    ours = B.moment_residual(emp, lambda X, y: B._theta(B._causal_lr(X, y)))
    assert max(ours) <= B.G1_RESIDUAL
    shuffled = B.moment_residual(emp, lambda X, y: B._theta(B._causal_lr(
        X, np.random.default_rng(0).permutation(y))))
    assert max(shuffled) > B.G1_RESIDUAL


def test_g1_real_negative_control():
    _, X, y = B.real_datasets()[1]  # iris, versicolor vs virginica
    assert max(B.g1_parity([(X, y)], fit=B._lda)) > B.G1_COEF  # LDA is not LR


def test_g2_real_negative_control(emp):
    assert max(B.g1_parity(emp, fit=B._lda, oracle=B.sk_lda)) <= B.G2_CLOSED
    assert max(B.g1_parity(emp, fit=B._causal_lr, oracle=B.sk_lda)) > B.G2_CLOSED


def test_g2_negative_control(lda_insts):
    assert max(B.g2_parity(lda_insts)) <= B.G2_CLOSED
    assert max(B.g2_parity(lda_insts, closed=pooled_naive_bayes_from_moments)) > B.G2_CLOSED


def test_g2_numerical_negative_control(lda_insts):
    tables = [i.table for i in lda_insts]
    assert max(B.g2_numerical(tables)) <= B.G2_NUMERICAL
    assert max(B.g2_numerical(tables, numerical=pooled_naive_bayes_from_moments)) > (
        B.G2_NUMERICAL)


def test_g3_negative_control(lda_insts):
    insts = [i for i in lda_insts if PreparedTable(i.table).r < 1]
    assert insts and max(B.g3_parallel(insts)) <= B.G3_COS
    # the empirical p(x) (logistic regression) is not parallel to LDA on finite data
    emp = B.g3_parallel(insts, causal=lambda i: solve_causal(i.table, p_x="empirical", X=i.X))
    assert max(emp) > B.G3_COS


def test_g3_offset_negative_control():
    assert B.offset_distance(0.2) >= B.G3_OFFSET
    assert B.offset_distance(0.5) < B.G3_OFFSET  # symmetric classes: no shift


def test_g3_symmetric_negative_control():
    assert B.offset_distance(0.5) <= B.G3_SYMMETRIC
    assert B.offset_distance(0.2) > B.G3_SYMMETRIC


def test_g4_negative_control(p1_insts):
    tables = [i.table for i in p1_insts]
    assert max(B.g4_p1a(tables)) <= B.G4_P1A
    assert max(B.g4_p1a(tables, numerical=solve_causal)) > B.G4_P1A  # wrong direction


def test_g4_causal_direction_negative_control(p1_insts):
    tables = [i.table for i in p1_insts]
    assert max(B.g4_direction(tables)) <= B.G4_P1C
    assert max(B.g4_direction(tables, solve=solve_anticausal)) > B.G4_P1C


def test_g4_implied_cov_negative_control(p1_insts):
    assert max(B.g4_implied_cov(p1_insts)) <= B.G4_COV
    assert max(B.g4_implied_cov(p1_insts, solve=solve_causal)) > B.G4_COV


def test_g4_angle_negative_control():
    rng = np.random.default_rng(8)
    share, _ = B.angle_share([i.table for i in B._feasible("p1", rng, 10)])
    assert share >= B.G4_ANGLE_SHARE
    equal, _ = B.angle_share([i.table for i in B._feasible("p1-equal", rng, 10)])
    assert equal < B.G4_ANGLE_SHARE


def test_g4_equal_negative_control(p1_insts):
    rng = np.random.default_rng(9)
    assert max(B.angles([i.table for i in B._feasible("p1-equal", rng, 3)])) <= B.G4_EQUAL
    assert max(B.angles([i.table for i in p1_insts])) > B.G4_EQUAL


def _unchecked(table, *, p_x="gaussian", X=None):
    """A broken solver: the dual minimised without the feasibility check."""
    from mpiis.cmaxent._causal import _solve_gaussian, fit_logistic
    from mpiis.cmaxent._feasibility import Feasibility

    prep = PreparedTable(table)
    if p_x == "gaussian":
        return _solve_gaussian(prep, Feasibility(1.0, True, "unchecked"), CMaxEntConfig())
    return fit_logistic(X, prep.m_y, prep.cross, prep.obs_y, CMaxEntConfig())


def test_g6_negative_control():
    cases, det = B.g6_cases(np.random.default_rng(10), 1)
    # built without the checker, yet the checker's own r agrees that they are infeasible
    assert all(m < 0 for m in det["checker_margins_of_gaussian_cases"])
    share, what = B.infeasible_share(cases)
    assert share >= B.G6_SHARE, what
    broken, _ = B.g6_cases(np.random.default_rng(10), 1, solve=_unchecked)
    share, what = B.infeasible_share(broken)
    assert share < B.G6_SHARE and "InfeasibleMomentsError" not in what


def test_g6_near_negative_control():
    rng = np.random.default_rng(11)
    tables = [random_instance("inf", k=2, r=r, rng=rng).table for r in (0.99, 0.9999)]
    assert all(B.near_ok(tables))
    assert not any(B.near_ok(tables, config=CMaxEntConfig(max_iter=2)))


def test_threshold_instances_scale_with_the_checker():
    """Below the threshold rule's covariance the moments are feasible (checker agrees)."""
    tab = B.threshold_infeasible(0.9, k=2, rng=np.random.default_rng(12))
    assert 0 < PreparedTable(tab).r < 1
