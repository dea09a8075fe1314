import pytest
import torch
from torch import nn

from mpiis.diffratio import DensityRatioNet, OneStepGenerator, best_of_n


class NegNorm(nn.Module):
    sigma_data = 1.0

    def forward(self, x, sigma, labels=None):
        return -(x**2).sum(1)


def test_best_of_n_picks_highest_ratio(ring_teacher, gen):
    g = OneStepGenerator(ring_teacher)
    plain = best_of_n(g, NegNorm(), 200, candidates=1, generator=gen(0))
    torch.testing.assert_close(plain, g.sample(200, generator=gen(0)))  # N = 1 is sampling
    picked = best_of_n(g, NegNorm(), 200, candidates=8, generator=gen(0))
    assert picked.shape == (200, 2)
    assert (picked**2).sum(1).mean() < (plain**2).sum(1).mean()


def test_best_of_n_validation(ring_teacher):
    g = OneStepGenerator(ring_teacher)
    r = DensityRatioNet.from_teacher(ring_teacher)
    with pytest.raises(ValueError, match="candidates"):
        best_of_n(g, r, 4, candidates=0)
    with pytest.raises(ValueError, match="sigma_verify"):
        best_of_n(g, r, 4, sigma_verify=-1.0)
    with pytest.raises(ValueError, match="labels"):
        best_of_n(g, r, 4, labels=torch.zeros(4, dtype=torch.long))
