import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from mpiis.cats import holm, label_bias_test, paired_flip_test, slice_accuracy_test


def test_holm_matches_statsmodels():
    p = np.array([0.01, 0.04, 0.03, 0.2, 0.001])
    np.testing.assert_allclose(holm(p), multipletests(p, method="holm")[1])


def test_label_bias_chi2_and_fisher():
    rng = np.random.default_rng(0)
    L = (rng.random(2000) < 0.5).astype(int)
    df = pd.DataFrame({"L": L, "biased": (rng.random(2000) < np.where(L, 0.6, 0.3)).astype(int),
                       "null": (rng.random(2000) < 0.4).astype(int),
                       "rare": np.r_[np.ones(3, int), np.zeros(1997, int)]})
    out = label_bias_test(df, ["biased", "null", "rare"], "L").set_index("feature")
    assert out.loc["biased", "reject"] and not out.loc["null", "reject"]
    assert out.loc["rare", "test"] == "fisher" and out.loc["biased", "test"] == "chi2"
    with pytest.raises(ValueError, match="missing column 'nope'"):
        label_bias_test(df, ["nope"], "L")
    with pytest.raises(ValueError, match="binary"):
        label_bias_test(df.assign(L=df.L * 2), ["null"], "L")


def test_flip_test_direction():
    n = 400
    orig = pd.DataFrame({"item_id": np.arange(n), "pred": np.zeros(n, int)})
    rng = np.random.default_rng(1)
    moves = (rng.random(n) < 0.3).astype(int)  # edits to 1 move the prediction to 1
    noise = (rng.random(n) < 0.02).astype(int)
    edited = pd.concat([
        pd.DataFrame({"item_id": np.arange(n), "feature": "used", "edit_to": 1, "pred": moves}),
        pd.DataFrame({"item_id": np.arange(n), "feature": "unused", "edit_to": 1,
                      "pred": noise})])
    ft = paired_flip_test(orig, edited).table.set_index("feature")
    assert ft.loc["used", "reject"] and ft.loc["used", "n_toward"] == moves.sum()
    # unused: all discordant pairs move toward the edit too, but there are few
    assert ft.loc["unused", "n_discordant"] == noise.sum()
    with pytest.raises(ValueError, match="no original prediction"):
        paired_flip_test(orig.iloc[:10], edited)
    with pytest.raises(ValueError, match="misses the columns"):
        paired_flip_test(orig, edited.drop(columns="edit_to"))


def test_slice_accuracy():
    df = pd.DataFrame({"c": [1, 1, 1, 0, 0, 0] * 50, "s": [1, 1, 1, 0, 0, 0] * 50})
    assert slice_accuracy_test(df, ["s"], "c").reject.iloc[0]
