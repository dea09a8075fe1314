"""Corpora of artworks as concept sets, and the loader for a user's tagged collection
(CSV / JSON Lines).

An artwork is a set of concepts; an artist's repertoire ("cognitive horizon") is the union of the
concepts of all their works (brief, "Method: Representation").
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

__all__ = ["PAD", "Artist", "Artwork", "ConceptCorpus", "LoadReport"]

log = logging.getLogger(__name__)

#: Padding value of the LongTensors of concept sequences (rows shorter than the longest).
PAD = -1


@dataclass(frozen=True)
class Artwork:
    """One artwork: its id, its artist's id, its concepts (vocabulary indices, in the order
    given) and optional metadata."""

    id: str
    artist: str
    concepts: tuple[int, ...]
    style: str | None = None
    year: int | None = None


@dataclass(frozen=True)
class Artist:
    """One artist: an id and optional context (era, region, movement)."""

    id: str
    era: str | None = None
    region: str | None = None
    movement: str | None = None


@dataclass(frozen=True, kw_only=True)
class LoadReport:
    """What a loader kept and dropped: ``dropped`` maps a record's name (``"line 7"`` or
    ``"line 7 (artwork 'a3')"``) to the reason; ``removed_concepts`` counts unknown concept
    tags removed from rows that were kept."""

    path: str
    n_read: int
    n_kept: int
    dropped: dict[str, str]
    removed_concepts: dict[str, int]


class ConceptCorpus:
    """Artworks with artist ids and concept sets over a vocabulary.

    Args:
        vocab: concept labels; concept ``i`` of an artwork refers to ``vocab[i]``.
        artworks: the artworks (concept indices in ``[0, len(vocab))``, no repeats).
        artists: the artists; every artwork's artist must be listed and every artist must have
            at least one artwork. ``None`` derives plain artists from the artworks.

    Raises:
        ValueError: an empty corpus, a concept index out of range or repeated inside an artwork,
            an artwork whose artist is unknown, or an artist without artworks.
    """

    def __init__(self, vocab: Sequence[str], artworks: Sequence[Artwork],
                 artists: Sequence[Artist] | None = None) -> None:
        self.vocab: tuple[str, ...] = tuple(str(v) for v in vocab)
        if len(self.vocab) < 2:
            raise ValueError(f"`vocab` must hold at least 2 concepts, got {len(self.vocab)}")
        self.artworks: tuple[Artwork, ...] = tuple(artworks)
        if not self.artworks:
            raise ValueError("`artworks` must not be empty")
        if artists is None:
            seen: dict[str, None] = {}
            for a in self.artworks:
                seen.setdefault(a.artist, None)
            artists = [Artist(i) for i in seen]
        self.artists: tuple[Artist, ...] = tuple(artists)
        ids = {a.id: j for j, a in enumerate(self.artists)}
        if len(ids) != len(self.artists):
            raise ValueError("`artists` must have unique ids")
        V = len(self.vocab)
        index = np.empty(len(self.artworks), dtype=np.int64)
        for i, w in enumerate(self.artworks):
            if w.artist not in ids:
                raise ValueError(f"artwork {i} ({w.id!r}) has artist {w.artist!r}, which is not "
                                 "in `artists`")
            index[i] = ids[w.artist]
            if any((not isinstance(c, int | np.integer)) or c < 0 or c >= V for c in w.concepts):
                raise ValueError(f"artwork {i} ({w.id!r}): concepts must be ints in [0, {V}), "
                                 f"got {w.concepts}")
            if len(set(w.concepts)) != len(w.concepts):
                raise ValueError(f"artwork {i} ({w.id!r}) repeats a concept: {w.concepts}")
        counts = np.bincount(index, minlength=len(self.artists))
        if (counts == 0).any():
            j = int(np.flatnonzero(counts == 0)[0])
            raise ValueError(f"artist {self.artists[j].id!r} has no artworks")
        self.artist_index = index
        self.load_report: LoadReport | None = None

    # ------------------------------------------------------------------ views
    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def __len__(self) -> int:
        return len(self.artworks)

    def __repr__(self) -> str:
        return (f"ConceptCorpus({len(self.artworks)} artworks, {len(self.artists)} artists, "
                f"V={self.vocab_size})")

    def artwork_sets(self) -> list[tuple[int, ...]]:
        """The concept set of each artwork (in the stored order)."""
        return [w.concepts for w in self.artworks]

    def artist_pools(self) -> list[tuple[int, ...]]:
        """Each artist's pool B_j: the sorted union of the concepts of their works."""
        pools: list[set[int]] = [set() for _ in self.artists]
        for w, j in zip(self.artworks, self.artist_index, strict=True):
            pools[j].update(w.concepts)
        return [tuple(sorted(p)) for p in pools]

    def incidence(self, device: torch.device | str | None = None
                  ) -> tuple[torch.Tensor, torch.Tensor]:
        """Bool incidence matrices ``(n_artworks, V)`` and ``(n_artists, V)`` (computed once)."""
        cached = self.__dict__.get("_incidence")
        if cached is None:
            cached = self._compute_incidence()
            self.__dict__["_incidence"] = cached
        return cached[0].to(device), cached[1].to(device)

    def _compute_incidence(self) -> tuple[torch.Tensor, torch.Tensor]:
        rows = [i for i, w in enumerate(self.artworks) for _ in w.concepts]
        cols = [c for w in self.artworks for c in w.concepts]
        art = torch.zeros(len(self.artworks), self.vocab_size, dtype=torch.bool)
        art[torch.as_tensor(rows, dtype=torch.long), torch.as_tensor(cols, dtype=torch.long)] = True
        pool_i = torch.zeros(len(self.artists), self.vocab_size, dtype=torch.int32)
        pool_i.index_add_(0, torch.as_tensor(self.artist_index), art.to(torch.int32))
        return art, pool_i > 0

    @staticmethod
    def _padded(sets: Sequence[Sequence[int]]) -> torch.Tensor:
        width = max(len(s) for s in sets)
        out = torch.full((len(sets), width), PAD, dtype=torch.long)
        for i, s in enumerate(sets):
            out[i, : len(s)] = torch.as_tensor(s, dtype=torch.long)
        return out

    def art_sequences(self, n_permutations: int = 10, *,
                      generator: torch.Generator | None = None) -> torch.Tensor:
        """Training sequences of the Art model: each artwork's concepts in ``n_permutations``
        random orders (brief: 10 per artwork). Returns ``(n_artworks * n_permutations, L_max)``
        padded with ``PAD``; rows of one permutation round are contiguous."""
        if isinstance(n_permutations, bool) or not isinstance(n_permutations, int) \
                or n_permutations < 1:
            raise ValueError(f"`n_permutations` must be an int >= 1, got {n_permutations!r}")
        base = self._padded(self.artwork_sets())  # (n, L)
        rows = []
        for _ in range(n_permutations):
            keys = torch.rand(base.shape, generator=generator)
            keys[base == PAD] = 2.0  # padding stays at the end
            rows.append(torch.gather(base, 1, keys.argsort(dim=1)))
        return torch.cat(rows)

    def availability_sequences(self, n_per_artist: int = 250, length: int = 6, *,
                               generator: torch.Generator | None = None) -> torch.Tensor:
        """Training sequences of the availability model: ``n_per_artist`` random subsets of size
        ``length`` (random order) of each artist's pool (brief: 250 per artist). Returns
        ``(n_artists * n_per_artist, length)``; a pool smaller than ``length`` is used whole and
        padded with ``PAD``."""
        for name, v in (("n_per_artist", n_per_artist), ("length", length)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"`{name}` must be an int >= 1, got {v!r}")
        pools = self._padded(self.artist_pools())  # (A, P)
        reps = pools.repeat_interleave(n_per_artist, dim=0)  # (A * n, P)
        keys = torch.rand(reps.shape, generator=generator)
        keys[reps == PAD] = 2.0
        order = keys.argsort(dim=1)[:, :length]
        out = torch.gather(reps, 1, order)
        if out.shape[1] < length:
            pad = torch.full((out.shape[0], length - out.shape[1]), PAD, dtype=torch.long)
            out = torch.cat([out, pad], dim=1)
        return out

    # ------------------------------------------------------------------ files
    def to_csv(self, path: str | Path, *, sep: str = ";") -> None:
        """Write one row per artwork: ``artwork, artist, concepts`` (labels joined by ``sep``),
        ``style``."""
        import pandas as pd

        pd.DataFrame({
            "artwork": [w.id for w in self.artworks],
            "artist": [w.artist for w in self.artworks],
            "concepts": [sep.join(self.vocab[c] for c in w.concepts) for w in self.artworks],
            "style": [w.style or "" for w in self.artworks],
        }).to_csv(path, index=False)

    @classmethod
    def from_csv(cls, path: str | Path, *, artwork: str = "artwork", artist: str = "artist",
                 concepts: str = "concepts", style: str | None = None, sep: str = ";",
                 vocab: Sequence[str] | None = None) -> ConceptCorpus:
        """Read a tagged collection from CSV: one row per artwork.

        Unusable rows (empty or missing ids or concepts, fewer than 2 distinct known concepts,
        malformed lines) are dropped, counted and named in ONE warning and in
        ``corpus.load_report``; unknown concepts (when ``vocab`` is given) are removed from the
        row. A style column, when named, adds its label as one more concept (as the paper adds
        the WikiArt style label to the CLIP tags).

        Raises:
            FileNotFoundError: no such file.
            ValueError: required columns missing (all listed), or no usable row at all.
        """
        import pandas as pd

        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"no such file: {path}")
        bad_lines: list[str] = []

        def on_bad(line: list[str]) -> None:
            bad_lines.append(sep.join(line)[:40] if line else "")
            return None

        df = pd.read_csv(path, dtype=str, keep_default_na=False, on_bad_lines=on_bad,
                         engine="python", skip_blank_lines=True)
        records = []
        for i, row in enumerate(df.to_dict("records")):
            records.append((f"row {i + 1}", row))
        extra_dropped = {f"malformed line {k + 1} ({txt!r})": "wrong number of fields"
                         for k, txt in enumerate(bad_lines)}
        return cls._from_records(records, str(path), list(df.columns), artwork=artwork,
                                 artist=artist, concepts=concepts, style=style, sep=sep,
                                 vocab=vocab, extra_dropped=extra_dropped)

    @classmethod
    def from_jsonl(cls, path: str | Path, *, artwork: str = "artwork", artist: str = "artist",
                   concepts: str = "concepts", style: str | None = None, sep: str = ";",
                   vocab: Sequence[str] | None = None) -> ConceptCorpus:
        """Read a tagged collection from JSON Lines: one object per line, ``concepts`` a list of
        labels or a ``sep``-joined string. Bad lines (invalid JSON, not an object, unusable
        fields) are dropped and reported like :meth:`from_csv`."""
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"no such file: {path}")
        records, dropped, columns = [], {}, set()
        with path.open(encoding="utf-8", errors="replace") as fh:
            for n, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    dropped[f"line {n}"] = f"invalid JSON ({exc.msg})"
                    continue
                if not isinstance(obj, dict):
                    dropped[f"line {n}"] = f"not a JSON object ({type(obj).__name__})"
                    continue
                columns.update(obj)
                records.append((f"line {n}", obj))
        return cls._from_records(records, str(path), sorted(columns), artwork=artwork,
                                 artist=artist, concepts=concepts, style=style, sep=sep,
                                 vocab=vocab, extra_dropped=dropped)

    @classmethod
    def _from_records(cls, records: list[tuple[str, dict[str, Any]]], path: str,
                      columns: list[str], *, artwork: str, artist: str, concepts: str,
                      style: str | None, sep: str, vocab: Sequence[str] | None,
                      extra_dropped: dict[str, str]) -> ConceptCorpus:
        need = [artwork, artist, concepts] + ([style] if style else [])
        missing = [c for c in need if c not in columns]
        if missing and records:
            raise ValueError(f"{path}: missing column(s) {missing}; found {list(columns)}")
        known = {c: i for i, c in enumerate(vocab)} if vocab is not None else None
        dropped = dict(extra_dropped)
        removed: dict[str, int] = {}
        kept: list[tuple[str, str, list[str], str | None]] = []
        seen_ids: set[str] = set()

        def text(x: Any) -> str:
            return "" if x is None or (isinstance(x, float) and np.isnan(x)) else str(x).strip()

        for name, row in records:
            wid, aid = text(row.get(artwork)), text(row.get(artist))
            label = f"{name} (artwork {wid!r})" if wid else name
            raw = row.get(concepts)
            if isinstance(raw, list):
                tags = [text(t).lower() for t in raw]
            else:
                tags = [t.strip().lower() for t in text(raw).split(sep)]
            tags = [t for t in tags if t]
            st = text(row.get(style)).lower() if style else ""
            if st:
                tags.append(st)
            if not wid:
                dropped[label] = f"empty `{artwork}`"
                continue
            if wid in seen_ids:
                dropped[label] = "duplicate artwork id"
                continue
            if not aid:
                dropped[label] = f"empty `{artist}`"
                continue
            if not tags:
                dropped[label] = f"empty `{concepts}`"
                continue
            if known is not None:
                unknown = [t for t in tags if t not in known]
                for t in unknown:
                    removed[t] = removed.get(t, 0) + 1
                tags = [t for t in tags if t in known]
            tags = list(dict.fromkeys(tags))  # drop repeats, keep order
            if len(tags) < 2:
                dropped[label] = "fewer than 2 distinct known concepts"
                continue
            seen_ids.add(wid)
            kept.append((wid, aid, tags, st or None))
        if not kept:
            raise ValueError(f"{path}: no usable artwork among {len(records)} record(s); "
                             f"reasons: {sorted(set(dropped.values()))[:5]}")
        if known is None:
            labels = sorted({t for _, _, tags, _ in kept for t in tags})
            known = {c: i for i, c in enumerate(labels)}
            vocab = labels
        works = [Artwork(wid, aid, tuple(known[t] for t in tags), style=st)
                 for wid, aid, tags, st in kept]
        if dropped or removed:
            names = list(dropped)
            msg = (f"{path}: dropped {len(dropped)} of {len(records) + len(extra_dropped)} "
                   f"record(s): " + "; ".join(f"{k}: {dropped[k]}" for k in names[:20])
                   + (f"; ... {len(names) - 20} more" if len(names) > 20 else ""))
            if removed:
                msg += (f". Removed {sum(removed.values())} unknown concept tag(s): "
                        + ", ".join(f"{t!r} x{c}" for t, c in list(removed.items())[:10]))
            warnings.warn(msg, UserWarning, stacklevel=3)
        corpus = cls(vocab, works)
        corpus.load_report = LoadReport(path=path, n_read=len(records) + len(extra_dropped),
                                        n_kept=len(kept), dropped=dropped,
                                        removed_concepts=removed)
        return corpus
