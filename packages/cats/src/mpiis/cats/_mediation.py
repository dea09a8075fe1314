"""Mediation by the mediation formula (brief: "Mediation formula") with regression-calibrated
proxies and an item bootstrap vmapped over fits; baseline ``stratified`` (test X in
``Y ~ X + M`` without adjustment)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from ._design import (
    ProxyDiagnostics,
    calibrated_proxy,
    key_to_rng,
    model_dummies,
    node_matrix,
    proxy_advice,
    rows_of,
)
from ._estimate import RELIABILITY_THRESHOLD, _boot_weights, _check_common, resolve_adjustment
from ._glm import fit_glm, fit_glm_batch
from ._spec import EvalSpec

__all__ = ["MediationEffect", "estimate_mediation"]


@dataclass(frozen=True)
class MediationEffect:
    """Natural direct and indirect effects (probability scale for a binary outcome).

    Attributes:
        nde, nie, te, pm: estimates (``te = nde + nie``, ``pm = nie / te``).
        nde_ci, nie_ci, te_ci, pm_ci: bootstrap percentile intervals.
        nde_p: two-sided bootstrap p-value of NDE = 0 (Wald for ``stratified``).
        bypass: the NDE interval excludes 0 (the answer bypasses the mediator).
        adjustment_set: nodes adjusted for in both models.
        proxy: weak-proxy diagnostics (the outcome model's treatment coefficient).
        method: ``"formula"`` or ``"stratified"``.
    """

    treatment: str
    mediator: str
    outcome: str
    method: str
    nde: float
    nie: float
    te: float
    pm: float
    nde_ci: tuple[float, float]
    nie_ci: tuple[float, float]
    te_ci: tuple[float, float]
    pm_ci: tuple[float, float]
    nde_p: float
    bypass: bool
    adjustment_set: frozenset[str]
    proxy: ProxyDiagnostics | None = None
    n: int = 0
    notes: tuple[str, ...] = field(default=())

    @property
    def proxy_warning(self) -> bool:
        return bool(self.proxy is not None and self.proxy.warning)

    def detects(self, sign: int | None = None) -> bool:
        """Bypass found (with the given sign of NDE)."""
        return bool(self.bypass and (sign is None or np.sign(self.nde) == np.sign(sign)))


def _formula(Xm, Xy, bm, by, w, family, xi, mi_y):
    """NDE/NIE per replicate: Xm (n, pm), Xy (n, py), bm (B, pm), by (B, py), w (B, n)."""
    sig = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    link = sig if family == "logistic" else (lambda x: x)

    def set_cols(X, cols):
        X = X.copy()
        for c, v in cols.items():
            X[:, c] = v
        return X

    pm0 = sig(set_cols(Xm, {xi: 0.0}) @ bm.T)  # (n, B)
    pm1 = sig(set_cols(Xm, {xi: 1.0}) @ bm.T)
    ey = {(x, m): link(set_cols(Xy, {xi: float(x), mi_y: float(m)}) @ by.T)
          for x in (0, 1) for m in (0, 1)}
    nde_i = (ey[1, 1] - ey[0, 1]) * pm0 + (ey[1, 0] - ey[0, 0]) * (1 - pm0)
    nie_i = (ey[1, 1] - ey[1, 0]) * (pm1 - pm0)
    tot = w.sum(1)
    return (nde_i * w.T).sum(0) / tot, (nie_i * w.T).sum(0) / tot


def estimate_mediation(
    table: pd.DataFrame,
    spec: EvalSpec,
    treatment: str,
    mediator: str,
    outcome: str,
    *,
    adjust: str | Iterable[str] = "minimal",
    method: Literal["formula", "stratified"] = "formula",
    n_boot: int = 500,
    key,
    alpha: float = 0.05,
    reliability_threshold: float = RELIABILITY_THRESHOLD,
) -> MediationEffect:
    """Natural direct and indirect effects by the mediation formula:

    ``NDE = mean_i sum_m [E(Y|1,m,z_i) - E(Y|0,m,z_i)] P(m|0,z_i)``,
    ``NIE = mean_i sum_m E(Y|1,m,z_i) [P(m|1,z_i) - P(m|0,z_i)]``, ``TE = NDE + NIE``,
    ``PM = NIE / TE``. The adjustment set blocks treatment-outcome and mediator-outcome
    back-door paths; a latent node with a proxy enters the M-model calibrated on X and the
    Y-model calibrated on (X, M). A bypass is flagged when the bootstrap CI of NDE excludes 0.

    Args:
        treatment, mediator: binary observed nodes; outcome: binary or continuous.
        method: ``"formula"`` or the baseline ``"stratified"`` (X in ``Y ~ X + M``, no
            adjustment, Wald test).
        n_boot: item-bootstrap replicates (``formula`` needs at least 20).
        key: a JAX key.

    Raises:
        ValueError: bad nodes or types, no valid adjustment set, bad table columns.
    """
    _check_common(table, spec, treatment, outcome, n_boot)
    spec.graph.check_nodes([mediator], "mediator")
    if mediator in (treatment, outcome):
        raise ValueError(f"`mediator` {mediator!r} must differ from treatment and outcome")
    for arg, v in (("treatment", treatment), ("mediator", mediator)):
        if v not in spec.columns or spec.types[v] != "binary":
            raise ValueError(f"`{arg}` {v!r} must be an observed binary node, got "
                             f"{spec.types.get(v, 'latent')}")
    if method not in ("formula", "stratified"):
        raise ValueError(f"`method` must be 'formula' or 'stratified', got {method!r}")
    rng = key_to_rng(key)
    rows = rows_of(table, spec)
    f = rows.frame
    n = len(f)
    x = pd.to_numeric(f[spec.column(treatment)]).to_numpy(float)
    m = pd.to_numeric(f[spec.column(mediator)]).to_numpy(float)
    y = pd.to_numeric(f[spec.column(outcome)]).to_numpy(float)
    fam = "logistic" if spec.types[outcome] == "binary" else "linear"
    md, _ = model_dummies(f, spec)
    if method == "stratified":
        spec.validate_table(table, [treatment, mediator, outcome])
        X = np.column_stack([np.ones(n), x, m, md])
        fit = fit_glm(X, y, family=fam, clusters=rows.clusters)
        coef, se = float(fit.beta[1]), float(fit.se[1])
        p = float(2 * stats.norm.sf(abs(coef / se)))
        zq = stats.norm.isf(alpha / 2)
        X1, X0 = X.copy(), X.copy()
        X1[:, 1], X0[:, 1] = 1.0, 0.0
        link = (lambda e: 1 / (1 + np.exp(-e))) if fam == "logistic" else (lambda e: e)
        nde = float(np.mean(link(X1 @ fit.beta) - link(X0 @ fit.beta)))
        ci = (coef - zq * se, coef + zq * se)
        return MediationEffect(treatment, mediator, outcome, "stratified", nde,
                               float("nan"), float("nan"), float("nan"), ci,
                               (np.nan, np.nan), (np.nan, np.nan), (np.nan, np.nan), p,
                               bool(p < alpha), frozenset(), None, n, ())
    if n_boot < 20:
        raise ValueError(f"`n_boot` must be at least 20 for the mediation formula, got {n_boot}")
    z_xy = resolve_adjustment(spec, treatment, outcome, adjust)
    z_my = resolve_adjustment(spec, mediator, outcome, adjust) - {treatment}
    z = frozenset(z_xy | z_my) - {mediator}
    spec.validate_table(table, [treatment, mediator, outcome,
                                *[v for v in z if v in spec.columns]])
    obs_cols = [node_matrix(f, spec, v)[0] for v in sorted(z) if v in spec.columns]
    base = np.column_stack([np.ones(n), x, *obs_cols, md])
    Xm, Xy = base.copy(), np.column_stack([base, m])
    proxy, notes = None, []
    for v in sorted(z):
        if v not in spec.proxies:
            continue
        cal_m, plug, rho, k, irt = calibrated_proxy(rows, spec, v, Xm[:, 1:],
                                                    correct_column=spec.column(outcome))
        cal_y, _, _, _, _ = calibrated_proxy(rows, spec, v, Xy[:, 1:], irt=irt,
                                             correct_column=spec.column(outcome))
        Xm, Xy = np.column_stack([Xm, cal_m]), np.column_stack([Xy, cal_y])
        fy = fit_glm(Xy, y, family=fam, clusters=rows.clusters)
        Xp = Xy.copy()
        Xp[:, -1] = plug
        fp = fit_glm(Xp, y, family=fam, clusters=rows.clusters)
        b_cal, se_cal, b_plug = float(fy.beta[1]), float(fy.se[1]), float(fp.beta[1])
        warn = rho is None or rho < reliability_threshold or abs(b_plug - b_cal) > se_cal
        p_plug = float(2 * stats.norm.sf(abs(b_plug / fp.se[1])))
        proxy = ProxyDiagnostics(v, spec.proxies[v].kind, k, rho, b_plug, float(fp.se[1]),
                                 p_plug, b_cal, se_cal, bool(warn),
                                 proxy_advice(bool(warn), rho, k))
    mi_y = base.shape[1]
    fm = fit_glm(Xm, m, family="logistic", clusters=rows.clusters)
    fy = fit_glm(Xy, y, family=fam, clusters=rows.clusters)
    notes += [fit.note for fit in (fm, fy) if fit.note]
    nde, nie = _formula(Xm, Xy, fm.beta[None, :], fy.beta[None, :], np.ones((1, n)), fam, 1,
                        mi_y)
    W = _boot_weights(rng, rows.clusters, n_boot)
    bm = fit_glm_batch(Xm, m, W, family="logistic", init=fm.beta)
    by = fit_glm_batch(Xy, y, W, family=fam, init=fy.beta)
    bnde, bnie = _formula(Xm, Xy, bm, by, W, fam, 1, mi_y)
    bte = bnde + bnie
    with np.errstate(divide="ignore", invalid="ignore"):
        bpm = bnie / bte

    def ci(v):
        v = v[np.isfinite(v)]
        return (float(np.quantile(v, alpha / 2)), float(np.quantile(v, 1 - alpha / 2)))

    nde_ci = ci(bnde)
    p = float(min(1.0, 2 * min(np.mean(bnde <= 0), np.mean(bnde >= 0)) + 1.0 / (n_boot + 1)))
    te = float(nde[0] + nie[0])
    return MediationEffect(treatment, mediator, outcome, "formula", float(nde[0]),
                           float(nie[0]), te, float(nie[0] / te) if te != 0 else float("nan"),
                           nde_ci, ci(bnie), ci(bte), ci(bpm), p,
                           bool(nde_ci[0] > 0 or nde_ci[1] < 0), z, proxy, n, tuple(notes))
