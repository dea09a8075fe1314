"""Spurious-feature analyses of CAT-3 (brief: "Spurious features"): the label-bias test, the
paired-edit flip test, their combination, and the two baselines (per-feature slice accuracy,
and the Gardner-style label-only competency test)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["FlipTest", "holm", "label_bias_test", "paired_flip_test", "slice_accuracy_test",
           "spurious_features"]


def holm(p) -> np.ndarray:
    """Holm-adjusted p-values (step-down, monotone, capped at 1)."""
    p = np.asarray(p, dtype=float)
    m = len(p)
    if m == 0:
        return p
    order = np.argsort(p)
    adj = np.empty(m)
    run = 0.0
    for rank, i in enumerate(order):
        run = max(run, min(1.0, (m - rank) * p[i]))
        adj[i] = run
    return adj


def _binary(table: pd.DataFrame, col: str, arg: str) -> np.ndarray:
    if col not in table.columns:
        raise ValueError(f"`{arg}` names the missing column {col!r}; the table has "
                         f"{list(table.columns)}")
    v = pd.to_numeric(table[col], errors="coerce").to_numpy(float)
    bad = int((~np.isin(v, (0.0, 1.0))).sum())
    if bad:
        raise ValueError(f"column {col!r} must be binary 0/1 without NaN; {bad} row(s) of "
                         f"{len(v)} are not")
    return v


def label_bias_test(table: pd.DataFrame, features: Sequence[str], label: str, *,
                    alpha: float = 0.05) -> pd.DataFrame:
    """Per feature, is ``S ⊥ L``? Chi-squared on the 2x2 table of S against L, Fisher's exact
    test when an expected cell is below 5; Holm within the family. Alone, this is the
    Gardner-style competency test (the ``label_only`` baseline).

    Returns:
        One row per feature: ``feature``, ``log_odds_ratio``, ``test``, ``p_value``,
        ``p_holm``, ``reject``.
    """
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"`table` must be a pandas.DataFrame, got {type(table).__name__}")
    if isinstance(features, str) or not len(features):
        raise ValueError(f"`features` must be a non-empty list of columns, got {features!r}")
    L = _binary(table, label, "label")
    rows = []
    for f in features:
        S = _binary(table, f, "features")
        tab = np.array([[np.sum((S == a) & (L == b)) for b in (0, 1)] for a in (0, 1)])
        expected = tab.sum(1, keepdims=True) * tab.sum(0, keepdims=True) / max(tab.sum(), 1)
        if (tab.sum(1) == 0).any() or (tab.sum(0) == 0).any():
            p, test = 1.0, "degenerate"
        elif (expected < 5).any():
            p, test = float(stats.fisher_exact(tab)[1]), "fisher"
        else:
            p, test = float(stats.chi2_contingency(tab, correction=False)[1]), "chi2"
        lor = float(np.log((tab[1, 1] + 0.5) * (tab[0, 0] + 0.5)
                           / ((tab[1, 0] + 0.5) * (tab[0, 1] + 0.5))))
        rows.append({"feature": f, "log_odds_ratio": lor, "test": test, "p_value": p})
    out = pd.DataFrame(rows)
    out["p_holm"] = holm(out["p_value"].to_numpy())
    out["reject"] = out["p_holm"] < alpha
    return out


@dataclass(frozen=True)
class FlipTest:
    """Paired-edit flip tests, one row per feature in ``table``: ``n_pairs``,
    ``n_discordant``, ``n_toward`` (discordant pairs whose prediction moved in the direction of
    the edit), ``p_value`` (exact two-sided binomial sign test), ``p_holm``, ``reject``
    (Holm-rejected with more than half the discordant pairs toward the edit)."""

    table: pd.DataFrame

    def rejected(self) -> list[str]:
        return self.table.loc[self.table["reject"], "feature"].tolist()


def paired_flip_test(original: pd.DataFrame, edited: pd.DataFrame, *, item: str = "item_id",
                     prediction: str = "pred", feature: str | None = "feature",
                     edit_to: str = "edit_to", alpha: float = 0.05) -> FlipTest:
    """Does editing a feature move the prediction? (``do(S)``: under CAT-3 a competent model's
    prediction must not move.)

    Args:
        original: one row per item with ``item`` and ``prediction`` (0/1).
        edited: one row per edited copy: ``item``, ``prediction`` (after the edit), ``edit_to``
            (the feature's new value, 0/1) and ``feature`` (which feature was edited; ``None``
            when all rows edit one feature).

    Returns:
        A :class:`FlipTest` (Holm within the family of features).
    """
    for arg, df in (("original", original), ("edited", edited)):
        if not isinstance(df, pd.DataFrame):
            raise TypeError(f"`{arg}` must be a pandas.DataFrame, got {type(df).__name__}")
    need_o = [item, prediction]
    need_e = [item, prediction, edit_to] + ([feature] if feature else [])
    for arg, df, need in (("original", original, need_o), ("edited", edited, need_e)):
        miss = [c for c in need if c not in df.columns]
        if miss:
            raise ValueError(f"`{arg}` misses the columns {miss}; it has {list(df.columns)}")
    if original[item].duplicated().any():
        raise ValueError(f"`original` must have one row per {item!r}; "
                         f"{int(original[item].duplicated().sum())} duplicates")
    base = original.set_index(item)[prediction]
    p0 = pd.to_numeric(edited[item].map(base), errors="coerce").to_numpy(float)
    missing = int(np.isnan(p0).sum())
    if missing:
        raise ValueError(f"{missing} edited row(s) have no original prediction (unknown "
                         f"{item!r})")
    p1 = _binary(edited, prediction, "prediction")
    to = _binary(edited, edit_to, "edit_to")
    direction = np.where(to == 1, 1.0, -1.0)
    moved = p1 - p0
    groups = edited[feature].to_numpy() if feature else np.zeros(len(edited))
    rows = []
    for g in pd.unique(groups):
        sel = groups == g
        disc = moved[sel] != 0
        toward = int(np.sum(np.sign(moved[sel][disc]) == direction[sel][disc]))
        nd = int(disc.sum())
        p = float(stats.binomtest(toward, nd, 0.5).pvalue) if nd else 1.0
        rows.append({"feature": g, "n_pairs": int(sel.sum()), "n_discordant": nd,
                     "n_toward": toward, "p_value": p})
    out = pd.DataFrame(rows)
    out["p_holm"] = holm(out["p_value"].to_numpy())
    out["reject"] = (out["p_holm"] < alpha) & (out["n_toward"] > out["n_discordant"] / 2)
    return FlipTest(out)


def spurious_features(table: pd.DataFrame, edited: pd.DataFrame, features: Sequence[str], *,
                      label: str, item: str = "item_id", prediction: str = "pred",
                      alpha: float = 0.05) -> pd.DataFrame:
    """CAT-3's analysis: a feature is a monster when both the label-bias test and the flip
    test reject (Holm within each family)."""
    lb = label_bias_test(table, features, label, alpha=alpha)
    ft = paired_flip_test(table[[item, prediction]], edited[edited["feature"].isin(features)],
                          item=item, prediction=prediction, alpha=alpha).table
    out = lb.merge(ft, on="feature", suffixes=("_label", "_flip"))
    out["monster"] = out["reject_label"] & out["reject_flip"]
    return out


def slice_accuracy_test(table: pd.DataFrame, features: Sequence[str], correct: str, *,
                        alpha: float = 0.05) -> pd.DataFrame:
    """The naive baseline: per feature, does accuracy differ between ``S = 1`` and ``S = 0``?
    (two-proportion z-test, Holm)."""
    y = _binary(table, correct, "correct")
    rows = []
    for f in features:
        S = _binary(table, f, "features")
        a, b = y[S == 1], y[S == 0]
        if len(a) == 0 or len(b) == 0:
            rows.append({"feature": f, "difference": 0.0, "p_value": 1.0})
            continue
        pool = y.mean()
        se = np.sqrt(max(pool * (1 - pool), 1e-12) * (1 / len(a) + 1 / len(b)))
        d = a.mean() - b.mean()
        rows.append({"feature": f, "difference": float(d),
                     "p_value": float(2 * stats.norm.sf(abs(d) / se))})
    out = pd.DataFrame(rows)
    out["p_holm"] = holm(out["p_value"].to_numpy())
    out["reject"] = out["p_holm"] < alpha
    return out
