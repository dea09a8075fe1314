"""Run the analyses a spec's CATs suggest (``diagnose``) and compare models by naive accuracy
vs IRT ability (``compare_models``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import jax
import numpy as np
import pandas as pd

from ._check import check
from ._design import key_to_rng, rows_of
from ._estimate import estimate_effect
from ._glm import fit_glm
from ._irt import fit_irt
from ._mediation import estimate_mediation
from ._spec import EvalSpec

__all__ = ["Finding", "compare_models", "diagnose"]


@dataclass(frozen=True)
class Finding:
    """One result of :func:`diagnose`.

    Attributes:
        kind: ``"effect"``, ``"mediation"``, ``"implication"`` or ``"selection"``.
        target: what was tested, in words (``"F -> Y"``).
        method: the estimator or test.
        estimate, p_value: the number and its p-value.
        verdict: ``"detected"``, ``"not detected"``, ``"contradicted"`` or
            ``"selection-induced"``.
        proxy_warning: the weak-proxy warning of the estimate.
        advice: one sentence.
        details: the full result object.
    """

    kind: str
    target: str
    method: str
    estimate: float
    p_value: float
    verdict: str
    proxy_warning: bool = False
    advice: str = ""
    details: Any = field(default=None, repr=False)


def _default_hypotheses(spec: EvalSpec) -> list[tuple[str, ...]]:
    g = spec.graph.to_networkx()
    obs = set(spec.columns)
    outs = [v for v in obs if spec.types[v] == "binary" and g.out_degree(v) == 0]
    hyps: list[tuple[str, ...]] = []
    for y in outs:
        for x in g.predecessors(y):
            if x not in obs or spec.types[x] == "categorical":
                continue
            meds = [m for m in g.successors(x) if m in obs and g.has_edge(m, y)
                    and spec.types[m] == "binary" and spec.types[x] == "binary"]
            if meds:
                hyps.append(("no_direct_effect", x, meds[0], y))
            elif not any(g.has_edge(x, m) and g.has_edge(m, y) for m in obs):
                hyps.append(("effect", x, y))
    return hyps


def diagnose(table: pd.DataFrame, spec: EvalSpec, *, key, n_boot: int = 200,
             alpha: float = 0.05) -> tuple[Finding, ...]:
    """Run every analysis the spec suggests: ``check`` of its implications, effects of the
    declared hypotheses (or, without any, of every observed cause of a binary outcome) and
    mediation where a binary mediator sits between them.

    Returns:
        Findings, implications first.
    """
    if not isinstance(spec, EvalSpec):
        raise TypeError(f"`spec` must be an EvalSpec, got {type(spec).__name__}")
    out: list[Finding] = []
    rep = check(spec, table, alpha=alpha, n_perm=0, key=jax.random.fold_in(key, 0))
    for _, r in rep.rows.iterrows():
        if r["verdict"] == "contradicted":
            out.append(Finding("implication", r["implication"], r["test"], r["statistic"],
                               r["p_holm"], "contradicted", False,
                               "the data contradict this implication: revise the graph"))
        if r["selection_induced"]:
            out.append(Finding("selection", r["implication"], r["test"], r["statistic"],
                               r["p_unweighted"], "selection-induced", False,
                               "the dependence vanishes under 1/pi weights: it is made by "
                               "the selection of items, not by the models"))
    hyps = [(h.kind, *h.nodes) for h in spec.hypotheses] or _default_hypotheses(spec)
    for i, h in enumerate(hyps):
        k = jax.random.fold_in(key, i + 1)
        if h[0] == "effect":
            e = estimate_effect(table, spec, h[1], h[2], n_boot=n_boot, key=k, alpha=alpha)
            out.append(Finding("effect", f"{h[1]} -> {h[2]}", e.method, e.estimate, e.p_value,
                               "detected" if e.p_value < alpha else "not detected",
                               e.proxy_warning, e.proxy.advice if e.proxy else "", e))
        elif h[0] == "no_direct_effect":
            m = estimate_mediation(table, spec, h[1], h[2], h[3], n_boot=max(n_boot, 20), key=k,
                                   alpha=alpha)
            out.append(Finding("mediation", f"{h[1]} -> {h[3]} not through {h[2]}", m.method,
                               m.nde, m.nde_p, "detected" if m.bypass else "not detected",
                               m.proxy_warning,
                               "a direct path bypasses the mediator" if m.bypass else "", m))
    return tuple(out)


def compare_models(table: pd.DataFrame, spec: EvalSpec, *, key, outcome: str | None = None,
                   adjust: Iterable[str] = (), n_boot: int = 200) -> pd.DataFrame:
    """Naive accuracy vs IRT ability of each evaluated model, with item-bootstrap CIs and ranks.

    The ability is the model's fixed effect in a logistic regression of success on model
    dummies and the IRT difficulty (EAP from the reference models) plus the ``adjust`` nodes
    (e.g. a contamination overlap proxy); with ``adjust`` the per-model slope of the first
    adjusted node is reported as ``adjust_slope`` (a contamination flag score).

    Returns:
        One row per evaluated model: ``model``, ``accuracy``, ``accuracy_lo/hi``,
        ``accuracy_rank``, ``ability``, ``ability_lo/hi``, ``ability_rank`` and
        ``adjust_slope`` when ``adjust`` is given.
    """
    if not isinstance(spec, EvalSpec):
        raise TypeError(f"`spec` must be an EvalSpec, got {type(spec).__name__}")
    if spec.unit != "item_model":
        raise ValueError("compare_models needs item x model rows: EvalSpec(unit='item_model')")
    outcome = outcome or next((v for v in spec.columns if spec.types[v] == "binary"
                               and spec.graph.to_networkx().out_degree(v) == 0), None)
    if outcome is None:
        raise ValueError("`outcome` not given and the spec has no binary sink node")
    adjust = list(adjust)
    spec.validate_table(table, [outcome, *adjust])
    rows = rows_of(table, spec)
    f = rows.frame
    y = pd.to_numeric(f[spec.column(outcome)]).to_numpy(float)
    models = np.asarray(sorted(f[spec.model_column].astype(str).unique()))
    mcode = np.searchsorted(models, f[spec.model_column].astype(str).to_numpy())
    M = len(models)
    D = np.zeros(len(f))
    irt_nodes = [v for v, p in spec.proxies.items() if p.kind == "irt"]
    if irt_nodes and rows.reference is not None:
        fit = fit_irt(rows.reference, item=spec.item_column, model=spec.model_column,
                      correct=spec.column(outcome))
        index = {str(i): k for k, i in enumerate(fit.items)}
        D = fit.difficulty[[index[str(i)] for i in f[spec.item_column].astype(str)]]
    onehot = np.eye(M)[mcode]
    cols = [onehot, D[:, None]]
    for v in adjust:
        a = pd.to_numeric(f[spec.column(v)]).to_numpy(float)
        cols.append(onehot * a[:, None] if v == adjust[0] else a[:, None])
    X = np.column_stack(cols)
    rng = key_to_rng(key)
    g = int(rows.clusters.max()) + 1
    counts = rng.multinomial(g, np.full(g, 1 / g), size=n_boot)[:, rows.clusters].astype(float)
    acc = np.array([y[mcode == j].mean() for j in range(M)])
    boot_acc = np.stack([(counts[:, mcode == j] * y[mcode == j]).sum(1)
                         / counts[:, mcode == j].sum(1) for j in range(M)], 1)
    from ._glm import fit_glm_batch

    full = fit_glm(X, y, clusters=rows.clusters)
    bb = fit_glm_batch(X, y, counts, init=full.beta)
    res = pd.DataFrame({"model": models, "accuracy": acc,
                        "accuracy_lo": np.quantile(boot_acc, 0.025, axis=0),
                        "accuracy_hi": np.quantile(boot_acc, 0.975, axis=0),
                        "ability": full.beta[:M],
                        "ability_lo": np.quantile(bb[:, :M], 0.025, axis=0),
                        "ability_hi": np.quantile(bb[:, :M], 0.975, axis=0)})
    if adjust:
        res["adjust_slope"] = full.beta[M + 1:2 * M + 1]
    res["accuracy_rank"] = res["accuracy"].rank(ascending=False, method="min").astype(int)
    res["ability_rank"] = res["ability"].rank(ascending=False, method="min").astype(int)
    return res
