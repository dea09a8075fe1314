import numpy as np
import pytest

from mpiis.phenformer import (
    EnrichedRiskPredictor,
    clump,
    ct_prs,
    gwas_marginal,
    read_pgs_scoring_file,
    ridge_prs,
)
from mpiis.phenformer._prs import logistic_l2
from mpiis.shared.testing import check_estimator


def test_gwas_marginal_matches_lstsq():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, (200, 5)).astype(float)
    y = (x[:, 0] + rng.normal(size=200) > 1).astype(float)
    beta, z, p = gwas_marginal(x, y)
    ref = np.linalg.lstsq(np.c_[np.ones(200), x[:, 0]], y, rcond=None)[0][1]
    assert beta[0] == pytest.approx(ref)
    assert p[0] < 1e-6 and np.argmax(np.abs(z)) == 0


def test_clump_drops_correlated():
    rng = np.random.default_rng(0)
    a = rng.normal(size=300)
    x = np.c_[a, a + 0.01 * rng.normal(size=300), rng.normal(size=300)]
    keep = clump(np.array([1e-5, 1e-3, 0.5]), x, np.zeros(3, int))
    np.testing.assert_array_equal(keep, [True, False, True])


def test_logistic_l2_matches_sklearn():
    sklearn = pytest.importorskip("sklearn.linear_model")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 4))
    y = (x[:, 0] - x[:, 1] + rng.normal(size=300) > 0).astype(float)
    w, b = logistic_l2(x, y, c=0.1)
    ref = sklearn.LogisticRegression(C=0.1, tol=1e-10, max_iter=10_000).fit(x, y)
    np.testing.assert_allclose(w, ref.coef_[0], atol=1e-4)
    assert b == pytest.approx(ref.intercept_[0], abs=1e-4)


def test_prs_on_cohort(cohort):
    d = cohort.dosages()
    tr, va, te = cohort.indices("train"), cohort.indices("val"), cohort.indices("test")
    groups = np.repeat(np.arange(cohort.n_genes), cohort.snv_pos.shape[1])
    ct = ct_prs(d[tr], cohort.y[tr], d[va], cohort.y[va], groups=groups)
    rg = ridge_prs(d[tr], cohort.y[tr], d[va], cohort.y[va])
    assert ct.score(d[te]).shape == (len(te),)
    assert 0.5 < rg.val_auroc <= 1.0 and ct.chosen in (5e-8, 1e-6, 1e-4, 1e-3, 1e-2, 0.05, 0.1,
                                                       0.5, 1.0)
    with pytest.raises(ValueError, match="NaN or Inf"):
        rg.score(np.full_like(d[:2], np.nan))
    with pytest.raises(ValueError, match="x_val"):
        ridge_prs(d[tr], cohort.y[tr], d[va][:, :3], cohort.y[va])


def test_enriched_common_checks(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 6))
    y = (X[:, 0] + X[:, 1] + rng.normal(size=120) > 0).astype(int)
    check_estimator(lambda: EnrichedRiskPredictor(), X, y, tmp_path=tmp_path,
                    methods=("predict_proba", "decision_function"))
    est = EnrichedRiskPredictor().fit(X, y)
    assert est.score(X, y) > 0.7
    assert est.set_params(c=0.5).get_params() == {"c": 0.5}


def test_pgs_scoring_file(tmp_path):
    p = tmp_path / "PGS000001.txt"
    p.write_text("#pgs_id=PGS000001\nrsID\tchr_name\tchr_position\teffect_allele\teffect_weight\n"
                 "rs1\t1\t100\tA\t0.1\nrs2\t1\t200\tG\tNA\nrs3\t2\t300\tT\t-0.2\n")
    with pytest.warns(UserWarning, match="dropped 1 row"):
        rows = read_pgs_scoring_file(p)
    assert [r["rsID"] for r in rows] == ["rs1", "rs3"] and rows[1]["effect_weight"] == -0.2
