import pytest
import torch

from mpiis.diffratio import f_divergence, forward_kl, jensen_shannon, reverse_kl


@pytest.mark.parametrize(
    "div, h",
    [
        (reverse_kl(), lambda c: torch.ones_like(c)),
        (forward_kl(), torch.exp),
        (jensen_shannon(), lambda c: 0.5 * torch.sigmoid(c)),
    ],
)
def test_surrogate_gradient_is_minus_h(div, h):
    c = torch.linspace(-3, 3, 13, requires_grad=True)
    div.surrogate(c).sum().backward()
    torch.testing.assert_close(c.grad, -h(c.detach()))


def test_h_equals_r2_fpp():
    # f''(r) for JS: ½[1/r − 1/(1 + r)] → r² f''(r) = ½ r/(1 + r) = ½ sigmoid(c)
    c = torch.linspace(-4, 4, 9)
    r = torch.exp(c)
    fpp = 0.5 * (1 / r - 1 / (1 + r))
    torch.testing.assert_close(jensen_shannon().weight(c), r**2 * fpp)
    torch.testing.assert_close(forward_kl().weight(c), r**2 * (1 / r))  # f = r log r
    torch.testing.assert_close(reverse_kl().weight(c), r**2 * (1 / r**2))  # f = −log r


def test_custom_member_and_validation():
    d = f_divergence(lambda c: 2.0 * torch.ones_like(c), "twice")
    c = torch.zeros(3, requires_grad=True)
    d.surrogate(c).sum().backward()
    assert torch.all(c.grad == -2.0)
    with pytest.raises(TypeError, match="h"):
        f_divergence(3.0)
    bad = f_divergence(lambda c: torch.ones(1))
    with pytest.raises(ValueError, match="h"):
        bad.weight(torch.zeros(4))
