"""Read :class:`PerturbationData` from an AnnData (cells x genes), the layout sci-Plex users have.

Needs the extra ``mpiis-gim[anndata]``, imported lazily. Preprocessing (normalisation, HVG or
PCA selection) is the user's job. Cells with a missing condition or dose, or with non-finite
expression values, are dropped, counted and named in one warning (and in
``PerturbationData.names`` only the usable contexts appear).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ._data import PerturbationData

__all__ = ["from_anndata"]

EXTRA = 'pip install "mpiis-gim[anndata]"'


def _import_anndata():
    try:
        import anndata
    except ImportError as exc:
        raise ImportError(f"from_anndata needs the optional extra `mpiis-gim[anndata]`: {EXTRA}"
                          ) from exc
    return anndata


def _dense(x) -> np.ndarray:
    if hasattr(x, "toarray"):
        x = x.toarray()
    return np.asarray(x, dtype=np.float64)


def _is_missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v))


def from_anndata(
    adata: Any,
    *,
    condition_key: str,
    control_value: Any,
    features: Mapping[Any, Any] | str,
    dose_key: str | None = None,
    layer: str | None = None,
    genes: Sequence[str] | None = None,
) -> PerturbationData:
    """Build :class:`PerturbationData` from an AnnData.

    Contexts are the distinct (condition, dose) pairs other than the control condition;
    with ``dose_key`` the dose is appended to the condition's features as the last entry of γ.

    Args:
        adata: an ``anndata.AnnData`` (or a path to an ``.h5ad`` file).
        condition_key: the ``adata.obs`` column naming each cell's condition (drug).
        control_value: the condition value of control cells.
        features: ``{condition: feature vector}``, or the name of an ``adata.uns`` table
            (a pandas DataFrame, or a dict of lists) indexed by condition.
        dose_key: an optional ``adata.obs`` column with the dose.
        layer: read ``adata.layers[layer]`` instead of ``adata.X``.
        genes: restrict to these ``adata.var_names`` (in this order).

    Raises:
        ImportError: without the extra, naming ``mpiis-gim[anndata]``.
        ValueError: an unknown column, layer or gene; an absent control value; a condition
            without features.
    """
    anndata = _import_anndata()
    if isinstance(adata, str) or hasattr(adata, "__fspath__"):
        adata = anndata.read_h5ad(adata)
    if not isinstance(adata, anndata.AnnData):
        raise TypeError(f"`adata` must be an anndata.AnnData or a path, got {type(adata).__name__}")
    obs = adata.obs
    for arg, col in (("condition_key", condition_key), ("dose_key", dose_key)):
        if col is not None and col not in obs.columns:
            raise ValueError(f"`{arg}` must name a column of adata.obs {list(obs.columns)}, "
                             f"got {col!r}")
    if layer is not None and layer not in adata.layers:
        raise ValueError(f"`layer` must name one of adata.layers {list(adata.layers)}, "
                         f"got {layer!r}")
    x = _dense(adata.layers[layer] if layer is not None else adata.X)
    var_names = [str(v) for v in adata.var_names]
    if genes is not None:
        missing = [g for g in genes if g not in var_names]
        if missing:
            raise ValueError(f"`genes` must be in adata.var_names; missing {missing[:10]} "
                             f"({len(missing)} of {len(genes)})")
        x = x[:, [var_names.index(g) for g in genes]]
    cond = obs[condition_key].astype(object).to_numpy()
    dose = None if dose_key is None else obs[dose_key].to_numpy(dtype=object)

    bad = np.array([_is_missing(c) for c in cond])
    if dose is not None:
        dose_f = np.array([np.nan if _is_missing(v) else float(v) for v in dose])
        bad |= ~np.isfinite(dose_f)
    bad |= ~np.isfinite(x).all(1)
    if bad.any():
        names = [str(n) for n in np.asarray(adata.obs_names)[bad][:10]]
        warnings.warn(f"from_anndata dropped {int(bad.sum())} cell(s) with a missing condition or "
                      f"dose or a non-finite value, e.g. {names}", UserWarning, stacklevel=2)
    keep = ~bad
    is_ctrl = keep & np.array([c == control_value for c in cond])
    if not is_ctrl.any():
        present = sorted({str(c) for c in cond[keep]})[:10]
        raise ValueError(f"`control_value` {control_value!r} is absent from adata.obs"
                         f"[{condition_key!r}] (values: {present})")

    if isinstance(features, str):
        if features not in adata.uns:
            raise ValueError(f"`features` must name an adata.uns entry {list(adata.uns)}, "
                             f"got {features!r}")
        table = adata.uns[features]
        if hasattr(table, "index") and hasattr(table, "to_numpy"):
            feats = {k: np.asarray(v, float) for k, v in zip(table.index, table.to_numpy(),
                                                               strict=True)}
        else:
            feats = {k: np.asarray(v, float) for k, v in dict(table).items()}
    else:
        feats = {k: np.asarray(v, float) for k, v in features.items()}
    feats = {str(k): v for k, v in feats.items()}

    pert = keep & ~is_ctrl
    keys = sorted({(str(c), None if dose is None else float(dose_f[i]))
                   for i, c in enumerate(cond) if pert[i]},
                  key=lambda t: (t[0], -np.inf if t[1] is None else t[1]))
    lacking = sorted({c for c, _ in keys if c not in feats})
    if lacking:
        raise ValueError(f"`features` must cover every condition; lacking {lacking[:10]}")
    xs, rows, names = [], [], []
    cond_s = np.array([str(c) for c in cond])
    for c, dz in keys:
        sel = pert & (cond_s == c)
        if dz is not None:
            sel &= dose_f == dz
        xs.append(x[sel])
        rows.append(feats[c] if dz is None else np.r_[feats[c], dz])
        names.append(c if dz is None else f"{c}@{dz:g}")
    return PerturbationData.from_arrays(xs, np.stack(rows), control=x[is_ctrl], names=names)
