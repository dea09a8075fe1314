"""The bundled concept vocabulary (``data/concepts.csv``): 12 themes x 24 depictable nouns plus
24 style labels ("<region> <era>"), written by the package's developers (brief, "Data")."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources

__all__ = ["ERAS", "REGIONS", "THEMES", "Vocabulary", "load_vocabulary"]

#: Themes in ring order (neighbours are related), as in the brief.
THEMES: tuple[str, ...] = (
    "sea and coast", "rivers and lakes", "gardens and plants", "forest and wild animals",
    "farm and rural work", "home and still life", "city and architecture",
    "machines and industry", "war and court", "myth and religion", "night sky and astronomy",
    "weather and seasons",
)
ERAS: tuple[str, ...] = ("medieval", "renaissance", "baroque", "romantic", "modernist",
                         "contemporary")
REGIONS: tuple[str, ...] = ("western european", "eastern european", "east asian", "american")


@dataclass(frozen=True, kw_only=True)
class Vocabulary:
    """A concept vocabulary: labels with their theme (``""`` for styles) and kind.

    Attributes:
        concepts: concept labels, unique, lower case.
        themes: the theme of each concept (``""`` for a style).
        kinds: ``"subject"`` or ``"style"`` per concept.
    """

    concepts: tuple[str, ...]
    themes: tuple[str, ...]
    kinds: tuple[str, ...]

    def __post_init__(self) -> None:
        n = len(self.concepts)
        if len(self.themes) != n or len(self.kinds) != n:
            raise ValueError(
                f"`themes` ({len(self.themes)}) and `kinds` ({len(self.kinds)}) must have one "
                f"entry per concept ({n})"
            )
        if len(set(self.concepts)) != n:
            dup = sorted({c for c in self.concepts if self.concepts.count(c) > 1})
            raise ValueError(f"`concepts` must be unique, got duplicates {dup[:5]}")

    def __len__(self) -> int:
        return len(self.concepts)

    def index(self, concept: str) -> int:
        """Position of ``concept``; ``KeyError`` naming it when absent."""
        try:
            return self.concepts.index(concept)
        except ValueError:
            raise KeyError(f"concept {concept!r} is not in the vocabulary") from None

    def subjects(self, theme: str) -> tuple[str, ...]:
        """The subject concepts of ``theme`` in file order."""
        return tuple(c for c, t, k in zip(self.concepts, self.themes, self.kinds, strict=True)
                     if t == theme and k == "subject")


def load_vocabulary() -> Vocabulary:
    """Read the bundled ``data/concepts.csv`` (columns ``concept, theme, kind``)."""
    text = resources.files("mpiis.alien").joinpath("data/concepts.csv").read_text("utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    return Vocabulary(
        concepts=tuple(r["concept"] for r in rows),
        themes=tuple(r["theme"] for r in rows),
        kinds=tuple(r["kind"] for r in rows),
    )
