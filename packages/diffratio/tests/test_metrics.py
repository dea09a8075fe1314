import math

import numpy as np
import pytest
import torch

from mpiis.diffratio import DigitsFeatureNet, class_entropy, mode_coverage
from mpiis.shared.data import ring_centers
from mpiis.shared.testing import check_refuses_nonfinite, check_save_load


def test_mode_coverage():
    c = ring_centers(8, 2.0)
    rng = np.random.default_rng(0)
    x = c[rng.integers(0, 8, 800)] + 0.05 * rng.standard_normal((800, 2))
    cov = mode_coverage(x, c, std=0.05)
    assert cov.modes_hit == 8 and cov.high_quality > 0.97
    half = x[np.linalg.norm(x - c[0], axis=1) < 1.0]
    assert mode_coverage(half, c, std=0.05).modes_hit == 1
    assert mode_coverage(np.zeros((10, 2)), c, std=0.05).high_quality == 0.0
    with pytest.raises(ValueError, match="samples"):
        mode_coverage(np.zeros((10, 3)), c, std=0.05)
    check_refuses_nonfinite(lambda a: mode_coverage(a, c, std=0.05), x, match="samples")


def test_class_entropy():
    assert class_entropy(np.full((5, 10), 0.1)) == pytest.approx(math.log(10))
    assert class_entropy(np.eye(10)[[3] * 7]) == pytest.approx(0.0)


def test_feature_net(digits32, gen, tmp_path):
    x, y = digits32
    net = DigitsFeatureNet.fit(x, y, generator=gen(0), steps=150)
    assert net.features(x).shape == (32, 64)
    assert net.accuracy(x, y) > 0.5
    assert net.fd(x, x) == pytest.approx(0.0, abs=1e-6)
    assert net.fd(x, -x) > 1.0
    again = DigitsFeatureNet.fit(x, y, generator=gen(0), steps=150)
    torch.testing.assert_close(torch.as_tensor(net.features(x)),
                               torch.as_tensor(again.features(x)), rtol=0, atol=0)
    check_save_load(net, lambda m: m.features(x), tmp_path / "f.pt")
    check_refuses_nonfinite(net.features, x, match="x")
    with pytest.raises(ValueError, match="x"):
        net.features(torch.zeros(3, 10))
