"""The record types of the dataset: taxonomy nodes, claims, evaluation tasks, crosswalk entries
and model rows (paper brief, "Data"). All are frozen dataclasses built from the shipped JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

__all__ = [
    "KINDS",
    "MEASURES",
    "PREDICATES",
    "UNITS",
    "VERIFICATIONS",
    "Claim",
    "CrosswalkEntry",
    "EvalTask",
    "ModelRecord",
    "RiskNode",
]

KINDS = ("part", "topic", "risk_class", "risk", "modifier", "challenge", "stage", "technique")
UNITS = ("x_per_year", "doubling_months", "multiplier", "percent", "none")
VERIFICATIONS = ("unverified", "secondary", "checked_pdf")
PREDICATES = ("exact", "close", "broad", "narrow", "related", "no_match")
MEASURES = ("capability", "propensity", "safeguard")


def _tuple(x: Any) -> tuple | None:
    return None if x is None else tuple(x)


class _Record:
    """Shared helpers: build from a JSON dict (unknown keys refused) and back."""

    @classmethod
    def from_dict(cls, d: dict[str, Any]):
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        extra = set(d) - names
        if extra:
            raise ValueError(f"{cls.__name__}: unknown field(s) {sorted(extra)}")
        return cls(**d)

    def to_dict(self) -> dict[str, Any]:
        def conv(x: Any) -> Any:
            if isinstance(x, tuple):
                return [conv(v) for v in x]
            if isinstance(x, dict):
                return {k: conv(v) for k, v in x.items()}
            return x

        return {k: conv(v) for k, v in asdict(self).items()}  # type: ignore[call-overload]


@dataclass(frozen=True, kw_only=True)
class RiskNode(_Record):
    """One node of a report's taxonomy (a part, topic, risk class, leaf risk, ...).

    Unknown attributes are ``None``, never guessed. ``section`` is the report's numbering
    (``"2.1.3"``); ``editions`` lists the editions in which the node appears.
    """

    id: str
    label: str
    parent: str | None
    kind: Literal["part", "topic", "risk_class", "risk", "modifier", "challenge", "stage",
                  "technique"]
    section: str | None = None
    pages: tuple[int, ...] | None = None
    summary: str | None = None
    evidence_level: str | None = None
    mitigations: tuple[str, ...] | None = None
    editions: tuple[str, ...] = ()
    verification: Literal["unverified", "secondary", "checked_pdf"] = "unverified"

    def __post_init__(self) -> None:
        object.__setattr__(self, "pages", _tuple(self.pages))
        object.__setattr__(self, "mitigations", _tuple(self.mitigations))
        object.__setattr__(self, "editions", tuple(self.editions))


@dataclass(frozen=True, kw_only=True)
class Claim(_Record):
    """One quantitative or qualitative claim of the report with its provenance.

    ``value`` is the stated figure (a list when the claim states several, e.g. C2's 100x and
    10,000x); ``interval`` a stated range ``[low, high]`` (``high`` ``None`` for "> low");
    ``approx`` marks "about" figures, compared with a +/-15% band (our convention).
    """

    id: str
    edition: str
    section: tuple[str, ...]
    figure: str | None
    page: int | None
    statement: str
    quantity: str
    value: float | tuple[float, ...] | None
    interval: tuple[float | None, ...] | None
    approx: bool
    unit: Literal["x_per_year", "doubling_months", "multiplier", "percent", "none"]
    period: str | None
    source: dict[str, Any]
    reproducible: bool
    recipe: str | None
    verification: Literal["unverified", "secondary", "checked_pdf"]
    risk_nodes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "section", tuple(self.section))
        object.__setattr__(self, "interval", _tuple(self.interval))
        if isinstance(self.value, list | tuple):
            object.__setattr__(self, "value", tuple(self.value))
        object.__setattr__(self, "risk_nodes", tuple(self.risk_nodes))
        object.__setattr__(self, "source", dict(self.source))

    def reported_interval(self) -> list[tuple[float, float]]:
        """The reported figure(s) as closed intervals, one per stated value (method step 8).

        An approximate value ``v`` gives ``[v/1.15, v*1.15]``, an exact one ``[v, v]``, a stated
        range its bounds and "> x" gives ``[x, inf)``.
        """
        if self.interval is not None:
            lo, hi = self.interval
            return [(float(lo), float("inf") if hi is None else float(hi))]
        if self.value is None:
            return []
        vals = self.value if isinstance(self.value, tuple) else (self.value,)
        if self.approx:
            return [(v / 1.15, v * 1.15) for v in vals]
        return [(float(v), float(v)) for v in vals]


@dataclass(frozen=True, kw_only=True)
class EvalTask(_Record):
    """A registry entry: an evaluation task, the taxonomy nodes it speaks to, what it measures
    (``capability``, ``propensity`` or ``safeguard``) and a caveat on what it does not show."""

    name: str
    aliases: tuple[str, ...]
    harnesses: tuple[str, ...]
    nodes: tuple[str, ...]
    measures: Literal["capability", "propensity", "safeguard"]
    caveat: str

    def __post_init__(self) -> None:
        for f in ("aliases", "harnesses", "nodes"):
            object.__setattr__(self, f, tuple(getattr(self, f)))


@dataclass(frozen=True, kw_only=True)
class CrosswalkEntry(_Record):
    """One mapping between two taxonomies with a SKOS/SSSOM predicate (``target`` is ``None``
    for ``no_match``)."""

    source: str
    target: str | None
    predicate: Literal["exact", "close", "broad", "narrow", "related", "no_match"]
    mapped_by: str
    date: str
    comment: str | None = None


@dataclass(frozen=True, kw_only=True)
class ModelRecord(_Record):
    """One row of the bundled frontier table (``models/frontier_top3.csv``)."""

    model: str
    organization: str
    publication_date: str
    training_compute_flop: float
    source: str
