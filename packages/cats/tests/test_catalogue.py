import pytest

from mpiis.cats import (
    CAT,
    catalogue,
    compose,
    confounding,
    mediation,
    selection,
    spurious_correlation,
)


def test_catalogue_origins():
    cats = catalogue()
    assert [c.name for c in cats] == ["confounding", "mediation", "spurious_correlation",
                                      "selection", "contamination", "measurement"]
    assert [c.origin for c in cats] == ["leeb2025"] * 3 + ["extension"] * 3
    assert all(isinstance(c, CAT) and c.analyses and set(c.ports) <= set(c.roles) for c in cats)


def test_confounding_implication_only_without_direct_edge():
    assert confounding(direct=True).implications() == ()
    (ind,) = confounding(direct=False).implications()
    assert str(ind) == "X ⊥ Y | Z"


def test_mediation_implication():
    (ind,) = [i for i in mediation(direct=False).implications() if {i.x, i.y} == {"X", "Y"}]
    assert ind.given == ("M",)


def test_spurious_variants():
    cc = spurious_correlation()
    assert any(v.startswith("U_") for v in cc.graph.latent)
    sel = spurious_correlation(via="selection")
    assert sel.graph.selection == {"Sel"}
    with pytest.raises(ValueError, match="via"):
        spurious_correlation(via="magic")


def test_bind_and_unknown_role():
    g = confounding().bind(X="F", Z="difficulty")
    assert ("difficulty", "F") in g.edges
    with pytest.raises(ValueError, match="not a role"):
        confounding().bind(Q="x")


def test_compose_union_and_cycle():
    g = compose(confounding(), mediation(), bind={"confounding": {"X": "X", "Z": "D"},
                                                  "mediation": {}})
    assert {("D", "X"), ("X", "M"), ("M", "Y")} <= set(g.edges)
    with pytest.raises(ValueError, match="cycle"):
        compose(confounding(), mediation(), bind={"confounding": {"X": "M", "Y": "X",
                                                                  "Z": "D"}})
    with pytest.raises(ValueError, match="unknown CATs"):
        compose(confounding(), bind={"nope": {}})


def test_selection_extension_collider():
    c = selection()
    assert c.origin == "extension" and c.graph.selection == {"Sel"}
