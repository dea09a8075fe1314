import math

import pytest
import torch
from torch import nn

from mpiis.diffratio import (
    DensityRatioNet,
    DistillConfig,
    EDMPrecond,
    MLPBackbone,
    OneStepGenerator,
    ScoreBasedTrainer,
    ScoreFreeTrainer,
    ratio_loss,
)


def test_starts_at_zero_and_loss_is_2ln2(ring_teacher, ring, gen):
    net = DensityRatioNet.from_teacher(ring_teacher)
    s = torch.full((16,), 0.5)
    assert torch.all(net(ring[:16], s) == 0)
    loss = ratio_loss(net, ring[:16], ring[16:32], s, generator=gen(0))
    torch.testing.assert_close(loss, torch.full((16,), 2 * math.log(2)))
    # trunk = teacher without its output layer; the teacher itself is untouched
    assert net.trunk.backbone.out is None and ring_teacher.backbone.out is not None


def test_from_teacher_options(ring_teacher):
    net = DensityRatioNet.from_teacher(ring_teacher, trunk_layers=2)
    assert len(net.trunk.backbone.layers) == 2
    assert net(torch.randn(3, 2), 1.0).shape == (3,)
    with pytest.raises(ValueError, match="trunk_layers"):
        DensityRatioNet.from_teacher(ring_teacher, trunk_layers=5)


def test_from_teacher_without_features_points_to_standalone():
    class Plain(nn.Module):
        def forward(self, x, sigma, labels=None):
            return x

    with pytest.raises(TypeError, match="standalone"):
        DensityRatioNet.from_teacher(Plain())
    net = DensityRatioNet.standalone((2,), hidden=16)
    assert net(torch.randn(4, 2), 1.0).shape == (4,)


def test_ratio_loss_validation(ring_teacher, ring):
    net = DensityRatioNet.from_teacher(ring_teacher)
    s = torch.ones(8)
    with pytest.raises(ValueError, match="fake"):
        ratio_loss(net, ring[:8], ring[:4], s)
    with pytest.raises(ValueError, match="fake"):
        ratio_loss(net, ring[:8], torch.randn(8, 3), s)
    with pytest.raises(ValueError, match="sigma"):
        ratio_loss(net, ring[:8], ring[8:16], torch.ones(3))


# ---- parity: with the exact log ratio, the score-free gradient equals the DMD gradient ----

A2, B2 = 1.0, 0.3  # p = N(0, A2 I), q = N(0, B2 I)


class GaussD(nn.Module):
    def __init__(self, v):
        super().__init__()
        self.v = v
        self.sigma_data = 1.0
        self.dummy = nn.Parameter(torch.zeros(()))

    def forward(self, x, sigma, labels=None):
        return self.v / (self.v + sigma[:, None] ** 2) * x


class ExactRatio(nn.Module):
    """c(x, σ) = log N(x; 0, (A2 + σ²)I) − log N(x; 0, (B2 + σ²)I)."""

    def __init__(self):
        super().__init__()
        self.dummy = nn.Parameter(torch.zeros(()))

    def forward(self, x, sigma, labels=None):
        vp, vq = A2 + sigma**2, B2 + sigma**2
        d = x.shape[1]
        r2 = (x**2).sum(1)
        return -0.5 * r2 / vp - 0.5 * d * torch.log(vp) + 0.5 * r2 / vq + 0.5 * d * torch.log(vq)


class ScaleGen(nn.Module):
    """A 'student' whose output is θ·(its input), so the generator is g(z) = θ σ_init z."""

    def __init__(self):
        super().__init__()
        self.theta = nn.Parameter(torch.tensor(math.sqrt(B2) / 2.5))

    def forward(self, x, sigma, labels=None):
        return self.theta * x


def test_score_free_gradient_equals_score_based_with_exact_networks():
    cfg = DistillConfig(steps=1, batch_size=256, sigma_lo=0.1, sigma_hi=3.0, clip_logit=1e6)
    grads = []
    for kind in ("sf", "sb"):
        gen_ = OneStepGenerator(ScaleGen(), shape=(2,))
        if kind == "sf":
            tr = ScoreFreeTrainer(gen_, ExactRatio(), cfg)
        else:
            tr = ScoreBasedTrainer(gen_, GaussD(A2), GaussD(B2), cfg)
        loss = tr.generator_loss(256, generator=torch.Generator().manual_seed(3))
        (g,) = torch.autograd.grad(loss, gen_.denoiser.theta)
        grads.append(g)
    torch.testing.assert_close(grads[0], grads[1], rtol=1e-4, atol=1e-6)
    assert grads[0] < 0  # q is narrower than p: the generator must widen (θ grows)


def test_ratio_net_learns_a_gaussian_log_ratio(gen):
    """Class-ratio estimation recovers the analytic log ratio of two Gaussians at fixed σ."""
    g = gen(0)
    trunk = EDMPrecond(MLPBackbone(1, hidden=32, depth=2, emb_dim=8, generator=g),
                       sigma_data=1.0)
    net = DensityRatioNet(trunk, feature_dim=32, head_hidden=16)
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    sigma = torch.full((256,), 0.5)
    for _ in range(400):
        real = torch.randn(256, 1, generator=g)  # p = N(0, 1)
        fake = 0.5 * torch.randn(256, 1, generator=g) + 0.5  # q = N(0.5, 0.25)
        loss = ratio_loss(net, real, fake, sigma, generator=g).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    x = torch.linspace(-1.0, 1.5, 11)[:, None]
    vp, vq = 1.0 + 0.25, 0.25 + 0.25
    exact = (-0.5 * x**2 / vp - 0.5 * math.log(vp) + 0.5 * (x - 0.5) ** 2 / vq
             + 0.5 * math.log(vq)).squeeze(1)
    with torch.no_grad():
        got = net(x, torch.full((11,), 0.5))
    assert float((got - exact).abs().mean()) < 0.15
