"""Gene tokens: per-haplotype expression deltas, computed once per unique haplotype (brief,
"Method 2-3")."""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._sequence import unique_haplotypes
from ._sim import Cohort

__all__ = ["GeneTokens", "TokenCache", "precompute_tokens", "token_features"]


@dataclass(frozen=True, eq=False)
class GeneTokens:
    """Δ_h = enc(haplotype h) − enc(reference) for every individual, gene and haplotype.

    Attributes:
        delta: ``(N, G, 2, C)`` float32.
        reference: encoder output on the reference windows ``(G, C)``.
        n_unique: unique haplotypes per gene ``(G,)``.
        encoder_calls: windows the encoder actually ran on (reference windows included).
    """

    delta: np.ndarray
    reference: np.ndarray
    n_unique: np.ndarray
    encoder_calls: int

    @property
    def n(self) -> int:
        return int(self.delta.shape[0])

    def features(self, kind: str = "sum_absdiff") -> np.ndarray:
        """Token features ``x_g`` ``(N, G, F)``: ``[Δ₁ + Δ₂, |Δ₁ − Δ₂|]`` (F = 2C) or the
        consensus ``Δ₁ + Δ₂`` (F = C)."""
        s = self.delta[:, :, 0] + self.delta[:, :, 1]
        if kind == "consensus":
            return s.astype(np.float32)
        if kind != "sum_absdiff":
            raise ValueError(f"`kind` must be 'sum_absdiff' or 'consensus', got {kind!r}")
        d = np.abs(self.delta[:, :, 0] - self.delta[:, :, 1])
        return np.concatenate([s, d], axis=-1).astype(np.float32)

    def with_noise(self, fraction: float, *, rng: np.random.Generator) -> GeneTokens:
        """A noisy-backbone ablation: Gaussian noise with variance ``fraction`` × Var(Δ) per
        (gene, context), drawn once per unique (gene, haplotype content)."""
        if fraction < 0:
            raise ValueError(f"`fraction` must be >= 0, got {fraction}")
        sd = np.sqrt(fraction * self.delta.var(axis=(0, 2)))  # (G, C)
        out = self.delta.copy()
        for g in range(self.delta.shape[1]):
            flat = self.delta[:, g].reshape(-1, self.delta.shape[-1])
            uniq, inv = np.unique(flat, axis=0, return_inverse=True)
            noise = rng.normal(size=uniq.shape) * sd[g]
            out[:, g] = (uniq + noise)[inv.reshape(-1)].reshape(out[:, g].shape)
        return GeneTokens(out.astype(np.float32), self.reference, self.n_unique, self.encoder_calls)

    def subset(self, idx: np.ndarray) -> GeneTokens:
        return GeneTokens(self.delta[idx], self.reference, self.n_unique, self.encoder_calls)


def token_features(tokens: GeneTokens | np.ndarray, kind: str = "sum_absdiff") -> np.ndarray:
    """Features of :class:`GeneTokens`, or an already built ``(N, G, F)`` array unchanged."""
    return tokens.features(kind) if isinstance(tokens, GeneTokens) else np.asarray(tokens)


class TokenCache:
    """Encoder outputs per (gene, haplotype sequence hash), optionally persisted as ``.npz``.

    A second :func:`precompute_tokens` on the same cohort with the same cache makes no encoder
    call. Keys hash the window's bytes, so one cache must serve one encoder.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = None if path is None else Path(path)
        self._store: dict[str, np.ndarray] = {}
        self.hits = 0
        self.misses = 0
        if self.path is not None and self.path.exists():
            with np.load(self.path) as f:
                self._store = {k: f[k] for k in f.files}

    @staticmethod
    def key(gene: int, seq: np.ndarray) -> str:
        return f"g{int(gene)}_" + hashlib.sha1(np.ascontiguousarray(seq).tobytes()).hexdigest()

    def __len__(self) -> int:
        return len(self._store)

    def get(self, key: str) -> np.ndarray | None:
        v = self._store.get(key)
        if v is None:
            self.misses += 1
        else:
            self.hits += 1
        return v

    def put(self, key: str, value: np.ndarray) -> None:
        self._store[key] = np.asarray(value)

    def save(self) -> None:
        """Write the cache to ``path`` (atomically)."""
        if self.path is None:
            raise ValueError("`path` is None: this cache lives in memory only")
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, **self._store)
        tmp.replace(self.path)


def precompute_tokens(
    cohort: Cohort, encoder, *, cache: TokenCache | None = None, batch_size: int = 512,
) -> GeneTokens:
    """Run the frozen encoder once per unique (gene, haplotype) and build Δ tokens.

    Args:
        cohort: individuals with phased alleles.
        encoder: a :class:`~mpiis.phenformer.SequenceEncoder`.
        cache: optional :class:`TokenCache`; hits skip the encoder.
        batch_size: windows per encoder call.

    Warns:
        UserWarning: when the encoder's fidelity is unknown or below 0.8.
    """
    fid = getattr(encoder, "fidelity", None)
    if fid is None or fid < 0.8:
        warnings.warn(
            f"encoder fidelity is {'unknown' if fid is None else f'{fid:.2f} (< 0.8)'}: tokens "
            "may not reflect the sequence's effect on expression",
            UserWarning, stacklevel=2,
        )
    N, G, _, S = cohort.alleles.shape
    C = int(encoder.n_contexts)
    delta = np.zeros((N, G, 2, C), dtype=np.float32)
    reference = np.zeros((G, C))
    n_unique = np.zeros(G, dtype=np.int64)
    calls = 0
    for g in range(G):
        uniq, inv = unique_haplotypes(cohort.alleles[:, g].reshape(2 * N, S))
        n_unique[g] = len(uniq)
        seqs = np.vstack([cohort.reference[g][None], cohort.haplotype_sequences(g, uniq)])
        out = np.zeros((len(seqs), C))
        todo = []
        keys = [TokenCache.key(g, s) for s in seqs] if cache is not None else None
        for i in range(len(seqs)):
            v = cache.get(keys[i]) if cache is not None else None
            if v is None:
                todo.append(i)
            else:
                out[i] = v
        for j in range(0, len(todo), batch_size):
            part = todo[j:j + batch_size]
            res = np.asarray(encoder.encode(seqs[part], gene=g), dtype=np.float64)
            if not np.isfinite(res).all():
                raise FloatingPointError(f"the encoder returned non-finite values for gene {g}")
            out[part] = res
            calls += len(part)
            if cache is not None:
                for i, r in zip(part, res, strict=True):
                    cache.put(keys[i], r)
        reference[g] = out[0]
        delta[:, g] = (out[1:] - out[0])[inv].reshape(N, 2, C)
    return GeneTokens(delta, reference, n_unique, calls)
