"""The concept-language-model interface shared by the three back ends (brief, "Method: Two
models over concept sequences"), and batched sampling / scoring built on ``next_log_probs``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import torch

from mpiis.alien._corpus import PAD

__all__ = ["ConceptLM", "SamplingMixin", "as_prefix", "check_fit_sets"]


@runtime_checkable
class ConceptLM(Protocol):
    """A model of next-concept distributions over a vocabulary of ``vocab_size`` concepts,
    restricted to concepts not yet in the prefix.

    ``next_log_probs(prefixes)`` maps ``(b, s)`` LongTensors to ``(b, V)`` log-probabilities
    (``-inf`` on the prefix's concepts); ``sequence_nll(seqs, start)`` is
    ``NLL(x) = sum_{t >= start} -log P(x_t | x_<t)`` at temperature 1; ``sample`` extends a
    prefix to ``length`` by ancestral sampling at a temperature.
    """

    vocab_size: int

    def fit(self, sets_or_sequences: Any, *, generator: torch.Generator | None = None,
            callback: Callable[[dict[str, float]], None] | None = None) -> ConceptLM: ...

    def next_log_probs(self, prefixes: torch.Tensor) -> torch.Tensor: ...

    def sequence_nll(self, seqs: torch.Tensor, start: int) -> torch.Tensor: ...

    def sample(self, prefix: torch.Tensor | Sequence[int], n: int, length: int, *,
               temperature: float = 1.0, generator: torch.Generator | None = None
               ) -> torch.Tensor: ...

    def save(self, path: str | Path) -> None: ...

    @classmethod
    def load(cls, path: str | Path) -> ConceptLM: ...


def as_prefix(prefix: torch.Tensor | Sequence[int], vocab_size: int, device: torch.device,
              name: str = "prefix") -> torch.Tensor:
    """A checked 1-D LongTensor of distinct concept ids on ``device``."""
    t = torch.as_tensor(prefix if isinstance(prefix, torch.Tensor) else list(prefix),
                        dtype=torch.long)
    if t.ndim != 1:
        raise ValueError(f"`{name}` must be 1-D, got shape {tuple(t.shape)}")
    vals = t.tolist() if t.device.type != "meta" else []
    if any(v < 0 or v >= vocab_size for v in vals):
        raise ValueError(f"`{name}` must hold concept ids in [0, {vocab_size}), got {vals}")
    if len(set(vals)) != len(vals):
        raise ValueError(f"`{name}` must not repeat a concept, got {vals}")
    return t.to(device)


def check_fit_sets(data: Any, vocab_size: int) -> list[list[int]]:
    """Rows of concept ids (``PAD`` entries dropped) with at least 2 distinct in-range concepts;
    a ``ValueError`` names the first offending row."""
    if isinstance(data, torch.Tensor):
        if data.ndim != 2:
            raise ValueError(f"`sets_or_sequences` must be 2-D (n, L), got {tuple(data.shape)}")
        if data.is_floating_point():
            raise TypeError(f"`sets_or_sequences` must hold integers, got {data.dtype}")
        rows = [[v for v in r if v != PAD] for r in data.cpu().tolist()]
    elif isinstance(data, np.ndarray):
        return check_fit_sets(torch.as_tensor(data), vocab_size)
    else:
        rows = [list(r) for r in data]
    if not rows:
        raise ValueError("`sets_or_sequences` must not be empty")
    for i, r in enumerate(rows):
        if any((not isinstance(v, int | np.integer)) or v < 0 or v >= vocab_size for v in r):
            raise ValueError(f"`sets_or_sequences` row {i}: concept ids must lie in "
                             f"[0, {vocab_size}), got {r}")
        if len(set(r)) != len(r):
            raise ValueError(f"`sets_or_sequences` row {i} repeats a concept: {r}")
        if len(r) < 2:
            raise ValueError(f"`sets_or_sequences` row {i} has fewer than 2 concepts: {r}")
    return rows


class SamplingMixin:
    """``sample`` and ``sequence_nll`` from ``next_log_probs``, batched over all candidates.

    Subclasses define ``vocab_size``, ``device`` and ``next_log_probs``.
    """

    vocab_size: int
    max_len: int | None = None

    @property
    def device(self) -> torch.device:  # pragma: no cover - overridden
        raise NotImplementedError

    def next_log_probs(self, prefixes: torch.Tensor) -> torch.Tensor:  # pragma: no cover
        raise NotImplementedError

    def _check_seqs(self, seqs: torch.Tensor, name: str = "seqs") -> torch.Tensor:
        if not isinstance(seqs, torch.Tensor) or seqs.ndim != 2 or seqs.is_floating_point():
            raise ValueError(f"`{name}` must be an integer tensor (b, L), got "
                             f"{getattr(seqs, 'shape', type(seqs))}")
        return seqs.to(self.device, torch.long)

    def sequence_nll(self, seqs: torch.Tensor, start: int) -> torch.Tensor:
        """``NLL(x) = sum_{t >= start} -log P(x_t | x_<t)`` at temperature 1. ``(b, L) -> (b,)``.

        Raises:
            ValueError: ``start`` outside ``[0, L)``, or a non-finite NLL (a repeated concept).
        """
        seqs = self._check_seqs(seqs)
        L = seqs.shape[1]
        if isinstance(start, bool) or not isinstance(start, int) or not 0 <= start < L:
            raise ValueError(f"`start` must be an int in [0, {L}), got {start!r}")
        total = torch.zeros(seqs.shape[0], device=seqs.device)
        for t in range(start, L):
            lp = self.next_log_probs(seqs[:, :t])
            total = total - lp.gather(1, seqs[:, t: t + 1]).squeeze(1)
        _check_finite_nll(total)
        return total

    def sample(self, prefix: torch.Tensor | Sequence[int], n: int, length: int, *,
               temperature: float = 1.0, generator: torch.Generator | None = None
               ) -> torch.Tensor:
        """Ancestral sampling at temperature T: ``P_T(v | S) ∝ P(v | S)^(1/T)`` over v not in S.

        Args:
            prefix: the seed concepts ``(s,)``, or a batch of seeds ``(b, s)`` (n samples each,
                returned seed by seed: rows ``i*n .. (i+1)*n - 1`` extend seed i).
            n: number of sequences, all drawn in one batch.
            length: final length (> s).
            temperature: T > 0.
            generator: a ``torch.Generator`` on the model's device.

        Returns:
            ``(n, length)`` (or ``(b * n, length)``) LongTensor starting with the prefix.
        """
        p2 = prefix if isinstance(prefix, torch.Tensor) else torch.as_tensor(list(prefix))
        if p2.ndim == 2:  # a batch of prefixes of equal length: n samples each
            rows = [as_prefix(r, self.vocab_size, self.device) for r in p2]
            prefix = torch.stack(rows) if rows else p2.to(self.device, torch.long)
        else:
            prefix = as_prefix(prefix, self.vocab_size, self.device).unsqueeze(0)
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"`n` must be an int >= 1, got {n!r}")
        s = prefix.shape[1]
        if isinstance(length, bool) or not isinstance(length, int) or length <= s:
            raise ValueError(f"`length` must be an int > len(prefix) = {s}, got {length!r}")
        if length > self.vocab_size:
            raise ValueError(f"`length` must be <= vocab_size = {self.vocab_size}, got {length}")
        if self.max_len is not None and length > self.max_len:
            raise ValueError(f"`length` must be <= max_len = {self.max_len}, got {length}")
        temperature = check_temperature(temperature)
        seqs = prefix.repeat_interleave(n, dim=0)  # (b * n, s)
        for _ in range(s, length):
            lp = self.next_log_probs(seqs)
            # Gumbel-max: argmax(log P / T + G) is a draw from P_T ∝ P^(1/T) (-inf stays -inf)
            u = torch.rand(lp.shape, generator=generator, device=lp.device)
            gumbel = -torch.log(-torch.log(u.clamp_min(1e-20)))
            nxt = torch.argmax(lp / temperature + gumbel, dim=-1, keepdim=True)
            seqs = torch.cat([seqs, nxt], dim=1)
        return seqs


def check_temperature(temperature: Any) -> float:
    if isinstance(temperature, bool) or not isinstance(temperature, int | float | np.number):
        raise ValueError(f"`temperature` must be a real number > 0, got {temperature!r}")
    t = float(temperature)
    if not np.isfinite(t) or t <= 0:
        raise ValueError(f"`temperature` must be > 0 and finite, got {temperature}")
    return t


def _check_finite_nll(nll: torch.Tensor) -> None:
    if nll.device.type != "meta" and not torch.isfinite(nll).all():
        bad = torch.nonzero(~torch.isfinite(nll)).flatten()[:5].tolist()
        raise ValueError(f"non-finite NLL for sequence(s) {bad}: a sequence repeats a concept "
                         "or holds one the model gives zero probability")


def masked_log_softmax(logits: torch.Tensor, prefixes: torch.Tensor) -> torch.Tensor:
    """Log-softmax over the concepts not in each prefix (-inf on the prefix), via log-sum-exp."""
    if prefixes.shape[1]:
        mask = torch.zeros_like(logits, dtype=torch.bool)
        mask.scatter_(1, prefixes, True)
        logits = logits.masked_fill(mask, float("-inf"))
    return torch.log_softmax(logits, dim=-1)
