import numpy as np
import pytest
import scipy.linalg
import scipy.stats
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, f1_score, roc_auc_score

from mpiis.shared import metrics


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def _naive_mmd2(x, y, hs, unbiased):
    def k(a, b):
        return sum(np.exp(-np.sum((a - b) ** 2) / (2 * h * h)) for h in hs)

    n, m = len(x), len(y)
    kxx = sum(k(x[i], x[j]) for i in range(n) for j in range(n) if not unbiased or i != j)
    kyy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if not unbiased or i != j)
    kxy = sum(k(x[i], y[j]) for i in range(n) for j in range(m))
    dx, dy = (n * (n - 1), m * (m - 1)) if unbiased else (n * n, m * m)
    return kxx / dx + kyy / dy - 2 * kxy / (n * m)


@pytest.mark.parametrize("unbiased", [True, False])
def test_mmd2_matches_double_loop(rng, unbiased):
    x, y = rng.normal(size=(12, 3)), rng.normal(1.0, size=(9, 3))
    hs = (0.5, 1.0, 2.0)
    got = metrics.mmd2(x, y, bandwidths=hs, unbiased=unbiased)
    assert got == pytest.approx(_naive_mmd2(x, y, hs, unbiased), rel=1e-10)


def test_mmd2_identical_samples_is_zero_and_shift_is_positive(rng):
    x = rng.normal(size=(200, 2))
    assert metrics.mmd2(x, x, unbiased=False) == pytest.approx(0.0, abs=1e-12)
    assert abs(metrics.mmd2(x, rng.normal(size=(200, 2)))) < 0.02
    assert metrics.mmd2(x, rng.normal(2.0, size=(200, 2))) > 0.3


def test_mmd2_validation(rng):
    x = rng.normal(size=(5, 2))
    with pytest.raises(ValueError, match="same number of columns"):
        metrics.mmd2(x, rng.normal(size=(5, 3)))
    with pytest.raises(ValueError, match="bandwidths"):
        metrics.mmd2(x, x, bandwidths=(1.0, -1.0))
    with pytest.raises(ValueError, match="bandwidths"):
        metrics.mmd2(x, x, bandwidths=())
    bad = x.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="`x` must be finite"):
        metrics.mmd2(bad, x)


def test_energy_distance_matches_scipy_in_1d(rng):
    x, y = rng.normal(size=(50, 1)), rng.normal(0.5, 2.0, size=(70, 1))
    ref = scipy.stats.energy_distance(x[:, 0], y[:, 0]) ** 2  # scipy returns the square root
    assert metrics.energy_distance(x, y) == pytest.approx(ref, rel=1e-10)
    assert metrics.energy_distance(x, x) == pytest.approx(0.0, abs=1e-12)


def test_frechet_equal_gaussians_zero_and_closed_form(rng):
    mu, a = rng.normal(size=4), rng.normal(size=(4, 4))
    cov = a @ a.T + np.eye(4)
    assert metrics.gaussian_frechet_distance(mu, cov, mu, cov) == pytest.approx(0.0, abs=1e-9)
    # 1-D closed form: (m1 - m2)^2 + (s1 - s2)^2
    got = metrics.gaussian_frechet_distance([1.0], [[4.0]], [-1.0], [[9.0]])
    assert got == pytest.approx(4.0 + 1.0, rel=1e-12)
    # against scipy's general matrix square root
    b = rng.normal(size=(4, 4))
    cov2, mu2 = b @ b.T + 0.5 * np.eye(4), rng.normal(size=4)
    ref = np.sum((mu - mu2) ** 2) + np.trace(cov + cov2 - 2 * scipy.linalg.sqrtm(cov @ cov2).real)
    assert metrics.gaussian_frechet_distance(mu, cov, mu2, cov2) == pytest.approx(ref, rel=1e-8)


def test_frechet_distance_of_features(rng):
    x = rng.normal(size=(4000, 2))
    y = rng.normal(size=(4000, 2)) * 2.0 + 1.0
    # population value: |mu|^2 = 2, trace term 2 * (1 + 4 - 2 * 2) = 2
    assert metrics.frechet_distance(x, y) == pytest.approx(4.0, rel=0.1)
    assert metrics.frechet_distance(x, x) == pytest.approx(0.0, abs=1e-9)


def test_sliced_wasserstein_matches_scipy_in_1d(rng):
    x, y = rng.normal(size=(64, 1)), rng.normal(1.0, size=(64, 1))
    ref = scipy.stats.wasserstein_distance(x[:, 0], y[:, 0])
    assert metrics.sliced_wasserstein(x, y, p=1) == pytest.approx(ref, rel=1e-10)
    assert metrics.sliced_wasserstein(x, x) == 0.0
    z = rng.normal(size=(30, 3))
    assert metrics.sliced_wasserstein(z, z[:20] + 3.0) > 1.0
    with pytest.raises(ValueError, match="n_projections"):
        metrics.sliced_wasserstein(z, z, n_projections=0)


def test_linear_cka(rng):
    x = rng.normal(size=(100, 5))
    q, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    assert metrics.linear_cka(x, x) == pytest.approx(1.0)
    assert metrics.linear_cka(x, 3.0 * x @ q) == pytest.approx(1.0)
    y = rng.normal(size=(100, 7))
    # against the HSIC formula with centring matrices
    h = np.eye(100) - 1.0 / 100
    kx, ky = h @ x @ x.T @ h, h @ y @ y.T @ h
    ref = np.sum(kx * ky) / np.sqrt(np.sum(kx * kx) * np.sum(ky * ky))
    assert metrics.linear_cka(x, y) == pytest.approx(ref, rel=1e-10)
    with pytest.raises(ValueError, match="same number of rows"):
        metrics.linear_cka(x, y[:50])
    with pytest.raises(ValueError, match="constant"):
        metrics.linear_cka(np.ones((10, 2)), y[:10])


def test_logistic_regression_matches_sklearn(rng):
    n = 300
    x = rng.normal(size=(n, 4))
    y = np.argmax(x[:, :3] + 0.8 * rng.normal(size=(n, 3)), axis=1)
    l2 = 1e-2
    w, b = metrics.logistic_regression(x, y, l2=l2, max_iter=20000, tol=1e-10)
    ref = LogisticRegression(C=1.0 / (n * l2), tol=1e-12, max_iter=10000).fit(x, y)
    # both are parametrisations of the same softmax: compare centred logits
    ours = x @ w + b
    theirs = ref.decision_function(x)
    np.testing.assert_allclose(ours - ours.mean(1, keepdims=True),
                               theirs - theirs.mean(1, keepdims=True), atol=1e-4)


def test_linear_probe_accuracy(rng):
    x = rng.normal(size=(200, 3))
    y = (x[:, 0] > 0).astype(int)
    assert metrics.linear_probe_accuracy(x[:100], y[:100], x[100:], y[100:]) >= 0.95
    noise = rng.normal(size=(200, 3))
    acc = metrics.linear_probe_accuracy(noise[:100], y[:100], noise[100:], y[100:])
    assert acc < 0.75
    with pytest.raises(ValueError, match="same width"):
        metrics.linear_probe_accuracy(x[:100], y[:100], x[100:, :2], y[100:])
    with pytest.raises(ValueError, match="train_labels"):
        metrics.linear_probe_accuracy(x[:100], y[:99], x[100:], y[100:])
    with pytest.raises(ValueError, match="integer class labels"):
        metrics.linear_probe_accuracy(x[:100], y[:100] + 0.5, x[100:], y[100:])


def test_auroc_auprc_f1_match_sklearn(rng):
    for _ in range(20):
        t = rng.random(40) < 0.3
        t[:2] = [True, False]
        s = np.round(rng.random(40) + t * 0.3, 1)  # rounding creates ties
        assert metrics.auroc(t, s) == pytest.approx(roc_auc_score(t, s), abs=1e-12)
        assert metrics.auprc(t, s) == pytest.approx(average_precision_score(t, s), abs=1e-12)
        p = s > 0.6
        assert metrics.f1_score(t, p) == pytest.approx(f1_score(t, p), abs=1e-12)


def test_auroc_validation():
    with pytest.raises(ValueError, match="both positives and negatives"):
        metrics.auroc([1, 1], [0.2, 0.3])
    with pytest.raises(ValueError, match="binary"):
        metrics.auroc([0, 2], [0.2, 0.3])
    with pytest.raises(ValueError, match="same size"):
        metrics.auprc([0, 1], [0.2])


def test_shd_hand_made_graphs():
    a = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]])  # 0 -> 1 -> 2
    assert metrics.shd(a, a) == 0
    assert metrics.shd(a, a.T) == 2  # both edges reversed
    b = a.copy()
    b[1, 2] = 0
    assert metrics.shd(a, b) == 1  # one missing
    c = a.copy()
    c[0, 2] = 1
    assert metrics.shd(a, c) == 1  # one extra
    assert metrics.shd(a, np.zeros((3, 3))) == 2
    with pytest.raises(ValueError, match="square"):
        metrics.shd(a, np.zeros((2, 2)))


def test_f1_edge_cases():
    assert metrics.f1_score([0, 0], [0, 0]) == 1.0
    assert metrics.f1_score([1, 0], [0, 1]) == 0.0
