"""From evaluation results to taxonomy nodes (paper brief, "Evaluation mapping").

A registry maps task names (with per-harness aliases) to taxonomy nodes with what the task
measures and what it does not show. Readers turn lm-evaluation-harness results files and
inspect_ai logs into one tidy table; :func:`coverage` says which risks the evaluations touch.
No score is ever averaged across tasks or nodes, and unknown tasks are reported, never dropped.
"""

from __future__ import annotations

import json
import math
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ._records import EvalTask
from ._schema import DATA_DIR, _check
from ._taxonomy import Taxonomy, load_taxonomy

__all__ = [
    "RESULT_COLUMNS",
    "CoverageReport",
    "coverage",
    "load_eval_registry",
    "read_inspect_logs",
    "read_lm_eval_results",
]

RESULT_COLUMNS = ("source", "model", "task", "metric", "value", "stderr", "n_samples", "file")
_INSPECT_HINT = 'install the extra: pip install "mpiis-aisafety[inspect]"'


def load_eval_registry() -> list[EvalTask]:
    """The shipped registry of evaluation tasks (``data/evalmap/registry.json``)."""
    path = DATA_DIR / "evalmap" / "registry.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for rec in doc["tasks"]:
        errs = _check(rec, "eval_task")
        if errs:
            raise ValueError(f"{path.name} [{rec.get('name')}] {errs[0][0]}: {errs[0][1]}")
        out.append(EvalTask.from_dict(rec))
    return out


def _files(paths: str | Path | Iterable[str | Path], patterns: tuple[str, ...]) -> list[Path]:
    if isinstance(paths, str | Path):
        paths = [paths]
    out: list[Path] = []
    for p in paths:
        if not isinstance(p, str | Path):
            raise TypeError(f"`paths` must hold file or folder paths, got {type(p).__name__}")
        p = Path(p)
        if not p.exists():
            raise FileNotFoundError(f"`paths`: {str(p)!r} does not exist")
        if p.is_dir():
            found = sorted({f for pat in patterns for f in p.rglob(pat)})
            if not found:
                raise FileNotFoundError(f"`paths`: no {' or '.join(patterns)} files under {p}")
            out += found
        else:
            out.append(p)
    if not out:
        raise ValueError("`paths` is empty")
    return out


def _num(x: Any) -> float:
    if isinstance(x, bool) or not isinstance(x, int | float):
        return math.nan
    return float(x)


def _lm_eval_model(doc: dict[str, Any]) -> str:
    if doc.get("model_name"):
        return str(doc["model_name"])
    cfg = doc.get("config") or {}
    args = cfg.get("model_args")
    if isinstance(args, dict):
        return str(args.get("pretrained") or args.get("model") or json.dumps(args))
    if isinstance(args, str) and args:
        for part in args.split(","):
            key, _, val = part.partition("=")
            if key.strip() in ("pretrained", "model", "engine"):
                return val.strip()
        return args
    return str(cfg.get("model") or "unknown")


def read_lm_eval_results(paths: str | Path | Iterable[str | Path]) -> pd.DataFrame:
    """Read lm-evaluation-harness ``results*.json`` files into a tidy table.

    Each ``results: {task: {"acc,none": v, "acc_stderr,none": s, ...}}`` entry gives one row
    per metric (the ``,none`` filter suffix is dropped, other filters kept); the model comes
    from ``model_name`` or ``config.model_args``.

    Args:
        paths: files, or folders searched for ``results*.json``.

    Returns:
        Columns :data:`RESULT_COLUMNS`.

    Raises:
        FileNotFoundError: a path that does not exist.
        ValueError: a file that is not JSON or has no ``results``.
    """
    rows = []
    for f in _files(paths, ("results*.json",)):
        try:
            doc = json.loads(f.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{f}: not a JSON file ({exc})") from exc
        if not isinstance(doc, dict) or not isinstance(doc.get("results"), dict):
            raise ValueError(f"{f}: not an lm-evaluation-harness results file (no `results`)")
        model = _lm_eval_model(doc)
        n_samples = doc.get("n-samples") or {}
        for task, metrics in doc["results"].items():
            if not isinstance(metrics, dict):
                continue
            ns = n_samples.get(task) or {}
            n = ns.get("effective", ns.get("original")) if isinstance(ns, dict) else None
            for key, val in metrics.items():
                name, _, filt = key.partition(",")
                if name == "alias" or name.endswith("_stderr") or not math.isfinite(_num(val)):
                    continue
                stderr = _num(metrics.get(f"{name}_stderr,{filt}" if filt else f"{name}_stderr"))
                metric = name if filt in ("", "none") else f"{name},{filt}"
                rows.append(("lm-eval", model, task, metric, _num(val), stderr,
                             _num(n), str(f)))
    return pd.DataFrame(rows, columns=list(RESULT_COLUMNS))


def _inspect_header(f: Path) -> dict[str, Any]:
    """The log header as a dict: through inspect_ai when installed, else from the file."""
    try:
        from inspect_ai.log import read_eval_log  # type: ignore[import-not-found]
    except ImportError:
        read_eval_log = None
    if read_eval_log is not None:
        log = read_eval_log(str(f), header_only=True)
        return json.loads(log.model_dump_json(exclude={"samples"}))
    if f.suffix == ".json":
        try:
            return json.loads(f.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{f}: not a JSON inspect log ({exc})") from exc
    if f.suffix == ".eval":
        try:
            with zipfile.ZipFile(f) as z:
                if "header.json" in z.namelist():
                    return json.loads(z.read("header.json"))
        except zipfile.BadZipFile as exc:
            raise ValueError(f"{f}: not an inspect .eval archive ({exc})") from exc
        raise ImportError(f"{f}: this .eval log has no header.json (an unfinished or newer "
                          f"log); reading it needs inspect-ai: {_INSPECT_HINT}")
    raise ValueError(f"{f}: an inspect log ends in .eval or .json, got {f.suffix!r}")


def read_inspect_logs(paths: str | Path | Iterable[str | Path]) -> pd.DataFrame:
    """Read inspect_ai evaluation logs (``.eval`` or ``.json``) into the tidy table.

    With the ``inspect`` extra installed the logs go through ``inspect_ai.log.read_eval_log``;
    without it, ``.json`` logs and finished ``.eval`` archives (a zip with ``header.json``) are
    read directly, and anything else raises an ImportError naming the extra. One row per
    scorer metric (``stderr`` goes to its own column).

    Args:
        paths: files, or folders searched for ``*.eval`` and ``*.json``.

    Raises:
        FileNotFoundError: a path that does not exist.
        ValueError: a file that is not an inspect log or a log without results.
        ImportError: a log that only inspect-ai can read, when it is not installed.
    """
    rows = []
    for f in _files(paths, ("*.eval", "*.json")):
        doc = _inspect_header(f)
        ev = doc.get("eval") if isinstance(doc, dict) else None
        if not isinstance(ev, dict) or "task" not in ev:
            raise ValueError(f"{f}: not an inspect_ai log (no `eval.task`)")
        res = doc.get("results")
        if not isinstance(res, dict):
            raise ValueError(f"{f}: log has no `results` (status {doc.get('status')!r})")
        scores = res.get("scores") or []
        n = _num(res.get("completed_samples", res.get("total_samples")))
        for sc in scores:
            metrics = sc.get("metrics") or {}
            stderr = _num((metrics.get("stderr") or {}).get("value"))
            for mname, m in metrics.items():
                if mname == "stderr":
                    continue
                metric = mname if len(scores) == 1 else f"{sc.get('name')}/{mname}"
                rows.append(("inspect_ai", str(ev.get("model")), str(ev["task"]), metric,
                             _num((m or {}).get("value")), stderr, n, str(f)))
    return pd.DataFrame(rows, columns=list(RESULT_COLUMNS))


def _normalise(task: str) -> str:
    return task.strip().lower().rsplit("/", 1)[-1]


@dataclass(frozen=True, eq=False)
class CoverageReport:
    """Which taxonomy nodes the evaluations touch.

    Attributes:
        table: one row per risk class, leaf risk and modifier: ``node_id, kind, label, tasks,
            models, n_results, covered``. A task mapped to a class covers that row only.
        covered: leaf risks with at least one task.
        uncovered: leaf risks without any task.
        unmapped_tasks: tasks the registry does not know (reported, never dropped).
        capability_tasks: tasks that map only to capability topics, not to a risk.
        scores: every (task, model, metric) score with the registry's nodes, what it measures
            and its caveat; nothing is averaged.
    """

    table: pd.DataFrame
    covered: tuple[str, ...]
    uncovered: tuple[str, ...]
    unmapped_tasks: tuple[str, ...]
    capability_tasks: tuple[str, ...]
    scores: pd.DataFrame

    def to_markdown(self) -> str:
        lines = ["| node | kind | label | tasks | models | results | covered |",
                 "|---|---|---|---|---|---|---|"]
        for r in self.table.itertuples(index=False):
            lines.append(f"| {r.node_id} | {r.kind} | {r.label} | {', '.join(r.tasks) or '—'} "
                         f"| {', '.join(r.models) or '—'} | {r.n_results} | "
                         f"{'yes' if r.covered else 'no'} |")
        lines.append("")
        lines.append(f"Uncovered leaf risks: {', '.join(self.uncovered) or 'none'}.")
        lines.append(f"Capability-only tasks: {', '.join(self.capability_tasks) or 'none'}.")
        lines.append(f"Unmapped tasks: {', '.join(self.unmapped_tasks) or 'none'}.")
        return "\n".join(lines) + "\n"


def coverage(results: pd.DataFrame, *, taxonomy: Taxonomy | None = None,
             registry: list[EvalTask] | None = None) -> CoverageReport:
    """Map evaluation results to taxonomy nodes and report what is covered.

    Args:
        results: a tidy table from :func:`read_lm_eval_results` / :func:`read_inspect_logs`
            (at least ``task`` and ``model``).
        taxonomy: the taxonomy (2025 edition when None).
        registry: the task registry (the shipped one when None).
    """
    if not isinstance(results, pd.DataFrame):
        raise TypeError(f"`results` must be a pandas DataFrame, got {type(results).__name__}")
    missing = [c for c in ("task", "model") if c not in results.columns]
    if missing:
        raise ValueError(f"`results` lacks column(s) {missing}; available: "
                         f"{list(results.columns)}")
    tax = taxonomy if taxonomy is not None else load_taxonomy("iasr-2025")
    reg = registry if registry is not None else load_eval_registry()
    lookup: dict[str, EvalTask] = {}
    for t in reg:
        for name in (t.name, *t.aliases):
            lookup[name.lower()] = t
    scores = results.copy()
    mapped = [lookup.get(_normalise(str(t))) for t in scores["task"]]
    scores["registry_task"] = [m.name if m else None for m in mapped]
    scores["nodes"] = [m.nodes if m else () for m in mapped]
    scores["measures"] = [m.measures if m else None for m in mapped]
    scores["caveat"] = [m.caveat if m else None for m in mapped]
    unmapped = tuple(sorted({str(t) for t, m in zip(scores["task"], mapped, strict=True)
                             if m is None}))
    rows = []
    kinds = ("risk_class", "risk", "modifier")
    for node in tax.nodes:
        if node.kind not in kinds:
            continue
        hit = scores[[node.id in ns for ns in scores["nodes"]]]
        rows.append({"node_id": node.id, "kind": node.kind, "label": node.label,
                     "tasks": tuple(sorted(set(map(str, hit["task"])))),
                     "models": tuple(sorted(set(map(str, hit["model"])))),
                     "n_results": len(hit), "covered": len(hit) > 0})
    table = pd.DataFrame(rows, columns=["node_id", "kind", "label", "tasks", "models",
                                        "n_results", "covered"])
    risk_ids = {n.id for n in tax.nodes if n.kind in kinds}
    cap = tuple(sorted({str(t) for t, ns in zip(scores["task"], scores["nodes"], strict=True)
                        if ns and not any(n in risk_ids for n in ns)}))
    leaf = table[table["kind"] == "risk"]
    return CoverageReport(
        table=table, covered=tuple(leaf.loc[leaf["covered"], "node_id"]),
        uncovered=tuple(leaf.loc[~leaf["covered"], "node_id"]), unmapped_tasks=unmapped,
        capability_tasks=cap, scores=scores,
    )
