import jax
import numpy as np
import pandas as pd
import pytest

from mpiis.cats import ci_test


@pytest.fixture
def df():
    rng = np.random.default_rng(0)
    n = 1500
    z = rng.standard_normal(n)
    x = z + rng.standard_normal(n)
    y = z + rng.standard_normal(n)
    b = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    c = (rng.random(n) < 0.5).astype(int)
    zc = (z > 0).astype(int)
    bc = (rng.random(n) < np.where(zc, 0.7, 0.3)).astype(int)
    cc = (rng.random(n) < np.where(zc, 0.6, 0.2)).astype(int)
    return pd.DataFrame(dict(x=x, y=y, z=z, b=b, c=c, zc=zc, bc=bc, cc=cc))


TYPES = dict(x="continuous", y="continuous", z="continuous", b="binary", c="binary",
             zc="binary", bc="binary", cc="binary")


@pytest.mark.parametrize("method", ["fisher_z", "residual_permutation"])
def test_continuous(df, method):
    k = jax.random.key(0)
    dep = ci_test(df, "x", "y", [], TYPES, method=method, key=k, n_perm=200)
    ind = ci_test(df, "x", "y", ["z"], TYPES, method=method, key=k, n_perm=200)
    assert dep.p_value < 0.01 and ind.p_value > 0.01 and dep.test == method


def test_g_test(df):
    dep = ci_test(df, "bc", "cc", [], TYPES)
    ind = ci_test(df, "bc", "cc", ["zc"], TYPES)
    assert dep.test == "g_test" and dep.p_value < 0.01 and ind.p_value > 0.01 and ind.df == 2


def test_logistic(df):
    dep = ci_test(df, "x", "b", [], TYPES)
    ind = ci_test(df, "c", "x", ["z"], TYPES)
    assert dep.test == "logistic_lrt" and dep.p_value < 0.01 and ind.p_value > 0.01
    clustered = ci_test(df, "x", "b", [], TYPES, clusters=np.arange(len(df)) // 3)
    assert clustered.test == "logistic_wald_clustered" and clustered.p_value < 0.01


def test_bad_method(df):
    with pytest.raises(ValueError, match="ci_test"):
        ci_test(df, "x", "y", [], TYPES, method="nope")
    with pytest.raises(ValueError, match="binary"):
        ci_test(df, "x", "y", [], TYPES, method="logistic_lrt")
