"""Design matrices from a spec and a table: rows to use, regressors for observed nodes, and
calibrated proxies for latent nodes (regression calibration, brief: "IRT and proxies")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import jax
import numpy as np
import pandas as pd

from ._irt import IRTFit, fit_irt, plugin_difficulty
from ._spec import EvalSpec

__all__ = [
    "ProxyDiagnostics",
    "Rows",
    "calibrated_proxy",
    "key_to_rng",
    "node_matrix",
    "rows_of",
]


def key_to_rng(key) -> np.random.Generator:
    """A numpy Generator derived from a JAX key (the package's one source of randomness)."""
    if key is None:
        raise ValueError("`key` is required: pass key=jax.random.key(seed)")
    try:
        data = np.asarray(jax.random.key_data(key)).ravel()
    except Exception:  # a raw uint32 key
        data = np.asarray(key).ravel()
    return np.random.default_rng([int(x) for x in data.astype(np.uint64)])


@dataclass(frozen=True)
class ProxyDiagnostics:
    """The weak-proxy report carried by every effect that adjusts for a latent node.

    Attributes:
        latent: the latent node; method: ``"irt"`` or ``"column"``.
        n_reference: K, the number of reference models (IRT).
        reliability: the marginal reliability (IRT) or the declared one (column).
        plugin_estimate, plugin_se, plugin_p_value: the treatment coefficient with the plug-in
            proxy, its sandwich SE and Wald p-value (the ``plugin_proxy`` baseline).
        calibrated_estimate, calibrated_se: the same with the calibrated proxy.
        warning: ``reliability < threshold`` or the two estimates differ by more than one SE.
        advice: one sentence.
    """

    latent: str
    method: str
    n_reference: int | None
    reliability: float | None
    plugin_estimate: float
    plugin_se: float
    plugin_p_value: float
    calibrated_estimate: float
    calibrated_se: float
    warning: bool
    advice: str


@dataclass(frozen=True)
class Rows:
    """The evaluation rows of a table and their item clusters."""

    frame: pd.DataFrame  # evaluation rows only, index reset
    clusters: np.ndarray  # item codes (n,) for the sandwich / bootstrap
    reference: pd.DataFrame | None  # reference-model rows (IRT proxies)


def rows_of(table: pd.DataFrame, spec: EvalSpec) -> Rows:
    """Split a long table into evaluation rows and reference-model rows."""
    refs: set[str] = set()
    for p in spec.proxies.values():
        if p.kind == "irt":
            refs |= set(p.reference_models or ())
    if refs:
        if spec.model_column not in table.columns:
            raise ValueError(f"`table` needs the model column {spec.model_column!r} for the IRT "
                             f"proxy; it has {list(table.columns)}")
        is_ref = table[spec.model_column].astype(str).isin(refs).to_numpy()
        ref = table[is_ref]
        ev = table[~is_ref].reset_index(drop=True)
        if len(ev) == 0:
            raise ValueError("`table` has no rows of evaluated (non-reference) models")
    else:
        ref, ev = None, table.reset_index(drop=True)
    if spec.unit == "item_model" or spec.item_column in ev.columns:
        if spec.item_column not in ev.columns:
            raise ValueError(f"`table` misses the item column {spec.item_column!r}")
        _, codes = np.unique(ev[spec.item_column].astype(str).to_numpy(), return_inverse=True)
    else:
        codes = np.arange(len(ev))
    if spec.unit == "item":
        codes = np.arange(len(ev)) if spec.item_column not in ev.columns else codes
    return Rows(ev, codes.astype(np.int64), ref)


def node_matrix(frame: pd.DataFrame, spec: EvalSpec, node: str) -> tuple[np.ndarray, list[str]]:
    """Regressor columns for an observed node: a 0/1 or standardised numeric column, or
    drop-first one-hot columns for a categorical node."""
    col = spec.column(node)
    t = spec.types[node]
    if t == "categorical":
        d = pd.get_dummies(frame[col].astype(str), prefix=node, drop_first=True, dtype=float)
        return d.to_numpy(), list(d.columns)
    x = pd.to_numeric(frame[col]).to_numpy(float)
    return x[:, None], [node]


def model_dummies(frame: pd.DataFrame, spec: EvalSpec) -> tuple[np.ndarray, list[str]]:
    """Fixed effects of evaluated models for item x model rows (none with one model)."""
    if spec.unit != "item_model" or spec.model_column not in frame.columns:
        return np.zeros((len(frame), 0)), []
    d = pd.get_dummies(frame[spec.model_column].astype(str), prefix="model", drop_first=True,
                       dtype=float)
    return d.to_numpy(), list(d.columns)


def irt_for(rows: Rows, spec: EvalSpec, node: str, correct_column: str) -> IRTFit:
    p = spec.proxies[node]
    ref = rows.reference
    if ref is None or len(ref) == 0:
        raise ValueError(f"the IRT proxy of {node!r} needs rows of the reference models "
                         f"{list(p.reference_models or ())} in `table`")
    return fit_irt(ref, item=spec.item_column, model=spec.model_column, correct=correct_column)


def calibrated_proxy(rows: Rows, spec: EvalSpec, node: str, W: np.ndarray, *,
                     correct_column: str, irt: IRTFit | None = None,
                     ) -> tuple[np.ndarray, np.ndarray, float | None, int | None, IRTFit | None]:
    """The regression-calibrated proxy ``E[U | proxy, W]`` per evaluation row, the plug-in
    proxy, the reliability and K.

    Args:
        W: the outcome model's other regressors (no intercept) ``(n, q)``.
    """
    p = spec.proxies[node]
    n = len(rows.frame)
    if p.kind == "irt":
        irt = irt if irt is not None else irt_for(rows, spec, node, correct_column)
        index = {str(v): i for i, v in enumerate(irt.items)}
        ids = rows.frame[spec.item_column].astype(str).to_numpy()
        missing = [i for i in ids if i not in index]
        if missing:
            raise ValueError(f"{len(missing)} evaluation row(s) have items without reference "
                             f"responses, e.g. {missing[:3]}")
        ri = np.array([index[i] for i in ids], dtype=np.int64)
        cal, _ = irt.eap(W if W.shape[1] else None, rows_item=ri)
        plug = plugin_difficulty(irt.responses.sum(1), irt.n_models)[ri]
        return cal, plug, irt.reliability, irt.n_models, irt
    x = pd.to_numeric(rows.frame[p.column]).to_numpy(float)
    if not np.isfinite(x).all():
        raise ValueError(f"proxy column {p.column!r} has {int((~np.isfinite(x)).sum())} "
                         "NaN/Inf row(s)")
    if p.reliability is None:
        return x.copy(), x, None, None, None
    A = np.column_stack([np.ones(n), W])
    coef, *_ = np.linalg.lstsq(A, x, rcond=None)
    fitted = A @ coef
    r = x - fitted
    var_u_w = max(r.var() - (1 - p.reliability) * x.var(), 1e-12)
    lam = var_u_w / max(r.var(), 1e-12)
    return fitted + lam * r, x, p.reliability, None, None


def proxy_advice(warn: bool, reliability: float | None, k: int | None) -> str:
    if reliability is None:
        return ("reliability unknown: no measurement-error correction was applied; declare "
                "Proxy(reliability=...) or add reference models")
    if not warn:
        return "the proxy looks strong enough: plug-in and calibrated estimates agree"
    more = f" (K={k} reference models)" if k else ""
    return (f"weak proxy{more}: reliability {reliability:.2f}; do not trust plug-in adjustment, "
            "read the calibrated estimate and add reference models")


def as_list(x: str | Sequence[str]) -> list[str]:
    return [x] if isinstance(x, str) else list(x)
