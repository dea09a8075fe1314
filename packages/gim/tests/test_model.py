import dataclasses

import jax
import numpy as np
import pytest
from sklearn.base import clone

from mpiis.gim import GIM, GIMConfig, InterventionPrediction, PerturbationData
from mpiis.shared.testing import (
    check_deterministic,
    check_refuses_bad_input,
    check_refuses_nonfinite,
    check_save_load,
)


def test_config_defaults_and_tiny():
    cfg = GIMConfig()
    assert cfg.hidden == (64, 64) and cfg.steps == 2000 and cfg.rho == 0.1
    assert GIMConfig.tiny().hidden == (16,) and GIMConfig.tiny().steps == 200
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.rho = 0.2
    with pytest.raises(TypeError):
        GIMConfig(0.1)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"freeze_graph_frac": 1.0}, "freeze_graph_frac"),
    ({"freeze_graph_frac": -0.1}, "freeze_graph_frac"),
    ({"rho": 0.0}, "rho"),
    ({"rho": 1.0}, "rho"),
    ({"shift_prior_scale": 0.0}, "shift_prior_scale"),
    ({"learning_rate": -1.0}, "learning_rate"),
    ({"steps": 0}, "steps"),
    ({"intervention": "perfect"}, "intervention"),
    ({"causal_model": "linear-sde", "intervention": "shift-scale"}, "intervention"),
])
def test_config_validation(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        GIMConfig(**kwargs)


def test_fit_predict_shapes(fitted, bench):
    f = bench.full_ood.data.features
    iv = fitted.predict_interventions(f)
    assert isinstance(iv, InterventionPrediction)
    assert iv.target_probs.shape == (len(f), 4) and iv.log_scale is None
    assert ((iv.target_probs >= 0) & (iv.target_probs <= 1)).all()
    dist = fitted.predict_distribution(f)
    assert dist.mean.shape == (len(f), 4) and dist.cov.shape == (len(f), 4, 4)
    np.testing.assert_allclose(dist.cov, np.swapaxes(dist.cov, 1, 2), atol=1e-5)
    x = fitted.sample(f[:3], 7, key=jax.random.key(0))
    assert x.shape == (3, 7, 4) and np.isfinite(x).all()
    assert fitted.target_scores(f).shape == (len(f), 4)
    assert set(fitted.graph_.nodes) == set(range(4))
    h = fitted.history_
    assert len(h["stage2"]["loss"]) == 200 and len(h["stage3"]["loss"]) == 200
    # the GIM stage lowers its objective
    assert h["stage3"]["loss"][-1] < h["stage3"]["loss"][0]


def test_learns_targets_and_graph(fitted, bench):
    """Trained on 24 contexts it ranks true targets of the training contexts above chance."""
    from mpiis.gim import target_auroc

    auc = target_auroc(fitted.target_scores(bench.train.features), bench.train.truth.targets)
    assert auc > 0.75
    assert fitted.score(bench.train) > GIM(GIMConfig.tiny()).fit(
        bench.train, key=jax.random.key(1)).score(bench.train) - 1e-3


def test_score_prefers_true_data(fitted, bench):
    """Held-out log-likelihood is higher on the right contexts than on shuffled features."""
    data = bench.partial_ood.data
    wrong = PerturbationData.from_arrays(list(data.xs), data.features[::-1],
                                         control=data.control)
    assert fitted.score(data) > fitted.score(wrong)


def test_deterministic(bench):
    small = bench.train
    cfg = GIMConfig.tiny(steps=100)
    check_deterministic(
        lambda s: GIM(cfg).fit(small, key=jax.random.key(s)).predict_interventions(
            small.features).target_probs)


def test_save_load(fitted, bench, tmp_path):
    f = bench.full_ood.data.features
    loaded = check_save_load(
        fitted, lambda m: (m.predict_interventions(f).target_probs,
                           m.predict_distribution(f).mean, m.predict_distribution(f).cov,
                           m.sample(f, 5, key=jax.random.key(3))), tmp_path / "gim.npz")
    assert loaded.config == fitted.config


def test_sklearn_conventions(fitted):
    c = clone(fitted)
    assert c.config == fitted.config and not hasattr(c, "causal_params_")
    assert fitted.get_params() == {"config": fitted.config}
    with pytest.raises(ValueError, match="not a parameter"):
        GIM().set_params(steps=3)


def test_predict_validation(fitted, bench):
    f = bench.full_ood.data.features
    check_refuses_nonfinite(fitted.predict_distribution, f, match="features")
    check_refuses_bad_input(fitted.target_scores, {
        "wrong p": f[:, :-1], "strings": np.full(f.shape, "a"), "3-D": f[None]},
        match="features")
    with pytest.warns(UserWarning, match="evidence"):
        fitted.target_scores(f, evidence=bench.full_ood.evidence)
    with pytest.raises(TypeError, match="key"):
        fitted.sample(f, 3, key=0)
    with pytest.raises(RuntimeError, match="not fitted"):
        GIM().predict_distribution(f)
    with pytest.raises(TypeError, match="data"):
        GIM().fit(f, key=jax.random.key(0))


def test_divergence_raises(bench):
    small = bench.train
    with pytest.raises(FloatingPointError, match="stage"):
        GIM(GIMConfig.tiny(steps=100, learning_rate=1e4, final_learning_rate=1e4)).fit(
            small, key=jax.random.key(0))


def test_variants_fit(bench, tmp_path):
    small = bench.train
    for cfg in (GIMConfig.tiny(steps=100, intervention="shift-scale"),
                GIMConfig.tiny(steps=100, causal_model="linear-sde")):
        seen = []
        m = GIM(cfg).fit(small, key=jax.random.key(0), callback=seen.append,
                         checkpoint_dir=tmp_path / cfg.intervention)
        assert {s["stage"] for s in seen} == {"stage 2 (per-context)", "stage 3 (GIM)"}
        x = m.sample(small.features[:2], 4, key=jax.random.key(1))
        assert x.shape == (2, 4, 4) and np.isfinite(x).all()
        if cfg.intervention == "shift-scale":
            assert m.predict_interventions(small.features).log_scale.shape == (24, 4)
        assert np.isfinite(m.score(small))
        check_save_load(m, lambda mm: mm.predict_distribution(small.features).mean,
                        tmp_path / f"{cfg.causal_model}.npz")
    assert (tmp_path / "shift" / "gim_checkpoint.npz").exists()


def test_mixture_sampling(fitted, bench, tmp_path):
    """prediction="mixture" draws t ~ Bernoulli(π) per cell: its per-cell spread exceeds MAP's
    where π is uncertain, and its mean follows π ψ."""
    fitted.save(tmp_path / "m.npz")
    mix = GIM.load(tmp_path / "m.npz")
    mix.set_params(config=dataclasses.replace(mix.config, prediction="mixture"))
    f = bench.train.features[:3]
    x = mix.sample(f, 4000, key=jax.random.key(0))
    assert x.shape == (3, 4000, 4) and np.isfinite(x).all()
    iv = mix.predict_interventions(f)
    p = mix.causal_params_
    mean = (np.asarray(p.bias) + iv.target_probs * iv.shift_mean) @ np.linalg.inv(
        np.eye(4) - np.asarray(p.graph_weights).T).T
    np.testing.assert_allclose(x.mean(1), mean, atol=0.15)


def test_fit_many_matches_single_fits(fitted, bench):
    """vmapped over data sets, each fit equals the single fit with the same key."""
    sub = bench.train.subset(np.arange(24)[::-1])  # same shapes, other context order
    many = GIM.fit_many([bench.train, sub], keys=[jax.random.key(1), jax.random.key(2)],
                        config=GIMConfig.tiny())
    f = bench.full_ood.data.features
    np.testing.assert_allclose(many[0].predict_interventions(f).target_probs,
                               fitted.predict_interventions(f).target_probs, atol=5e-3)
    np.testing.assert_allclose(np.asarray(many[0].causal_params_.graph_weights),
                               np.asarray(fitted.causal_params_.graph_weights), atol=5e-3)
    assert many[1].history_["batch"] == 2 and len(many[1].history_["stage3"]["loss"]) == 200
    with pytest.raises(ValueError, match="keys"):
        GIM.fit_many([bench.train], keys=[])
    with pytest.raises(ValueError, match=r"datasets\[1\]"):
        GIM.fit_many([bench.train, bench.train.subset([0, 1])],
                     keys=[jax.random.key(0)] * 2)
