import numpy as np
import pytest

from mpiis.shared import data


def rng(seed=0):
    return np.random.default_rng(seed)


@pytest.mark.parametrize("name", ["ring8", "grid25", "moons"])
def test_toy2d_shapes_and_determinism(name):
    a = data.toy2d(name, 500, rng=rng())
    assert a.shape == (500, 2)
    np.testing.assert_array_equal(a, data.toy2d(name, 500, rng=rng()))
    assert not np.array_equal(a, data.toy2d(name, 500, rng=rng(1)))


def test_ring_samples_sit_on_the_centres():
    x = data.toy2d("ring8", 4000, rng=rng())
    c = data.ring_centers(8, 2.0)
    d = np.sqrt(((x[:, None] - c[None]) ** 2).sum(-1)).min(1)
    assert d.max() < 0.05 * 6
    counts = np.bincount(np.argmin(((x[:, None] - c[None]) ** 2).sum(-1), 1), minlength=8)
    assert counts.min() > 400
    assert np.allclose(np.linalg.norm(c, axis=1), 2.0)
    assert data.grid_centers(5, 1.0).min() == -2.0


def test_toy2d_validation():
    with pytest.raises(ValueError, match="`name` must be one of"):
        data.toy2d("spiral", 10, rng=rng())
    with pytest.raises(TypeError, match=r"`rng` must be a numpy\.random\.Generator"):
        data.toy2d("ring8", 10, rng=0)
    with pytest.raises(ValueError, match="`n` must be >= 1"):
        data.toy2d("ring8", 0, rng=rng())


def test_random_dag_is_acyclic():
    import networkx as nx

    for s in range(10):
        adj = data.random_dag(8, rng=rng(s), edge_prob=0.5)
        assert adj.dtype == bool and not adj.diagonal().any()
        assert nx.is_directed_acyclic_graph(nx.DiGraph(adj.astype(int)))
    assert data.random_dag(5, rng=rng(), edge_prob=0.0).sum() == 0
    assert data.random_dag(5, rng=rng(), edge_prob=1.0).sum() == 10


def test_linear_scm_covariance_matches_closed_form():
    scm = data.random_linear_scm(4, rng=rng(3), edge_prob=0.6)
    x = scm.sample(200_000, rng=rng(4))
    inv = np.linalg.inv(np.eye(4) - scm.weights)
    cov = inv.T @ np.diag(scm.noise_std**2) @ inv
    np.testing.assert_allclose(np.cov(x, rowvar=False), cov, atol=0.05 * np.abs(cov).max())


def test_linear_scm_interventions():
    w = np.array([[0.0, 2.0], [0.0, 0.0]])  # 0 -> 1
    scm = data.LinearSCM(weights=w, noise_std=np.array([1.0, 0.1]))
    perfect = scm.sample(5000, rng=rng(), interventions={1: 5.0})
    assert abs(perfect[:, 1].mean() - 5.0) < 0.01
    assert abs(np.corrcoef(perfect.T)[0, 1]) < 0.05  # edge cut
    shift = scm.sample(5000, rng=rng(), interventions={0: 3.0}, kind="shift")
    assert abs(shift[:, 1].mean() - 6.0) < 0.1  # propagates downstream
    with pytest.raises(ValueError, match="`interventions` keys"):
        scm.sample(5, rng=rng(), interventions={2: 1.0})
    with pytest.raises(ValueError, match="`kind`"):
        scm.sample(5, rng=rng(), kind="soft")
    with pytest.raises(ValueError, match="cycle"):
        data.LinearSCM(weights=w + w.T, noise_std=np.ones(2))
    with pytest.raises(ValueError, match="`noise_std` must have shape"):
        data.LinearSCM(weights=w, noise_std=np.ones(3))


def test_load_digits_and_mnist5k():
    d = data.load_digits()
    assert d.images.shape == (1797, 1, 8, 8) and d.images.dtype == np.float32
    assert 0.0 <= d.images.min() and d.images.max() == 1.0
    assert set(np.unique(d.labels)) == set(range(10))
    m = data.load_mnist5k(size=14)
    assert m.images.shape == (5000, 1, 14, 14)
    assert np.bincount(m.labels).tolist() == [500] * 10
    full = data.load_mnist5k(size=28)
    np.testing.assert_allclose(full.images[:, :, :2, :2].mean((2, 3)), m.images[:, :, 0, 0],
                               atol=1e-6)
    with pytest.raises(ValueError, match="`size` must be 14 or 28"):
        data.load_mnist5k(size=7)


def test_missing_package_names_the_extra(monkeypatch):
    monkeypatch.setattr(data.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ImportError, match=r"mpiis-pmae\[data\]"):
        data.load_mnist5k(extra="mpiis-pmae[data]")


def test_load_npz(tmp_path):
    imgs = (np.arange(2 * 4 * 4 * 3) % 256).astype(np.uint8).reshape(2, 4, 4, 3)
    np.savez(tmp_path / "a.npz", images=imgs, labels=np.array([0, 1]))
    out = data.load_npz(tmp_path / "a.npz")
    assert out.images.shape == (2, 3, 4, 4) and out.images.max() <= 1.0
    assert out.labels.tolist() == [0, 1]
    with pytest.raises(KeyError, match="labels_key"):
        data.load_npz(tmp_path / "a.npz", labels_key="y")
    with pytest.raises(FileNotFoundError, match="`path`"):
        data.load_npz(tmp_path / "missing.npz")
    np.savez(tmp_path / "b.npz", images=np.full((2, 4, 4), np.nan), labels=np.zeros(2))
    with pytest.raises(ValueError, match="finite"):
        data.load_npz(tmp_path / "b.npz")


def test_load_image_folder(tmp_path):
    from PIL import Image

    for cls, value in (("cat", 10), ("dog", 200)):
        (tmp_path / cls).mkdir()
        for i in range(3):
            img = Image.fromarray(np.full((6, 5, 3), value + i, np.uint8))
            img.save(tmp_path / cls / f"{i}.png")
    out = data.load_image_folder(tmp_path)
    assert out.images.shape == (6, 3, 6, 5) and out.class_names == ("cat", "dog")
    assert out.labels.tolist() == [0, 0, 0, 1, 1, 1]
    assert out.images[3, 0, 0, 0] == pytest.approx(200 / 255)
    gray = data.load_image_folder(tmp_path, size=4, grayscale=True)
    assert gray.images.shape == (6, 1, 4, 4)
    with pytest.raises(FileNotFoundError, match="`root`"):
        data.load_image_folder(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="one subfolder per class"):
        data.load_image_folder(tmp_path / "empty")
    (tmp_path / "empty" / "cls").mkdir()
    (tmp_path / "empty" / "cls" / "notes.txt").write_text("x")
    with pytest.raises(ValueError, match="no image files"):
        data.load_image_folder(tmp_path / "empty")


def test_stratified_split():
    y = np.repeat(np.arange(3), [50, 30, 20])
    tr, te = data.stratified_split(y, test_size=0.3, rng=rng())
    assert len(te) == 30 and len(tr) == 70 and not set(tr) & set(te)
    assert np.bincount(y[te]).tolist() == [15, 9, 6]
    _tr2, te2 = data.stratified_split(y, test_size=30, rng=rng())
    np.testing.assert_array_equal(te, te2)
    with pytest.raises(ValueError, match="`test_size`"):
        data.stratified_split(y, test_size=1.5, rng=rng())


def test_cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("MPIIS_DATA", str(tmp_path / "c"))
    assert data.cache_dir() == tmp_path / "c" and (tmp_path / "c").is_dir()
