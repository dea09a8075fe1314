"""Alien sampling (brief, "Method: Alien sampling", steps 1-4) and its baselines: temperature
scaling (the paper's baseline), plausibility-only selection (beta = 0) and uniform random fill."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ._lm._base import ConceptLM, as_prefix, check_temperature

__all__ = [
    "AlienSampler",
    "Combination",
    "PlausibilitySampler",
    "RandomFillSampler",
    "TemperatureSampler",
    "alien_scores",
    "generate_candidates",
    "rank_ascending",
    "top_k_indices",
    "unique_set_indices",
]


@dataclass(frozen=True)
class Combination:
    """One selected concept combination with its scores (NaN / 0 where a sampler has none).

    Attributes:
        concepts: concept ids, the seed first.
        labels: their labels when the sampler was given ``labels``, else ``None``.
        nll_art: NLL under the Art model from the end of the seed on.
        nll_cog: NLL under the availability model from the end of the seed on.
        rank_art: rank of ``nll_art`` among the unique candidates (1 = most likely).
        rank_cog: rank of ``nll_cog`` (1 = most available).
        score: the alien score ``(1 - beta)(N - R_art) - beta (N - R_cog)``.
    """

    concepts: tuple[int, ...]
    labels: tuple[str, ...] | None
    nll_art: float
    nll_cog: float
    rank_art: int
    rank_cog: int
    score: float


def rank_ascending(x: torch.Tensor) -> torch.Tensor:
    """Ranks 1..N by ascending value, ties broken by index. ``(N,) -> (N,)`` LongTensor."""
    order = torch.argsort(x, stable=True)
    ranks = torch.empty_like(order)
    ranks[order] = torch.arange(1, x.shape[0] + 1, device=x.device)
    return ranks


def _check_beta(beta: float) -> float:
    if isinstance(beta, bool) or not isinstance(beta, int | float | np.number):
        raise ValueError(f"`beta` must be a real number in [0, 1], got {beta!r}")
    b = float(beta)
    if not (np.isfinite(b) and 0.0 <= b <= 1.0):
        raise ValueError(f"`beta` must lie in [0, 1], got {beta}")
    return b


def alien_scores(nll_art: torch.Tensor, nll_cog: torch.Tensor, beta: float) -> torch.Tensor:
    """Weighted rank aggregation (step 4): ``score = (1 - beta)(N - R_art) - beta (N - R_cog)``,
    with ranks by ascending NLL (rank 1 = most likely, ties by index), N = number of candidates.
    High scores are plausible as artworks and unavailable to artists. ``(N,), (N,) -> (N,)``.

    Raises:
        ValueError: shapes differ, a non-finite NLL, or ``beta`` outside [0, 1].
    """
    beta = _check_beta(beta)
    if nll_art.ndim != 1 or nll_art.shape != nll_cog.shape:
        raise ValueError(f"`nll_art` {tuple(nll_art.shape)} and `nll_cog` "
                         f"{tuple(nll_cog.shape)} must be 1-D of equal length")
    for name, x in (("nll_art", nll_art), ("nll_cog", nll_cog)):
        if x.device.type != "meta" and not torch.isfinite(x).all():
            raise ValueError(f"`{name}` must be finite to be ranked")
    N = nll_art.shape[0]
    r_art = rank_ascending(nll_art).double()
    r_cog = rank_ascending(nll_cog).double()
    return (1.0 - beta) * (N - r_art) - beta * (N - r_cog)


def top_k_indices(scores: torch.Tensor, k: int) -> torch.Tensor:
    """Indices of the ``k`` highest scores, ties broken by index (stable)."""
    return torch.argsort(-scores, stable=True)[:k]


def generate_candidates(art_model: ConceptLM, seed: torch.Tensor | Sequence[int], n: int,
                        length: int, *, temperature: float,
                        generator: torch.Generator | None = None) -> torch.Tensor:
    """Step 2: ``n`` ancestral samples of the Art model at temperature T extending ``seed`` to
    ``length``; duplicate SETS are dropped (the first kept). Returns ``(m, length)``, m <= n."""
    seqs = art_model.sample(seed, n, length, temperature=temperature, generator=generator)
    return unique_sets(seqs)


def unique_sets(seqs: torch.Tensor) -> torch.Tensor:
    """Rows of ``seqs`` whose concept sets were not seen in an earlier row, in order."""
    return seqs[unique_set_indices(seqs)]


def unique_set_indices(seqs: torch.Tensor) -> torch.Tensor:
    """Indices of the rows of ``seqs`` (b, L) whose concept set is new, in increasing order."""
    keys = torch.sort(seqs, dim=1).values
    _, inverse = torch.unique(keys, dim=0, return_inverse=True)
    idx = torch.arange(seqs.shape[0], device=seqs.device)
    first = torch.full((int(inverse.max()) + 1,), seqs.shape[0], device=seqs.device,
                       dtype=torch.long).scatter_reduce(0, inverse, idx, reduce="amin")
    return torch.sort(first).values


class _Base:
    def __init__(self, art_model: ConceptLM, *, temperature: float, n_candidates: int,
                 top_k: int, labels: Sequence[str] | None) -> None:
        self.art_model = art_model
        self.temperature = check_temperature(temperature)
        if isinstance(n_candidates, bool) or not isinstance(n_candidates, int) \
                or n_candidates < 2:
            raise ValueError(f"`n_candidates` must be an int >= 2, got {n_candidates!r}")
        if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
            raise ValueError(f"`top_k` must be an int >= 1, got {top_k!r}")
        if top_k > n_candidates:
            raise ValueError(f"`top_k` ({top_k}) must be <= `n_candidates` ({n_candidates})")
        self.n_candidates = n_candidates
        self.top_k = top_k
        self.labels = tuple(labels) if labels is not None else None
        if self.labels is not None and len(self.labels) != art_model.vocab_size:
            raise ValueError(f"`labels` must have vocab_size = {art_model.vocab_size} entries, "
                             f"got {len(self.labels)}")
        #: Candidates drawn, unique, and how many of top_k were missing, for the last call.
        self.last_info: dict[str, int] = {}

    def _check_call(self, seed, length: int) -> torch.Tensor:
        if seed is None or len(seed) == 0:
            raise ValueError("`seed` must hold at least one concept, got an empty seed")
        device = getattr(self.art_model, "device", torch.device("cpu"))
        seed_t = as_prefix(seed, self.art_model.vocab_size, device, name="seed")
        s = seed_t.shape[0]
        if isinstance(length, bool) or not isinstance(length, int) or length <= s:
            raise ValueError(f"`length` must be an int > len(seed) = {s}, got {length!r}")
        max_len = getattr(self.art_model, "max_len", None)
        if max_len is not None and length > max_len:
            raise ValueError(f"`length` must be <= the model's max_len = {max_len}, got {length}")
        return seed_t

    def _combos(self, cands: torch.Tensor, pick: torch.Tensor, nll_art, nll_cog, r_art, r_cog,
                score) -> list[Combination]:
        out = []
        for i in pick.tolist():
            concepts = tuple(int(c) for c in cands[i].tolist())
            out.append(Combination(
                concepts=concepts,
                labels=tuple(self.labels[c] for c in concepts) if self.labels else None,
                nll_art=float(nll_art[i]) if nll_art is not None else float("nan"),
                nll_cog=float(nll_cog[i]) if nll_cog is not None else float("nan"),
                rank_art=int(r_art[i]) if r_art is not None else 0,
                rank_cog=int(r_cog[i]) if r_cog is not None else 0,
                score=float(score[i]) if score is not None else float("nan"),
            ))
        return out

    def _candidates(self, seed_t: torch.Tensor, length: int,
                    generator: torch.Generator | None) -> torch.Tensor:
        cands = generate_candidates(self.art_model, seed_t, self.n_candidates, length,
                                    temperature=self.temperature, generator=generator)
        self.last_info = {"n_drawn": self.n_candidates, "n_unique": int(cands.shape[0]),
                          "shortfall": max(0, self.top_k - int(cands.shape[0]))}
        return cands


class AlienSampler(_Base):
    """The alien sampler: Art-model candidates at temperature T, re-ranked by weighted rank
    aggregation of Art-model plausibility and availability-model unavailability.

    Args:
        art_model: fitted Art model P.
        availability_model: fitted cognitive-availability model Q (same ``vocab_size``).
        beta: weight of unavailability in [0, 1] (follow-up default 0.85; 0 = plausibility only).
        temperature: candidate temperature T (follow-up default 2.5).
        n_candidates: N candidates drawn per call (follow-up default 256).
        top_k: combinations returned (default 5).
        labels: optional concept labels for the returned combinations.
    """

    def __init__(self, art_model: ConceptLM, availability_model: ConceptLM, *,
                 beta: float = 0.85, temperature: float = 2.5, n_candidates: int = 256,
                 top_k: int = 5, labels: Sequence[str] | None = None) -> None:
        super().__init__(art_model, temperature=temperature, n_candidates=n_candidates,
                         top_k=top_k, labels=labels)
        if availability_model is not None and \
                availability_model.vocab_size != art_model.vocab_size:
            raise ValueError(f"art_model.vocab_size ({art_model.vocab_size}) and "
                             f"availability_model.vocab_size ({availability_model.vocab_size}) "
                             "must be equal")
        self.availability_model = availability_model
        self.beta = _check_beta(beta)

    def sample(self, seed: Sequence[int] | torch.Tensor, length: int, *,
               generator: torch.Generator | None = None) -> list[Combination]:
        """Steps 1-4 for one seed: the top ``top_k`` combinations by alien score (fewer when
        deduplication leaves fewer candidates; ``last_info["shortfall"]`` records it)."""
        seed_t = self._check_call(seed, length)
        return self.rerank(self._candidates(seed_t, length, generator), seed_t.shape[0])

    def rerank(self, candidates: torch.Tensor, start: int) -> list[Combination]:
        """Score ``(N, L)`` candidates under both models from position ``start`` on and return
        the top ``top_k`` by alien score (steps 3-4)."""
        if candidates.ndim != 2 or candidates.shape[0] < 1:
            raise ValueError(f"`candidates` must be (N, L) with N >= 1, got "
                             f"{tuple(candidates.shape)}")
        nll_art = self.art_model.sequence_nll(candidates, start)
        if self.availability_model is not None:
            nll_cog = self.availability_model.sequence_nll(candidates, start)
            r_cog = rank_ascending(nll_cog)
        else:
            nll_cog, r_cog = None, None
        r_art = rank_ascending(nll_art)
        score = alien_scores(nll_art, nll_cog if nll_cog is not None else nll_art, self.beta) \
            if nll_cog is not None else (nll_art.shape[0] - r_art).double()
        pick = top_k_indices(score, self.top_k)
        return self._combos(candidates, pick, nll_art, nll_cog, r_art, r_cog, score)


class PlausibilitySampler(AlienSampler):
    """Plausibility-only selection (beta = 0): the ``top_k`` most likely Art-model candidates.
    The availability model is optional and only reported."""

    def __init__(self, art_model: ConceptLM, availability_model: ConceptLM | None = None, *,
                 temperature: float = 2.5, n_candidates: int = 256, top_k: int = 5,
                 labels: Sequence[str] | None = None) -> None:
        super().__init__(art_model, availability_model, beta=0.0, temperature=temperature,
                         n_candidates=n_candidates, top_k=top_k, labels=labels)


class TemperatureSampler(_Base):
    """The paper's baseline: the same Art-model candidates at the same T, ``top_k`` of them
    chosen uniformly at random (no further criterion)."""

    def __init__(self, art_model: ConceptLM, *, temperature: float, n_candidates: int = 256,
                 top_k: int = 5, labels: Sequence[str] | None = None) -> None:
        super().__init__(art_model, temperature=temperature, n_candidates=n_candidates,
                         top_k=top_k, labels=labels)

    def sample(self, seed: Sequence[int] | torch.Tensor, length: int, *,
               generator: torch.Generator | None = None) -> list[Combination]:
        seed_t = self._check_call(seed, length)
        cands = self._candidates(seed_t, length, generator)
        pick = torch.randperm(cands.shape[0], generator=generator,
                              device=cands.device)[: self.top_k]
        nll_art = self.art_model.sequence_nll(cands, seed_t.shape[0])
        return self._combos(cands, pick, nll_art, None, rank_ascending(nll_art), None, None)


class RandomFillSampler:
    """The coherence floor: the seed plus uniformly random distinct concepts, ``top_k`` times."""

    def __init__(self, vocab_size: int, *, top_k: int = 5,
                 labels: Sequence[str] | None = None) -> None:
        if isinstance(vocab_size, bool) or not isinstance(vocab_size, int) or vocab_size < 2:
            raise ValueError(f"`vocab_size` must be an int >= 2, got {vocab_size!r}")
        if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
            raise ValueError(f"`top_k` must be an int >= 1, got {top_k!r}")
        self.vocab_size, self.top_k = vocab_size, top_k
        self.labels = tuple(labels) if labels is not None else None

    def sample(self, seed: Sequence[int] | torch.Tensor, length: int, *,
               generator: torch.Generator | None = None) -> list[Combination]:
        if seed is None or len(seed) == 0:
            raise ValueError("`seed` must hold at least one concept, got an empty seed")
        seed_t = as_prefix(seed, self.vocab_size, torch.device("cpu"), name="seed")
        s = seed_t.shape[0]
        if isinstance(length, bool) or not isinstance(length, int) or not s < length \
                <= self.vocab_size:
            raise ValueError(f"`length` must be an int in ({s}, {self.vocab_size}], got "
                             f"{length!r}")
        w = torch.ones(self.top_k, self.vocab_size)
        w[:, seed_t] = 0.0
        fill = torch.multinomial(w, length - s, replacement=False, generator=generator)
        sets = torch.cat([seed_t.expand(self.top_k, s), fill], dim=1)
        out = []
        for row in sets.tolist():
            out.append(Combination(tuple(row), tuple(self.labels[c] for c in row)
                                   if self.labels else None, float("nan"), float("nan"), 0, 0,
                                   float("nan")))
        return out
