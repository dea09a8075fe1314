import networkx as nx
import numpy as np
import pytest

from mpiis.cats import CausalGraph, adjustment_sets, d_separated, implied_independencies
from mpiis.cats.benchmark import PRESETS, Preset, _dsep_reference, b8_run


def test_cycle_is_named():
    with pytest.raises(ValueError, match="cycle A -> B -> C -> A"):
        CausalGraph([("A", "B"), ("B", "C"), ("C", "A")])


@pytest.mark.parametrize("kw, match", [
    ({"edges": [("A", "A")]}, "self-loop"),
    ({"edges": [("A", "B")], "latent": ["Q"]}, "latent"),
    ({"edges": [("A", "B")], "selection": ["Q"]}, "selection"),
    ({"edges": [("A",)]}, "pairs"),
])
def test_bad_graphs(kw, match):
    edges = kw.pop("edges")
    with pytest.raises(ValueError, match=match):
        CausalGraph(edges, **kw)


def test_bidirected_is_latent_parent():
    g = CausalGraph([("A", "B")], bidirected=[("A", "C")])
    assert "U_A_C" in g.latent and ("U_A_C", "C") in g.edges
    assert g.observed == ("A", "B", "C")
    assert not d_separated(g, "A", "C")


def test_dot_round_trip():
    g = CausalGraph([("Z", "X"), ("X", "Y")], bidirected=[("X", "Y")], selection=[])
    g2 = CausalGraph.from_dot(g.to_dot())
    assert set(g2.edges) == set(g.edges) and g2.latent == g.latent
    g3 = CausalGraph.from_dot("digraph { a -> b -> c; a <-> c; s [selection]; c -> s }")
    assert ("a", "b") in g3.edges and g3.selection == {"s"} and len(g3.latent) == 1
    with pytest.raises(ValueError, match="braces"):
        CausalGraph.from_dot("a -> b")


def test_networkx_round_trip():
    g = CausalGraph([("Z", "X"), ("Z", "Y")], latent=["Z"])
    g2 = CausalGraph.from_networkx(g.to_networkx())
    assert g2 == g


def test_confounding_implications_and_adjustment():
    g = CausalGraph([("Z", "X"), ("Z", "Y")])
    (ind,) = implied_independencies(g)
    assert (ind.x, ind.y, ind.given, ind.status) == ("X", "Y", ("Z",), "testable")
    g2 = CausalGraph([("Z", "X"), ("Z", "Y"), ("X", "Y")])
    assert adjustment_sets(g2, "X", "Y") == (frozenset({"Z"}),)


def test_latent_confounder_is_untestable_not_dropped():
    g = CausalGraph([("Z", "X"), ("Z", "Y")], latent=["Z"])
    (ind,) = implied_independencies(g)
    assert ind.status == "untestable" and "latent" in ind.reason
    assert adjustment_sets(CausalGraph([("Z", "X"), ("Z", "Y"), ("X", "Y")], latent=["Z"]),
                           "X", "Y") == ()


def test_max_cond_cap_reports_untestable():
    g = CausalGraph([("A", "X"), ("B", "X"), ("A", "Y"), ("B", "Y")])
    statuses = {(i.x, i.y): i.status for i in implied_independencies(g, max_cond=1)}
    assert statuses[("X", "Y")] == "untestable"
    assert {(i.x, i.y): i.status for i in implied_independencies(g)}[("X", "Y")] == "testable"


def test_selection_population_statement():
    g = CausalGraph([("S", "R"), ("D", "R"), ("R", "Sel"), ("D", "Y")], latent=["D", "R"],
                    selection=["Sel"])
    (ind,) = implied_independencies(g)
    assert ind.status == "population" and (ind.x, ind.y) == ("S", "Y")
    assert not d_separated(g, "S", "Y")


def test_local_markov():
    g = CausalGraph([("A", "B"), ("B", "C")])
    stm = {(s.x, s.y, s.given) for s in implied_independencies(g, kind="local_markov")}
    assert ("C", "A", ("B",)) in stm


def test_adjustment_minimal_vs_all():
    g = CausalGraph([("Z1", "X"), ("Z1", "Z2"), ("Z2", "Y"), ("X", "Y"), ("W", "Y")])
    minimal = set(adjustment_sets(g, "X", "Y"))
    assert minimal == {frozenset({"Z1"}), frozenset({"Z2"})}
    every = set(adjustment_sets(g, "X", "Y", which="all"))
    assert frozenset({"Z1", "Z2", "W"}) in every and minimal <= every


@pytest.mark.parametrize("args, match", [(("X", "X"), "differ"), (("Q", "Y"), "unknown node")])
def test_adjustment_errors(args, match):
    g = CausalGraph([("Z", "X"), ("X", "Y")])
    with pytest.raises(ValueError, match=match):
        adjustment_sets(g, *args)


def test_latent_treatment_raises():
    g = CausalGraph([("Z", "X"), ("X", "Y")], latent=["X"])
    with pytest.raises(ValueError, match="latent"):
        adjustment_sets(g, "X", "Y")


def test_random_dags_agree_with_references():
    r = b8_run(Preset(**{**PRESETS["smoke"].__dict__, "b8_dags": 30}), 0)
    assert r["dsep"] == 1.0 and r["implications"] == 1.0 and r["adjustment"] == 1.0


def test_reference_dsep_can_disagree():
    G = nx.DiGraph([("A", "B"), ("C", "B")])
    assert _dsep_reference(G, "A", "C", set()) and not _dsep_reference(G, "A", "C", {"B"})


def test_graph_negative_control():
    r = b8_run(Preset(**{**PRESETS["smoke"].__dict__, "b8_dags": 6}), 0, corrupt=True)
    assert r["dsep"] < 0.8
    assert np.isfinite(r["implied_12_ms"])
