import numpy as np
import pytest
import torch

from mpiis.pmae import MLPConfig, extract_features, knn_probe, linear_probe, mlp_probe, pmae


@pytest.fixture
def blobs():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 120)
    f = rng.normal(size=(120, 5)) + 4.0 * np.eye(3, 5)[y]
    return f[:80], y[:80], f[80:], y[80:]


def test_linear_probe(blobs):
    r = linear_probe(*blobs)
    assert r.accuracy > 0.9 and r.method == "linear" and r.n_features == 5


def test_knn_probe(blobs):
    assert knn_probe(*blobs, k=5).accuracy > 0.9


def test_mlp_probe(blobs):
    r = mlp_probe(*blobs, generator=torch.Generator().manual_seed(0), epochs=30)
    assert r.accuracy > 0.9


def test_probe_chance_on_noise():
    rng = np.random.default_rng(1)
    f, y = rng.normal(size=(200, 5)), rng.integers(0, 4, 200)
    assert linear_probe(f[:100], y[:100], f[100:], y[100:]).accuracy < 0.5


def test_probe_validation(blobs):
    ftr, ytr, fte, yte = blobs
    with pytest.raises(ValueError, match="y_train"):
        linear_probe(ftr, ytr[:5], fte, yte)
    with pytest.raises(ValueError, match="same width"):
        linear_probe(ftr, ytr, fte[:, :2], yte)
    with pytest.raises(ValueError, match="f_train"):
        linear_probe(np.full_like(ftr, np.nan), ytr, fte, yte)


def test_extract_features(basis, synth):
    m = pmae(basis, arch="mlp", config=MLPConfig.tiny(),
             generator=torch.Generator().manual_seed(0))
    f = extract_features(m, synth.images, batch_size=7)
    assert f.shape == (64, 16) and f.dtype == np.float32
    with pytest.raises(ValueError, match="pool"):
        extract_features(m, synth.images, pool="cls")
