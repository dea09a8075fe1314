"""The catalogue of Common Abstract Topologies (CATs): the paper's three (its Table 1:
confounding, mediation, spurious correlation) and three labelled extensions (selection,
contamination, measurement), as composable graph templates over role names."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from ._graph import CausalGraph, Independence, implied_independencies

__all__ = ["CAT", "catalogue", "compose", "confounding", "contamination", "measurement",
           "mediation", "selection", "spurious_correlation"]


@dataclass(frozen=True, kw_only=True)
class CAT:
    """A Common Abstract Topology: a graph fragment over role names.

    Attributes:
        name: the catalogue name (``"confounding"``).
        origin: ``"leeb2025"`` for the paper's three CATs, ``"extension"`` for this package's.
        monster: the evaluation monster it models, in words.
        roles: every role name of the fragment.
        ports: the roles that bind to table columns or to other CATs' nodes.
        graph: the fragment as a :class:`CausalGraph` over role names.
        analyses: the analyses it suggests (names of this package's functions).
    """

    name: str
    origin: Literal["leeb2025", "extension"]
    monster: str
    roles: tuple[str, ...]
    ports: tuple[str, ...]
    graph: CausalGraph
    analyses: tuple[str, ...]

    def bind(self, **roles: str) -> CausalGraph:
        """The fragment with roles renamed to node names (``cat.bind(X="shortcut")``).

        Raises:
            ValueError: a keyword that is not a role.
        """
        for r in roles:
            if r not in self.roles:
                raise ValueError(f"`{r}` is not a role of CAT {self.name!r}; roles are "
                                 f"{list(self.roles)}")
        return self.graph.rename({k: str(v) for k, v in roles.items()})

    def implications(self, max_cond: int = 3) -> tuple[Independence, ...]:
        """The fragment's implied independences (``implied_independencies``)."""
        return implied_independencies(self.graph, max_cond=max_cond)


def _cat(name, origin, monster, graph, ports, analyses) -> CAT:
    return CAT(name=name, origin=origin, monster=monster, roles=graph.nodes, ports=tuple(ports),
               graph=graph, analyses=tuple(analyses))


def confounding(*, direct: bool = True, latent_confounder: bool = False) -> CAT:
    """CAT-1 (paper, Table 1): ``Z -> X``, ``Z -> Y`` and optionally ``X -> Y``.

    Without ``X -> Y`` it implies ``X ⊥ Y | Z``; the adjustment set is ``{Z}``. A shortcut
    feature ``X`` confounded with difficulty ``Z`` is the monster.
    """
    edges = [("Z", "X"), ("Z", "Y")] + ([("X", "Y")] if direct else [])
    g = CausalGraph(edges, latent={"Z"} if latent_confounder else ())
    return _cat("confounding", "leeb2025",
                "a shortcut or artifact X shares a cause Z (difficulty, frequency) with success Y",
                g, ("X", "Y", "Z"), ("estimate_effect", "check"))


def mediation(*, direct: bool = True, confounded: bool = False) -> CAT:
    """CAT-2 (paper, Table 1): ``X -> M -> Y``, optional ``X -> Y`` and confounder ``C -> M, Y``.

    Without ``X -> Y`` it implies ``X ⊥ Y | M (, C)``; estimands NDE, NIE and the proportion
    mediated. The monster: a right answer that bypasses the intended reasoning ``M``.
    """
    edges = [("X", "M"), ("M", "Y")] + ([("X", "Y")] if direct else [])
    if confounded:
        edges += [("C", "M"), ("C", "Y")]
    return _cat("mediation", "leeb2025",
                "the right answer reached without the intended reasoning step M (a bypass)",
                CausalGraph(edges), ("X", "M", "Y") + (("C",) if confounded else ()),
                ("estimate_mediation", "check"))


def spurious_correlation(*, via: Literal["common_cause", "selection"] = "common_cause") -> CAT:
    """CAT-3 (paper, Table 1): content ``C -> L`` (gold label) and ``C -> Yhat`` (prediction),
    spurious feature ``S -> Yhat``, with ``S`` and ``L`` linked through a latent common cause
    (``via="common_cause"``) or through selection ``S -> Sel <- L`` (``via="selection"``).
    Correctness is ``Y`` with ``Yhat -> Y <- L``. A competent benchmark implies ``S ⊥ L``;
    under ``do(S)`` the prediction must not move.
    """
    edges = [("C", "L"), ("C", "Yhat"), ("S", "Yhat"), ("Yhat", "Y"), ("L", "Y")]
    if via == "common_cause":
        g = CausalGraph(edges, bidirected=[("S", "L")], latent={"C"})
    elif via == "selection":
        g = CausalGraph([*edges, ("S", "Sel"), ("L", "Sel")], latent={"C"}, selection={"Sel"})
    else:
        raise ValueError(f"`via` must be 'common_cause' or 'selection', got {via!r}")
    return _cat("spurious_correlation", "leeb2025",
                "a surface feature S predicts the label L and the model uses it",
                g, ("S", "L", "Yhat", "Y"), ("label_bias_test", "paired_flip_test"))


def selection(*, latent_difficulty: bool = True) -> CAT:
    """CAT-E1 (extension): collider ``S -> R <- D``, ``R -> Sel``, ``D -> Y``; ``Sel`` is a
    selection node (adversarial filtering keeps the items a filter model failed)."""
    g = CausalGraph([("S", "R"), ("D", "R"), ("R", "Sel"), ("D", "Y")],
                    latent={"D", "R"} if latent_difficulty else {"R"}, selection={"Sel"})
    return _cat("selection", "extension",
                "adversarial filtering makes a harmless feature S look predictive of success",
                g, ("S", "D", "Y"), ("estimate_effect(weights='selection_prob')", "check"))


def contamination() -> CAT:
    """CAT-E2 (extension): ``T -> Leak -> Overlap``, ``Leak -> Y``, ``D -> Y``; ``T`` is the item
    date relative to the model's cut-off and ``Overlap`` the observed leakage proxy."""
    g = CausalGraph([("T", "Leak"), ("Leak", "Overlap"), ("Leak", "Y"), ("D", "Y")],
                    latent={"Leak", "D"})
    return _cat("contamination", "extension",
                "test items leaked into training data inflate success", g,
                ("T", "Overlap", "Y", "D"), ("estimate_effect", "compare_models"))


def measurement() -> CAT:
    """CAT-E3 (extension): ``theta -> Y <- b`` (ability and item difficulty) with a nuisance
    ``F -> Y`` (answer format, prompt wording)."""
    g = CausalGraph([("theta", "Y"), ("b", "Y"), ("F", "Y")], latent={"theta", "b"})
    return _cat("measurement", "extension",
                "success measures the format or prompt F rather than ability theta", g,
                ("theta", "b", "F", "Y"), ("fit_irt", "compare_models", "estimate_effect"))


def catalogue() -> tuple[CAT, ...]:
    """The six CATs with their default options: the paper's three, then the extensions."""
    return (confounding(), mediation(), spurious_correlation(), selection(), contamination(),
            measurement())


def compose(*cats: CAT, bind: Mapping[str, Mapping[str, str]] | Mapping[str, str] | None = None,
            ) -> CausalGraph:
    """Rename roles to node names and take the union of the fragments.

    Args:
        cats: the CATs.
        bind: either ``{role: node}`` applied to every CAT, or ``{cat_name: {role: node}}``.

    Raises:
        ValueError: when the union is cyclic (the message names the cycle), or a binding names
            an unknown CAT or role.
    """
    if not cats:
        raise ValueError("`cats` must hold at least one CAT")
    for c in cats:
        if not isinstance(c, CAT):
            raise TypeError(f"`cats` must hold CAT objects, got {type(c).__name__}")
    bind = dict(bind or {})
    names = {c.name for c in cats}
    per_cat = bind and all(isinstance(v, Mapping) for v in bind.values())
    if per_cat:
        unknown = sorted(set(bind) - names)
        if unknown:
            raise ValueError(f"`bind` names unknown CATs {unknown}; composing {sorted(names)}")
    edges, lat, sel, nodes = [], set(), set(), []
    for c in cats:
        mapping = dict(bind.get(c.name, {})) if per_cat else {
            k: v for k, v in bind.items() if k in c.roles}
        if per_cat:
            for r in mapping:
                if r not in c.roles:
                    raise ValueError(f"`bind[{c.name!r}]` names the unknown role {r!r}; roles "
                                     f"are {list(c.roles)}")
        g = c.graph.rename(mapping)
        edges += list(g.edges)
        lat |= g.latent
        sel |= g.selection
        nodes += list(g.nodes)
    # A node observed in one fragment is observed in the union.
    observed_somewhere = set()
    for c in cats:
        mapping = dict(bind.get(c.name, {})) if per_cat else {
            k: v for k, v in bind.items() if k in c.roles}
        observed_somewhere |= set(c.graph.rename(mapping).observed)
    lat -= observed_somewhere
    try:
        return CausalGraph(edges, latent=lat, selection=sel, nodes=nodes)
    except ValueError as exc:
        raise ValueError(f"composition of {[c.name for c in cats]} is invalid: {exc}") from None
