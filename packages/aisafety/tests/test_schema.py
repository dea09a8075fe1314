from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mpiis.aisafety import Claim, RiskNode, json_schema, validate_records
from mpiis.aisafety._schema import DATA_DIR


def test_all_shipped_records_validate():
    rep = validate_records()
    assert rep.ok, str(rep)
    assert rep.n_files == 7 and rep.n_records > 150


def test_edition_subset():
    rep = validate_records(edition="iasr-2024-interim")
    assert rep.ok and rep.n_records < validate_records().n_records
    with pytest.raises(ValueError, match="edition"):
        validate_records(edition="iasr-1999")


def test_jsonschema_agrees_on_every_shipped_record():
    jsonschema = pytest.importorskip("jsonschema")
    checks = {"taxonomy": ("nodes", "risk_node"), "claims": ("claims", "claim"),
              "crosswalk": ("entries", "crosswalk"), "evalmap": ("tasks", "eval_task")}
    n = 0
    for folder, (key, kind) in checks.items():
        validator = jsonschema.Draft202012Validator(json_schema(kind))
        for p in (DATA_DIR / folder).glob("*.json"):
            for rec in json.loads(p.read_text())[key]:
                assert not list(validator.iter_errors(rec)), (p.name, rec)
                n += 1
    assert n > 100


def test_schema_errors_name_the_field():
    from mpiis.aisafety._schema import _check

    rec = json.loads((DATA_DIR / "claims" / "iasr-2025.json").read_text())["claims"][0]
    assert _check(rec, "claim") == []
    cases = {"unit": {"unit": "furlongs"}, "interval": {"interval": [1.0]},
             "approx": {"approx": "yes"}, "extra": {"extra": 1}}
    for field, bad in cases.items():
        errs = _check({**rec, **bad}, "claim")
        assert [e[0] for e in errs] == [field], (field, errs)
    missing = {k: v for k, v in rec.items() if k != "statement"}
    assert _check(missing, "claim") == [("statement", "missing required field")]


def test_every_schema_is_a_valid_draft_2020_12_schema():
    jsonschema = pytest.importorskip("jsonschema")
    for kind in ("risk_node", "claim", "eval_task", "crosswalk", "model_record"):
        jsonschema.Draft202012Validator.check_schema(json_schema(kind))


def test_json_schema_kinds():
    for kind in ("risk_node", "claim", "eval_task", "crosswalk", "model_record"):
        s = json_schema(kind)
        assert s["$schema"].endswith("2020-12/schema") and s["type"] == "object"
    with pytest.raises(ValueError, match="kind"):
        json_schema("taxon")


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "data"
    shutil.copytree(DATA_DIR, dst)
    return dst


def edit(path: Path, fn) -> None:
    doc = json.loads(path.read_text())
    fn(doc)
    path.write_text(json.dumps(doc))


def errors_of(root: Path) -> list[tuple[str, str, str, str]]:
    rep = validate_records(data_dir=root)
    assert not rep.ok
    with pytest.raises(ValueError, match="error"):
        rep.raise_if_errors()
    return list(rep.errors)


def test_duplicate_id(data_copy):
    edit(data_copy / "taxonomy" / "iasr-2025.json", lambda d: d["nodes"].append(d["nodes"][5]))
    errs = errors_of(data_copy)
    assert any(e[0] == "taxonomy/iasr-2025.json" and "duplicate" in e[3] for e in errs)


def test_missing_parent(data_copy):
    edit(data_copy / "taxonomy" / "iasr-2025.json",
         lambda d: d["nodes"][5].update(parent="iasr.nowhere"))
    errs = errors_of(data_copy)
    assert ("taxonomy/iasr-2025.json", "iasr.malicious_use", "parent") in [e[:3] for e in errs]


def test_cycle(data_copy):
    def fn(d):
        by = {n["id"]: n for n in d["nodes"]}
        by["iasr.risks"]["parent"] = "iasr.malicious_use"

    edit(data_copy / "taxonomy" / "iasr-2025.json", fn)
    assert any("cycle" in e[3] for e in errors_of(data_copy))


@pytest.mark.parametrize("field,value", [("kind", "chapter"), ("verification", "rumour")])
def test_bad_enums_in_nodes(data_copy, field, value):
    edit(data_copy / "taxonomy" / "iasr-2025.json", lambda d: d["nodes"][0].update({field: value}))
    assert any(e[2] == field and value in e[3] for e in errors_of(data_copy))


@pytest.mark.parametrize("update,field", [
    ({"unit": "furlongs"}, "unit"),
    ({"verification": "rumour"}, "verification"),
    ({"interval": [3.0, 2.0]}, "interval"),
    ({"reproducible": True, "recipe": None}, "recipe"),
    ({"recipe": "C99"}, "recipe"),
    ({"risk_nodes": ["iasr.nowhere"]}, "risk_nodes"),
    ({"section": ["9.9"]}, "section"),
])
def test_bad_claims(data_copy, update, field):
    edit(data_copy / "claims" / "iasr-2025.json", lambda d: d["claims"][3].update(update))
    errs = errors_of(data_copy)
    assert ("claims/iasr-2025.json", "C4", field) in [e[:3] for e in errs]


def test_bad_predicate_and_missing_leaf(data_copy):
    def fn(d):
        d["entries"][0]["predicate"] = "similar"
        d["entries"] = [e for e in d["entries"] if e["source"] != "iasr.systemic.privacy"]

    edit(data_copy / "crosswalk" / "iasr-2025__mit-domain-v1.json", fn)
    errs = errors_of(data_copy)
    assert any(e[2] == "predicate" for e in errs)
    assert any(e[1] == "iasr.systemic.privacy" and "no crosswalk" in e[3] for e in errs)


def test_registry_unknown_node(data_copy):
    edit(data_copy / "evalmap" / "registry.json", lambda d: d["tasks"][0].update(nodes=["x.y"]))
    assert any(e[0] == "evalmap/registry.json" and e[2] == "nodes"
               for e in errors_of(data_copy))


def test_models_csv_bad_value(data_copy):
    p = data_copy / "models" / "frontier_top3.csv"
    p.write_text(p.read_text().replace("6.0e17", "-6.0e17"))
    assert any(e[2] == "training_compute_flop" for e in errors_of(data_copy))


def test_records_round_trip():
    node = RiskNode(id="x.y", label="Y", parent=None, kind="risk", editions=["e"])
    assert RiskNode.from_dict(node.to_dict()) == node
    with pytest.raises(ValueError, match="unknown field"):
        RiskNode.from_dict({**node.to_dict(), "colour": "red"})
    c = Claim.from_dict(json.loads((DATA_DIR / "claims" / "iasr-2025.json").read_text())
                        ["claims"][5])
    assert c.id == "C6" and c.reported_interval() == [(2.0, float("inf"))]
