"""lm-evaluation-harness ``--log_samples`` output (``samples_<task>_<time>.jsonl``), read
without importing lm-eval."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ._tables import flatten, score_value, warn_dropped

NON_METRIC = {"doc_id", "doc", "target", "arguments", "resps", "filtered_resps", "filter",
              "metrics", "doc_hash", "prompt_hash", "target_hash"}


def _model_name(path: Path) -> str | None:
    for res in sorted(path.parent.glob("results_*.json")):
        try:
            d = json.loads(res.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        name = d.get("model_name") or (d.get("config") or {}).get("model_args")
        if name:
            return str(name)
    return None


def read_lm_eval_samples(path: str | Path, *, model: str | None = None,
                         metric: str | None = None, filter: str | None = None) -> pd.DataFrame:
    """Read one ``samples_<task>_<time>.jsonl`` file (or every such file in a folder).

    Each line holds ``doc_id``, ``doc``, ``target``, ``resps``, ``filter`` and metric keys
    (``acc``, ``exact_match``...). The model name comes from a sibling ``results_*.json``
    (``model_name``) unless ``model`` is given.

    Returns:
        Long DataFrame: ``item_id`` (``<task>/<doc_id>``), ``model``, ``task``, ``filter``,
        one column per metric (or ``score`` = ``metric``), ``target`` and flattened ``doc.*``
        metadata. Malformed lines are dropped, counted and named in one warning (and listed in
        ``df.attrs["dropped"]``).

    Raises:
        ValueError: a missing path, a file with no usable line, or an unknown ``metric`` (the
            message names the available keys).
    """
    p = Path(path)
    if p.is_dir():
        files = sorted(p.glob("samples_*.jsonl"))
        if not files:
            raise ValueError(f"`path` {str(p)!r} holds no samples_*.jsonl file")
        return pd.concat([read_lm_eval_samples(f, model=model, metric=metric, filter=filter)
                          for f in files], ignore_index=True)
    if not p.is_file():
        raise ValueError(f"`path` {str(p)!r} does not exist")
    m = re.match(r"samples_(.+?)_(\d{4}-\d{2}-\d{2}T.*)\.jsonl$", p.name)
    task = m.group(1) if m else p.stem.removeprefix("samples_")
    name = model or _model_name(p) or "unknown"
    rows, dropped, keys = [], [], set()
    with open(p, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
            except json.JSONDecodeError as exc:
                dropped.append(f"line {lineno}: malformed JSON ({exc.msg})")
                continue
            if not isinstance(d, dict) or "doc_id" not in d:
                dropped.append(f"line {lineno}: no doc_id")
                continue
            if filter is not None and d.get("filter") != filter:
                continue
            mets = {k: v for k, v in d.items() if k not in NON_METRIC
                    and isinstance(v, int | float | bool | str) and not isinstance(v, dict)}
            keys |= set(mets)
            row = {"item_id": f"{task}/{d['doc_id']}", "model": name, "task": task,
                   "filter": d.get("filter"), "target": str(d.get("target"))}
            row.update({k: score_value(v) for k, v in mets.items()})
            if isinstance(d.get("doc"), dict):
                row.update(flatten(d["doc"], "doc."))
            rows.append(row)
    warn_dropped(dropped, str(p))
    if not rows:
        raise ValueError(f"{str(p)!r} has no usable sample line ({len(dropped)} dropped)")
    df = pd.DataFrame(rows)
    if metric is not None:
        if metric not in keys:
            raise ValueError(f"`metric` {metric!r} is not in {str(p)!r}; available metric keys: "
                             f"{sorted(keys)}")
        df["score"] = df[metric]
        bad = df["score"].isna().to_numpy()
        if bad.any():
            dropped += [f"doc {i}: {metric} not numeric" for i in df.loc[bad, "item_id"]]
            warn_dropped([f"doc {i}" for i in df.loc[bad, "item_id"]], str(p))
            df = df[~bad].reset_index(drop=True)
    df.attrs["dropped"] = dropped
    df.attrs["metrics"] = sorted(keys)
    return df


__all__ = ["read_lm_eval_samples"]
_ = np  # numpy is used through pandas
