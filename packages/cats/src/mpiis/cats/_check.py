"""Testing a spec's implications on a table (brief: "Implications", claim 4): Holm-corrected
CI tests, selection-weighted re-tests, Fisher's C, the permutation falsification baseline
(after DoWhy's ``falsify_graph``) and the ranking of candidate graphs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import jax
import numpy as np
import pandas as pd
from scipy import stats

from ._citests import ci_test, weighted_wald
from ._design import key_to_rng, rows_of
from ._features import holm
from ._irt import fit_irt
from ._spec import EvalSpec, implications

__all__ = ["CheckConfig", "Report", "check", "check_many"]


@dataclass(frozen=True, kw_only=True)
class CheckConfig:
    """Settings of :func:`check` and the estimators.

    Attributes:
        alpha: level of the Holm-corrected tests (0.05).
        max_cond: the largest conditioning set tested (3).
        n_perm: relabelled graphs of the falsification baseline (100).
        n_boot: bootstrap replicates of the estimators (500).
        reliability_threshold: the weak-proxy warning level (0.90).
    """

    alpha: float = 0.05
    max_cond: int = 3
    n_perm: int = 100
    n_boot: int = 500
    reliability_threshold: float = 0.90

    def __post_init__(self) -> None:
        if not 0 < self.alpha < 1:
            raise ValueError(f"`alpha` must lie in (0, 1), got {self.alpha!r}")
        for name in ("max_cond", "n_perm", "n_boot"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < 0:
                raise ValueError(f"`{name}` must be a non-negative int, got {v!r}")
        if not 0 < self.reliability_threshold <= 1:
            raise ValueError("`reliability_threshold` must lie in (0, 1], got "
                             f"{self.reliability_threshold!r}")

    @classmethod
    def tiny(cls) -> CheckConfig:
        """For tests: 10 permutations, 20 bootstrap replicates."""
        return cls(n_perm=10, n_boot=20)


@dataclass(frozen=True, eq=False)
class Report:
    """The outcome of :func:`check`.

    Attributes:
        rows: one row per implication: ``implication``, ``status``, ``test``, ``statistic``,
            ``p_value``, ``p_holm``, ``verdict`` (``contradicted`` / ``not_contradicted`` /
            ``untestable``), ``selection_induced``, ``proxy_limited``, ``reason``.
        fisher_c: ``{"statistic", "df", "p_value"}``: ``C = -2 sum ln p_k ~ chi2(2k)``.
        falsification: ``{"p_value", "n_perm", "contradicted", "perm_contradicted"}`` or
            ``None`` when ``n_perm = 0``.
    """

    rows: pd.DataFrame
    fisher_c: dict[str, float]
    falsification: dict[str, Any] | None
    alpha: float = 0.05
    notes: tuple[str, ...] = field(default=())

    @property
    def n_contradicted(self) -> int:
        return int((self.rows["verdict"] == "contradicted").sum())

    @property
    def n_testable(self) -> int:
        return int((self.rows["verdict"] != "untestable").sum())

    def summary(self) -> str:
        """A short text; the wording is never "supported"."""
        n_unt = int((self.rows["verdict"] == "untestable").sum())
        sel = int(self.rows["selection_induced"].sum())
        head = (f"{self.n_contradicted} of {self.n_testable} testable implications "
                f"contradicted at alpha={self.alpha} (Holm); {n_unt} untestable")
        if self.n_contradicted == 0:
            head += "; the graph is not contradicted by these tests"
        else:
            bad = self.rows.loc[self.rows["verdict"] == "contradicted", "implication"].tolist()
            head += f"; contradicted: {bad}"
        if sel:
            head += f"; {sel} dependence(s) look selection-induced (vanish under 1/pi weights)"
        fc = self.fisher_c
        if fc["df"] > 0:
            head += f". Fisher's C = {fc['statistic']:.2f} on {int(fc['df'])} df, " \
                    f"p = {fc['p_value']:.3g}"
        if self.falsification is not None:
            head += (f". Permutation baseline: p = {self.falsification['p_value']:.3f} over "
                     f"{self.falsification['n_perm']} relabelled graphs")
        return head + "."

    def to_markdown(self) -> str:
        cols = ["implication", "status", "test", "p_value", "p_holm", "verdict",
                "selection_induced", "proxy_limited", "reason"]
        lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        for _, r in self.rows.iterrows():
            cells = []
            for c in cols:
                v = r[c]
                cells.append(f"{v:.3g}" if isinstance(v, float) else str(v))
            lines.append("| " + " | ".join(cells) + " |")
        return self.summary() + "\n\n" + "\n".join(lines) + "\n"


class _Tester:
    """Runs (and caches) CI tests on the evaluation rows of one table."""

    def __init__(self, spec, table, ci, n_perm, key):
        rows = rows_of(table, spec)
        self.df = rows.frame.copy()
        self.clusters = rows.clusters if spec.unit == "item_model" else None
        self.types = {spec.columns[v]: spec.types[v] for v in spec.columns}
        for v, p in spec.proxies.items():
            col = f"__proxy_{v}"
            if p.kind == "irt" and rows.reference is not None and len(rows.reference):
                ycol = next((spec.columns[o] for o in spec.columns
                             if spec.types[o] == "binary"
                             and spec.columns[o] in rows.reference.columns), None)
                fit = fit_irt(rows.reference, item=spec.item_column, model=spec.model_column,
                              correct=ycol)
                index = {str(i): k for k, i in enumerate(fit.items)}
                self.df[col] = fit.difficulty[[index[str(i)] for i in
                                               self.df[spec.item_column]]]
            elif p.kind == "column":
                self.df[col] = pd.to_numeric(self.df[p.column])
            else:
                continue
            self.types[col] = "continuous"
        self.w = (1.0 / pd.to_numeric(self.df[spec.selection_weights]).to_numpy(float)
                  if spec.selection_weights else None)
        self.ci, self.n_perm, self.key = ci, n_perm, key
        self.cache: dict[Any, Any] = {}

    def col(self, spec, node):
        return spec.columns.get(node, f"__proxy_{node}")

    def run(self, x, y, given, weighted=None):
        k = (frozenset((x, y)), frozenset(given), weighted)
        if k not in self.cache:
            if weighted is None:
                self.cache[k] = ci_test(self.df, x, y, list(given), self.types, method=self.ci,
                                        clusters=self.clusters, n_perm=self.n_perm,
                                        key=self.key)
            else:
                w = self.w if weighted else np.ones(len(self.df))
                self.cache[k] = weighted_wald(self.df, x, y, list(given), self.types, w,
                                              clusters=self.clusters)
        return self.cache[k]


def _rows(spec: EvalSpec, tester: _Tester, max_cond: int, alpha: float) -> pd.DataFrame:
    out = []
    for imp in implications(spec, max_cond=max_cond):
        ind = imp.independence
        row = {"implication": str(imp), "x": ind.x, "y": ind.y, "given": tuple(ind.given),
               "status": ind.status, "test": "", "statistic": np.nan, "p_value": np.nan,
               "p_unweighted": np.nan, "selection_induced": False,
               "proxy_limited": imp.proxy_limited, "reason": ind.reason}
        if ind.status == "untestable" or (ind.status == "population" and tester.w is None):
            if ind.status == "population":
                row["reason"] += "; no selection_weights declared"
            row["status"] = "untestable"
            out.append(row)
            continue
        x, y = tester.col(spec, ind.x), tester.col(spec, ind.y)
        given = tuple(tester.col(spec, v) for v in ind.given)
        if ind.status == "population":
            rw = tester.run(x, y, given, weighted=True)
            ru = tester.run(x, y, given, weighted=False)
            row.update(test=rw.test, statistic=rw.statistic, p_value=rw.p_value,
                       p_unweighted=ru.p_value)
        else:
            r = tester.run(x, y, given)
            row.update(test=r.test, statistic=r.statistic, p_value=r.p_value)
        out.append(row)
    df = pd.DataFrame(out)
    if df.empty:
        df = pd.DataFrame(columns=["implication", "x", "y", "given", "status", "test",
                                   "statistic", "p_value", "p_unweighted", "selection_induced",
                                   "proxy_limited", "reason"])
    testable = df["status"] != "untestable"
    df["p_holm"] = np.nan
    if testable.any():
        df.loc[testable, "p_holm"] = holm(df.loc[testable, "p_value"].to_numpy(float))
    pu = df["p_unweighted"].to_numpy(float)
    sel_rows = testable & df["status"].eq("population")
    if sel_rows.any():
        pu_holm = holm(pu[sel_rows.to_numpy()])
        df.loc[sel_rows, "selection_induced"] = (pu_holm < alpha) & (
            df.loc[sel_rows, "p_holm"].to_numpy(float) >= alpha)
    df["verdict"] = np.where(~testable, "untestable",
                             np.where(df["p_holm"] < alpha, "contradicted", "not_contradicted"))
    return df


def check(spec: EvalSpec, table: pd.DataFrame, *, alpha: float = 0.05,
          correction: Literal["holm"] = "holm", ci_test: str = "auto", n_perm: int = 100,
          max_cond: int = 3, key) -> Report:
    """Test the spec's implications on ``table``.

    Testable implications get a CI test (``ci_test="auto"`` picks by type; item x model rows
    use item-clustered tests); population-only implications (selection) are tested unweighted
    and Hajek-weighted by ``1/pi`` and marked ``selection_induced`` when only the unweighted
    test rejects. p-values are Holm-corrected; verdicts are ``contradicted`` or
    ``not_contradicted`` (never "supported"). Adds Fisher's C and the permutation
    falsification baseline over ``n_perm`` relabellings of the observed nodes.

    Raises:
        ValueError: a bad argument or table (missing columns, NaN, non-binary binaries).
    """
    if not isinstance(spec, EvalSpec):
        raise TypeError(f"`spec` must be an EvalSpec, got {type(spec).__name__}")
    if correction != "holm":
        raise ValueError(f"`correction` must be 'holm', got {correction!r}")
    replace(CheckConfig(), alpha=alpha, n_perm=n_perm, max_cond=max_cond)  # validates
    spec.validate_table(table)
    jkey = key
    tester = _Tester(spec, table, ci_test, 100, jax.random.fold_in(jkey, 1))
    df = _rows(spec, tester, max_cond, alpha)
    ps = df.loc[df["verdict"] != "untestable", "p_value"].to_numpy(float)
    ps = np.clip(ps, 1e-300, 1.0)
    c = float(-2 * np.sum(np.log(ps))) if len(ps) else 0.0
    fc = {"statistic": c, "df": float(2 * len(ps)),
          "p_value": float(stats.chi2.sf(c, 2 * len(ps))) if len(ps) else 1.0}
    fals = None
    if n_perm > 0:
        rng = key_to_rng(jkey)
        obs = list(spec.columns)
        user = int((df["verdict"] == "contradicted").sum())
        counts = []
        for _ in range(n_perm):
            perm = rng.permutation(len(obs))
            mapping = {obs[i]: obs[j] for i, j in enumerate(perm)}
            g2 = spec.graph.rename(mapping)
            s2 = EvalSpec(g2, columns=spec.columns, types=spec.types, unit=spec.unit,
                          item_column=spec.item_column, model_column=spec.model_column,
                          proxies=spec.proxies, selection_weights=spec.selection_weights)
            d2 = _rows(s2, tester, max_cond, alpha)
            counts.append(int((d2["verdict"] == "contradicted").sum()))
        counts_a = np.asarray(counts)
        fals = {"p_value": float((1 + np.sum(counts_a <= user)) / (n_perm + 1)),
                "n_perm": int(n_perm), "contradicted": user,
                "perm_contradicted": counts_a.tolist()}
    return Report(df.drop(columns=["p_unweighted"]).assign(
        p_unweighted=df["p_unweighted"]), fc, fals, alpha)


def check_many(specs: Mapping[str, EvalSpec], table: pd.DataFrame, *, key, alpha: float = 0.05,
               n_perm: int = 100, max_cond: int = 3) -> pd.DataFrame:
    """Rank candidate graphs on one table: by contradicted implications, then Fisher's C, then
    the permutation p. It never declares a graph true.

    Returns:
        One row per spec: ``name``, ``testable``, ``contradicted``, ``fisher_c``, ``fisher_p``,
        ``falsification_p``, ``rank`` (1 = least contradicted).
    """
    if not isinstance(specs, Mapping) or not specs:
        raise ValueError("`specs` must be a non-empty mapping name -> EvalSpec")
    rows = []
    for i, (name, spec) in enumerate(specs.items()):
        r = check(spec, table, alpha=alpha, n_perm=n_perm, max_cond=max_cond,
                  key=jax.random.fold_in(key, i))
        rows.append({"name": name, "testable": r.n_testable, "contradicted": r.n_contradicted,
                     "fisher_c": r.fisher_c["statistic"], "fisher_p": r.fisher_c["p_value"],
                     "falsification_p": (r.falsification or {}).get("p_value", np.nan)})
    out = pd.DataFrame(rows).sort_values(["contradicted", "fisher_c", "falsification_p"],
                                         kind="stable").reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    return out
