"""DNA sequences as integer codes (A=0, C=1, G=2, T=3, N=4), one-hot encoding and haplotypes."""

from __future__ import annotations

import numpy as np

__all__ = ["BASES", "apply_variants", "decode", "encode", "one_hot", "unique_haplotypes"]

BASES = "ACGTN"
_LUT = np.full(256, 255, dtype=np.uint8)
for _i, _b in enumerate(BASES):
    _LUT[ord(_b)] = _i
    _LUT[ord(_b.lower())] = _i


def encode(seq: str | bytes, *, name: str = "seq") -> np.ndarray:
    """Integer codes ``(L,)`` of a DNA string; any character outside ACGTN (any case) is refused.

    Raises:
        ValueError: naming the first bad character and its 0-based position.
    """
    raw = np.frombuffer(seq.encode("ascii", "replace") if isinstance(seq, str) else bytes(seq),
                        dtype=np.uint8)
    codes = _LUT[raw]
    bad = np.flatnonzero(codes == 255)
    if bad.size:
        pos = int(bad[0])
        ch = chr(raw[pos])
        raise ValueError(
            f"`{name}` holds {ch!r} at position {pos}; expected only A, C, G, T or N"
        )
    return codes.astype(np.int8)


def decode(codes: np.ndarray) -> str:
    """The DNA string of integer codes ``(L,)``."""
    codes = np.asarray(codes)
    if codes.ndim != 1 or (codes.size and (codes.min() < 0 or codes.max() > 4)):
        raise ValueError(f"`codes` must be a 1-D array of values in 0..4, got shape {codes.shape}")
    return "".join(BASES[int(c)] for c in codes)


def one_hot(seq: str | np.ndarray) -> np.ndarray:
    """One-hot encoding ``(..., 4, L)`` float32 of a string or integer codes ``(..., L)``.

    N (code 4) becomes an all-zero column (brief, "Bad input").
    """
    codes = encode(seq) if isinstance(seq, str | bytes) else np.asarray(seq)
    if codes.dtype.kind not in "iu":
        raise ValueError(f"`seq` must be a string or integer codes, got dtype {codes.dtype}")
    if codes.size and (codes.min() < 0 or codes.max() > 4):
        raise ValueError(
            f"`seq` codes must lie in 0..4 (A, C, G, T, N), got {codes.min()}..{codes.max()}"
        )
    eye = np.vstack([np.eye(4, dtype=np.float32), np.zeros((1, 4), dtype=np.float32)])
    return np.moveaxis(eye[codes], -1, -2)


def apply_variants(
    reference: np.ndarray, positions: np.ndarray, alts: np.ndarray, alleles: np.ndarray
) -> np.ndarray:
    """Haplotype sequences ``(n, L)`` from a reference ``(L,)`` and alleles ``(n, S)`` in {0, 1}.

    Args:
        reference: integer codes of the window.
        positions: 0-based SNV positions inside the window ``(S,)``.
        alts: integer codes of the alternative bases ``(S,)``.
        alleles: 1 where the haplotype carries the alternative base.
    """
    reference = np.asarray(reference)
    alleles = np.asarray(alleles)
    positions = np.asarray(positions, dtype=np.int64)
    if alleles.ndim != 2 or alleles.shape[1] != len(positions):
        raise ValueError(
            f"`alleles` must have shape (n, {len(positions)}), got {alleles.shape}"
        )
    if len(positions) and (positions.min() < 0 or positions.max() >= reference.shape[-1]):
        raise ValueError(f"`positions` must lie in [0, {reference.shape[-1]}), got out-of-range")
    out = np.repeat(reference[None, :], len(alleles), axis=0)
    cur = out[:, positions]
    out[:, positions] = np.where(alleles.astype(bool), np.asarray(alts)[None, :], cur)
    return out


def unique_haplotypes(alleles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique allele rows ``(U, S)`` and the inverse index ``(n,)`` (the cache key of
    brief "Method 3")."""
    alleles = np.ascontiguousarray(np.asarray(alleles, dtype=np.uint8))
    if alleles.ndim != 2:
        raise ValueError(f"`alleles` must be 2-D (n, S), got shape {alleles.shape}")
    uniq, inverse = np.unique(alleles, axis=0, return_inverse=True)
    return uniq, inverse.reshape(-1)
