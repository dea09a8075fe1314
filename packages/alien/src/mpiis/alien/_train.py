"""Training the Art model P and the cognitive-availability model Q on a corpus (brief,
"Method: Two models over concept sequences")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import torch

from ._corpus import ConceptCorpus
from ._lm._base import ConceptLM

__all__ = ["train_art_model", "train_availability_model"]

Backend = Literal["cooccurrence", "transformer"]


def _make(backend: Backend | ConceptLM, vocab_size: int) -> ConceptLM:
    if isinstance(backend, str):
        if backend == "cooccurrence":
            from ._lm._cooc import CooccurrenceConceptLM

            return CooccurrenceConceptLM(vocab_size)
        if backend == "transformer":
            from ._lm._transformer import TinyConceptTransformer

            return TinyConceptTransformer(vocab_size)
        raise ValueError(f"`backend` must be 'cooccurrence', 'transformer' or a ConceptLM, got "
                         f"{backend!r}")
    if not hasattr(backend, "fit") or not hasattr(backend, "next_log_probs"):
        raise TypeError(f"`backend` must be a ConceptLM, got {type(backend).__name__}")
    if backend.vocab_size != vocab_size:
        raise ValueError(f"backend.vocab_size ({backend.vocab_size}) must equal the corpus's "
                         f"vocab_size ({vocab_size})")
    return backend


def _is_order_free(model: Any) -> bool:
    from ._lm._cooc import CooccurrenceConceptLM

    return isinstance(model, CooccurrenceConceptLM)


def train_art_model(corpus: ConceptCorpus, backend: Backend | ConceptLM = "cooccurrence", *,
                    n_permutations: int = 10, generator: torch.Generator | None = None,
                    callback: Callable[[dict[str, float]], None] | None = None) -> ConceptLM:
    """Fit the Art model P(a | S) on the artworks' concept sets.

    Sequence models train on each artwork in ``n_permutations`` random orders (brief: 10); the
    order-free co-occurrence model is fitted on the sets directly.

    Args:
        corpus: the artworks.
        backend: ``"cooccurrence"``, ``"transformer"`` (default config) or a ConceptLM instance
            (e.g. ``TinyConceptTransformer(V, config)``) to fit.
        n_permutations: random orders per artwork for sequence models.
        generator: a ``torch.Generator`` for the permutations and the model's own randomness.
        callback: called by the model's training loop with a dict of numbers per step.

    Returns:
        The fitted model.
    """
    model = _make(backend, corpus.vocab_size)
    if _is_order_free(model):
        return model.fit(corpus.artwork_sets(), generator=generator, callback=callback)
    seqs = corpus.art_sequences(n_permutations, generator=generator)
    return model.fit(seqs, generator=generator, callback=callback)


def train_availability_model(corpus: ConceptCorpus,
                             backend: Backend | ConceptLM = "cooccurrence", *,
                             n_per_artist: int = 250, length: int | None = None,
                             generator: torch.Generator | None = None,
                             callback: Callable[[dict[str, float]], None] | None = None
                             ) -> ConceptLM:
    """Fit the cognitive-availability model Q(a | S): how likely an artist who used every
    concept of S somewhere in their work also uses a.

    Sequence models train on ``n_per_artist`` random subsets (size ``length``, default the
    longest artwork, random order) of each artist's pooled concepts (brief: 250); the
    co-occurrence model is fitted on the pools directly.
    """
    model = _make(backend, corpus.vocab_size)
    if _is_order_free(model):
        return model.fit(corpus.artist_pools(), generator=generator, callback=callback)
    if length is None:
        length = max(len(w.concepts) for w in corpus.artworks)
    seqs = corpus.availability_sequences(n_per_artist, length, generator=generator)
    return model.fit(seqs, generator=generator, callback=callback)
