"""``compress``: the total code length of eq. (B) under one factorisation."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jax
import networkx as nx
import numpy as np

from ._config import CompressionConfig
from ._data import MultiEnvData, as_multienv
from ._gaussian import candidate_bits, env_stats
from ._graph import parse_graph, to_digraph, type_names
from ._nodes import NodeFit, codebook_node, default_codebooks, partition_node
from ._search import minplus, minplus_backtrack

__all__ = ["CompressionResult", "compress", "fit_nodes"]


def _blocks_of(assign: np.ndarray) -> tuple[tuple[int, ...], ...]:
    """Environments grouped by identical parameter rows, blocks ordered by first member."""
    blocks: dict[tuple, list[int]] = {}
    for e, row in enumerate(assign):
        blocks.setdefault(tuple(row.tolist()), []).append(e)
    return tuple(tuple(b) for b in blocks.values())


@dataclass(frozen=True, eq=False)
class CompressionResult:
    """The two-part code of one factorisation (eq. B) at its best total ``k``.

    Attributes:
        total_bits: ``model_bits + data_bits + label_bits``.
        model_bits: ``sum_j L_model`` (eq. A) or the partition cost.
        data_bits: ``sum_e sum_x -log2 p(x | theta_a(e))``.
        label_bits: ``n_total log2 N`` (equal for every factorisation).
        k: per mechanism (child column), per type name, the number of values used.
        partitions: per mechanism, the environment blocks sharing all its parameters.
        parameters: per mechanism, ``(n_blocks, |P| + 1)`` block values ``(beta..., v)``.
        curve: ``(K + 1,)`` minimal total bits per total number of values ``k`` (+inf where
            infeasible or above ``k_max``).
        columns: column names; parents: per mechanism its parent names.
        cost: ``"codebook"`` or ``"partition"``; dtype: the float type used.
        assignments: per mechanism ``(N, |P| + 1)`` per-environment values.
        candidates: per mechanism the value tuples a new environment may use.
        center: whether environments were centred.
        mechanism_tables: codebook cost only: per mechanism, per local k-vector (one entry per
            type), the best choice's ``data_bits``, ``model_bits``, ``select_value`` (summed
            KL or code length) and ``subsets`` (codebook indices per type). Not saved.
        approximate: ``True`` when a node's codebook search exceeded ``max_combinations`` and
            ran the beam search (``CompressionConfig.beam_width``) instead of the exact one.
    """

    total_bits: float
    model_bits: float
    data_bits: float
    label_bits: float
    k: dict[str, dict[str, int]]
    partitions: dict[str, tuple[tuple[int, ...], ...]]
    parameters: dict[str, np.ndarray]
    curve: np.ndarray
    columns: tuple[str, ...]
    parents: dict[str, tuple[str, ...]]
    cost: str
    dtype: str
    assignments: dict[str, np.ndarray] = field(default_factory=dict)
    candidates: dict[str, np.ndarray] = field(default_factory=dict)
    center: bool = True
    mechanism_tables: dict[str, dict[tuple[int, ...], dict[str, Any]]] = field(
        default_factory=dict
    )
    approximate: bool = False

    @property
    def graph(self) -> nx.DiGraph:
        """The scored factorisation as an ``nx.DiGraph``."""
        idx = {c: i for i, c in enumerate(self.columns)}
        return to_digraph(
            self.columns, {idx[m]: tuple(idx[p] for p in ps) for m, ps in self.parents.items()}
        )

    @property
    def k_total(self) -> int:
        return int(sum(sum(v.values()) for v in self.k.values()))

    def data_bits_of(self, data_new: Any) -> float:
        """Data bits of new environments, each assigned its best existing mechanisms.

        Args:
            data_new: ``MultiEnvData`` or a list of ``(n_e, d)`` arrays over the same columns.

        Returns:
            ``sum_e' sum_i min_c bits(x_i | x_P; c)`` over the stored candidates (no label or
            model bits).
        """
        data_new = as_multienv(data_new, "data_new")
        if data_new.n_vars != len(self.columns):
            raise ValueError(
                f"`data_new` must have {len(self.columns)} columns, got {data_new.n_vars}"
            )
        stats = env_stats(data_new, center=self.center)
        idx = {c: i for i, c in enumerate(self.columns)}
        total = 0.0
        for mech, ps in self.parents.items():
            b = candidate_bits(stats, idx[mech], tuple(idx[p] for p in ps), self.candidates[mech])
            total += float(b.min(axis=1).sum())
        return total

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> None:
        """Write an ``.npz`` file: arrays plus a JSON ``meta`` string (no pickle)."""
        meta = {
            "total_bits": self.total_bits, "model_bits": self.model_bits,
            "data_bits": self.data_bits, "label_bits": self.label_bits, "k": self.k,
            "partitions": {m: [list(b) for b in bl] for m, bl in self.partitions.items()},
            "columns": list(self.columns),
            "parents": {m: list(p) for m, p in self.parents.items()},
            "cost": self.cost, "dtype": self.dtype, "center": self.center,
            "approximate": self.approximate,
        }
        arrays = {"meta": np.array(json.dumps(meta)), "curve": self.curve}
        for name, store in (("par", self.parameters), ("asg", self.assignments),
                            ("cand", self.candidates)):
            for m, a in store.items():
                arrays[f"{name}::{m}"] = np.asarray(a)
        with open(Path(path), "wb") as fh:
            np.savez(fh, **arrays)

    @classmethod
    def load(cls, path: str | Path) -> CompressionResult:
        """Read a file written by :meth:`save`."""
        with np.load(Path(path), allow_pickle=False) as f:
            meta = json.loads(str(f["meta"]))
            stores: dict[str, dict[str, np.ndarray]] = {"par": {}, "asg": {}, "cand": {}}
            for key in f.files:
                if "::" in key:
                    name, m = key.split("::", 1)
                    stores[name][m] = f[key]
            curve = f["curve"]
        return cls(
            total_bits=meta["total_bits"], model_bits=meta["model_bits"],
            data_bits=meta["data_bits"], label_bits=meta["label_bits"], k=meta["k"],
            partitions={m: tuple(tuple(b) for b in bl) for m, bl in meta["partitions"].items()},
            parameters=stores["par"], curve=curve, columns=tuple(meta["columns"]),
            parents={m: tuple(p) for m, p in meta["parents"].items()}, cost=meta["cost"],
            dtype=meta["dtype"], assignments=stores["asg"], candidates=stores["cand"],
            center=meta["center"], approximate=bool(meta.get("approximate", False)),
        )


def _check_codebook(codebook: Mapping[str, Any] | None, known: list[str]) -> dict[str, np.ndarray]:
    if codebook is None:
        return {}
    if not isinstance(codebook, Mapping):
        raise TypeError(f"`codebook` must be a mapping type name -> values, got {type(codebook)}")
    unknown = sorted(set(codebook) - set(known))
    if unknown:
        raise ValueError(f"`codebook` has unknown type names {unknown}; expected some of {known}")
    out = {}
    for name, vals in codebook.items():
        a = np.asarray(vals, dtype=np.float64)
        if a.ndim != 1 or a.size == 0 or not np.isfinite(a).all():
            raise ValueError(f"`codebook[{name!r}]` must be a non-empty finite 1-D array")
        out[name] = a
    return out


def codebook_charge_bits(n: np.ndarray) -> float:
    """Description length of one data-driven codebook: its ``N`` per-environment estimates,
    each at the precision of its standard error, ``sum_e (1/2) log2 n_e`` bits [decision]."""
    return float(0.5 * np.sum(np.log2(np.asarray(n, dtype=np.float64))))


def fit_nodes(
    data: MultiEnvData,
    parents: dict[int, tuple[int, ...]],
    config: CompressionConfig,
    *,
    codebook: Mapping[str, Any] | None = None,
    independent: bool = False,
    stats=None,
) -> dict[int, NodeFit]:
    """Search every node of a factorisation independently (the costs decompose)."""
    stats = stats if stats is not None else env_stats(data, center=config.center)
    cols = data.columns
    known = [n for i in sorted(parents) for n in type_names(cols, i, parents[i])]
    books = _check_codebook(codebook, known)
    fits = {}
    for i in sorted(parents):
        ps = parents[i]
        if config.cost == "partition":
            fits[i] = partition_node(stats, i, ps, config, independent=independent)
            continue
        names = type_names(cols, i, ps)
        default = (None if all(nm in books for nm in names)
                   else default_codebooks(stats, i, ps, config))
        node_books = [books[nm] if nm in books else default[j] for j, nm in enumerate(names)]
        n_default = sum(nm not in books for nm in names)
        charge = n_default * codebook_charge_bits(stats.n) if config.codebook_charge else 0.0
        fits[i] = codebook_node(
            stats, i, ps, node_books, config, independent=independent, names=names,
            charge_bits=charge,
        )
    return fits


def compress(
    data: Any,
    graph: Any,
    *,
    config: CompressionConfig | None = None,
    codebook: Mapping[str, np.ndarray] | None = None,
    independent: bool = False,
) -> CompressionResult:
    """Total code length, eq. (B), of ``data`` under the factorisation ``graph``.

    ``L_G(D) = sum_j L_model(N, k_j, M_j) + sum_e sum_x -log2 p(x | theta_a(e)) + n log2 N``,
    minimised over the total number of mechanism values ``k <= k_max`` (brief, "Codebook
    search", step 4; with ``cost="partition"``, over set partitions per mechanism).

    Args:
        data: ``MultiEnvData`` or a list of ``(n_e, d)`` arrays.
        graph: ``nx.DiGraph`` over the column names, or an ordering tuple (complete DAG).
        config: the options; default ``CompressionConfig()``.
        codebook: per type name (``"b:X1->X2"``, ``"v:X2"``) candidate values; types not given
            use the recipe on the per-environment estimates.
        independent: the ``independent`` baseline: every environment gets its own mechanisms
            (``k_j = N``, or the all-singleton partition).

    Returns:
        A :class:`CompressionResult`.

    Raises:
        ValueError: on a bad graph, ``k_max`` below the number of types, ``N > 12`` with the
            partition cost, or a search over the ``max_combinations`` budget.
    """
    config = CompressionConfig() if config is None else config
    if not isinstance(config, CompressionConfig):
        raise TypeError(f"`config` must be a CompressionConfig, got {type(config).__name__}")
    data = as_multienv(data)
    if codebook is not None and config.cost == "partition":
        raise ValueError("`codebook` applies to cost='codebook' only, got cost='partition'")
    _, parents = parse_graph(graph, data.columns)
    n_types = sum(len(p) + 1 for p in parents.values())
    if config.cost == "partition":
        n_types = len(parents)
    if config.k_max is not None and config.k_max < n_types:
        raise ValueError(
            f"`k_max` (={config.k_max}) must be >= the number of mechanism types ({n_types})"
        )
    with jax.enable_x64(config.x64):
        fits = fit_nodes(data, parents, config, codebook=codebook, independent=independent)
    return assemble(data, parents, fits, config)


def assemble(
    data: MultiEnvData, parents: dict[int, tuple], fits: dict[int, NodeFit],
    config: CompressionConfig,
) -> CompressionResult:
    """Combine node fits by min-plus convolution and report the optimum."""
    cols = data.columns
    order = sorted(fits)
    curves = [fits[i].curve for i in order]
    total, back = minplus(curves)
    n_total = int(sum(data.n_samples))
    label = n_total * math.log2(data.n_envs)
    if config.k_max is not None:
        total[config.k_max + 1:] = np.inf
    curve = total + label
    if not np.isfinite(curve).any():
        raise ValueError("no feasible code: every candidate has an invalid (non-positive) variance")
    k_best = int(np.argmin(curve))
    ks = minplus_backtrack(back, curves, k_best)
    k_out, parts, params, asg, cands, tables = {}, {}, {}, {}, {}, {}
    model = dat = 0.0
    for i, ki in zip(order, ks, strict=True):
        ch = fits[i].choices[ki]
        name = cols[i]
        tn = type_names(cols, i, parents[i])
        k_out[name] = {t: int(k) for t, k in zip(tn, ch.ks, strict=True)}
        blocks = _blocks_of(ch.assign)
        parts[name] = blocks
        params[name] = np.stack([ch.assign[b[0]] for b in blocks])
        asg[name] = ch.assign
        cands[name] = ch.candidates
        tables[name] = {
            kv: {"data_bits": c.data_bits, "model_bits": c.model_bits,
                 "select_value": c.select_value, "subsets": c.subsets}
            for kv, c in fits[i].table.items()
        }
        model += ch.model_bits
        dat += ch.data_bits
    return CompressionResult(
        total_bits=float(curve[k_best]), model_bits=model, data_bits=dat, label_bits=label,
        k=k_out, partitions=parts, parameters=params, curve=curve, columns=cols,
        parents={cols[i]: tuple(cols[p] for p in parents[i]) for i in order},
        cost=config.cost, dtype="float64" if config.x64 else "float32",
        assignments=asg, candidates=cands, center=config.center, mechanism_tables=tables,
        approximate=any(fits[i].approximate for i in order),
    )
