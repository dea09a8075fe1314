import pytest


def test_torch_helpers():
    torch = pytest.importorskip("torch")
    from mpiis.shared import torch as T

    net = torch.nn.Linear(3, 2)
    assert T.count_parameters(net) == 8
    net.bias.requires_grad_(False)
    assert T.count_parameters(net, trainable_only=True) == 6
    assert T.default_device().type in ("cpu", "cuda", "mps")
    assert T.default_device("cpu").type == "cpu"
    a = torch.randn(3, generator=T.make_generator(5))
    assert torch.equal(a, torch.randn(3, generator=T.make_generator(5)))


def test_jax_helpers():
    jax = pytest.importorskip("jax")
    from mpiis.shared import jax as J

    assert J.count_parameters({"w": jax.numpy.ones((2, 3)), "b": [jax.numpy.ones(4)]}) == 10
    assert J.default_device().platform in ("cpu", "gpu", "tpu")
    k = J.make_key(0)
    assert jax.numpy.array_equal(jax.random.normal(k, (2,)), jax.random.normal(J.make_key(0), (2,)))


def test_progress_is_quiet_off_terminal(capsys):
    from mpiis.shared.progress import progress

    assert list(progress(range(3), desc="x")) == [0, 1, 2]
    assert capsys.readouterr().err == ""
