import numpy as np
import pytest

from mpiis.pmae import ImageSet, load_digits_images, make_failure_mode_images


def test_failure_mode_set():
    s = make_failure_mode_images(200, seed=3)
    assert s.images.shape == (200, 1, 16, 16) and s.images.dtype == np.float32
    assert len(s.meta["frequencies"]) == 24
    assert abs(float(s.images.var()) - 1.0) < 0.3
    again = make_failure_mode_images(200, seed=3)
    assert np.array_equal(s.images, again.images)
    other = make_failure_mode_images(200, seed=4)
    assert not np.array_equal(s.images, other.images)
    # same templates, different draws
    assert s.meta["phases"] == other.meta["phases"]


def test_failure_mode_class_means_near_zero():
    s = make_failure_mode_images(2000)
    for k in range(4):
        assert np.abs(s.images[s.labels == k].mean(0)).max() < 0.25


def test_split_is_stratified():
    s = make_failure_mode_images(400)
    tr, te = s.split(0.3, seed=0)
    assert len(tr) == 280 and len(te) == 120
    assert abs(np.bincount(te.labels).min() - np.bincount(te.labels).max()) <= 12


def test_npz_round_trip(tmp_path):
    imgs = np.random.default_rng(0).integers(0, 256, (10, 8, 8), dtype=np.uint8)
    np.savez(tmp_path / "d.npz", images=imgs, labels=np.arange(10) % 2)
    s = ImageSet.from_npz(tmp_path / "d.npz")
    assert s.images.shape == (10, 1, 8, 8) and s.images.max() <= 1.0


def test_digits():
    d = load_digits_images()
    assert d.images.shape == (1797, 1, 8, 8) and d.images.max() <= 1.0


def test_imageset_validation():
    with pytest.raises(ValueError, match="labels"):
        ImageSet(np.zeros((3, 1, 4, 4), np.float32), np.zeros(2))
    with pytest.raises(ValueError, match="max_freq"):
        make_failure_mode_images(10, size=6, max_freq=3)
