import pytest
import torch
from torch import nn

from mpiis.diffratio import EDMPrecond, MLPBackbone, OneStepGenerator, TinyUNet
from mpiis.shared.testing import check_deterministic, check_save_load


def test_one_step_is_denoiser_at_sigma_init(ring_teacher, gen):
    g = OneStepGenerator(ring_teacher, sigma_init=2.5)
    z = torch.randn(7, 2, generator=gen(0))
    torch.testing.assert_close(g(z), ring_teacher(2.5 * z, torch.full((7,), 2.5)))
    assert g.sample(11, generator=gen(1)).shape == (11, 2)


def test_sample_deterministic(ring_teacher):
    g = OneStepGenerator(ring_teacher)
    check_deterministic(lambda s: g.sample(16, generator=torch.Generator().manual_seed(s)))


def test_save_load_round_trip(ring_teacher, tmp_path):
    g = OneStepGenerator(ring_teacher, sigma_init=2.0)
    z = torch.randn(9, 2)
    loaded = check_save_load(g, lambda m: m(z), tmp_path / "gen.pt")
    assert loaded.sigma_init == 2.0 and loaded.shape == (2,)


def test_save_load_unet(tmp_path, gen):
    den = EDMPrecond(TinyUNet(1, base=8, generator=gen(0)), shape=(1, 8, 8))
    g = OneStepGenerator(den)
    z = torch.randn(2, 1, 8, 8)
    check_save_load(g, lambda m: m(z), tmp_path / "unet.pt")


def test_save_load_user_denoiser(tmp_path):
    class Lin(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Parameter(torch.tensor(0.3))

        def forward(self, x, sigma, labels=None):
            return self.a * x

    g = OneStepGenerator(Lin(), shape=(3,))
    z = torch.randn(4, 3)
    g.save(tmp_path / "u.pt")
    with pytest.raises(ValueError, match="backbone"):
        OneStepGenerator.load(tmp_path / "u.pt")
    again = OneStepGenerator.load(tmp_path / "u.pt", backbone=Lin())
    torch.testing.assert_close(again(z), g(z), rtol=0, atol=0)


def test_generator_validation(ring_teacher):
    with pytest.raises(ValueError, match="sigma_init"):
        OneStepGenerator(ring_teacher, sigma_init=0.0)
    with pytest.raises(ValueError, match="shape"):
        OneStepGenerator(EDMPrecond(TinyUNet(1, base=8)))
    g = OneStepGenerator(ring_teacher)
    with pytest.raises(ValueError, match="z"):
        g(torch.randn(3, 4))
    with pytest.raises(ValueError, match="labels"):
        g.sample(3, labels=torch.tensor([0, 1, 2]))
    with pytest.raises(TypeError, match="denoiser"):
        OneStepGenerator(42)
    cond = OneStepGenerator(EDMPrecond(MLPBackbone(2, hidden=8, num_classes=2)))
    with pytest.raises(ValueError, match="labels"):
        cond.sample(3)
