"""The report's risk taxonomy as a queryable, versioned tree (paper brief, "Data").

Editions ship as JSON under ``data/taxonomy``; ids are stable across editions so that
:func:`diff_taxonomies` can say what was added, removed, relabelled or moved.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ._records import KINDS, RiskNode
from ._schema import DATA_DIR, _Collector, check_taxonomy_doc

__all__ = ["Taxonomy", "TaxonomyDiff", "diff_taxonomies", "editions", "load_taxonomy"]


def editions() -> tuple[str, ...]:
    """The taxonomy editions shipped with the package (file stems of ``data/taxonomy``)."""
    return tuple(sorted(p.stem for p in (DATA_DIR / "taxonomy").glob("*.json")))


@dataclass(frozen=True)
class Taxonomy:
    """One edition's taxonomy.

    Attributes:
        edition: edition id (``"iasr-2025"``).
        title: the report's title.
        date: publication date (ISO).
        parts_encoded: which parts of the report the file encodes (``"risks"``, ...).
        nodes: the nodes, in file order.
        header: the remaining header fields (arXiv id, pages, note, ...).
    """

    edition: str
    title: str
    date: str | None
    parts_encoded: tuple[str, ...]
    nodes: tuple[RiskNode, ...]
    header: dict[str, Any]

    def _index(self) -> dict[str, RiskNode]:
        return {n.id: n for n in self.nodes}

    def get(self, node_id: str) -> RiskNode:
        """The node with this id; ``KeyError`` naming close ids otherwise."""
        idx = self._index()
        if node_id not in idx:
            near = [i for i in idx if node_id.split(".")[-1] in i][:5]
            raise KeyError(f"no node {node_id!r} in {self.edition}; similar: {near or 'none'}")
        return idx[node_id]

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._index()

    def __len__(self) -> int:
        return len(self.nodes)

    def children(self, node_id: str) -> tuple[RiskNode, ...]:
        """Direct children of ``node_id`` (in file order)."""
        self.get(node_id)
        return tuple(n for n in self.nodes if n.parent == node_id)

    def ancestors(self, node_id: str) -> tuple[RiskNode, ...]:
        """Parent, grandparent, ... up to the root part."""
        out, cur = [], self.get(node_id).parent
        while cur is not None:
            node = self.get(cur)
            out.append(node)
            cur = node.parent
        return tuple(out)

    def part_of(self, node_id: str) -> str:
        """The name of the report part a node lies in (``"risks"`` for a leaf risk)."""
        anc = self.ancestors(node_id)
        root = anc[-1] if anc else self.get(node_id)
        return root.id.split(".", 1)[-1]

    def leaves(self, kind: str = "risk") -> tuple[RiskNode, ...]:
        """All nodes of one ``kind`` (``"risk"`` gives the 13 leaf risks of the 2025 edition)."""
        if kind not in KINDS:
            raise ValueError(f"`kind` must be one of {KINDS}, got {kind!r}")
        return tuple(n for n in self.nodes if n.kind == kind)

    def find(self, text: str) -> tuple[RiskNode, ...]:
        """Nodes whose label or summary contains ``text`` (case-insensitive)."""
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"`text` must be a non-empty string, got {text!r}")
        t = text.lower()
        return tuple(n for n in self.nodes
                     if t in n.label.lower() or t in (n.summary or "").lower())

    def to_frame(self) -> pd.DataFrame:
        """One row per node with every field."""
        return pd.DataFrame([n.to_dict() for n in self.nodes])


def load_taxonomy(edition: str = "iasr-2025") -> Taxonomy:
    """Load and validate one edition's taxonomy.

    Args:
        edition: one of :func:`editions` (``"iasr-2025"``, ``"iasr-2024-interim"``,
            ``"mit-domain-v1"``).

    Raises:
        ValueError: for an unknown edition or a file that fails validation.
    """
    eds = editions()
    if edition not in eds:
        raise ValueError(f"`edition` must be one of {eds}, got {edition!r}")
    path = DATA_DIR / "taxonomy" / f"{edition}.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    col = _Collector(DATA_DIR)
    check_taxonomy_doc(doc, path, col)
    if col.errors:
        f, rid, field, msg = col.errors[0]
        raise ValueError(f"{f} [{rid}] {field}: {msg} ({len(col.errors)} error(s))")
    header = {k: v for k, v in doc.items() if k not in ("edition", "title", "date",
                                                       "parts_encoded", "nodes")}
    return Taxonomy(
        edition=doc["edition"], title=doc["title"], date=doc.get("date"),
        parts_encoded=tuple(doc["parts_encoded"]),
        nodes=tuple(RiskNode.from_dict(n) for n in doc["nodes"]), header=header,
    )


@dataclass(frozen=True)
class TaxonomyDiff:
    """What changed between two editions, restricted to the parts both encode.

    Attributes:
        added: ids only in the new edition.
        removed: ids only in the old edition.
        relabelled: ``(id, old label, new label)``.
        moved: ``(id, old section, new section, old parent, new parent)`` where the parent or
            the section changed.
    """

    old: str
    new: str
    parts: tuple[str, ...]
    added: tuple[str, ...]
    removed: tuple[str, ...]
    relabelled: tuple[tuple[str, str, str], ...]
    moved: tuple[tuple[str, str | None, str | None, str | None, str | None], ...]

    def summary(self) -> str:
        return (f"{self.old} -> {self.new} (parts {', '.join(self.parts)}): "
                f"{len(self.added)} added, {len(self.removed)} removed, "
                f"{len(self.relabelled)} relabelled, {len(self.moved)} moved")


def diff_taxonomies(old: Taxonomy | str, new: Taxonomy | str) -> TaxonomyDiff:
    """Compare two editions node by node (ids are stable across editions).

    Only the parts that both editions encode are compared, so the interim report's
    risks-only file does not make the 2025 capability chapters look "added".
    """
    old_t = load_taxonomy(old) if isinstance(old, str) else old
    new_t = load_taxonomy(new) if isinstance(new, str) else new
    for name, t in (("old", old_t), ("new", new_t)):
        if not isinstance(t, Taxonomy):
            raise TypeError(f"`{name}` must be a Taxonomy or an edition name, got "
                            f"{type(t).__name__}")
    parts = tuple(p for p in old_t.parts_encoded if p in new_t.parts_encoded)

    def within(t: Taxonomy) -> dict[str, RiskNode]:
        return {n.id: n for n in t.nodes if t.part_of(n.id) in parts}

    a, b = within(old_t), within(new_t)
    added = tuple(i for i in b if i not in a)
    removed = tuple(i for i in a if i not in b)
    common = [i for i in a if i in b]
    relabelled = tuple((i, a[i].label, b[i].label) for i in common if a[i].label != b[i].label)
    moved = tuple((i, a[i].section, b[i].section, a[i].parent, b[i].parent) for i in common
                  if a[i].section != b[i].section or a[i].parent != b[i].parent)
    return TaxonomyDiff(old_t.edition, new_t.edition, parts, added, removed, relabelled, moved)
