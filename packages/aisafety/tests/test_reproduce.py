from __future__ import annotations

import numpy as np
import pytest

from mpiis.aisafety import RECIPES, TrendConfig, load_claims, load_notable_models, reproduce


def test_recipes_cover_the_reproducible_claims():
    repro = {c.id for c in load_claims().query(reproducible=True)}
    assert repro == set(RECIPES) == {"C1", "C2", "C3", "C6", "C7"}


def test_c1_on_bundled_table(rng):
    r = reproduce("C1", rng=rng, config=TrendConfig.tiny())
    assert r.status == "ok" and r.consistent is True
    assert r.estimate[0] == pytest.approx(4.418, abs=1e-3)
    assert r.reported == ((pytest.approx(4 / 1.15), pytest.approx(4 * 1.15)),)
    assert r.n == 38


def test_c2_ratios(rng):
    r = reproduce("C2", rng=rng)
    assert len(r.estimate) == 2
    assert r.estimate[0] == pytest.approx(4.418 ** 3, rel=1e-3)
    assert r.consistent is True  # 100 in [60, 116] and 1e4 in [3.6e3, 1.35e4]


@pytest.mark.parametrize("cid", ["C3", "C6", "C7"])
def test_no_data_on_bundled_table(cid, rng):
    r = reproduce(cid, rng=rng, config=TrendConfig.tiny())
    assert r.status == "no_data" and r.consistent is None and "no data" in r.summary()


@pytest.mark.filterwarnings("ignore::mpiis.aisafety.DroppedRowsWarning")
def test_recipes_on_epoch_schema(tmp_path, rng, make_epoch_rows, write_epoch):
    df = load_notable_models(write_epoch(tmp_path / "e.csv", make_epoch_rows(120, seed=1)))
    for cid in ("C1", "C3", "C6", "C7"):
        r = reproduce(cid, df, rng=rng, config=TrendConfig.tiny())
        assert r.status == "ok" and r.n >= 5 and isinstance(r.consistent, bool)
    # the fixture's power grows 10**0.3 = 1.995x/yr without noise: just short of "> 2x"
    c6 = reproduce("C6", df, rng=rng, config=TrendConfig.tiny())
    assert c6.estimate[0] == pytest.approx(10 ** 0.3, rel=1e-3)
    assert c6.consistent is False


def test_unknown_claim(rng):
    with pytest.raises(ValueError, match="claim_id"):
        reproduce("C4", rng=rng)
    with pytest.raises(TypeError, match="data"):
        reproduce("C1", data=np.zeros(3), rng=rng)


def test_recipes_on_the_quirky_table(quirky_epoch, rng):
    """Every recipe runs to the end on a table with the real one's quirks; the fit keeps
    what it dropped."""
    from mpiis.aisafety import DroppedRowsWarning

    with pytest.warns(DroppedRowsWarning):
        df = load_notable_models(quirky_epoch["path"])
    for cid in ("C1", "C2", "C3", "C6", "C7"):
        with pytest.warns(DroppedRowsWarning):
            r = reproduce(cid, df, rng=rng, config=TrendConfig.tiny())
        assert r.status == "ok" and r.fit.n_dropped > 0
    r3 = reproduce("C3", df, rng=rng, config=TrendConfig.tiny())
    assert r3.fit.drop_counts()["value <= 0"] == len(
        quirky_epoch["planted"]["value <= 0 (dataset_size)"])
