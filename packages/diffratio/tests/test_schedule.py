import math

import numpy as np
import pytest
import torch

from mpiis.diffratio import EDMSchedule, karras_sigmas, loguniform_sigmas


def test_karras_matches_formula():
    n, lo, hi, rho = 18, 0.002, 80.0, 7.0
    i = np.arange(n)
    ref = (hi ** (1 / rho) + i / (n - 1) * (lo ** (1 / rho) - hi ** (1 / rho))) ** rho
    got = karras_sigmas(n).numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-6)
    assert got[0] == pytest.approx(80.0) and got[-1] == pytest.approx(0.002)


def test_loguniform_range_and_determinism(gen):
    a = loguniform_sigmas(5000, 0.02, 20.0, generator=gen(1))
    b = loguniform_sigmas(5000, 0.02, 20.0, generator=gen(1))
    assert torch.equal(a, b)
    assert a.min() >= 0.02 and a.max() <= 20.0
    # ln σ uniform: the median sits at the geometric mean
    assert float(a.log().median()) == pytest.approx(0.5 * (math.log(0.02) + math.log(20)),
                                                    abs=0.1)


def test_schedule_loss_weight_and_validation():
    s = EDMSchedule()
    sig = torch.tensor([0.5])
    assert float(s.loss_weight(sig)) == pytest.approx((0.25 + 0.25) / (0.25 * 0.25))
    with pytest.raises(ValueError, match="sigma_min"):
        EDMSchedule(sigma_min=10.0, sigma_max=1.0)
    with pytest.raises(ValueError, match="sigma_lo"):
        loguniform_sigmas(3, 2.0, 1.0)
    with pytest.raises(ValueError, match="steps"):
        karras_sigmas(0)
