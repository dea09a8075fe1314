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


def test_residual_mlp_blocks(gen, tmp_path):
    from mpiis.diffratio import OneStepGenerator, init_student
    from mpiis.diffratio._nets import build_backbone

    bb = MLPBackbone(6, hidden=16, depth=3, residual=True, generator=gen(0))
    assert bb.inp is not None and len(bb.norms) == 3 and bb.layers[0].in_features == 16
    d = EDMPrecond(bb)
    x, s = torch.randn(5, 6), torch.rand(5) + 0.1
    assert d(x, s).shape == (5, 6) and d.features(x, s).shape == (5, 16)
    # not the plain stack: the same seed gives a different function
    plain = EDMPrecond(MLPBackbone(6, hidden=16, depth=3, generator=gen(0)))
    assert not torch.allclose(d(x, s), plain(x, s))
    # the spec rebuilds the same architecture, and a saved generator loads exactly
    rebuilt = build_backbone(bb.spec())
    assert rebuilt.residual and [n for n, _ in rebuilt.named_parameters()] == [
        n for n, _ in bb.named_parameters()]
    g = OneStepGenerator(d)
    g.save(tmp_path / "g.pt")
    z = torch.randn(4, 6)
    torch.testing.assert_close(OneStepGenerator.load(tmp_path / "g.pt")(z), g(z), rtol=0, atol=0)
    # the input projection and the norms belong to the trunk; truncation keeps them aligned
    trunk = init_student(d, "trunk_only", generator=gen(1))
    assert torch.equal(trunk.backbone.inp.weight, bb.inp.weight)
    assert torch.equal(trunk.backbone.norms[0].weight, bb.norms[0].weight)
    assert not torch.equal(trunk.backbone.out.weight, bb.out.weight)
    bb.truncate(2)
    assert len(bb.layers) == len(bb.norms) == len(bb.emb_proj) == 2
    assert d.features(x, s).shape == (5, 16)
    with pytest.raises(TypeError, match="residual"):
        MLPBackbone(6, residual=1)
