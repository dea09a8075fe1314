"""Effect estimators (brief: "Estimators"): g-computation (default), IPW (Hajek), AIPW, item
bootstrap vmapped over fits, and the in-package baselines behind the same ``Effect`` type:
``naive_thirds`` (top vs bottom third, two-proportion z-test), ``unadjusted`` regression and
``plugin_proxy`` (adjustment for the plug-in difficulty)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from ._design import (
    ProxyDiagnostics,
    Rows,
    calibrated_proxy,
    key_to_rng,
    model_dummies,
    node_matrix,
    proxy_advice,
    rows_of,
)
from ._glm import fit_glm, fit_glm_batch
from ._graph import adjustment_sets
from ._spec import EvalSpec

__all__ = ["Effect", "estimate_effect", "resolve_adjustment"]

Method = Literal["gcomp", "ipw", "aipw", "naive_thirds", "unadjusted", "plugin_proxy"]
RELIABILITY_THRESHOLD = 0.90  # brief: weak-proxy warning when rho < 0.90


@dataclass(frozen=True)
class Effect:
    """An estimated effect of ``treatment`` on ``outcome``.

    Attributes:
        estimate: average risk difference (binary treatment, probability scale: x100 for
            accuracy points) or average marginal effect per SD (continuous treatment).
        ci: bootstrap percentile interval (Wald interval when ``n_boot=0``).
        coef, se, p_value: the treatment coefficient, its sandwich SE (by item) and the
            two-sided Wald p-value (the detection test).
        adjustment_set: the nodes adjusted for.
        proxy: weak-proxy diagnostics when a latent node was adjusted through a proxy.
        method: the estimator; n: rows used; converged: the outcome fit converged.
        notes: fit notes (separation, dropped rows).
    """

    treatment: str
    outcome: str
    method: str
    estimate: float
    ci: tuple[float, float]
    coef: float
    se: float
    p_value: float
    adjustment_set: frozenset[str]
    proxy: ProxyDiagnostics | None = None
    n: int = 0
    converged: bool = True
    notes: tuple[str, ...] = field(default=())

    @property
    def proxy_warning(self) -> bool:
        return bool(self.proxy is not None and self.proxy.warning)

    def detects(self, alpha: float = 0.05, sign: int | None = None) -> bool:
        """The test rejects at ``alpha`` (and, with ``sign``, with that sign)."""
        rej = self.p_value < alpha
        return bool(rej if sign is None else rej and np.sign(self.coef) == np.sign(sign))


def resolve_adjustment(spec: EvalSpec, treatment: str, outcome: str,
                       adjust: str | Iterable[str]) -> frozenset[str]:
    """``adjust="minimal"``: the smallest minimal back-door set over observed and proxied nodes
    (preferring observed nodes on ties); an iterable: that set, checked against the graph."""
    if isinstance(adjust, str):
        if adjust != "minimal":
            raise ValueError(f"`adjust` must be 'minimal' or a set of nodes, got {adjust!r}")
        sets = adjustment_sets(spec.graph, treatment, outcome, which="minimal",
                               observed=spec.adjustable)
        if not sets:
            raise ValueError(f"no valid adjustment set for {treatment!r} -> {outcome!r} among "
                             f"the observed and proxied nodes {list(spec.adjustable)}: the effect "
                             "is not identified by the back-door criterion")
        return min(sets, key=lambda s: (len(s), sum(v in spec.proxies for v in s), sorted(s)))
    z = frozenset(adjust)
    spec.graph.check_nodes(z, "adjust")
    bad = [v for v in z if v not in spec.adjustable]
    if bad:
        raise ValueError(f"`adjust` holds latent nodes without a proxy: {bad}")
    return z


def _check_common(table, spec, treatment, outcome, n_boot):
    if not isinstance(spec, EvalSpec):
        raise TypeError(f"`spec` must be an EvalSpec, got {type(spec).__name__}")
    spec.graph.check_nodes([treatment], "treatment")
    spec.graph.check_nodes([outcome], "outcome")
    if treatment == outcome:
        raise ValueError(f"`treatment` and `outcome` must differ, both are {treatment!r}")
    for arg, v in (("treatment", treatment), ("outcome", outcome)):
        if v not in spec.columns:
            raise ValueError(f"`{arg}` {v!r} is latent; effects need an observed {arg}")
        if spec.types[v] == "categorical":
            raise ValueError(f"`{arg}` {v!r} is categorical; use a binary or continuous node")
    if not isinstance(n_boot, int) or n_boot < 0:
        raise ValueError(f"`n_boot` must be a non-negative int, got {n_boot!r}")


def _boot_weights(rng: np.random.Generator, clusters: np.ndarray, n_boot: int) -> np.ndarray:
    """Item-bootstrap frequency weights ``(B, n)``: resample items, count rows."""
    g = int(clusters.max()) + 1
    counts = rng.multinomial(g, np.full(g, 1.0 / g), size=n_boot).astype(np.float64)
    return counts[:, clusters]


@dataclass
class _Design:
    X: np.ndarray
    names: list[str]
    t_index: int
    y: np.ndarray
    family: str
    w: np.ndarray
    proxy_cols: dict[str, tuple[int, np.ndarray, float | None, int | None]]


def _build(rows: Rows, spec: EvalSpec, treatment: str, outcome: str, z: frozenset[str],
           weights: str | None, plugin: bool = False) -> _Design:
    f = rows.frame
    n = len(f)
    t, _ = node_matrix(f, spec, treatment)
    cols, names = [np.ones((n, 1)), t], ["const", treatment]
    for v in sorted(z):
        if v in spec.columns:
            m, nm = node_matrix(f, spec, v)
            cols.append(m)
            names += nm
    md, mn = model_dummies(f, spec)
    cols.append(md)
    names += mn
    X = np.column_stack(cols)
    proxy_cols = {}
    for v in sorted(z):
        if v in spec.proxies:
            cal, plug, rho, k, _ = calibrated_proxy(rows, spec, v, X[:, 1:],
                                                    correct_column=spec.column(outcome))
            X = np.column_stack([X, plug if plugin else cal])
            names.append(v)
            proxy_cols[v] = (X.shape[1] - 1, plug, rho, k)
    y = pd.to_numeric(f[spec.column(outcome)]).to_numpy(float)
    fam = "logistic" if spec.types[outcome] == "binary" else "linear"
    w = np.ones(n)
    if weights is not None:
        col = spec.selection_weights if weights == "selection_prob" else weights
        if col is None or col not in f.columns:
            raise ValueError(f"`weights` {weights!r} names no column; declare "
                             "EvalSpec(selection_weights=...) or pass a column name")
        pi = pd.to_numeric(f[col]).to_numpy(float)
        if not (np.isfinite(pi).all() and (pi > 0).all() and (pi <= 1).all()):
            raise ValueError(f"`weights` column {col!r} must hold keep probabilities in (0, 1]")
        w = 1.0 / pi
    return _Design(X, names, 1, y, fam, w, proxy_cols)


def _mean_effect(X, beta, w, t_index, binary_t, family, sd_t):
    """g-computation contrast per weight vector: X (n,p), beta (B,p), w (B,n) -> (B,)."""
    def mu(Xm):
        eta = Xm @ beta.T  # (n, B)
        return 1 / (1 + np.exp(-eta)) if family == "logistic" else eta
    if binary_t:
        X1, X0 = X.copy(), X.copy()
        X1[:, t_index], X0[:, t_index] = 1.0, 0.0
        diff = mu(X1) - mu(X0)
    else:
        if family == "logistic":
            p = mu(X)
            diff = p * (1 - p) * beta[:, t_index][None, :] * sd_t
        else:
            diff = np.broadcast_to(beta[:, t_index][None, :] * sd_t, (X.shape[0], beta.shape[0]))
    return np.sum(diff * w.T, axis=0) / np.sum(w, axis=1)


def _naive_thirds(rows: Rows, spec, treatment, outcome) -> Effect:
    f = rows.frame
    t = pd.to_numeric(f[spec.column(treatment)]).to_numpy(float)
    y = pd.to_numeric(f[spec.column(outcome)]).to_numpy(float)
    if spec.types[treatment] == "binary":
        hi, lo = t == 1, t == 0
    else:
        q1, q2 = np.quantile(t, [1 / 3, 2 / 3])
        hi, lo = t > q2, t <= q1
    a, b = y[hi], y[lo]
    diff = a.mean() - b.mean()
    pooled = np.concatenate([a, b]).mean()
    se = np.sqrt(pooled * (1 - pooled) * (1 / len(a) + 1 / len(b))) if spec.types[
        outcome] == "binary" else np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    se = max(se, 1e-12)
    p = float(2 * stats.norm.sf(abs(diff / se)))
    return Effect(treatment, outcome, "naive_thirds", float(diff),
                  (float(diff - 1.96 * se), float(diff + 1.96 * se)), float(diff), float(se), p,
                  frozenset(), None, len(f), True, ())


def estimate_effect(
    table: pd.DataFrame,
    spec: EvalSpec,
    treatment: str,
    outcome: str,
    *,
    adjust: str | Iterable[str] = "minimal",
    method: Method = "gcomp",
    weights: str | None = None,
    n_boot: int = 500,
    key,
    alpha: float = 0.05,
    reliability_threshold: float = RELIABILITY_THRESHOLD,
) -> Effect:
    """Estimate the effect of ``treatment`` on ``outcome`` by adjustment (the paper's
    Equation 1, back-door adjustment).

    ``gcomp`` fits a logistic (or linear) regression of the outcome on the treatment and the
    adjustment set; latent nodes with a declared proxy enter as their regression-calibrated
    proxy (``E[U | proxy, other regressors]``) and the plug-in fit runs alongside for the
    weak-proxy warning. ``ipw`` is the Hajek estimator with a logistic propensity, ``aipw`` the
    doubly robust one (binary treatments). ``weights="selection_prob"`` weights rows by
    ``1/pi`` from the spec's ``selection_weights`` column.

    Args:
        table: results table (long item x model rows for ``unit="item_model"``; rows of the
            reference models of an IRT proxy are used for the proxy only).
        spec: the declared assumptions.
        treatment, outcome: observed nodes.
        adjust: ``"minimal"`` or an explicit set of nodes.
        method: the estimator or one of the baselines ``naive_thirds``, ``unadjusted``,
            ``plugin_proxy``.
        weights: ``None``, ``"selection_prob"`` or a column of keep probabilities.
        n_boot: item-bootstrap replicates (vmapped fits); 0 skips the bootstrap.
        key: a JAX key.

    Raises:
        ValueError: bad nodes, a latent treatment, no valid adjustment set, bad columns,
            NaN/Inf or non-binary values in binary columns.
    """
    _check_common(table, spec, treatment, outcome, n_boot)
    methods = ("gcomp", "ipw", "aipw", "naive_thirds", "unadjusted", "plugin_proxy")
    if method not in methods:
        raise ValueError(f"`method` must be one of {methods}, got {method!r}")
    rng = key_to_rng(key)
    z = frozenset() if method in ("naive_thirds", "unadjusted") else resolve_adjustment(
        spec, treatment, outcome, adjust)
    spec.validate_table(table, [treatment, outcome, *[v for v in z if v in spec.columns]])
    rows = rows_of(table, spec)
    if method == "naive_thirds":
        return _naive_thirds(rows, spec, treatment, outcome)
    binary_t = spec.types[treatment] == "binary"
    if method in ("ipw", "aipw") and not binary_t:
        raise ValueError(f"`method={method!r}` needs a binary treatment; {treatment!r} is "
                         f"{spec.types[treatment]}")
    d = _build(rows, spec, treatment, outcome, z, weights, plugin=method == "plugin_proxy")
    notes: list[str] = []
    fit = fit_glm(d.X, d.y, family=d.family, weights=d.w, clusters=rows.clusters)
    if fit.note:
        notes.append(fit.note)
    coef, se = float(fit.beta[d.t_index]), float(fit.se[d.t_index])
    p_value = float(2 * stats.norm.sf(abs(coef / se))) if se > 0 else float("nan")
    sd_t = float(np.sqrt(np.average((d.X[:, 1] - np.average(d.X[:, 1], weights=d.w)) ** 2,
                                    weights=d.w)))
    w1 = d.w[None, :]
    if method in ("gcomp", "unadjusted", "plugin_proxy"):
        est = float(_mean_effect(d.X, fit.beta[None, :], w1, d.t_index, binary_t, d.family,
                                 sd_t)[0])
    else:
        est = float(_ipw(d, rows, method, w1)[0])
    if n_boot > 0:
        W = _boot_weights(rng, rows.clusters, n_boot) * d.w[None, :]
        if method in ("ipw", "aipw"):
            boots = _ipw(d, rows, method, W)
        else:
            betas = fit_glm_batch(d.X, d.y, W, family=d.family, init=fit.beta)
            boots = _mean_effect(d.X, betas, W, d.t_index, binary_t, d.family, sd_t)
        boots = boots[np.isfinite(boots)]
        ci = (float(np.quantile(boots, alpha / 2)), float(np.quantile(boots, 1 - alpha / 2)))
        if method in ("ipw", "aipw"):
            coef, se = est, float(np.std(boots, ddof=1))
            p_value = float(2 * stats.norm.sf(abs(est / se))) if se > 0 else float("nan")
    elif method in ("ipw", "aipw"):
        raise ValueError(f"`method={method!r}` takes its SE from the bootstrap; use n_boot > 0")
    else:
        zq = stats.norm.isf(alpha / 2)
        scale = est / coef if coef != 0 else 1.0
        ci = tuple(sorted((est - zq * se * abs(scale), est + zq * se * abs(scale))))
    proxy = None
    if d.proxy_cols and method != "plugin_proxy":
        v = sorted(d.proxy_cols)[0]
        idx, plug, rho, k = d.proxy_cols[v]
        Xp = d.X.copy()
        Xp[:, idx] = plug
        pfit = fit_glm(Xp, d.y, family=d.family, weights=d.w, clusters=rows.clusters)
        b_plug, se_plug = float(pfit.beta[d.t_index]), float(pfit.se[d.t_index])
        p_plug = float(2 * stats.norm.sf(abs(b_plug / se_plug))) if se_plug > 0 else 1.0
        warn = (rho is None or rho < reliability_threshold
                or abs(b_plug - float(fit.beta[d.t_index])) > float(fit.se[d.t_index]))
        proxy = ProxyDiagnostics(v, spec.proxies[v].kind, k, rho, b_plug, se_plug, p_plug,
                                 float(fit.beta[d.t_index]), float(fit.se[d.t_index]),
                                 bool(warn), proxy_advice(bool(warn), rho, k))
    return Effect(treatment, outcome, method, est, (float(ci[0]), float(ci[1])), coef, se,
                  p_value, z, proxy, len(d.y), bool(fit.converged), tuple(notes))


def _ipw(d: _Design, rows: Rows, method: str, W: np.ndarray) -> np.ndarray:
    """Hajek IPW / AIPW risk differences per weight vector ``W (B, n)``."""
    t = d.X[:, d.t_index]
    Xz = np.delete(d.X, d.t_index, axis=1)
    ps_beta = fit_glm_batch(Xz, t, W, family="logistic")
    e = np.clip(1 / (1 + np.exp(-(Xz @ ps_beta.T))).T, 1e-3, 1 - 1e-3)  # (B, n)
    y = d.y[None, :]
    a1 = W * t / e
    a0 = W * (1 - t) / (1 - e)
    if method == "ipw":
        return (a1 * y).sum(1) / a1.sum(1) - (a0 * y).sum(1) / a0.sum(1)
    ob = fit_glm_batch(d.X, d.y, W, family=d.family)
    X1, X0 = d.X.copy(), d.X.copy()
    X1[:, d.t_index], X0[:, d.t_index] = 1.0, 0.0
    link = (lambda x: 1 / (1 + np.exp(-x))) if d.family == "logistic" else (lambda x: x)
    m1, m0 = link(X1 @ ob.T).T, link(X0 @ ob.T).T
    psi = m1 - m0 + t * (y - m1) / e - (1 - t) * (y - m0) / (1 - e)
    return (W * psi).sum(1) / W.sum(1)
