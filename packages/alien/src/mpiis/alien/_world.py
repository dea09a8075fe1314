"""The synthetic art world: context-free compatibility, context-dependent availability, and
artists whose works are drawn from what their era and region make available (brief, "Data").

Because compatibility and availability are separate, coherent-but-unavailable combinations (a
"Renaissance airplane") exist by construction, and every claim about them can be checked against
the truth: the true coherence of any set and every artist's true available set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ._corpus import Artist, Artwork, ConceptCorpus
from ._vocab import ERAS, REGIONS, THEMES, load_vocabulary

__all__ = ["SyntheticArtWorld", "WorldConfig"]


@dataclass(frozen=True, kw_only=True)
class WorldConfig:
    """Parameters of :class:`SyntheticArtWorld` (defaults: the brief's default world, V = 240)."""

    n_themes: int = 12  # K themes on a ring; neighbours are related
    subjects_per_theme: int = 18  # M subjects per theme (K*M = 216 subjects)
    n_eras: int = 6  # E eras
    n_regions: int = 4  # R regions (E*R = 24 styles, one per (era, region))
    n_artists: int = 150  # artists, era and region uniform
    works_per_artist: int = 25  # artworks per artist
    set_size: int = 6  # concepts per artwork (its style + set_size - 1 subjects)
    origin_decay: float = 0.6  # origin era e0 ~ Categorical(origin_decay ** e)
    region_counts: tuple[int, ...] = (1, 2, 4)  # regions a subject is present in ...
    region_probs: tuple[float, ...] = (0.4, 0.3, 0.3)  # ... with these probabilities
    g_same: float = 0.9  # compatibility of subjects of the same theme
    g_near: float = 0.5  # ... of neighbouring themes (ring distance 1)
    g_far: float = 0.05  # ... of themes further apart
    g_style_subject: float = 0.7  # compatibility of a style with any subject
    g_style_style: float = 0.01  # compatibility of two styles
    popularity_sigma: float = 0.5  # popularity pi_v ~ LogNormal(0, sigma)
    affinity_alpha: float = 0.5  # artist theme affinity ~ Dirichlet(alpha * 1_K)
    seed: int = 0  # numpy seed of the whole world

    def __post_init__(self) -> None:
        for name in ("n_themes", "subjects_per_theme", "n_eras", "n_regions", "n_artists",
                     "works_per_artist", "seed"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < (0 if name == "seed" else 1):
                raise ValueError(f"`{name}` must be a positive int, got {v!r}")
        if isinstance(self.set_size, bool) or not isinstance(self.set_size, int) \
                or self.set_size < 2:
            raise ValueError(f"`set_size` must be an int >= 2, got {self.set_size!r}")
        if len(self.region_counts) != len(self.region_probs) or not self.region_counts:
            raise ValueError(f"`region_counts` ({self.region_counts}) and `region_probs` "
                             f"({self.region_probs}) must be non-empty and of equal length")
        if any(c < 1 or c > self.n_regions for c in self.region_counts):
            raise ValueError(f"`region_counts` must lie in [1, n_regions={self.n_regions}], "
                             f"got {self.region_counts}")
        p = np.asarray(self.region_probs, dtype=float)
        if not np.isfinite(p).all() or (p < 0).any() or abs(p.sum() - 1.0) > 1e-9:
            raise ValueError(f"`region_probs` must be non-negative and sum to 1, got "
                             f"{self.region_probs} (sum {p.sum():.6g})")
        for name in ("g_same", "g_near", "g_far", "g_style_subject", "g_style_style"):
            v = getattr(self, name)
            if not (np.isfinite(v) and 0.0 < v <= 1.0):
                raise ValueError(f"`{name}` must lie in (0, 1], got {v}")
        if not (np.isfinite(self.origin_decay) and self.origin_decay > 0):
            raise ValueError(f"`origin_decay` must be > 0 and finite, got {self.origin_decay}")
        for name in ("popularity_sigma", "affinity_alpha"):
            v = getattr(self, name)
            if not (np.isfinite(v) and v > 0):
                raise ValueError(f"`{name}` must be > 0 and finite, got {v}")
        if self.set_size - 1 > self.n_themes * self.subjects_per_theme:
            raise ValueError(f"`set_size` ({self.set_size}) needs at least set_size - 1 subjects, "
                             f"got {self.n_themes * self.subjects_per_theme}")

    @classmethod
    def tiny(cls, **overrides) -> WorldConfig:
        """4 themes x 6 subjects, 2 eras, 2 regions, 12 artists x 5 works, set size 4 (tests)."""
        kw = dict(n_themes=4, subjects_per_theme=6, n_eras=2, n_regions=2, n_artists=12,
                  works_per_artist=5, set_size=4, region_counts=(1, 2), region_probs=(0.5, 0.5))
        kw.update(overrides)
        return cls(**kw)

    @property
    def n_subjects(self) -> int:
        return self.n_themes * self.subjects_per_theme

    @property
    def vocab_size(self) -> int:
        return self.n_subjects + self.n_eras * self.n_regions


class SyntheticArtWorld:
    """A synthetic art world with known coherence and availability (brief, "Data", steps 1-6).

    Concepts ``0 .. K*M-1`` are subjects (subject ``v`` belongs to theme ``v // M``); concepts
    ``K*M + e*R + r`` are the styles of era ``e`` and region ``r``.

    Attributes:
        config: the :class:`WorldConfig`.
        corpus: the artworks (ordered lists: style first, then subjects) as a
            :class:`ConceptCorpus`.
        compatibility: ``(V, V)`` float tensor G (diagonal 1).
        availability: ``(n_artists, V)`` bool tensor, artist j's true available set A_j.
        exists: ``(V, E, R)`` bool array, whether a concept exists in an era and region.
        popularity: ``(V,)`` popularity pi_v.
        affinity: ``(n_artists, K)`` theme affinities.
        artist_context: ``(n_artists, 2)`` int array of (era, region).
        n_redraws: artists whose first (era, region) offered fewer than ``set_size - 1``
            subjects and were drawn again.
        labels: concept labels from the bundled vocabulary.
    """

    def __init__(self, config: WorldConfig | None = None) -> None:
        cfg = config if config is not None else WorldConfig()
        if not isinstance(cfg, WorldConfig):
            raise TypeError(f"`config` must be a WorldConfig, got {type(cfg).__name__}")
        self.config = cfg
        rng = np.random.default_rng(cfg.seed)
        K, M, E, R = cfg.n_themes, cfg.subjects_per_theme, cfg.n_eras, cfg.n_regions
        S, V = cfg.n_subjects, cfg.vocab_size
        theme = np.arange(S) // M
        self.theme = np.concatenate([theme, np.full(V - S, -1)])

        # 2. compatibility G
        d = np.abs(theme[:, None] - theme[None, :])
        d = np.minimum(d, K - d)
        G = np.full((V, V), cfg.g_style_style)
        G[:S, :S] = np.where(d == 0, cfg.g_same, np.where(d == 1, cfg.g_near, cfg.g_far))
        G[:S, S:] = cfg.g_style_subject
        G[S:, :S] = cfg.g_style_subject
        np.fill_diagonal(G, 1.0)
        self.compatibility = torch.as_tensor(G, dtype=torch.float32)

        # 3. context: origin era, regions, popularity
        p_origin = cfg.origin_decay ** np.arange(E)
        e0 = rng.choice(E, size=S, p=p_origin / p_origin.sum())
        counts = rng.choice(np.asarray(cfg.region_counts), size=S, p=np.asarray(cfg.region_probs))
        exists = np.zeros((V, E, R), dtype=bool)
        for v in range(S):
            regions = rng.choice(R, size=int(counts[v]), replace=False)
            exists[v, e0[v]:, regions] = True
        for e in range(E):
            for r in range(R):
                exists[S + e * R + r, e, r] = True
        self.exists = exists
        self.popularity = rng.lognormal(0.0, cfg.popularity_sigma, size=V)

        # 4. artists
        n_subj_avail = exists[:S].sum(axis=0)  # (E, R)
        if not (n_subj_avail >= cfg.set_size - 1).any():
            raise ValueError("no (era, region) offers `set_size - 1` subjects; enlarge the world")
        context = np.empty((cfg.n_artists, 2), dtype=np.int64)
        self.n_redraws = 0
        for j in range(cfg.n_artists):
            while True:
                e, r = int(rng.integers(E)), int(rng.integers(R))
                if n_subj_avail[e, r] >= cfg.set_size - 1:
                    break
                self.n_redraws += 1
            context[j] = (e, r)
        self.artist_context = context
        self.affinity = rng.dirichlet(np.full(K, cfg.affinity_alpha), size=cfg.n_artists)
        avail = exists[:, context[:, 0], context[:, 1]].T  # (A, V)
        self.availability = torch.as_tensor(avail)

        # 5. artworks
        logG = np.log(G)
        log_pop = np.log(self.popularity[:S])
        W, L = cfg.works_per_artist, cfg.set_size
        works: list[Artwork] = []
        for j in range(cfg.n_artists):
            e, r = context[j]
            a_subj = avail[j, :S]
            aff = self.affinity[j]
            has = np.bincount(theme[a_subj], minlength=K) > 0
            p_theme = aff * has
            p_theme = p_theme / p_theme.sum() if p_theme.sum() > 0 else has / has.sum()
            seqs = np.empty((W, L), dtype=np.int64)
            seqs[:, 0] = S + e * R + r
            themes_w = rng.choice(K, size=W, p=p_theme)
            for w in range(W):
                cands = np.flatnonzero(a_subj & (theme == themes_w[w]))
                seqs[w, 1] = cands[rng.integers(len(cands))]
            log_aff = np.log(np.maximum(aff, 1e-300))[theme]  # (S,)
            used = np.zeros((W, S), dtype=bool)
            used[np.arange(W), seqs[:, 1]] = True
            for t in range(2, L):
                fit = logG[:S][:, seqs[:, :t]].mean(axis=2).T  # (W, S): mean_c log G[v, c]
                logits = fit + log_pop + log_aff
                logits = np.where(a_subj[None] & ~used, logits, -np.inf)
                pick = np.argmax(logits + rng.gumbel(size=logits.shape), axis=1)
                seqs[:, t] = pick
                used[np.arange(W), pick] = True
            for w in range(W):
                works.append(Artwork(f"w{j}-{w}", f"a{j}", tuple(int(c) for c in seqs[w]),
                                     style=None))
        artists = [Artist(f"a{j}", era=self._era_name(int(c[0])),
                          region=self._region_name(int(c[1]))) for j, c in enumerate(context)]
        self.labels = self._make_labels()
        self.corpus = ConceptCorpus(self.labels, works, artists)

    # ------------------------------------------------------------------ labels
    def _era_name(self, e: int) -> str:
        return ERAS[e] if self.config.n_eras <= len(ERAS) else f"era {e}"

    def _region_name(self, r: int) -> str:
        return REGIONS[r] if self.config.n_regions <= len(REGIONS) else f"region {r}"

    def _make_labels(self) -> tuple[str, ...]:
        cfg, vocab = self.config, load_vocabulary()
        labels = []
        for k in range(cfg.n_themes):
            named = vocab.subjects(THEMES[k]) if k < len(THEMES) else ()
            for m in range(cfg.subjects_per_theme):
                labels.append(named[m] if m < len(named) else f"t{k}-{m}")
        for e in range(cfg.n_eras):
            for r in range(cfg.n_regions):
                labels.append(f"{self._region_name(r)} {self._era_name(e)}")
        return tuple(labels)

    @property
    def vocab_size(self) -> int:
        return self.config.vocab_size

    # ------------------------------------------------------------------ truth
    @staticmethod
    def _check_sets(sets: torch.Tensor, V: int) -> torch.Tensor:
        if not isinstance(sets, torch.Tensor):
            sets = torch.as_tensor(np.asarray(sets), dtype=torch.long)
        if sets.ndim != 2 or sets.dtype not in (torch.int64, torch.int32):
            raise ValueError(f"`sets` must be an integer tensor (b, L), got {tuple(sets.shape)} "
                             f"{sets.dtype}")
        if sets.numel() and (sets.min() < 0 or sets.max() >= V):
            raise ValueError(f"`sets` must hold concept ids in [0, {V}), got range "
                             f"[{int(sets.min())}, {int(sets.max())}]")
        return sets.long()

    def coherence(self, sets: torch.Tensor) -> torch.Tensor:
        """True coherence: mean of G over the unordered pairs of each set. ``(b, L) -> (b,)``."""
        sets = self._check_sets(sets, self.vocab_size)
        L = sets.shape[1]
        if L < 2:
            raise ValueError(f"`sets` need at least 2 concepts, got L={L}")
        G = self.compatibility.to(sets.device)
        pair = G[sets[:, :, None], sets[:, None, :]]  # (b, L, L)
        iu = torch.triu_indices(L, L, offset=1, device=sets.device)
        return pair[:, iu[0], iu[1]].mean(dim=1)

    def ceiling_coherence(self) -> float:
        """Mean true coherence of the world's artworks (the ``ceil`` of normalised coherence)."""
        sets = torch.as_tensor([w.concepts for w in self.corpus.artworks])
        return float(self.coherence(sets).mean())

    def normalised_coherence(self, sets: torch.Tensor, *, floor: float, ceil: float
                             ) -> torch.Tensor:
        """``(coherence - floor) / (ceil - floor)`` per set (may exceed 1)."""
        floor, ceil = float(floor), float(ceil)
        if not (np.isfinite(floor) and np.isfinite(ceil)) or ceil <= floor:
            raise ValueError(f"`ceil` ({ceil}) must be finite and > `floor` ({floor})")
        return (self.coherence(sets) - floor) / (ceil - floor)

    def latently_unavailable(self, sets: torch.Tensor, *, chunk: int = 2048) -> torch.Tensor:
        """Bool ``(b,)``: the set is contained in no artist's true available set A_j."""
        sets = self._check_sets(sets, self.vocab_size)
        A = self.availability.to(sets.device)
        out = torch.empty(sets.shape[0], dtype=torch.bool, device=sets.device)
        for i in range(0, sets.shape[0], chunk):
            s = sets[i: i + chunk]
            out[i: i + chunk] = ~A[:, s].all(dim=2).any(dim=0)  # A[:, s]: (A, b, L)
        return out

    def seeds(self, n: int, *, generator: np.random.Generator) -> list[tuple[int, ...]]:
        """Experiment seeds: the ``ceil(n/2)`` most frequent subjects (single-concept seeds) and
        the first two concepts (style, first subject) of ``n // 2`` artworks drawn without
        replacement."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"`n` must be an int >= 1, got {n!r}")
        if not isinstance(generator, np.random.Generator):
            raise TypeError(f"`generator` must be a numpy Generator, got {type(generator)}")
        S = self.config.n_subjects
        freq = np.zeros(S, dtype=np.int64)
        for w in self.corpus.artworks:
            for c in w.concepts:
                if c < S:
                    freq[c] += 1
        n_single = min((n + 1) // 2, S)
        top = np.argsort(-freq, kind="stable")[:n_single]
        n_pair = min(n - n_single, len(self.corpus))
        picks = generator.choice(len(self.corpus), size=n_pair, replace=False)
        pairs = [self.corpus.artworks[i].concepts[:2] for i in picks]
        return [(int(v),) for v in top] + [tuple(int(c) for c in p) for p in pairs]

    def random_fill(self, seeds: Sequence[Sequence[int]], length: int, k: int, *,
                    generator: torch.Generator | None = None) -> torch.Tensor:
        """``k`` uniform random fills of each seed to ``length`` (the coherence floor's sets).
        Returns ``(len(seeds) * k, length)``."""
        out = []
        V = self.vocab_size
        for s in seeds:
            w = torch.ones(k, V)
            w[:, list(s)] = 0
            fill = torch.multinomial(w, length - len(s), replacement=False, generator=generator)
            out.append(torch.cat([torch.as_tensor(s).expand(k, -1), fill], dim=1))
        return torch.cat(out)
