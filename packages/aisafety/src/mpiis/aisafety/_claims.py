"""The report's claims with provenance, and crosswalks between taxonomies (paper brief, "Data")."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd

from ._records import VERIFICATIONS, Claim, CrosswalkEntry
from ._schema import DATA_DIR, _check
from ._taxonomy import Taxonomy, load_taxonomy

__all__ = ["ClaimSet", "Crosswalk", "load_claims", "load_crosswalk"]


@dataclass(frozen=True)
class ClaimSet:
    """The claims of one edition (C1-C10 for ``"iasr-2025"``)."""

    edition: str
    claims: tuple[Claim, ...]

    def __len__(self) -> int:
        return len(self.claims)

    def __iter__(self):
        return iter(self.claims)

    def get(self, claim_id: str) -> Claim:
        """The claim with this id; ``KeyError`` listing the ids otherwise."""
        for c in self.claims:
            if c.id == claim_id:
                return c
        raise KeyError(f"no claim {claim_id!r}; available: {[c.id for c in self.claims]}")

    def query(self, *, quantity: str | None = None, section: str | None = None,
              reproducible: bool | None = None,
              verification: str | None = None) -> tuple[Claim, ...]:
        """Claims matching every given filter (``section`` matches a prefix: ``"2.3"`` finds
        2.3.1 and 2.3.2)."""
        if verification is not None and verification not in VERIFICATIONS:
            raise ValueError(f"`verification` must be one of {VERIFICATIONS}, got "
                             f"{verification!r}")
        out = []
        for c in self.claims:
            if quantity is not None and c.quantity != quantity:
                continue
            if section is not None and not any(
                    s == section or s.startswith(section + ".") for s in c.section):
                continue
            if reproducible is not None and c.reproducible != reproducible:
                continue
            if verification is not None and c.verification != verification:
                continue
            out.append(c)
        return tuple(out)

    def to_frame(self) -> pd.DataFrame:
        """One row per claim."""
        return pd.DataFrame([c.to_dict() for c in self.claims])

    def validate(self, taxonomy: Taxonomy | None = None) -> list[str]:
        """Referential checks against a taxonomy: every risk node and section exists.

        Returns:
            Error messages (empty when consistent).
        """
        tax = taxonomy if taxonomy is not None else load_taxonomy(self.edition)
        sections = {n.section for n in tax.nodes}
        errs = []
        for c in self.claims:
            errs += [f"{c.id}: node {n!r} not in {tax.edition}" for n in c.risk_nodes
                     if n not in tax]
            errs += [f"{c.id}: section {s!r} not in {tax.edition}" for s in c.section
                     if s not in sections]
        return errs


def _load(path, key: str, kind) -> list[dict]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    recs = doc.get(key, [])
    for i, r in enumerate(recs):
        errs = _check(r, kind)
        if errs:
            rid = r.get("id", r.get("source", f"#{i}")) if isinstance(r, dict) else f"#{i}"
            raise ValueError(f"{path.name} [{rid}] {errs[0][0]}: {errs[0][1]}")
    return recs


def load_claims(edition: str = "iasr-2025") -> ClaimSet:
    """Load and schema-check the claims of one edition.

    Raises:
        ValueError: for an edition without claims or a record that fails its schema.
    """
    have = tuple(sorted(p.stem for p in (DATA_DIR / "claims").glob("*.json")))
    if edition not in have:
        raise ValueError(f"`edition` must be one of {have}, got {edition!r}")
    recs = _load(DATA_DIR / "claims" / f"{edition}.json", "claims", "claim")
    return ClaimSet(edition, tuple(Claim.from_dict(r) for r in recs))


@dataclass(frozen=True)
class Crosswalk:
    """Mappings from one taxonomy's nodes to another's (SKOS/SSSOM predicates)."""

    source_edition: str
    target_edition: str
    entries: tuple[CrosswalkEntry, ...]

    def map(self, node_id: str) -> list[CrosswalkEntry]:
        """Entries whose source is ``node_id`` (a ``no_match`` entry says so explicitly)."""
        return [e for e in self.entries if e.source == node_id]

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([e.to_dict() for e in self.entries])


def load_crosswalk(source: str = "iasr-2025", target: str = "mit-domain-v1") -> Crosswalk:
    """Load the crosswalk ``source -> target``.

    Raises:
        ValueError: when no such crosswalk ships.
    """
    path = DATA_DIR / "crosswalk" / f"{source}__{target}.json"
    if not path.exists():
        have = sorted(p.stem.replace("__", " -> ")
                      for p in (DATA_DIR / "crosswalk").glob("*.json"))
        raise ValueError(f"no crosswalk {source!r} -> {target!r}; available: {have}")
    recs = _load(path, "entries", "crosswalk")
    return Crosswalk(source, target, tuple(CrosswalkEntry.from_dict(r) for r in recs))
