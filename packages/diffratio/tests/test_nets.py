import pytest
import torch
from torch import nn

from mpiis.diffratio import EDMPrecond, MLPBackbone, TinyUNet


class Zero(nn.Module):
    data_shape = (3,)

    def forward(self, x, c_noise, labels=None):
        return torch.zeros_like(x)


def test_precond_coefficients_parity():
    d = EDMPrecond(Zero(), sigma_data=0.5)
    x = torch.randn(4, 3)
    sigma = torch.tensor([0.1, 0.5, 1.0, 10.0])
    c_skip = 0.25 / (sigma**2 + 0.25)
    torch.testing.assert_close(d(x, sigma), c_skip[:, None] * x)
    # score = (D − x)/σ²
    torch.testing.assert_close(d.score(x, sigma), (c_skip[:, None] * x - x) / sigma[:, None] ** 2)


def test_mlp_shapes_and_determinism(gen):
    a = EDMPrecond(MLPBackbone(6, hidden=16, depth=2, generator=gen(0)))
    b = EDMPrecond(MLPBackbone(6, hidden=16, depth=2, generator=gen(0)))
    x, s = torch.randn(5, 6), torch.rand(5) + 0.1
    assert a(x, s).shape == (5, 6)
    assert a.features(x, s).shape == (5, 16)
    torch.testing.assert_close(a(x, s), b(x, s), rtol=0, atol=0)


def test_mlp_accepts_image_shape(gen):
    d = EDMPrecond(MLPBackbone(64, hidden=16, generator=gen(0)), shape=(1, 8, 8))
    assert d(torch.randn(2, 1, 8, 8), 1.0).shape == (2, 1, 8, 8)


def test_unet_shapes(gen):
    net = EDMPrecond(TinyUNet(1, base=8, mults=(1, 2), generator=gen(0)))
    for hw in (8, 14):
        x = torch.randn(2, 1, hw, hw)
        assert net(x, torch.ones(2)).shape == x.shape
        assert net.features(x, torch.ones(2)).shape == (2, 16)


def test_conditional_labels(gen):
    d = EDMPrecond(MLPBackbone(4, hidden=8, num_classes=3, generator=gen(0)))
    x = torch.randn(2, 4)
    out0 = d(x, 1.0, torch.tensor([0, 0]))
    out1 = d(x, 1.0, torch.tensor([1, 1]))
    assert not torch.allclose(out0, out1)
    with pytest.raises(ValueError, match="labels"):
        d(x, 1.0)
    with pytest.raises(ValueError, match="labels"):
        d(x, 1.0, torch.tensor([0, 5]))


def test_precond_validation(gen):
    d = EDMPrecond(MLPBackbone(4, hidden=8, generator=gen(0)))
    x = torch.randn(3, 4)
    with pytest.raises(ValueError, match="sigma"):
        d(x, torch.ones(2))
    with pytest.raises(ValueError, match="sigma"):
        d(x, torch.tensor([1.0, 0.0, 1.0]))
    with pytest.raises(ValueError, match="sigma"):
        d(x, -1.0)
    with pytest.raises(ValueError, match="x"):
        d(torch.randn(3, 5), 1.0)
    with pytest.raises(ValueError, match="x"):
        d(torch.randn(4), 1.0)
    with pytest.raises(ValueError, match="labels"):
        d(x, 1.0, torch.tensor([0, 1, 2]))
    with pytest.raises(TypeError, match="x"):
        d(["a", "b"], 1.0)
