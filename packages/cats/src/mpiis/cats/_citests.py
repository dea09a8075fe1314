"""Conditional-independence tests on result tables (brief: "Conditional-independence tests"):
``fisher_z``, ``g_test``, ``logistic_lrt`` (batched JAX Newton; Wald with item-clustered
sandwich SEs when rows are item x model), ``residual_permutation`` (permutations vmapped) and
the weighted Wald test used for selection-weighted implications."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
from scipy import stats

from ._glm import fit_glm, x64

__all__ = ["CIResult", "ci_test", "fisher_z", "g_test", "logistic_lrt", "residual_permutation",
           "weighted_wald"]

MAX_STRATA = 50  # brief: g_test within at most 50 strata of Z


@dataclass(frozen=True)
class CIResult:
    """One conditional-independence test: ``test`` name, ``statistic``, ``df`` and p-value."""

    test: str
    statistic: float
    df: float
    p_value: float


def _num(df: pd.DataFrame, col: str, t: str) -> np.ndarray:
    if t == "categorical":
        return pd.get_dummies(df[col].astype(str), drop_first=True, dtype=float).to_numpy()
    return pd.to_numeric(df[col]).to_numpy(float)[:, None]


def _design(df, given, types):
    cols = [np.ones((len(df), 1))] + [_num(df, c, types[c]) for c in given]
    return np.column_stack(cols)


def _resid(v, Z):
    coef, *_ = np.linalg.lstsq(Z, v, rcond=None)
    return v - Z @ coef


def fisher_z(df, x, y, given, types) -> CIResult:
    """Partial correlation ``r`` of the regression residuals;
    ``z = 0.5 ln((1+r)/(1-r)) sqrt(n - |Z| - 3)``."""
    Z = _design(df, given, types)
    rx = _resid(_num(df, x, "continuous")[:, 0], Z)
    ry = _resid(_num(df, y, "continuous")[:, 0], Z)
    den = np.sqrt((rx @ rx) * (ry @ ry))
    r = float(np.clip(rx @ ry / den, -0.999999, 0.999999)) if den > 0 else 0.0
    dof = len(df) - len(given) - 3
    z = 0.5 * np.log((1 + r) / (1 - r)) * np.sqrt(max(dof, 1))
    return CIResult("fisher_z", float(z), 1.0, float(2 * stats.norm.sf(abs(z))))


def g_test(df, x, y, given, types) -> CIResult:
    """G-test of categorical X, Y within the strata of categorical Z (at most 50 strata);
    ``df = sum over non-empty strata of (|X|-1)(|Y|-1)``."""
    strata = (df[list(given)].astype(str).agg("|".join, axis=1) if given
              else pd.Series("all", index=df.index))
    if strata.nunique() > MAX_STRATA:
        raise ValueError(f"g_test allows at most {MAX_STRATA} strata of {list(given)}, got "
                         f"{strata.nunique()}")
    g, dof = 0.0, 0
    for _, sub in df.groupby(strata.to_numpy()):
        tab = pd.crosstab(sub[x].astype(str), sub[y].astype(str)).to_numpy(float)
        if tab.shape[0] < 2 or tab.shape[1] < 2:
            continue
        e = tab.sum(1, keepdims=True) * tab.sum(0, keepdims=True) / tab.sum()
        nz = tab > 0
        g += 2 * float(np.sum(tab[nz] * np.log(tab[nz] / e[nz])))
        dof += (tab.shape[0] - 1) * (tab.shape[1] - 1)
    p = float(stats.chi2.sf(g, dof)) if dof else 1.0
    return CIResult("g_test", g, float(dof), p)


def logistic_lrt(df, x, y, given, types, clusters=None) -> CIResult:
    """Binary response (``y`` if binary, else ``x``); likelihood ratio of adding the other
    variable (one-hot if categorical) to a logistic model on Z. With ``clusters`` (item x model
    rows) the statistic is the Wald test with item-clustered sandwich SEs."""
    if types[y] != "binary":
        x, y = y, x
    Z = _design(df, given, types)
    X1 = _num(df, x, types[x])
    resp = _num(df, y, "binary")[:, 0]
    full = np.column_stack([Z, X1])
    f1 = fit_glm(full, resp, clusters=clusters)
    k = X1.shape[1]
    if clusters is not None:
        b = f1.beta[-k:]
        V = f1.cov[-k:, -k:]
        stat = float(b @ np.linalg.solve(V + 1e-12 * np.eye(k), b))
        return CIResult("logistic_wald_clustered", stat, float(k), float(stats.chi2.sf(stat, k)))
    f0 = fit_glm(Z, resp)
    stat = max(0.0, 2 * (f1.loglik - f0.loglik))
    return CIResult("logistic_lrt", stat, float(k), float(stats.chi2.sf(stat, k)))


@partial(jax.jit, static_argnames=("n_perm",))
def _perm_null(key, ra, rb, n_perm):
    keys = jax.random.split(key, n_perm)

    def one(k):
        return jnp.abs(jnp.mean(ra * jax.random.permutation(k, rb)))

    return jax.vmap(one)(keys)


def residual_permutation(df, x, y, given, types, *, n_perm=100, key) -> CIResult:
    """Spearman correlation of the X|Z and Y|Z linear residuals against ``n_perm``
    permutations (vmapped); ``p = (1 + #{|rho_perm| >= |rho|}) / (n_perm + 1)``."""
    Z = _design(df, given, types)
    rx = _resid(_num(df, x, "continuous")[:, 0], Z)
    ry = _resid(_num(df, y, "continuous")[:, 0], Z)
    a, b = stats.rankdata(rx), stats.rankdata(ry)
    a = (a - a.mean()) / max(a.std(), 1e-12)
    b = (b - b.mean()) / max(b.std(), 1e-12)
    rho = float(np.mean(a * b))
    with x64():
        null = np.asarray(_perm_null(key, jnp.asarray(a), jnp.asarray(b), int(n_perm)))
    p = (1 + int(np.sum(null >= abs(rho) - 1e-12))) / (n_perm + 1)
    return CIResult("residual_permutation", rho, float(n_perm), float(p))


def weighted_wald(df, x, y, given, types, weights, clusters=None) -> CIResult:
    """Wald test of X in a (Hajek-)weighted regression of Y on Z and X (logistic for a binary
    response), with sandwich SEs: the test of selection-weighted implications."""
    if types[y] != "binary" and types[x] == "binary":
        x, y = y, x
    Z = _design(df, given, types)
    X1 = _num(df, x, types[x])
    resp = _num(df, y, "binary" if types[y] == "binary" else "continuous")[:, 0]
    fam = "logistic" if types[y] == "binary" else "linear"
    f = fit_glm(np.column_stack([Z, X1]), resp, family=fam, weights=weights, clusters=clusters)
    k = X1.shape[1]
    b, V = f.beta[-k:], f.cov[-k:, -k:]
    stat = float(b @ np.linalg.solve(V + 1e-12 * np.eye(k), b))
    return CIResult("weighted_wald", stat, float(k), float(stats.chi2.sf(stat, k)))


def ci_test(df, x, y, given, types, *, method="auto", clusters=None, n_perm=100, key=None,
            ) -> CIResult:
    """Run one test; ``method="auto"`` picks by the declared types: ``g_test`` when X, Y and Z
    are binary/categorical with at most 50 strata, ``logistic_lrt`` when X or Y is binary,
    else ``fisher_z``."""
    disc = {"binary", "categorical"}
    if method == "auto":
        n_strata = (df[list(given)].drop_duplicates().shape[0] if given else 1)
        if types[x] in disc and types[y] in disc and all(types[g] in disc for g in given) \
                and n_strata <= MAX_STRATA and clusters is None:
            method = "g_test"
        elif types[x] == "binary" or types[y] == "binary":
            method = "logistic_lrt"
        else:
            method = "fisher_z"
    if method == "fisher_z":
        return fisher_z(df, x, y, given, types)
    if method == "g_test":
        return g_test(df, x, y, given, types)
    if method == "logistic_lrt":
        if types[x] != "binary" and types[y] != "binary":
            raise ValueError(f"logistic_lrt needs a binary X or Y; {x!r} and {y!r} are not")
        return logistic_lrt(df, x, y, given, types, clusters=clusters)
    if method == "residual_permutation":
        if key is None:
            raise ValueError("residual_permutation needs `key`")
        return residual_permutation(df, x, y, given, types, n_perm=n_perm, key=key)
    raise ValueError("`ci_test` must be one of 'auto', 'fisher_z', 'g_test', 'logistic_lrt', "
                     f"'residual_permutation', got {method!r}")
