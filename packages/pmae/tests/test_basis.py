import numpy as np
import pytest
import torch

from mpiis.pmae import PCABasis, load_digits_images
from mpiis.shared.testing import check_refuses_nonfinite, check_save_load


def test_shapes_and_orthonormality(synth):
    d = 256
    basis = PCABasis.fit(synth.images, method="covariance")  # all D components
    assert basis.image_shape == (1, 16, 16)
    assert basis.components.shape == (d, d)
    assert basis.eigenvalues.shape == (d,)
    v = basis.components.double()
    assert torch.allclose(v.T @ v, torch.eye(d, dtype=torch.float64), atol=1e-5)
    assert bool((basis.eigenvalues[:-1] >= basis.eigenvalues[1:] - 1e-6).all())
    assert abs(float(basis.explained_variance_ratio.sum()) - 1.0) < 1e-5


def test_project_reconstruct_round_trip(synth, basis):
    x = torch.from_numpy(synth.images[:8])
    c = basis.project(x)
    assert c.shape == (8, basis.n_components)
    assert torch.allclose(basis.reconstruct(c), x, atol=1e-4)
    z = basis.standardize(x)
    assert torch.allclose(basis.unstandardize(z), x, atol=1e-5)
    assert torch.allclose(basis.project(z, standardized=True), c, atol=1e-5)


def test_coefficient_variance_equals_eigenvalue(synth, basis):
    c = basis.project(synth.images).double()
    var = c.var(0, unbiased=True)
    assert torch.allclose(var[:10], basis.eigenvalues[:10].double(), rtol=1e-3)


def test_parity_with_sklearn_on_digits():
    sk = pytest.importorskip("sklearn.decomposition")
    x = load_digits_images().images[:500]
    b = PCABasis.fit(x)
    z = (x.reshape(len(x), -1) - b.mean.numpy()) / b.std.numpy()
    ref = sk.PCA(svd_solver="full").fit(z.astype(np.float64))
    cos = np.abs(np.sum(b.components.numpy()[:, :10].T * ref.components_[:10], axis=1))
    assert cos.min() > 0.999
    assert np.abs(b.explained_variance_ratio.numpy() - ref.explained_variance_ratio_).max() < 1e-6


def test_constant_pixels_get_unit_std(small_images):
    x = small_images.copy()
    x[:, :, 0, 0] = 0.5
    b = PCABasis.fit(x)
    assert float(b.std[0]) == 1.0


def test_truncated_basis(small_images):
    b = PCABasis.fit(small_images, n_components=5)
    assert b.components.shape == (64, 5)
    assert float(b.explained_variance_ratio.sum()) < 1.0


def test_save_load_round_trip(tmp_path, basis, synth):
    check_save_load(basis, lambda b: b.project(synth.images[:4]), tmp_path / "basis.npz")


def test_from_official(basis):
    b2 = PCABasis.from_official(basis.components.T.numpy(), basis.explained_variance_ratio.numpy(),
                                basis.mean.numpy(), basis.std.numpy(), (1, 16, 16))
    assert torch.allclose(b2.components, basis.components)


def test_refuses_nonfinite(small_images):
    check_refuses_nonfinite(lambda x: PCABasis.fit(x), small_images, match="images")


@pytest.mark.parametrize(
    ("bad", "err", "match"),
    [
        (np.zeros((4, 1, 1, 8, 8), np.float32), ValueError, "rank 3"),
        (np.zeros((1, 1, 8, 8), np.float32), ValueError, "at least 2"),
        (np.zeros((4, 1, 8, 8), np.uint8), TypeError, "floating-point"),
        (torch.zeros(4, 8, 8, dtype=torch.bool), TypeError, "floating-point"),
        ([[1.0]], TypeError, "numpy array or a torch tensor"),
    ],
)
def test_fit_validation(bad, err, match):
    with pytest.raises(err, match=match):
        PCABasis.fit(bad)


def test_n_components_range(small_images):
    with pytest.raises(ValueError, match="n_components"):
        PCABasis.fit(small_images, n_components=0)
    with pytest.raises(ValueError, match="n_components"):
        PCABasis.fit(small_images, n_components=65)


def test_large_d_needs_n_components():
    with pytest.raises(ValueError, match=r"n_components.*required"):
        PCABasis.fit(torch.rand(2, 1, 129, 129), method="lowrank")
    with pytest.raises(ValueError, match="method='covariance' needs D"):
        PCABasis.fit(torch.rand(2, 1, 129, 129), method="covariance")


def test_constant_images_are_refused():
    with pytest.raises(ValueError, match="no variance"):
        PCABasis.fit(torch.full((4, 1, 4, 4), 0.5))


def _sk_reference(b, x):
    sk = pytest.importorskip("sklearn.decomposition")
    z = (x.reshape(len(x), -1) - b.mean.numpy()) / b.std.numpy()
    return sk.PCA(svd_solver="full").fit(z.astype(np.float64))


@pytest.mark.parametrize("method", ["gram", "covariance"])
def test_routes_match_sklearn_when_n_is_below_d(method):
    """N < D (small image sets): the Gram route and the dense route agree with scikit-learn."""
    x = load_digits_images().images[:40]  # 40 images of D = 64
    b = PCABasis.fit(x, method=method)
    ref = _sk_reference(b, x)
    k = 10
    cos = np.abs(np.sum(b.components.numpy()[:, :k].T * ref.components_[:k], axis=1))
    assert cos.min() > 0.999
    m = min(b.n_components, 39)
    assert np.abs(b.explained_variance_ratio.numpy()[:m]
                  - ref.explained_variance_ratio_[:m]).max() < 1e-6
    if method == "gram":
        assert b.n_components <= 39  # only components that carry variance
        v = b.components.double()
        assert torch.allclose(v.T @ v, torch.eye(v.shape[1], dtype=torch.float64), atol=1e-5)
        # training images lie in the span: the round trip is lossless for them
        xt = torch.from_numpy(x)
        assert torch.allclose(b.reconstruct(b.project(xt)), xt, atol=1e-4)


def test_auto_route_and_gram_limits(synth, small_images):
    assert PCABasis.fit(synth.images[:64]).n_components <= 63  # N < D: Gram
    assert PCABasis.fit(small_images).n_components == 31  # 32 images, D = 64: Gram
    assert PCABasis.fit(small_images, method="covariance").n_components == 64
    assert PCABasis.fit(small_images, n_components=40).n_components == 40  # > N - 1: dense
    with pytest.raises(ValueError, match="N - 1"):
        PCABasis.fit(small_images, n_components=40, method="gram")
    with pytest.raises(ValueError, match="method"):
        PCABasis.fit(small_images, method="svd")


def test_lowrank_route_approximates_the_top_components():
    x = load_digits_images().images[:400]
    exact = PCABasis.fit(x)
    low = PCABasis.fit(x, n_components=5, method="lowrank")
    cos = np.abs(np.sum(exact.components.numpy()[:, :5] * low.components.numpy(), axis=0))
    assert cos.min() > 0.99
    assert np.allclose(low.explained_variance_ratio.numpy(),
                       exact.explained_variance_ratio.numpy()[:5], rtol=1e-2)


def test_shape_mismatch(basis):
    with pytest.raises(ValueError, match="image shape"):
        basis.project(np.zeros((2, 1, 8, 8), np.float32))
    with pytest.raises(ValueError, match="`c` must have shape"):
        basis.reconstruct(torch.zeros(2, 3))
