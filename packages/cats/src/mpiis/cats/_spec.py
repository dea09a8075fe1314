"""Declared causal assumptions of an evaluation over the columns of a results table
(brief: ``EvalSpec``, ``Proxy``, ``Hypothesis``, ``implications``)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from ._graph import CausalGraph, Independence, implied_independencies

__all__ = ["EvalSpec", "Hypothesis", "Implication", "Proxy", "implications"]

TYPES = ("binary", "continuous", "categorical")


@dataclass(frozen=True, kw_only=True)
class Proxy:
    """How a latent node is measured.

    Attributes:
        of: the latent node.
        kind: ``"irt"`` (difficulty from reference models' responses, calibrated by
            :func:`fit_irt`) or ``"column"`` (a noisy column with known ``reliability``).
        column: the proxy column (``kind="column"``).
        reliability: ``var(true)/var(proxy)`` for a column proxy; ``None`` = unknown.
        reference_models: names (values of the model column) of the reference models whose rows
            feed the IRT fit (``kind="irt"``).
    """

    of: str
    kind: Literal["irt", "column"] = "irt"
    column: str | None = None
    reliability: float | None = None
    reference_models: tuple[str, ...] | None = None

    def __init__(self, of: str, *, kind: Literal["irt", "column"] = "irt",
                 column: str | None = None, reliability: float | None = None,
                 reference_models: Iterable[str] | None = None) -> None:
        if kind not in ("irt", "column"):
            raise ValueError(f"`kind` must be 'irt' or 'column', got {kind!r}")
        if kind == "column" and not column:
            raise ValueError("`column` is required for Proxy(kind='column')")
        if reliability is not None and not (0.0 < float(reliability) <= 1.0):
            raise ValueError(f"`reliability` must lie in (0, 1], got {reliability!r}")
        if kind == "irt" and not reference_models:
            raise ValueError("`reference_models` is required for Proxy(kind='irt')")
        object.__setattr__(self, "of", str(of))
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "column", column)
        object.__setattr__(self, "reliability", None if reliability is None
                           else float(reliability))
        object.__setattr__(self, "reference_models",
                           None if reference_models is None
                           else tuple(str(m) for m in reference_models))


@dataclass(frozen=True, kw_only=True)
class Hypothesis:
    """A question the evaluation asks of its graph: build with :meth:`effect`,
    :meth:`independence` or :meth:`no_direct_effect`."""

    kind: Literal["effect", "independence", "no_direct_effect"]
    nodes: tuple[str, ...]
    given: tuple[str, ...] = ()

    @classmethod
    def effect(cls, treatment: str, outcome: str) -> Hypothesis:
        """Does ``treatment`` affect ``outcome``? (``estimate_effect``)"""
        return cls(kind="effect", nodes=(treatment, outcome))

    @classmethod
    def independence(cls, x: str, y: str, given: Iterable[str] = ()) -> Hypothesis:
        """Is ``x ⊥ y | given``? (a CI test)"""
        return cls(kind="independence", nodes=(x, y), given=tuple(given))

    @classmethod
    def no_direct_effect(cls, treatment: str, mediator: str, outcome: str) -> Hypothesis:
        """Does ``treatment`` reach ``outcome`` only through ``mediator``? (NDE = 0)"""
        return cls(kind="no_direct_effect", nodes=(treatment, mediator, outcome))


@dataclass(frozen=True)
class Implication:
    """A testable implication of a spec: the independence in node names and in columns.

    Attributes:
        independence: the graph statement.
        columns: ``(x_col, y_col, given_cols)``.
        proxy_limited: it conditions on a latent node through its proxy.
    """

    independence: Independence
    columns: tuple[str, str, tuple[str, ...]]
    proxy_limited: bool = False

    @property
    def status(self) -> str:
        return self.independence.status

    def __str__(self) -> str:
        return str(self.independence)


@dataclass(frozen=True)
class EvalSpec:
    """An evaluation's declared causal assumptions over the columns of a results table.

    Args:
        graph: the causal graph (a :class:`CausalGraph` or a composition of CATs).
        columns: ``{node: column}`` for every observed node.
        types: ``{node: "binary" | "continuous" | "categorical"}``, the same keys as ``columns``.
        unit: ``"item"`` (one row per item) or ``"item_model"`` (long rows; model-based tests use
            standard errors clustered by item).
        item_column, model_column: the item and model id columns.
        proxies: ``{latent node: Proxy}`` (or a sequence of proxies).
        selection_weights: a column of keep probabilities ``pi`` (rows weighted by ``1/pi``).
        hypotheses: questions that :func:`diagnose` answers.

    Raises:
        ValueError: unknown nodes, a ``columns``/``types`` mismatch, an observed node without a
            column, a bad type or unit.
    """

    graph: CausalGraph
    columns: Mapping[str, str] = field(default_factory=dict)
    types: Mapping[str, str] = field(default_factory=dict)
    unit: Literal["item", "item_model"] = "item"
    item_column: str = "item_id"
    model_column: str = "model"
    proxies: Mapping[str, Proxy] = field(default_factory=dict)
    selection_weights: str | None = None
    hypotheses: tuple[Hypothesis, ...] = ()

    def __init__(self, graph: CausalGraph, *, columns: Mapping[str, str],
                 types: Mapping[str, str], unit: Literal["item", "item_model"] = "item",
                 item_column: str = "item_id", model_column: str = "model",
                 proxies: Mapping[str, Proxy] | Sequence[Proxy] = (),
                 selection_weights: str | None = None,
                 hypotheses: Iterable[Hypothesis] = ()) -> None:
        if not isinstance(graph, CausalGraph):
            raise TypeError(f"`graph` must be a CausalGraph, got {type(graph).__name__}")
        columns = {str(k): str(v) for k, v in dict(columns).items()}
        types = {str(k): str(v) for k, v in dict(types).items()}
        graph.check_nodes(columns, "columns")
        graph.check_nodes(types, "types")
        if set(columns) != set(types):
            raise ValueError(f"`columns` and `types` must have the same nodes: columns has "
                             f"{sorted(columns)}, types has {sorted(types)}")
        for node, t in types.items():
            if t not in TYPES:
                raise ValueError(f"`types[{node!r}]` must be one of {TYPES}, got {t!r}")
        if unit not in ("item", "item_model"):
            raise ValueError(f"`unit` must be 'item' or 'item_model', got {unit!r}")
        if isinstance(proxies, Mapping):
            prox = {str(k): v for k, v in proxies.items()}
            for k, p in prox.items():
                if p.of != k:
                    raise ValueError(f"`proxies[{k!r}]` is a proxy of {p.of!r}")
        else:
            prox = {p.of: p for p in proxies}
        for k in prox:
            graph.check_nodes([k], "proxies")
            if k not in graph.latent:
                raise ValueError(f"`proxies` declares {k!r}, which is not a latent node")
        missing = [v for v in graph.observed if v not in columns]
        if missing:
            raise ValueError(f"`columns` misses the observed nodes {missing}; declare them "
                             "latent or give their columns")
        hyps = tuple(hypotheses)
        for h in hyps:
            graph.check_nodes(h.nodes + h.given, "hypotheses")
        object.__setattr__(self, "graph", graph)
        object.__setattr__(self, "columns", columns)
        object.__setattr__(self, "types", types)
        object.__setattr__(self, "unit", unit)
        object.__setattr__(self, "item_column", str(item_column))
        object.__setattr__(self, "model_column", str(model_column))
        object.__setattr__(self, "proxies", prox)
        object.__setattr__(self, "selection_weights", selection_weights)
        object.__setattr__(self, "hypotheses", hyps)

    def __hash__(self) -> int:
        return hash((self.graph, tuple(sorted(self.columns.items()))))

    # -- helpers -----------------------------------------------------------------------------
    @property
    def adjustable(self) -> tuple[str, ...]:
        """Observed nodes plus latent nodes with a declared proxy."""
        return tuple(v for v in self.graph.nodes
                     if v in self.columns or v in self.proxies)

    def column(self, node: str) -> str:
        if node not in self.columns:
            raise ValueError(f"node {node!r} has no column; observed nodes are "
                             f"{sorted(self.columns)}")
        return self.columns[node]

    def validate_table(self, table: pd.DataFrame, nodes: Iterable[str] | None = None) -> None:
        """Check that the table has the declared columns, binary columns are 0/1 and used
        columns are finite.

        Raises:
            TypeError: ``table`` is not a DataFrame.
            ValueError: a missing column (named, with the available ones), a non-binary value
                in a binary column or NaN/Inf (named, with the row count).
        """
        if not isinstance(table, pd.DataFrame):
            raise TypeError(f"`table` must be a pandas.DataFrame, got {type(table).__name__}")
        nodes = list(self.columns) if nodes is None else [v for v in nodes if v in self.columns]
        needed = [self.columns[v] for v in nodes]
        if self.unit == "item_model":
            needed += [self.item_column, self.model_column]
        if self.selection_weights:
            needed.append(self.selection_weights)
        for p in self.proxies.values():
            if p.column:
                needed.append(p.column)
        miss = [c for c in dict.fromkeys(needed) if c not in table.columns]
        if miss:
            raise ValueError(f"`table` misses the columns {miss}; it has {list(table.columns)}")
        for v in nodes:
            col = self.columns[v]
            t = self.types[v]
            s = table[col]
            if t != "categorical":
                vals = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
                bad = int((~np.isfinite(vals)).sum())
                if bad:
                    raise ValueError(f"column {col!r} (node {v!r}) has {bad} NaN/Inf or "
                                     f"non-numeric row(s) of {len(s)}; drop or impute them")
                if t == "binary":
                    nb = int((~np.isin(vals, (0.0, 1.0))).sum())
                    if nb:
                        raise ValueError(f"column {col!r} (node {v!r}) is declared binary but "
                                         f"{nb} row(s) are not 0/1")
            elif s.isna().any():
                raise ValueError(f"column {col!r} (node {v!r}) has {int(s.isna().sum())} "
                                 "missing row(s)")
        if self.selection_weights:
            pi = pd.to_numeric(table[self.selection_weights], errors="coerce").to_numpy(float)
            bad = int((~np.isfinite(pi) | (pi <= 0) | (pi > 1)).sum())
            if bad:
                raise ValueError(f"column {self.selection_weights!r} (selection_weights) has "
                                 f"{bad} row(s) outside (0, 1]")

    # -- serialisation -----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        g = self.graph
        return {
            "graph": {"edges": [list(e) for e in g.edges], "latent": sorted(g.latent),
                      "selection": sorted(g.selection), "nodes": list(g.nodes)},
            "columns": dict(self.columns), "types": dict(self.types), "unit": self.unit,
            "item_column": self.item_column, "model_column": self.model_column,
            "proxies": {k: {"kind": p.kind, "column": p.column, "reliability": p.reliability,
                            "reference_models": None if p.reference_models is None
                            else list(p.reference_models)} for k, p in self.proxies.items()},
            "selection_weights": self.selection_weights,
            "hypotheses": [{"kind": h.kind, "nodes": list(h.nodes), "given": list(h.given)}
                           for h in self.hypotheses],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> EvalSpec:
        try:
            gd = d["graph"]
            graph = CausalGraph([tuple(e) for e in gd["edges"]], latent=gd.get("latent", ()),
                                selection=gd.get("selection", ()), nodes=gd.get("nodes", ()))
            proxies = {k: Proxy(k, **v) for k, v in d.get("proxies", {}).items()}
            hyps = [Hypothesis(kind=h["kind"], nodes=tuple(h["nodes"]),
                               given=tuple(h.get("given", ()))) for h in d.get("hypotheses", [])]
            return cls(graph, columns=d["columns"], types=d["types"],
                       unit=d.get("unit", "item"), item_column=d.get("item_column", "item_id"),
                       model_column=d.get("model_column", "model"), proxies=proxies,
                       selection_weights=d.get("selection_weights"), hypotheses=hyps)
        except KeyError as exc:
            raise ValueError(f"spec is missing the key {exc.args[0]!r}") from None

    def to_json(self, path: str | Path) -> None:
        """Write the spec as JSON."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=2))

    @classmethod
    def from_json(cls, path: str | Path) -> EvalSpec:
        """Read a spec written by :meth:`to_json`."""
        p = Path(path)
        if not p.is_file():
            raise ValueError(f"`path` {str(p)!r} does not exist")
        try:
            d = json.loads(p.read_text())
        except json.JSONDecodeError as exc:
            raise ValueError(f"`path` {str(p)!r} is not valid JSON: {exc}") from None
        return cls.from_dict(d)

    def to_yaml(self, path: str | Path) -> None:
        """Write the spec as YAML (extra ``mpiis-cats[yaml]``)."""
        Path(path).write_text(_yaml().safe_dump(self.to_dict(), sort_keys=False))

    @classmethod
    def from_yaml(cls, path: str | Path) -> EvalSpec:
        """Read a YAML spec (extra ``mpiis-cats[yaml]``)."""
        p = Path(path)
        if not p.is_file():
            raise ValueError(f"`path` {str(p)!r} does not exist")
        return cls.from_dict(_yaml().safe_load(p.read_text()))


def _yaml():
    try:
        import yaml
    except ImportError as exc:  # pragma: no cover - the dev group has PyYAML
        raise ImportError('YAML specs need PyYAML: pip install "mpiis-cats[yaml]"') from exc
    return yaml


def implications(spec: EvalSpec, *, max_cond: int = 3,
                 kind: Literal["missing_edge", "local_markov"] = "missing_edge",
                 ) -> tuple[Implication, ...]:
    """The spec's implied independences mapped onto its columns.

    Latent nodes with a declared proxy count as observed; statements that condition on them
    are marked ``proxy_limited``. Latent-dependent statements are ``untestable``, never omitted.
    """
    obs = [v for v in spec.graph.nodes if v in spec.columns or v in spec.proxies]
    out = []
    for ind in implied_independencies(spec.graph, kind=kind, max_cond=max_cond, observed=obs):
        limited = any(v in spec.proxies for v in (ind.x, ind.y, *ind.given))
        if ind.x in spec.proxies or ind.y in spec.proxies:
            ind = Independence(ind.x, ind.y, ind.given, "untestable",
                               "an end point is latent (measured only by a proxy)")
        cols = (spec.columns.get(ind.x, ind.x), spec.columns.get(ind.y, ind.y),
                tuple(spec.columns.get(v, v) for v in ind.given))
        out.append(Implication(ind, cols, limited))
    return tuple(out)
