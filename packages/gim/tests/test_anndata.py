import sys

import numpy as np
import pytest

from mpiis.gim import from_anndata

anndata = pytest.importorskip("anndata")
pd = pytest.importorskip("pandas")


@pytest.fixture
def h5ad(tmp_path, rng):
    """3 conditions x 20 cells x 5 genes plus features in uns, written as .h5ad."""
    conds = np.repeat(["ctrl", "drugA", "drugB"], 20)
    dose = np.tile([1.0, 2.0], 30)
    x = rng.normal(size=(60, 5)).astype(np.float32)
    x[conds == "drugA", 0] += 3.0
    obs = pd.DataFrame({"condition": conds, "dose": dose},
                       index=[f"cell{i}" for i in range(60)])
    var = pd.DataFrame(index=[f"g{i}" for i in range(5)])
    ad = anndata.AnnData(X=x, obs=obs, var=var)
    ad.uns["drug_features"] = pd.DataFrame({"f0": [1.0, 0.0], "f1": [0.5, 2.0]},
                                           index=["drugA", "drugB"])
    ad.layers["counts"] = x * 2
    path = tmp_path / "tiny.h5ad"
    ad.write_h5ad(path)
    return path


def test_round_trip(h5ad):
    data = from_anndata(str(h5ad), condition_key="condition", control_value="ctrl",
                        features="drug_features", dose_key="dose")
    assert data.n_contexts == 4 and data.d == 5 and data.feature_dim == 3
    assert data.names == ("drugA@1", "drugA@2", "drugB@1", "drugB@2")
    assert len(data.control) == 20 and all(len(x) == 10 for x in data.xs)
    np.testing.assert_allclose(data.features[1], [1.0, 0.5, 2.0])
    assert data.xs[0][:, 0].mean() > data.control[:, 0].mean() + 2
    ad = anndata.read_h5ad(h5ad)
    sub = from_anndata(ad, condition_key="condition", control_value="ctrl",
                       features={"drugA": [1.0], "drugB": [2.0]}, layer="counts",
                       genes=["g3", "g1"])
    assert sub.d == 2 and sub.n_contexts == 2 and sub.feature_dim == 1
    np.testing.assert_allclose(sub.control[:, 0], 2 * ad.X[:20, 3], rtol=1e-6)


def test_messy_rows_are_dropped_and_named(h5ad):
    ad = anndata.read_h5ad(h5ad)
    ad.obs["dose"] = ad.obs["dose"].astype(float)
    ad.obs.iloc[25, ad.obs.columns.get_loc("dose")] = np.nan
    ad.X[30, 2] = np.nan
    with pytest.warns(UserWarning, match=r"dropped 2 cell\(s\).*cell25"):
        data = from_anndata(ad, condition_key="condition", control_value="ctrl",
                            features="drug_features", dose_key="dose")
    assert sum(len(x) for x in data.xs) == 38


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"condition_key": "drug"}, "condition_key"),
    ({"dose_key": "conc"}, "dose_key"),
    ({"control_value": "DMSO"}, "control_value"),
    ({"features": {"drugA": [1.0]}}, "lacking.*drugB"),
    ({"features": "nope"}, "features"),
    ({"genes": ["g0", "g9"]}, "genes.*g9"),
    ({"layer": "raw"}, "layer"),
])
def test_errors(h5ad, kwargs, match):
    args = {"condition_key": "condition", "control_value": "ctrl",
            "features": "drug_features", **kwargs}
    with pytest.raises(ValueError, match=match):
        from_anndata(anndata.read_h5ad(h5ad), **args)


def test_missing_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "anndata", None)
    with pytest.raises(ImportError, match=r"mpiis-gim\[anndata\]"):
        from_anndata(object(), condition_key="c", control_value="x", features={})
