"""inspect_ai evaluation logs (``.eval`` / ``.json``) through ``inspect_ai.log.read_eval_log``
(extra ``mpiis-cats[inspect]``); a ``.json`` log also reads without inspect_ai."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from ._tables import flatten, score_value, warn_dropped


def _samples_from_json(d: dict) -> tuple[str, str, list[dict]]:
    ev = d.get("eval", {})
    return str(ev.get("model", "unknown")), str(ev.get("task", "task")), d.get("samples") or []


def _samples_from_log(log: Any) -> tuple[str, str, list[dict]]:
    samples = []
    for s in log.samples or []:
        samples.append({"id": s.id, "epoch": getattr(s, "epoch", 1),
                        "scores": {k: {"value": v.value} for k, v in (s.scores or {}).items()},
                        "metadata": s.metadata or {}, "target": s.target})
    return str(log.eval.model), str(log.eval.task), samples


def read_inspect_log(path: str | Path, *, scorer: str | None = None) -> pd.DataFrame:
    """Read an inspect_ai log into a long DataFrame.

    Scores map C -> 1, I -> 0, P -> 0.5, N -> 0; numbers stay as they are.

    Returns:
        Columns ``item_id``, ``model``, ``task``, ``epoch``, one ``score.<scorer>`` column per
        scorer (``score`` = the chosen or only scorer) and flattened ``metadata.*``. Samples
        without a usable score are dropped, counted and named in one warning.

    Raises:
        ImportError: a ``.eval`` log without inspect_ai (names ``mpiis-cats[inspect]``).
        ValueError: a missing file or an unknown ``scorer`` (names the available ones).
    """
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"`path` {str(p)!r} does not exist")
    if p.suffix == ".json":  # plain JSON: parsed directly, no heavy import
        try:
            model, task, samples = _samples_from_json(json.loads(p.read_text()))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{str(p)!r} is not valid JSON: {exc}") from None
    else:
        try:
            from inspect_ai.log import read_eval_log
        except ImportError as exc:
            raise ImportError('reading inspect_ai .eval logs needs inspect_ai: pip install '
                              '"mpiis-cats[inspect]"') from exc
        model, task, samples = _samples_from_log(read_eval_log(str(p)))
    rows, dropped, scorers = [], [], set()
    for s in samples:
        scores = {k: score_value(v.get("value") if isinstance(v, dict) else v)
                  for k, v in (s.get("scores") or {}).items()}
        scorers |= set(scores)
        row = {"item_id": str(s.get("id")), "model": model, "task": task,
               "epoch": s.get("epoch", 1), "target": str(s.get("target"))}
        row.update({f"score.{k}": v for k, v in scores.items()})
        row.update(flatten(s.get("metadata") or {}, "metadata."))
        rows.append(row)
    if scorer is not None and scorer not in scorers:
        raise ValueError(f"`scorer` {scorer!r} is not in the log; available scorers: "
                         f"{sorted(scorers)}")
    df = pd.DataFrame(rows)
    pick = scorer or (sorted(scorers)[0] if len(scorers) == 1 else None)
    if pick is not None and len(df):
        df["score"] = df[f"score.{pick}"]
        bad = df["score"].isna().to_numpy()
        dropped = [f"sample {i}: no usable {pick} score" for i in df.loc[bad, "item_id"]]
        warn_dropped(dropped, str(p))
        df = df[~bad].reset_index(drop=True)
    df.attrs["dropped"] = dropped
    return df


__all__ = ["read_inspect_log"]
