import numpy as np
import pytest

from mpiis.phenformer import apply_variants, one_hot, unique_haplotypes


def test_one_hot_and_n():
    x = one_hot("ACGTN")
    assert x.shape == (4, 5)
    np.testing.assert_array_equal(x[:, :4], np.eye(4))
    assert x[:, 4].sum() == 0


def test_bad_character_names_position():
    with pytest.raises(ValueError, match=r"'X' at position 3"):
        one_hot("ACGXT")


def test_apply_variants_and_unique():
    ref = np.array([0, 1, 2, 3], np.int8)
    seqs = apply_variants(ref, np.array([1, 3]), np.array([3, 0]),
                          np.array([[0, 0], [1, 0], [1, 1], [1, 0]]))
    np.testing.assert_array_equal(seqs[2], [0, 3, 2, 0])
    uniq, inv = unique_haplotypes(np.array([[0, 0], [1, 0], [1, 1], [1, 0]]))
    assert len(uniq) == 3
    np.testing.assert_array_equal(uniq[inv], [[0, 0], [1, 0], [1, 1], [1, 0]])


def test_apply_variants_shape_checked():
    with pytest.raises(ValueError, match="alleles"):
        apply_variants(np.zeros(4, np.int8), np.array([1]), np.array([2]), np.zeros((2, 2)))
