import jax
import numpy as np
import pytest
from sklearn.base import clone

from mpiis.gim import (
    FeatureMLP,
    MeanShiftTest,
    Observational,
    PerContextCausal,
    target_auroc,
)
from mpiis.shared.testing import check_refuses_bad_input, check_refuses_nonfinite


@pytest.fixture(scope="module")
def models(bench):
    train = bench.train
    return {
        "FeatureMLP": FeatureMLP(hidden=(16,), steps=200).fit(train, key=jax.random.key(0)),
        "PerContextCausal": PerContextCausal(steps=200).fit(train),
        "MeanShiftTest": MeanShiftTest().fit(train),
        "Observational": Observational().fit(train),
    }


def test_interface(models, bench):
    f = bench.full_ood.data.features
    for name, m in models.items():
        assert clone(m).get_params() == m.get_params()
        if m.supports_distribution:
            dist = m.predict_distribution(f)
            assert dist.mean.shape == (len(f), 4) and dist.cov.shape == (len(f), 4, 4)
            x = m.sample(f, 6, key=jax.random.key(0))
            assert x.shape == (len(f), 6, 4) and np.isfinite(x).all()
            check_refuses_nonfinite(m.predict_distribution, f, match="features")
        else:
            with pytest.raises(NotImplementedError, match=name):
                m.predict_distribution(f)
            with pytest.raises(NotImplementedError, match=name):
                m.sample(f, 3, key=jax.random.key(0))
        if m.supports_targets:
            assert m.target_scores(f).shape == (len(f), 4)
            check_refuses_bad_input(m.target_scores, {"wrong p": f[:, :3]}, match="features")
        else:
            with pytest.raises(NotImplementedError, match=name):
                m.target_scores(f)


def test_observational_is_the_control(models, bench):
    obs = models["Observational"]
    dist = obs.predict_distribution(bench.full_ood.data.features[:2])
    np.testing.assert_allclose(dist.mean[1], bench.train.control.mean(0))
    x = obs.sample(bench.full_ood.data.features[:1], 5, key=jax.random.key(0))
    assert all(any(np.array_equal(r, c) for c in bench.train.control) for r in x[0])


def test_feature_mlp_learns_shifts(models, bench):
    """On the training contexts FeatureMLP's means beat the control mean."""
    mlp = models["FeatureMLP"]
    st = bench.train.stats()
    err = np.abs(mlp.predict_distribution(bench.train.features).mean - st.mean[1:]).mean()
    assert err < np.abs(st.mean[0] - st.mean[1:]).mean()
    assert mlp.history_["loss"][-1] < mlp.history_["loss"][0]


def test_mean_shift_and_percontext_scores(models, bench):
    tt = bench.train.truth.targets
    assert target_auroc(models["MeanShiftTest"].train_target_scores_, tt) > 0.7
    assert target_auroc(models["PerContextCausal"].train_target_scores_, tt) > 0.7
    fo = bench.full_ood
    for name in ("MeanShiftTest", "PerContextCausal"):
        ev = models[name].target_scores(fo.data.features, evidence=fo.evidence)
        assert ev.shape == fo.data.truth.targets.shape
        assert target_auroc(ev, fo.data.truth.targets) > 0.7
    with pytest.raises(ValueError, match="evidence"):
        models["MeanShiftTest"].target_scores(fo.data.features, evidence=fo.evidence[:1])


def test_welch_z_matches_scipy(models, bench):
    from scipy import stats

    x, c = bench.train.xs[0], bench.train.control
    t = stats.ttest_ind(x, c, equal_var=False).statistic
    np.testing.assert_allclose(models["MeanShiftTest"].train_target_scores_[0], np.abs(t),
                               rtol=1e-10)


def test_bad_params():
    with pytest.raises(ValueError, match="steps"):
        FeatureMLP(steps=0)
    with pytest.raises(ValueError, match="ridge_alpha"):
        MeanShiftTest(ridge_alpha=-1.0)
    with pytest.raises(TypeError, match="data"):
        Observational().fit(np.zeros((3, 3)))
