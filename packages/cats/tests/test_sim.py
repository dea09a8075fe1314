import jax
import numpy as np
import pytest

from mpiis.cats import (
    Contamination,
    FormatSensitivity,
    MediatorBypass,
    Shortcut,
    SimConfig,
    SpuriousFeatures,
    simulate,
    suite,
)
from mpiis.shared.testing import check_deterministic


def test_tiny_shapes_and_truth():
    cfg = SimConfig.tiny(monsters=(Shortcut(strength=0.2),))
    b = simulate(cfg, key=jax.random.key(0))
    assert len(b.items) == 200 and len(b.responses) == 200 * (2 + 5)
    assert b.responses.is_reference.sum() == 200 * 5
    assert b.truth["shortcut_effect"] == 0.2 and b.spec.unit == "item_model"
    assert "D" in b.spec.graph.latent and "D" in b.spec.proxies


def test_deterministic():
    cfg = SimConfig.tiny(monsters=(Shortcut(),))
    check_deterministic(lambda s: simulate(cfg, key=jax.random.key(s)).responses["correct"]
                        .to_numpy())


def test_every_monster_builds():
    for m in (MediatorBypass(mc_draws=1000), SpuriousFeatures(), Contamination(),
              FormatSensitivity()):
        b = simulate(SimConfig.tiny(monsters=(m,)), key=jax.random.key(1))
        assert b.spec.columns["Y"] == "correct" and set(b.responses.correct.unique()) <= {0, 1}
    b = simulate(SimConfig.tiny(n_models=1, monsters=(SpuriousFeatures(),)),
                 key=jax.random.key(1))
    assert len(b.edits) == 200 * 50 and len(b.truth["spurious_monsters"]) == 5


def test_shortcut_is_confounded():
    b = simulate(SimConfig(n_items=3000, n_models=1, monsters=(Shortcut(strength=0.0,
                                                                         confounding=1.0),)),
                 key=jax.random.key(0))
    assert np.corrcoef(b.items.F, b.items.D)[0, 1] > 0.6


@pytest.mark.parametrize("kw, err", [(dict(n_items=0), ValueError),
                                     (dict(ability_sd=-1.0), ValueError),
                                     (dict(monsters=("x",)), TypeError),
                                     (dict(monsters=(MediatorBypass(), SpuriousFeatures())),
                                      ValueError)])
def test_config_errors(kw, err):
    with pytest.raises(err):
        SimConfig(**kw)


def test_suite():
    s = suite("standard-v1", preset="smoke")
    assert [n for n, _ in s] == ["shortcut", "bypass", "spurious", "selection",
                                 "contamination", "format"]
    with pytest.raises(ValueError, match="name"):
        suite("nope")
