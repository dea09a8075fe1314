"""The closed-form co-occurrence back end: naive Bayes over a set (brief, "Back ends")."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ._base import SamplingMixin, _check_finite_nll, check_fit_sets, masked_log_softmax

__all__ = ["CooccurrenceConceptLM"]


class CooccurrenceConceptLM(SamplingMixin, nn.Module):
    """Naive-Bayes next-concept model over sets:

    ``log P(v | S) = log pi_v + sum_{s in S} log P(s | v) - log Z(S)`` over v not in S, with
    ``pi_v = (n_v + a) / (sum_u n_u + a V)`` and
    ``P(s | v) = (C[v, s] + a) / (sum_{u != v} C[v, u] + a (V - 1))``, where ``n_v`` counts the
    training sets containing v and ``C[v, s]`` those containing both. Order-free, so fitted on
    artwork sets (Art model) or artist pools (availability model) directly.

    Args:
        vocab_size: V.
        smoothing: the additive smoothing a (brief: 1).
    """

    def __init__(self, vocab_size: int, *, smoothing: float = 1.0) -> None:
        super().__init__()
        if isinstance(vocab_size, bool) or not isinstance(vocab_size, int) or vocab_size < 2:
            raise ValueError(f"`vocab_size` must be an int >= 2, got {vocab_size!r}")
        if isinstance(smoothing, bool) or not np.isfinite(smoothing) or smoothing <= 0:
            raise ValueError(f"`smoothing` must be > 0 and finite, got {smoothing!r}")
        self.vocab_size = vocab_size
        self.smoothing = float(smoothing)
        self.register_buffer("log_prior", torch.zeros(vocab_size))  # (V,) log pi_v
        self.register_buffer("log_cond", torch.zeros(vocab_size, vocab_size))  # [s, v] log P(s|v)
        self.fitted = False

    @property
    def device(self) -> torch.device:
        return self.log_prior.device

    def fit(self, sets_or_sequences: Any, *, generator: torch.Generator | None = None,
            callback: Callable[[dict[str, float]], None] | None = None
            ) -> CooccurrenceConceptLM:
        """Count ``n_v`` and ``C`` over the sets (order ignored; ``generator`` unused).

        Raises:
            ValueError: a row with repeated concepts, fewer than 2 concepts, or ids out of range
                (the message names the row).
        """
        rows = check_fit_sets(sets_or_sequences, self.vocab_size)
        V, a = self.vocab_size, self.smoothing
        X = np.zeros((len(rows), V), dtype=np.float64)
        for i, r in enumerate(rows):
            X[i, r] = 1.0
        n = X.sum(axis=0)
        C = X.T @ X
        np.fill_diagonal(C, 0.0)
        log_prior = np.log(n + a) - np.log(n.sum() + a * V)
        denom = np.log(C.sum(axis=1) + a * (V - 1))  # per v
        log_cond = (np.log(C + a) - denom[:, None]).T  # [s, v] = log P(s | v)
        self._set_tables(log_prior, log_cond)
        if callback is not None:
            callback({"n_sets": float(len(rows))})
        return self

    def _set_tables(self, log_prior: np.ndarray, log_cond: np.ndarray) -> None:
        dev = self.device
        self.log_prior = torch.as_tensor(log_prior, dtype=torch.float32).to(dev)
        self.log_cond = torch.as_tensor(log_cond, dtype=torch.float32).to(dev)
        self.fitted = True

    def _require_fitted(self) -> None:
        if not self.fitted:
            raise RuntimeError("this CooccurrenceConceptLM is not fitted; call fit() first")

    def next_log_probs(self, prefixes: torch.Tensor) -> torch.Tensor:
        """``(b, s) -> (b, V)`` log P(v | prefix), -inf on the prefix's concepts."""
        self._require_fitted()
        prefixes = self._check_seqs(prefixes, "prefixes")
        b = prefixes.shape[0]
        logits = self.log_prior.expand(b, -1)
        if prefixes.shape[1]:
            logits = logits + self.log_cond[prefixes].sum(dim=1)  # (b, s, V) -> (b, V)
        return masked_log_softmax(logits, prefixes)

    def sequence_nll(self, seqs: torch.Tensor, start: int) -> torch.Tensor:
        """Incremental scoring: the logits of position t are ``log pi + sum_{i<t} log_cond[x_i]``,
        a running sum updated by one row gather per position (same value as the generic loop).
        ``(b, L) -> (b,)``."""
        self._require_fitted()
        seqs = self._check_seqs(seqs)
        b, L = seqs.shape
        if isinstance(start, bool) or not isinstance(start, int) or not 0 <= start < L:
            raise ValueError(f"`start` must be an int in [0, {L}), got {start!r}")
        logits = self.log_prior.expand(b, -1)
        seen = torch.zeros(b, self.vocab_size, dtype=torch.bool, device=seqs.device)
        nll = torch.zeros(b, device=seqs.device)
        for t in range(L):
            if t >= start:
                lp = torch.log_softmax(logits.masked_fill(seen, float("-inf")), dim=-1)
                nll = nll - lp.gather(1, seqs[:, t: t + 1]).squeeze(1)
            if t < L - 1:
                logits = logits + self.log_cond[seqs[:, t]]
                seen = seen.scatter(1, seqs[:, t: t + 1], True)
        _check_finite_nll(nll)
        return nll

    def save(self, path: str | Path) -> None:
        """Write the tables as ``.npz`` (exact float32 round trip)."""
        self._require_fitted()
        with open(path, "wb") as fh:
            np.savez(fh, log_prior=self.log_prior.cpu().numpy(),
                     log_cond=self.log_cond.cpu().numpy(),
                     smoothing=np.float64(self.smoothing))

    @classmethod
    def load(cls, path: str | Path) -> CooccurrenceConceptLM:
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"no such file: {path}")
        with np.load(path) as z:
            model = cls(int(z["log_prior"].shape[0]), smoothing=float(z["smoothing"]))
            model._set_tables(z["log_prior"], z["log_cond"])
        return model
