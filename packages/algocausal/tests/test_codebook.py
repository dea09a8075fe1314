import numpy as np
import pytest

from mpiis.algocausal import codebook_from_values


def test_recipe_keeps_values_and_fills():
    vals = np.array([1.0, 1.0, 9.0, 9.0, 25.0])
    cb = codebook_from_values(vals, size=8, margin=0.1, positive=True)
    assert cb.shape == (8,)
    assert set([1.0, 9.0, 25.0]) <= set(cb.tolist())
    assert cb.min() >= 0 and np.all(np.diff(cb) > 0)
    assert cb.max() == pytest.approx(25 + 2.4)


def test_recipe_clips_variances_at_zero():
    cb = codebook_from_values(np.array([0.1, 5.0]), size=4, positive=True)
    assert cb.min() == 0.0
    cb2 = codebook_from_values(np.array([0.1, 5.0]), size=4, positive=False)
    assert cb2.min() < 0


def test_recipe_many_values_uses_linspace():
    cb = codebook_from_values(np.arange(10.0), size=4, margin=0.0)
    np.testing.assert_allclose(cb, np.linspace(0, 9, 4))


def test_recipe_validation():
    with pytest.raises(ValueError, match="`values`"):
        codebook_from_values(np.array([np.nan, 1.0]))
    with pytest.raises(ValueError, match="`size`"):
        codebook_from_values(np.array([1.0]), size=0)
    with pytest.raises(ValueError, match="`margin`"):
        codebook_from_values(np.array([1.0]), margin=-1.0)
