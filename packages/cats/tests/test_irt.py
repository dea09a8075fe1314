import numpy as np
import pandas as pd
import pytest

from mpiis.cats import IRTFit, fit_irt, plugin_difficulty
from mpiis.shared.testing import check_save_load


def _responses(n=600, K=20, seed=0):
    rng = np.random.default_rng(seed)
    D, th = rng.standard_normal(n), rng.standard_normal(K)
    Y = (rng.random((n, K)) < 1 / (1 + np.exp(-(th[None] - D[:, None])))).astype(int)
    df = pd.DataFrame({"item_id": np.repeat([f"i{i:04d}" for i in range(n)], K),
                       "model": np.tile([f"r{k:02d}" for k in range(K)], n),
                       "correct": Y.ravel()})
    return df, D, th


def test_rasch_recovers_difficulty_and_reliability():
    df, D, th = _responses()
    fit = fit_irt(df)
    assert np.corrcoef(fit.difficulty, D)[0, 1] > 0.85
    assert np.corrcoef(fit.ability, th)[0, 1] > 0.97
    assert 0.65 < fit.reliability < 0.9  # K = 20: the brief's prototype saw 0.77-0.79
    assert fit.difficulty_sd.min() > 0


def test_more_reference_models_raise_reliability():
    assert fit_irt(_responses(K=60)[0]).reliability > fit_irt(_responses(K=10)[0]).reliability


def test_eap_with_covariates_is_calibrated():
    df, D, _ = _responses()
    fit = fit_irt(df)
    F = D + np.random.default_rng(3).standard_normal(len(D))
    m, _sd = fit.eap(F[:, None])
    assert np.corrcoef(m, D)[0, 1] > np.corrcoef(fit.difficulty, D)[0, 1]
    # E[D | responses, F]: residual D - m is uncorrelated with F
    assert abs(np.corrcoef(D - m, F)[0, 1]) < 0.1


def test_2pl_runs():
    fit = fit_irt(_responses(n=300)[0], kind="2pl")
    assert fit.kind == "2pl" and np.isfinite(fit.difficulty).all()


def test_extreme_items_kept_through_prior():
    df, _, _ = _responses(n=200)
    df.loc[df.item_id == "i0000", "correct"] = 1
    fit = fit_irt(df)
    assert np.isfinite(fit.difficulty[0]) and fit.difficulty[0] < np.median(fit.difficulty)


def test_errors():
    df, _, _ = _responses(n=50, K=4)
    with pytest.raises(ValueError, match="at least 5 reference models"):
        fit_irt(df)
    with pytest.raises(ValueError, match="misses the columns"):
        fit_irt(df.drop(columns="correct"))
    df2, _, _ = _responses(n=50, K=6)
    df2.loc[0, "correct"] = 2
    with pytest.raises(ValueError, match="must be 0/1"):
        fit_irt(df2)


def test_save_load(tmp_path):
    fit = fit_irt(_responses(n=200)[0])
    check_save_load(fit, lambda f: f.eap(np.arange(200.0)[:, None]), tmp_path / "irt.npz")
    assert IRTFit.load(tmp_path / "irt.npz").reliability == fit.reliability


def test_plugin():
    np.testing.assert_allclose(plugin_difficulty([0, 10], 10),
                               [-np.log(0.5 / 10.5), np.log(0.5 / 10.5)])
