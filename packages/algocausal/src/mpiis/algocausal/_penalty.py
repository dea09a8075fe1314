"""The model costs of the two-part code: eq. (A) of the brief and the partition extension.

Stirling numbers of the second kind are exact Python integers; their base-2 logarithm is taken
with :func:`math.log2` on the integer, so no overflow or rounding enters before the log.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache, lru_cache

from mpiis.shared.validation import check_int

__all__ = ["bell_number", "codebook_cost_bits", "partition_cost_bits", "stirling2"]


@cache
def _stirling_row(n: int) -> tuple[int, ...]:
    """Row ``n`` of the Stirling triangle, ``S(n, 0..n)``, built by the usual recurrence."""
    row = [1]  # S(0, 0) = 1
    for m in range(1, n + 1):
        new = [0] * (m + 1)
        for k in range(1, m + 1):
            new[k] = k * (row[k] if k < len(row) else 0) + row[k - 1]
        row = new
    return tuple(row)


def stirling2(n: int, k: int) -> int:
    """Stirling number of the second kind ``S(n, k)``: partitions of ``n`` items into ``k``
    non-empty blocks, as an exact Python integer.

    Examples: ``S(5, 2) = 15``, ``S(6, 3) = 90``; ``S(n, k) = 0`` for ``k > n``.
    """
    n = check_int(n, "n", minimum=0)
    k = check_int(k, "k", minimum=0)
    if k > n:
        return 0
    return _stirling_row(n)[k]


def bell_number(n: int) -> int:
    """The Bell number ``B(n) = sum_k S(n, k)``, the number of set partitions of ``n`` items."""
    return sum(_stirling_row(check_int(n, "n", minimum=0)))


def codebook_cost_bits(n_envs: int, k: int, codebook_size: int) -> float:
    """Self-delimiting model cost of one mechanism type, eq. (A) (official ``compute_penalty``).

    ``L = 2 (log2 C(M, k) + log2 k! + log2 S(N, k) + log2 k) + 1`` bits for ``N`` environments
    mapped surjectively onto ``k`` of ``M`` codebook values.

    Args:
        n_envs: ``N >= 1``.
        k: number of codebook values used, ``1 <= k <= min(N, M)``.
        codebook_size: ``M >= 1``.

    Returns:
        The cost in bits (float). ``L(5, 3, 8) = 30.24227222654928``.

    Raises:
        ValueError: when ``k`` is outside ``[1, min(N, M)]``.
    """
    n = check_int(n_envs, "n_envs", minimum=1)
    m = check_int(codebook_size, "codebook_size", minimum=1)
    k = check_int(k, "k", minimum=1)
    if k > min(n, m):
        raise ValueError(f"`k` must be <= min(n_envs, codebook_size) = {min(n, m)}, got {k}")
    return _codebook_cost(n, k, m)


@lru_cache(maxsize=4096)
def _codebook_cost(n: int, k: int, m: int) -> float:
    return (
        2.0
        * (
            math.log2(math.comb(m, k))
            + math.log2(math.factorial(k))
            + math.log2(stirling2(n, k))
            + math.log2(k)
        )
        + 1.0
    )


def partition_cost_bits(n_envs: int, block_sizes: Sequence[int], n_params: int) -> float:
    """Model cost of one mechanism under the partition cost (brief, "Partition cost").

    ``2 (log2 S(N, k) + log2 k) + 1 + sum_b (n_params / 2) log2 n_b`` where ``k`` is the number
    of blocks, ``n_b`` the number of samples pooled in block ``b`` and ``n_params = |P| + 1``
    (coefficients plus noise variance).

    Args:
        n_envs: ``N``, the number of environments partitioned.
        block_sizes: the sample count ``n_b >= 1`` of each block (``k = len(block_sizes)``).
        n_params: parameters fitted per block.

    Returns:
        The cost in bits.
    """
    n = check_int(n_envs, "n_envs", minimum=1)
    p = check_int(n_params, "n_params", minimum=1)
    sizes = [check_int(int(s), "block_sizes[b]", minimum=1) for s in block_sizes]
    k = len(sizes)
    if not 1 <= k <= n:
        raise ValueError(f"`block_sizes` must hold 1..{n} blocks, got {k}")
    index_bits = 2.0 * (math.log2(stirling2(n, k)) + math.log2(k)) + 1.0
    return index_bits + sum(0.5 * p * math.log2(s) for s in sizes)
