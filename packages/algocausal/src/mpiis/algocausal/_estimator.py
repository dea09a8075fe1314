"""A scikit-learn-style estimator around :func:`discover_dag`."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from mpiis.shared.validation import check_array, check_int

from ._config import CompressionConfig
from ._data import MultiEnvData
from ._discover import DAGResult, discover_dag
from ._graph import to_digraph

__all__ = ["CompressionDAG"]


class CompressionDAG:
    """Causal discovery by compression over environments, ``fit(X, env)`` style.

    ``fit`` runs :func:`discover_dag` on samples ``X (n, d)`` with environment labels ``env
    (n,)``. ``score_samples(X)`` returns the code length in bits of each row under the learned
    DAG when its environment is unknown: ``-log2 sum_e (1/N) p(x | theta_a(e))`` over the
    training environments (the label code of eq. B is uniform).

    Args:
        max_parents: the largest parent set scored.
        config: default ``CompressionConfig(cost="partition")``.

    Attributes (after ``fit``):
        graph_, adjacency_, score_bits_, result_ (the :class:`DAGResult`), columns_.
    """

    def __init__(self, *, max_parents: int = 3, config: CompressionConfig | None = None):
        self.max_parents = max_parents
        self.config = config

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {"max_parents": self.max_parents, "config": self.config}

    def set_params(self, **params: Any) -> CompressionDAG:
        for k, v in params.items():
            if k not in ("max_parents", "config"):
                raise ValueError(f"unknown parameter {k!r} of CompressionDAG")
            setattr(self, k, v)
        return self

    def fit(self, X: Any, env: Any, *, columns: list[str] | None = None) -> CompressionDAG:
        """Learn the DAG of ``X (n, d)`` from environments ``env (n,)``; returns ``self``."""
        X = check_array(X, "X", ndim=2)
        env = np.asarray(env)
        if env.shape != (X.shape[0],):
            raise ValueError(f"`env` must have shape ({X.shape[0]},), got {env.shape}")
        check_int(self.max_parents, "max_parents", minimum=0)
        config = self.config or CompressionConfig(cost="partition")
        data = MultiEnvData.from_labels(X, env, columns)
        res: DAGResult = discover_dag(data, max_parents=self.max_parents, config=config)
        fit = res.fit
        assert fit is not None
        self.result_ = res
        self.graph_ = res.graph
        self.adjacency_ = res.adjacency
        self.score_bits_ = res.score_bits
        self.columns_ = data.columns
        self.parents_ = {c: fit.parents[c] for c in data.columns}
        self.assignments_ = {c: np.asarray(fit.assignments[c]) for c in data.columns}
        self.means_ = (np.stack([x.mean(axis=0) for x in data.envs]) if config.center
                       else np.zeros((data.n_envs, data.n_vars)))
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "assignments_"):
            raise RuntimeError("CompressionDAG is not fitted; call fit(X, env) first")

    def score_samples(self, X: Any) -> np.ndarray:
        """Per-row code length in bits ``(n,)`` under the learned DAG, environment unknown."""
        self._check_fitted()
        d = len(self.columns_)
        X = check_array(X, "X", ndim=2)
        if X.shape[1] != d:
            raise ValueError(f"`X` must have {d} columns, got shape {X.shape}")
        idx = {c: i for i, c in enumerate(self.columns_)}
        n_env = self.means_.shape[0]
        logp = np.zeros((X.shape[0], n_env))
        for c in self.columns_:
            i = idx[c]
            ps = [idx[p] for p in self.parents_[c]]
            a = self.assignments_[c]  # (N, |P| + 1)
            for e in range(n_env):
                xc = X - self.means_[e]
                resid = xc[:, i] - xc[:, ps] @ a[e, :-1]
                v = a[e, -1]
                logp[:, e] += -0.5 * (np.log(2 * np.pi * v) + resid**2 / v)
        mx = logp.max(axis=1, keepdims=True)
        lse = mx[:, 0] + np.log(np.exp(logp - mx).sum(axis=1)) - np.log(n_env)
        return -lse / np.log(2.0)

    def save(self, path: str | Path) -> None:
        """Write the fitted state to an ``.npz`` file (JSON metadata, no pickle)."""
        self._check_fitted()
        meta = {
            "columns": list(self.columns_), "parents": {k: list(v) for k, v in
                                                       self.parents_.items()},
            "max_parents": self.max_parents, "score_bits": self.score_bits_,
            "config": dataclasses.asdict(self.config) if self.config else None,
            "partitions": {c: [list(b) for b in self.graph_.nodes[c]["partition"]]
                           for c in self.columns_},
        }
        arrays = {f"asg::{c}": a for c, a in self.assignments_.items()}
        with open(Path(path), "wb") as fh:
            np.savez(fh, meta=np.array(json.dumps(meta)), means=self.means_, **arrays)

    @classmethod
    def load(cls, path: str | Path) -> CompressionDAG:
        """Read a file written by :meth:`save`."""
        with np.load(Path(path), allow_pickle=False) as f:
            meta = json.loads(str(f["meta"]))
            means = f["means"]
            asg = {k.split("::", 1)[1]: f[k] for k in f.files if k.startswith("asg::")}
        cfg = CompressionConfig(**meta["config"]) if meta["config"] else None
        est = cls(max_parents=meta["max_parents"], config=cfg)
        cols = tuple(meta["columns"])
        idx = {c: i for i, c in enumerate(cols)}
        est.columns_ = cols
        est.parents_ = {c: tuple(p) for c, p in meta["parents"].items()}
        est.assignments_ = asg
        est.means_ = means
        est.score_bits_ = meta["score_bits"]
        est.graph_ = to_digraph(cols, {idx[c]: tuple(idx[p] for p in ps)
                                       for c, ps in est.parents_.items()})
        for c, bl in meta["partitions"].items():
            est.graph_.nodes[c]["partition"] = tuple(tuple(b) for b in bl)
        est.adjacency_ = nx.to_numpy_array(est.graph_, nodelist=list(cols),
                                           weight=None).astype(np.int64)
        return est
