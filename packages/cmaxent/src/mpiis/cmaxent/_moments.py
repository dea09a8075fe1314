"""The moment table: which variable subsets were observed, and their first and second moments.

CMAXENT (§2 of the paper) only sees moments of order <= 2: m_Y = E[Y], m_i = E[X_i],
s_ij = E[X_i X_j] for pairs observed together, and m_iY = E[X_i Y] for i in O, the predictors
observed jointly with Y. A moment provided by several datasets is pooled by the sample-size
weighted mean over those datasets.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mpiis.shared.validation import check_array

__all__ = ["MomentTable"]

_SEP = "|"


@dataclass(frozen=True, slots=True)
class _Subset:
    """Raw moments of one dataset: ``names`` (d,), ``mean`` (d,), ``second`` (d, d), ``n``."""

    names: tuple[str, ...]
    n: int
    mean: np.ndarray
    second: np.ndarray


def _check_names(key: Any, where: str) -> tuple[str, ...]:
    if isinstance(key, str) or not isinstance(key, Sequence):
        raise TypeError(f"`{where}` must be a tuple of column names, got {key!r}")
    names = tuple(key)
    for nm in names:
        if not isinstance(nm, str) or not nm:
            raise TypeError(f"`{where}` must hold non-empty str column names, got {nm!r}")
        if _SEP in nm:
            raise ValueError(f"`{where}`: column names must not contain {_SEP!r}, got {nm!r}")
    dup = sorted({nm for nm in names if names.count(nm) > 1})
    if dup:
        raise ValueError(f"`{where}` must not repeat a column, got {names} (duplicated: {dup})")
    return names


def _check_consistent(all_names: Sequence[str]) -> None:
    seen: dict[str, str] = {}
    for nm in all_names:
        norm = nm.strip().casefold()
        if norm in seen and seen[norm] != nm:
            raise ValueError(
                f"`datasets`: variable names must be spelled consistently, got {seen[norm]!r} "
                f"and {nm!r} for what looks like the same variable"
            )
        seen.setdefault(norm, nm)


class MomentTable:
    """Observed moments of (X_1..X_k, Y) from datasets that each saw a subset of the variables.

    Build one with :meth:`from_datasets` (raw arrays or DataFrames), :meth:`from_population`
    (exact moments) or :meth:`from_csv` (published summary statistics, long format).

    Attributes:
        predictors: the predictor names X_1..X_k, in the order of every (k,) array.
        target: the name of the binary target Y.
        observed_with_target: O, the predictors observed jointly with Y.
        observed_pairs: the predictor pairs (i < j) observed jointly.
        pattern: (k, k) bool, True where E[X_i X_j] is observed (diagonal always True).
        n: total number of rows over all datasets.
        m_y: pooled E[Y].
        mean: (k,) pooled E[X_i].
        second: (k, k) pooled E[X_i X_j], 0 where not observed.
        cross: (k,) pooled E[X_i Y], 0 outside O.
        obs_y: (k,) bool, True for i in O.
    """

    def __init__(self, subsets: Sequence[_Subset], *, target: str,
                 predictors: Sequence[str] | None = None) -> None:
        if not isinstance(target, str) or not target:
            raise TypeError(f"`target` must be a non-empty str, got {target!r}")
        if not subsets:
            raise ValueError("`datasets` must hold at least one dataset, got none")
        self._subsets = tuple(subsets)
        names_seen: list[str] = []
        for s in self._subsets:
            names_seen.extend(nm for nm in s.names if nm not in names_seen)
        _check_consistent(names_seen + ([target] if target not in names_seen else []))
        if not any(target in s.names for s in self._subsets):
            raise ValueError(
                f"`target` ({target!r}) must appear in at least one dataset, got datasets over "
                f"{[s.names for s in self._subsets]}"
            )
        found = [nm for nm in names_seen if nm != target]
        if predictors is None:
            preds = tuple(found)
        else:
            preds = _check_names(predictors, "predictors")
            missing = [p for p in preds if p not in found]
            if missing:
                raise ValueError(
                    f"`predictors` must each appear in some dataset; {missing} appear in none "
                    f"(datasets cover {found})"
                )
            extra = [p for p in found if p not in preds]
            if extra:
                raise ValueError(f"`predictors` must list every predictor, missing {extra}")
            if target in preds:
                raise ValueError(f"`predictors` must not contain the target {target!r}")
        if not preds:
            raise ValueError("`datasets` must contain at least one predictor besides the target")
        self.predictors: tuple[str, ...] = preds
        self.target = target
        self._pool()

    # ------------------------------------------------------------------ pooling
    def _pool(self) -> None:
        k = len(self.predictors)
        idx = {nm: i for i, nm in enumerate(self.predictors)}
        idx[self.target] = k
        num = np.zeros((k + 1, k + 1))
        den = np.zeros((k + 1, k + 1))
        mnum = np.zeros(k + 1)
        mden = np.zeros(k + 1)
        for s in self._subsets:
            pos = np.array([idx[nm] for nm in s.names])
            num[np.ix_(pos, pos)] += s.n * s.second
            den[np.ix_(pos, pos)] += s.n
            mnum[pos] += s.n * s.mean
            mden[pos] += s.n
        seen = den > 0
        second = np.where(seen, num / np.where(seen, den, 1.0), 0.0)
        mean = mnum / np.where(mden > 0, mden, 1.0)
        self.m_y = float(mean[k])
        self.mean = mean[:k].copy()
        self.pattern = seen[:k, :k].copy()
        self.second = second[:k, :k].copy()
        self.obs_y = seen[:k, k].copy()
        self.cross = second[:k, k].copy()
        self.n = int(sum(s.n for s in self._subsets))
        if not 0.0 < self.m_y < 1.0:
            raise ValueError(f"m_Y = E[`{self.target}`] must lie in (0, 1), got {self.m_y}")
        var = np.diag(self.second) - self.mean**2
        for nm, v in zip(self.predictors, var, strict=True):
            if not v > 0:
                raise ValueError(f"the pooled variance of `{nm}` must be > 0, got {v}")
        for a in (self.mean, self.second, self.cross):
            if not np.isfinite(a).all():
                raise ValueError("every moment must be finite, got NaN or Inf after pooling")

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_datasets(cls, datasets: Mapping[tuple[str, ...], Any], *, target: str = "Y",
                      predictors: Sequence[str] | None = None) -> MomentTable:
        """Moments from raw datasets, one (n, len(key)) array (or DataFrame) per key.

        Args:
            datasets: ``{("X1", "Y"): array (n1, 2), ("X1", "X2"): array (n2, 2), ...}``. A
                pandas DataFrame is accepted as a value (its ``.to_numpy()`` is used, and its
                ``.columns`` must equal the key).
            target: the binary target's name; its column must hold 0/1 values.
            predictors: the predictor order (default: order of first appearance).

        Raises:
            ValueError / TypeError: on every malformed input (see the brief's list).
        """
        if not isinstance(datasets, Mapping):
            raise TypeError(f"`datasets` must be a mapping {{names: array}}, got "
                            f"{type(datasets).__name__}")
        subsets = []
        for key, arr in datasets.items():
            names = _check_names(key, "datasets key")
            if hasattr(arr, "to_numpy") and hasattr(arr, "columns"):
                cols = tuple(str(c) for c in arr.columns)
                if cols != names:
                    raise ValueError(f"`datasets[{names}]` columns must equal the key, got {cols}")
                arr = arr.to_numpy()
            a = check_array(arr, f"datasets[{names}]", ndim=2, shape=(None, len(names)),
                            min_rows=2)
            a = np.asarray(a, dtype=np.float64)
            if target in names:
                col = a[:, names.index(target)]
                if not np.isin(col, (0.0, 1.0)).all():
                    vals = np.unique(col)
                    raise ValueError(
                        f"`{target}` must be binary with values 0/1 (v1 is binary; multi-class "
                        f"is not supported), got values {vals[:5].tolist()}"
                        + ("..." if len(vals) > 5 else "")
                    )
            n = a.shape[0]
            subsets.append(_Subset(names, n, a.mean(axis=0), a.T @ a / n))
        return cls(subsets, target=target, predictors=predictors)

    @classmethod
    def from_population(cls, *, mean: Any, second_moment: Any,
                        observed: Sequence[tuple[str, ...]], names: Sequence[str],
                        target: str = "Y") -> MomentTable:
        """Exact moments (for tests and synthetic studies).

        Args:
            mean: (k+1,) E[V] for every variable in ``names`` (target included).
            second_moment: (k+1, k+1) E[V V^T].
            observed: the subsets seen jointly, e.g. ``[("X1", "Y"), ("X2", "Y")]``.
            names: the names of the entries of ``mean``.
            target: the target's name (must be in ``names``).
        """
        names = _check_names(names, "names")
        d = len(names)
        mu = np.asarray(check_array(mean, "mean", ndim=1, shape=(d,)), dtype=np.float64)
        s2 = np.asarray(check_array(second_moment, "second_moment", ndim=2, shape=(d, d)),
                        dtype=np.float64)
        if target not in names:
            raise ValueError(f"`target` ({target!r}) must be one of `names` {names}")
        subsets = []
        for sub in observed:
            sn = _check_names(sub, "observed")
            bad = [nm for nm in sn if nm not in names]
            if bad:
                raise ValueError(f"`observed` names must be in `names` {names}, got {bad}")
            pos = np.array([names.index(nm) for nm in sn])
            subsets.append(_Subset(sn, 1, mu[pos].copy(), s2[np.ix_(pos, pos)].copy()))
        preds = [nm for nm in names if nm != target]
        return cls(subsets, target=target, predictors=preds)

    @classmethod
    def from_csv(cls, path: str | Path, *, target: str = "Y") -> MomentTable:
        """Read the long format ``subset,moment,vars,value,n`` (see :meth:`to_csv`)."""
        rows: dict[tuple[str, ...], dict[str, Any]] = {}
        with open(path, newline="") as fh:
            reader = csv.DictReader(fh)
            need = {"subset", "moment", "vars", "value", "n"}
            if reader.fieldnames is None or not need <= set(reader.fieldnames):
                raise ValueError(f"`path` must be a CSV with columns {sorted(need)}, got "
                                 f"{reader.fieldnames}")
            for line, row in enumerate(reader, start=2):
                sub = _check_names(tuple(row["subset"].split(_SEP)), f"subset (line {line})")
                ent = rows.setdefault(sub, {"n": None, "m": {}, "s": {}})
                try:
                    n, value = int(row["n"]), float(row["value"])
                except ValueError as exc:
                    raise ValueError(f"`path` line {line}: bad number ({exc})") from exc
                if not np.isfinite(value):
                    raise ValueError(f"`path` line {line}: value must be finite, got {value}")
                if n < 1:
                    raise ValueError(f"`path` line {line}: n must be >= 1, got {n}")
                ent["n"] = n
                vs = tuple(row["vars"].split(_SEP))
                if row["moment"] == "mean" and len(vs) == 1 and vs[0] in sub:
                    ent["m"][vs[0]] = value
                elif row["moment"] == "second" and len(vs) == 2 and set(vs) <= set(sub):
                    ent["s"][vs] = ent["s"][vs[::-1]] = value
                else:
                    raise ValueError(f"`path` line {line}: moment must be 'mean' (one var) or "
                                     f"'second' (two vars) of the subset, got {row['moment']!r} "
                                     f"of {vs}")
        subsets = []
        for sub, ent in rows.items():
            d = len(sub)
            try:
                mean = np.array([ent["m"][a] for a in sub])
                second = np.array([[ent["s"][(a, b)] for b in sub] for a in sub])
            except KeyError as exc:
                raise ValueError(f"`path`: subset {sub} lacks the moment {exc}") from exc
            assert second.shape == (d, d)
            subsets.append(_Subset(sub, ent["n"], mean, second))
        return cls(subsets, target=target)

    def to_csv(self, path: str | Path) -> None:
        """Write the raw per-dataset moments in long format (columns subset,moment,vars,value,n).

        Pooling happens again on reading, so ``from_csv(to_csv(t))`` equals ``t``.
        """
        with open(path, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["subset", "moment", "vars", "value", "n"])
            for s in self._subsets:
                sub = _SEP.join(s.names)
                for i, a in enumerate(s.names):
                    w.writerow([sub, "mean", a, repr(float(s.mean[i])), s.n])
                for i, a in enumerate(s.names):
                    for j in range(i, len(s.names)):
                        w.writerow([sub, "second", f"{a}{_SEP}{s.names[j]}",
                                    repr(float(s.second[i, j])), s.n])

    # ------------------------------------------------------------------ views
    @property
    def k(self) -> int:
        """Number of predictors."""
        return len(self.predictors)

    @property
    def observed_with_target(self) -> tuple[str, ...]:
        return tuple(p for p, o in zip(self.predictors, self.obs_y, strict=True) if o)

    @property
    def observed_pairs(self) -> tuple[tuple[str, str], ...]:
        k = self.k
        return tuple((self.predictors[i], self.predictors[j]) for i in range(k)
                     for j in range(i + 1, k) if self.pattern[i, j])

    @property
    def var(self) -> np.ndarray:
        """(k,) Var X_i from the pooled moments."""
        return np.diag(self.second) - self.mean**2

    @property
    def cov_observed(self) -> np.ndarray:
        """(k, k) Cov(X_i, X_j) on observed pairs, 0 elsewhere."""
        return np.where(self.pattern, self.second - np.outer(self.mean, self.mean), 0.0)

    @property
    def cov_y(self) -> np.ndarray:
        """(k,) c_i = Cov(X_i, Y) = m_iY - m_i m_Y on O, 0 elsewhere."""
        return np.where(self.obs_y, self.cross - self.mean * self.m_y, 0.0)

    @property
    def datasets(self) -> tuple[tuple[tuple[str, ...], int], ...]:
        """The observed subsets and their sizes."""
        return tuple((s.names, s.n) for s in self._subsets)

    def subset(self, predictors: Sequence[str]) -> MomentTable:
        """The table restricted to ``predictors`` (datasets lose the other columns)."""
        keep = _check_names(predictors, "predictors")
        bad = [p for p in keep if p not in self.predictors]
        if bad:
            raise ValueError(f"`predictors` must be among {self.predictors}, got {bad}")
        out = []
        for s in self._subsets:
            pos = [i for i, nm in enumerate(s.names) if nm in keep or nm == self.target]
            if pos:
                p = np.array(pos)
                out.append(_Subset(tuple(s.names[i] for i in pos), s.n, s.mean[p],
                                   s.second[np.ix_(p, p)]))
        return MomentTable(out, target=self.target, predictors=keep)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MomentTable):
            return NotImplemented
        return (self.predictors == other.predictors and self.target == other.target
                and self.m_y == other.m_y and np.array_equal(self.mean, other.mean)
                and np.array_equal(self.second, other.second)
                and np.array_equal(self.cross, other.cross)
                and np.array_equal(self.pattern, other.pattern)
                and np.array_equal(self.obs_y, other.obs_y))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (f"MomentTable(predictors={self.predictors}, target={self.target!r}, "
                f"O={self.observed_with_target}, pairs={self.observed_pairs}, n={self.n})")
