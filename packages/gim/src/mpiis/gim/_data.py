"""Perturbation data: a control set plus K perturbed contexts with features (brief, "Data").

Fitting reads only the per-context sufficient statistics ``n_k``, ``x̄_k`` and
``C_k = (1/n_k) Σ (x - x̄_k)(x - x̄_k)ᵀ`` [brief: decision], so a data set of any size costs
O(K d²) memory during a fit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from mpiis.shared.validation import check_array

__all__ = ["PerturbationData", "SufficientStats", "Truth"]


@dataclass(frozen=True, kw_only=True)
class Truth:
    """The data-generating parameters of a synthetic data set.

    Attributes:
        graph: the true causal graph, nodes ``0..d-1``, edge attribute ``weight``.
        weights: ``(d, d)`` edge weights ``B``; ``B[i, j] != 0`` means ``i -> j``.
        targets: ``(K, d)`` 0/1 intervention targets of each perturbed context.
        shifts: ``(K, d)`` the shift applied in each context (0 off target).
        bias: ``(d,)`` intercepts ``b`` (optional).
        noise_std: ``(d,)`` noise scales ``σ`` (optional).
    """

    graph: nx.DiGraph
    weights: np.ndarray
    targets: np.ndarray
    shifts: np.ndarray
    bias: np.ndarray | None = None
    noise_std: np.ndarray | None = None

    def subset(self, idx: np.ndarray) -> Truth:
        return Truth(graph=self.graph, weights=self.weights, targets=self.targets[idx],
                     shifts=self.shifts[idx], bias=self.bias, noise_std=self.noise_std)


@dataclass(frozen=True, kw_only=True)
class SufficientStats:
    """Per-context sufficient statistics; row 0 is the control.

    Attributes:
        n: ``(K+1,)`` cell counts (float).
        mean: ``(K+1, d)`` context means ``x̄_k``.
        cov: ``(K+1, d, d)`` context scatter matrices ``C_k`` (divided by ``n_k``).
    """

    n: np.ndarray
    mean: np.ndarray
    cov: np.ndarray

    @property
    def total(self) -> float:
        return float(self.n.sum())

    @property
    def pooled(self) -> np.ndarray:
        """``Σ_k n_k C_k``, the scatter that pools over contexts for shift-only models."""
        return np.einsum("k,kab->ab", self.n, self.cov)


def _stats_of(x: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    m = x.mean(0)
    xc = x - m
    return float(len(x)), m, xc.T @ xc / len(x)


@dataclass(frozen=True, eq=False)
class PerturbationData:
    """A control set and K perturbed contexts, each with a feature vector ``γ_k``.

    Build it with :meth:`from_arrays` (or :func:`from_anndata`). Context 0 in
    :meth:`stats` is the control, which has no intervention and no features.

    Attributes:
        xs: the K perturbed contexts, each ``(n_k, d)``.
        features: ``(K, p)`` perturbation features ``γ_k``.
        control: ``(n0, d)`` control cells.
        names: one name per context.
        truth: the generating parameters, for synthetic data.
    """

    xs: tuple[np.ndarray, ...]
    features: np.ndarray
    control: np.ndarray
    names: tuple[str, ...]
    truth: Truth | None = None
    _stats: list = field(default_factory=list, repr=False)

    @classmethod
    def from_arrays(
        cls,
        xs: Sequence[np.ndarray],
        features: np.ndarray,
        *,
        control: np.ndarray,
        names: Sequence[str] | None = None,
        truth: Truth | None = None,
    ) -> PerturbationData:
        """Validate and wrap arrays.

        Args:
            xs: K arrays ``(n_k, d)``, one per perturbed context (``n_k >= 2``).
            features: ``(K, p)`` features, one row per context.
            control: ``(n0, d)`` control cells (``n0 >= 2``).
            names: optional context names (default ``"context{k}"``).
            truth: optional :class:`Truth`.

        Raises:
            ValueError: NaN/Inf, a row-count mismatch, inconsistent ``d``, or a context with
                fewer than 2 cells.
            TypeError: a missing control or non-numeric arrays.
        """
        if control is None:
            raise TypeError("`control` must be an array (n0, d) of control cells, got None")
        control = check_array(control, "control", ndim=2).astype(np.float64)
        if len(control) < 2:
            raise ValueError(f"`control` must have at least 2 cells, got {len(control)}")
        d = control.shape[1]
        if isinstance(xs, np.ndarray) and xs.ndim == 3:
            xs = list(xs)
        if not isinstance(xs, Sequence) or len(xs) == 0:
            raise TypeError(f"`xs` must be a non-empty sequence of (n_k, d) arrays, got {xs!r:.60}")
        checked = []
        for k, x in enumerate(xs):
            x = check_array(x, f"xs[{k}]", ndim=2).astype(np.float64)
            if x.shape[1] != d:
                raise ValueError(
                    f"`xs[{k}]` must have d = {d} columns like `control`, got {x.shape[1]}"
                )
            if len(x) < 2:
                raise ValueError(f"`xs[{k}]` must have at least 2 cells, got {len(x)}")
            checked.append(x)
        features = check_array(features, "features", ndim=2).astype(np.float64)
        if features.shape[0] != len(checked):
            raise ValueError(
                f"`features` must have one row per context ({len(checked)}), "
                f"got {features.shape[0]} rows"
            )
        if names is None:
            names = [f"context{k}" for k in range(len(checked))]
        names = tuple(str(n) for n in names)
        if len(names) != len(checked):
            raise ValueError(f"`names` must have {len(checked)} entries, got {len(names)}")
        if truth is not None and truth.targets.shape != (len(checked), d):
            raise ValueError(
                f"`truth.targets` must have shape ({len(checked)}, {d}), got {truth.targets.shape}"
            )
        return cls(tuple(checked), features, control, names, truth)

    @property
    def d(self) -> int:
        """Number of variables."""
        return self.control.shape[1]

    @property
    def feature_dim(self) -> int:
        """Feature dimension ``p``."""
        return self.features.shape[1]

    @property
    def n_contexts(self) -> int:
        """Number of perturbed contexts ``K`` (the control not counted)."""
        return len(self.xs)

    def __len__(self) -> int:
        return self.n_contexts

    def stats(self) -> SufficientStats:
        """The sufficient statistics, control first (computed once, then cached)."""
        if not self._stats:
            parts = [_stats_of(self.control)] + [_stats_of(x) for x in self.xs]
            self._stats.append(SufficientStats(
                n=np.array([p[0] for p in parts]),
                mean=np.stack([p[1] for p in parts]),
                cov=np.stack([p[2] for p in parts]),
            ))
        return self._stats[0]

    def subset(self, idx: Sequence[int] | np.ndarray) -> PerturbationData:
        """The same control with the contexts ``idx`` (indices or a boolean mask)."""
        idx = np.asarray(idx)
        if idx.dtype == bool:
            if idx.shape != (self.n_contexts,):
                raise ValueError(
                    f"`idx` as a mask must have shape ({self.n_contexts},), got {idx.shape}"
                )
            idx = np.flatnonzero(idx)
        if idx.size == 0:
            raise ValueError("`idx` must select at least one context, got none")
        if idx.min() < -self.n_contexts or idx.max() >= self.n_contexts:
            raise ValueError(f"`idx` must index [0, {self.n_contexts}), "
                             f"got {idx.min()}..{idx.max()}")
        return PerturbationData(
            tuple(self.xs[i] for i in idx), self.features[idx], self.control,
            tuple(self.names[i] for i in idx),
            None if self.truth is None else self.truth.subset(idx),
        )
