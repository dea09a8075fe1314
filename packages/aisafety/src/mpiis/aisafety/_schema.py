"""JSON schemas of the shipped records and the validator (paper brief, "Data" and claim D1).

:func:`json_schema` returns a Draft 2020-12 schema per record kind; :func:`validate_records`
checks every shipped file against it with ``jsonschema`` (Draft 2020-12) and then checks
referential integrity: unique ids,
parents that exist, no cycles, claim nodes, sections and recipes that exist, crosswalk ends that
exist and a crosswalk entry (or ``no_match``) for every leaf risk and modifier.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from ._records import KINDS, MEASURES, PREDICATES, UNITS, VERIFICATIONS

__all__ = ["DATA_DIR", "ValidationReport", "json_schema", "validate_records"]

DATA_DIR = Path(__file__).parent / "data"
SchemaKind = Literal["risk_node", "claim", "eval_task", "crosswalk", "model_record"]
_DRAFT = "https://json-schema.org/draft/2020-12/schema"
_ID = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$"
_DATE = r"^\d{4}-\d{2}-\d{2}$"


def _nullable(t: str) -> list[str]:
    return [t, "null"]


def _obj(props: dict[str, Any], title: str) -> dict[str, Any]:
    return {"$schema": _DRAFT, "title": title, "type": "object", "required": sorted(props),
            "additionalProperties": False, "properties": props}


def json_schema(kind: SchemaKind) -> dict[str, Any]:
    """The JSON schema (Draft 2020-12) of one record kind.

    Args:
        kind: ``"risk_node"``, ``"claim"``, ``"eval_task"``, ``"crosswalk"`` (one entry) or
            ``"model_record"`` (one row of the bundled model table).

    Raises:
        ValueError: for an unknown ``kind``.
    """
    strs = {"type": "array", "items": {"type": "string"}}
    if kind == "risk_node":
        return _obj({
            "id": {"type": "string", "pattern": _ID},
            "label": {"type": "string", "minLength": 1},
            "parent": {"type": _nullable("string")},
            "kind": {"enum": list(KINDS)},
            "section": {"type": _nullable("string")},
            "pages": {"type": _nullable("array"), "items": {"type": "integer"}},
            "summary": {"type": _nullable("string")},
            "evidence_level": {"type": _nullable("string")},
            "mitigations": {"type": _nullable("array"), "items": {"type": "string"}},
            "editions": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            "verification": {"enum": list(VERIFICATIONS)},
        }, "risk_node")
    if kind == "claim":
        return _obj({
            "id": {"type": "string", "pattern": r"^C[0-9]+$"},
            "edition": {"type": "string", "minLength": 1},
            "section": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            "figure": {"type": _nullable("string")},
            "page": {"type": _nullable("integer")},
            "statement": {"type": "string", "minLength": 1},
            "quantity": {"type": "string", "minLength": 1},
            "value": {"type": ["number", "array", "null"], "items": {"type": "number"}},
            "interval": {"type": _nullable("array"), "items": {"type": ["number", "null"]},
                         "minItems": 2, "maxItems": 2},
            "approx": {"type": "boolean"},
            "unit": {"enum": list(UNITS)},
            "period": {"type": _nullable("string")},
            "source": {"type": "object", "required": ["citation", "dataset"],
                       "additionalProperties": False,
                       "properties": {"dataset": {"type": "string"},
                                      "citation": {"type": "string"}}},
            "reproducible": {"type": "boolean"},
            "recipe": {"type": _nullable("string")},
            "verification": {"enum": list(VERIFICATIONS)},
            "risk_nodes": strs,
        }, "claim")
    if kind == "eval_task":
        return _obj({
            "name": {"type": "string", "minLength": 1},
            "aliases": strs,
            "harnesses": {"type": "array", "items": {"enum": ["lm-eval", "inspect_ai"]},
                          "minItems": 1},
            "nodes": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            "measures": {"enum": list(MEASURES)},
            "caveat": {"type": "string", "minLength": 1},
        }, "eval_task")
    if kind == "crosswalk":
        return _obj({
            "source": {"type": "string", "pattern": _ID},
            "target": {"type": _nullable("string")},
            "predicate": {"enum": list(PREDICATES)},
            "mapped_by": {"type": "string", "minLength": 1},
            "date": {"type": "string", "pattern": _DATE},
            "comment": {"type": _nullable("string")},
        }, "crosswalk")
    if kind == "model_record":
        return _obj({
            "model": {"type": "string", "minLength": 1},
            "organization": {"type": "string", "minLength": 1},
            "publication_date": {"type": "string", "pattern": _DATE},
            "training_compute_flop": {"type": "number", "exclusiveMinimum": 0},
            "source": {"type": "string", "minLength": 1},
        }, "model_record")
    raise ValueError(
        "`kind` must be one of ('risk_node', 'claim', 'eval_task', 'crosswalk', 'model_record'), "
        f"got {kind!r}"
    )


# ------------------------------------------------------------------ schema checks (jsonschema)


@cache
def _validator(kind: str) -> Any:
    import jsonschema

    schema = json_schema(kind)  # type: ignore[arg-type]
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _check(value: Any, schema_kind: str, path: str = "") -> list[tuple[str, str]]:
    """Errors as (field path, message), from ``jsonschema``'s Draft 2020-12 validator."""
    out = []
    for err in sorted(_validator(schema_kind).iter_errors(value), key=lambda e: list(e.path)):
        field = ".".join(str(p) for p in err.absolute_path)
        if err.validator == "required":
            missing = err.message.split("'")[1] if "'" in err.message else ""
            field = f"{field}.{missing}".strip(".")
            msg = "missing required field"
        elif err.validator == "additionalProperties":
            extra = err.message.split("'")[1] if "'" in err.message else ""
            field = f"{field}.{extra}".strip(".")
            msg = "unknown field"
        else:
            msg = err.message
        out.append((f"{path}.{field}".strip(".") if path else field, msg))
    return out


# ------------------------------------------------------------------------------ the report


@dataclass(frozen=True)
class ValidationReport:
    """Outcome of :func:`validate_records`.

    Attributes:
        errors: ``(file, record id, field, message)`` tuples; empty when all is well.
        n_files: files checked.
        n_records: records checked.
    """

    errors: tuple[tuple[str, str, str, str], ...]
    n_files: int
    n_records: int

    @property
    def ok(self) -> bool:
        return not self.errors

    def __str__(self) -> str:
        head = f"{self.n_records} records in {self.n_files} files: "
        if self.ok:
            return head + "all valid"
        lines = [f"  {f} [{rid}] {field}: {msg}" for f, rid, field, msg in self.errors]
        return head + f"{len(self.errors)} error(s)\n" + "\n".join(lines)

    def raise_if_errors(self) -> None:
        """Raise ``ValueError`` listing the errors (file, record id, field, message)."""
        if self.errors:
            raise ValueError(str(self))


class _Collector:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.errors: list[tuple[str, str, str, str]] = []
        self.n_files = 0
        self.n_records = 0

    def add(self, path: Path, rid: Any, field: str, msg: str) -> None:
        try:
            rel = str(path.relative_to(self.root))
        except ValueError:
            rel = str(path)
        self.errors.append((rel, str(rid), field, msg))


def _read_json(path: Path, col: _Collector) -> dict[str, Any] | None:
    col.n_files += 1
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        col.add(path, "-", "-", f"cannot read JSON: {exc}")
        return None
    if not isinstance(doc, dict):
        col.add(path, "-", "-", "top level must be an object")
        return None
    return doc


def _records(doc: dict[str, Any], key: str, kind: SchemaKind, idkey: str, path: Path,
             col: _Collector) -> list[dict[str, Any]]:
    recs = doc.get(key)
    if not isinstance(recs, list):
        col.add(path, "-", key, f"missing list of {kind} records")
        return []
    good = []
    for i, rec in enumerate(recs):
        col.n_records += 1
        rid = rec.get(idkey, f"#{i}") if isinstance(rec, dict) else f"#{i}"
        errs = _check(rec, kind)
        for field, msg in errs:
            col.add(path, rid, field or "-", msg)
        if not errs:
            good.append(rec)
    return good


def _unique(recs: list[dict[str, Any]], key: str, path: Path, col: _Collector) -> None:
    seen: set[str] = set()
    for r in recs:
        if r[key] in seen:
            col.add(path, r[key], key, f"duplicate id {r[key]!r}")
        seen.add(r[key])


def check_taxonomy_doc(doc: dict[str, Any], path: Path, col: _Collector) -> list[dict[str, Any]]:
    """Schema, header, unique ids, parents and acyclicity of one taxonomy file."""
    for key in ("edition", "title", "parts_encoded", "nodes"):
        if key not in doc:
            col.add(path, "-", key, "missing header field")
    nodes = _records(doc, "nodes", "risk_node", "id", path, col)
    _unique(nodes, "id", path, col)
    by_id = {n["id"]: n for n in nodes}
    for n in nodes:
        if n["parent"] is not None and n["parent"] not in by_id:
            col.add(path, n["id"], "parent", f"parent {n['parent']!r} does not exist")
    for n in nodes:
        seen, cur = {n["id"]}, n["parent"]
        while cur is not None and cur in by_id:
            if cur in seen:
                col.add(path, n["id"], "parent", f"cycle through {cur!r}")
                break
            seen.add(cur)
            cur = by_id[cur]["parent"]
    return nodes


def _editions_of(root: Path, col: _Collector) -> dict[str, tuple[Path, dict[str, Any]]]:
    out = {}
    for p in sorted((root / "taxonomy").glob("*.json")):
        doc = _read_json(p, col)
        if doc is not None:
            out[str(doc.get("edition", p.stem))] = (p, doc)
    return out


def _check_models_csv(path: Path, col: _Collector) -> None:
    col.n_files += 1
    schema = json_schema("model_record")
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = set(schema["required"]) - set(reader.fieldnames or [])
        if missing:
            col.add(path, "-", "header", f"missing columns {sorted(missing)}")
            return
        for i, row in enumerate(reader):
            col.n_records += 1
            rec: dict[str, Any] = {k: row[k] for k in schema["required"]}
            try:
                rec["training_compute_flop"] = float(rec["training_compute_flop"])
            except ValueError:
                col.add(path, row.get("model", f"#{i}"), "training_compute_flop",
                        f"not a number: {rec['training_compute_flop']!r}")
                continue
            for field, msg in _check(rec, "model_record"):
                col.add(path, row.get("model", f"#{i}"), field, msg)


def validate_records(*, edition: str | None = None,
                     data_dir: str | Path | None = None) -> ValidationReport:
    """Validate the shipped records (claim D1): schema, then referential integrity.

    Args:
        edition: only the files of this edition (its taxonomy, claims and crosswalks, plus the
            evaluation registry and the model table for ``"iasr-2025"``); all files when None.
        data_dir: a copy of the data folder to check instead of the shipped one.

    Returns:
        A :class:`ValidationReport`; ``.ok`` is True when no error was found.
    """
    from ._reproduce import RECIPES  # local import: _reproduce depends on the loaders

    root = Path(data_dir) if data_dir is not None else DATA_DIR
    col = _Collector(root)
    taxa = _editions_of(root, col)
    if edition is not None and edition not in taxa:
        raise ValueError(f"`edition` must be one of {tuple(taxa)}, got {edition!r}")
    nodes_of: dict[str, dict[str, dict[str, Any]]] = {}
    for ed, (p, doc) in taxa.items():
        nodes = check_taxonomy_doc(doc, p, col) if edition in (None, ed) else doc.get("nodes", [])
        nodes_of[ed] = {n["id"]: n for n in nodes if isinstance(n, dict) and "id" in n}

    for p in sorted((root / "claims").glob("*.json")):
        doc = _read_json(p, col)
        if doc is None or (edition is not None and doc.get("edition") != edition):
            continue
        claims = _records(doc, "claims", "claim", "id", p, col)
        _unique(claims, "id", p, col)
        for c in claims:
            tax = nodes_of.get(c["edition"])
            if tax is None:
                col.add(p, c["id"], "edition", f"no taxonomy for edition {c['edition']!r}")
                continue
            sections = {n.get("section") for n in tax.values()}
            for s in c["section"]:
                if s not in sections:
                    col.add(p, c["id"], "section", f"section {s!r} is not in the taxonomy")
            for nid in c["risk_nodes"]:
                if nid not in tax:
                    col.add(p, c["id"], "risk_nodes", f"node {nid!r} does not exist")
            iv = c["interval"]
            if iv is not None and iv[0] is None:
                col.add(p, c["id"], "interval", "low end must be a number")
            elif iv is not None and iv[1] is not None and iv[0] > iv[1]:
                col.add(p, c["id"], "interval", f"low {iv[0]} > high {iv[1]}")
            if c["reproducible"] and not c["recipe"]:
                col.add(p, c["id"], "recipe", "a reproducible claim needs a recipe")
            if c["recipe"] is not None and c["recipe"] not in RECIPES:
                col.add(p, c["id"], "recipe", f"unknown recipe {c['recipe']!r}")

    for p in sorted((root / "crosswalk").glob("*.json")):
        doc = _read_json(p, col)
        if doc is None:
            continue
        src, dst = doc.get("source_edition"), doc.get("target_edition")
        if edition is not None and edition not in (src, dst):
            continue
        entries = _records(doc, "entries", "crosswalk", "source", p, col)
        if src not in nodes_of or dst not in nodes_of:
            col.add(p, "-", "source_edition", f"unknown edition(s) {src!r} -> {dst!r}")
            continue
        for e in entries:
            if e["source"] not in nodes_of[src]:
                col.add(p, e["source"], "source", f"node {e['source']!r} not in {src}")
            if e["predicate"] == "no_match":
                if e["target"] is not None:
                    col.add(p, e["source"], "target", "no_match entries have no target")
            elif e["target"] not in nodes_of[dst]:
                col.add(p, e["source"], "target", f"node {e['target']!r} not in {dst}")
        mapped = {e["source"] for e in entries}
        for nid, n in nodes_of[src].items():
            if n.get("kind") in ("risk", "modifier") and nid not in mapped:
                col.add(p, nid, "source", "leaf has no crosswalk entry (add one or no_match)")

    if edition in (None, "iasr-2025"):
        reg = root / "evalmap" / "registry.json"
        doc = _read_json(reg, col)
        if doc is not None:
            tasks = _records(doc, "tasks", "eval_task", "name", reg, col)
            _unique(tasks, "name", reg, col)
            names: dict[str, str] = {}
            for t in tasks:
                for alias in (t["name"], *t["aliases"]):
                    if alias in names and names[alias] != t["name"]:
                        col.add(reg, t["name"], "aliases", f"{alias!r} also names {names[alias]}")
                    names[alias] = t["name"]
                for nid in t["nodes"]:
                    if nid not in nodes_of.get("iasr-2025", {}):
                        col.add(reg, t["name"], "nodes", f"node {nid!r} does not exist")
        for p in sorted((root / "models").glob("*.csv")):
            _check_models_csv(p, col)
    return ValidationReport(tuple(col.errors), col.n_files, col.n_records)
