from __future__ import annotations

import pytest

from mpiis.aisafety import diff_taxonomies, editions, load_crosswalk, load_taxonomy


def test_pinned_counts():
    tax = load_taxonomy()
    assert len(tax) == 35
    assert len(tax.leaves("risk_class")) == 3
    assert len(tax.leaves("risk")) == 13
    assert [n.id for n in tax.leaves("modifier")] == ["iasr.open_weights"]
    assert tax.header["arxiv"] == "2501.17805"


def test_navigation():
    tax = load_taxonomy("iasr-2025")
    assert [n.id for n in tax.children("iasr.malfunctions")] == [
        "iasr.malfunctions.reliability", "iasr.malfunctions.bias",
        "iasr.malfunctions.loss_of_control"]
    assert [n.id for n in tax.ancestors("iasr.malicious_use.cyber_offence")] == [
        "iasr.malicious_use", "iasr.risks"]
    assert tax.get("iasr.systemic.environment").section == "2.3.4"
    assert {n.id for n in tax.find("ENERGY")} == {"iasr.systemic.environment"}
    assert "iasr.malfunctions.loss_of_control" in {n.id for n in tax.find("loss of control")}
    df = tax.to_frame()
    assert df.shape[0] == 35 and "summary" in df.columns
    with pytest.raises(KeyError, match="similar"):
        tax.get("iasr.malicious_use.cyber")
    with pytest.raises(ValueError, match="kind"):
        tax.leaves("chapter")
    with pytest.raises(ValueError, match="text"):
        tax.find("  ")


def test_editions_and_interim():
    assert set(editions()) == {"iasr-2025", "iasr-2024-interim", "mit-domain-v1"}
    interim = load_taxonomy("iasr-2024-interim")
    assert interim.parts_encoded == ("risks",)
    assert interim.get("iasr.malicious_use.bio_chem").section == "4.1.4"
    with pytest.raises(ValueError, match="edition"):
        load_taxonomy("iasr-2030")


def test_pinned_diff_interim_to_2025():
    d = diff_taxonomies("iasr-2024-interim", "iasr-2025")
    assert d.parts == ("risks",)
    assert d.added == ("iasr.open_weights",)
    assert set(d.removed) == {"iasr.cross_cutting", "iasr.cross_cutting.technical",
                              "iasr.cross_cutting.societal"}
    leaves = {n.id for n in load_taxonomy().leaves("risk")}
    moved = {m[0] for m in d.moved}
    assert leaves <= moved  # all 13 leaves kept and moved (4.x -> 2.x)
    relabelled = {r[0] for r in d.relabelled}
    assert "iasr.malicious_use.bio_chem" in relabelled
    assert d.summary().startswith("iasr-2024-interim -> iasr-2025")
    with pytest.raises(TypeError, match="old"):
        diff_taxonomies(3, "iasr-2025")


def test_crosswalk():
    cw = load_crosswalk()
    env = cw.map("iasr.systemic.environment")
    assert [(e.target, e.predicate) for e in env] == [("mit.6.6", "exact")]
    assert [e.predicate for e in cw.map("iasr.open_weights")] == ["no_match"]
    mit = load_taxonomy("mit-domain-v1")
    assert len(mit.leaves("risk_class")) == 7 and len(mit.leaves("risk")) == 23
    for leaf in load_taxonomy().leaves("risk"):
        assert cw.map(leaf.id), leaf.id
    with pytest.raises(ValueError, match="no crosswalk"):
        load_crosswalk("iasr-2025", "nist")
