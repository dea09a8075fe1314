import math

import pytest

from mpiis.algocausal import bell_number, codebook_cost_bits, partition_cost_bits, stirling2


def test_stirling_values():
    assert stirling2(5, 2) == 15
    assert stirling2(6, 3) == 90
    assert stirling2(3, 4) == 0
    assert stirling2(0, 0) == 1
    assert bell_number(6) == 203


@pytest.mark.parametrize("n,m", [(5, 8), (7, 3), (10, 20)])
def test_stirling_surjection_identity(n, m):
    total = sum(math.factorial(k) * stirling2(n, k) * math.comb(m, k) for k in range(n + 1))
    assert total == m**n


def test_codebook_cost_checks():
    assert codebook_cost_bits(5, 3, 8) == pytest.approx(30.24227222654928, abs=1e-12)
    assert codebook_cost_bits(10, 4, 20) == pytest.approx(68.7698781863552, abs=1e-12)
    assert codebook_cost_bits(5, 1, 8) == 7.0


def test_codebook_cost_refuses_bad_k():
    with pytest.raises(ValueError, match="`k` must be <="):
        codebook_cost_bits(3, 4, 8)
    with pytest.raises(ValueError, match="`n_envs`"):
        codebook_cost_bits(0, 1, 8)


def test_partition_cost():
    # one block of 100 samples, 2 parameters: 2(log2 1 + log2 1) + 1 + log2 100
    assert partition_cost_bits(3, [100], 2) == pytest.approx(1 + math.log2(100))
    two = 2 * (math.log2(3) + 1) + 1 + 0.5 * 3 * (math.log2(40) + math.log2(60))
    assert partition_cost_bits(3, [40, 60], 3) == pytest.approx(two)
    with pytest.raises(ValueError, match="`block_sizes`"):
        partition_cost_bits(2, [1, 1, 1], 1)
