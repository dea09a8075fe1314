import numpy as np
import pytest
import torch

from mpiis.phenformer import Phenformer, PhenformerConfig
from mpiis.shared.testing import check_save_load
from mpiis.shared.torch import count_parameters


def _cfg(**kw):
    return PhenformerConfig.tiny(n_genes=16, n_contexts=12).__class__(
        **{"n_genes": 16, "n_contexts": 12, "d_model": 16, "n_heads": 2, **kw})


def test_shapes_and_attention(gen):
    m = Phenformer(_cfg(n_seeds=2, n_tasks=3), generator=gen)
    x = torch.randn(5, 16, 24)
    assert m(x).shape == (5, 3)
    w = m.pma_attention(x)
    assert w.shape == (5, 2, 16)
    torch.testing.assert_close(w.sum(-1), torch.ones(5, 2))


def test_default_size_matches_brief():
    n = count_parameters(Phenformer(PhenformerConfig(n_genes=64, n_contexts=12)))
    assert 80_000 < n < 110_000  # brief: about 98k at G = 64, C = 12, d = 64


def test_same_generator_same_model():
    a = Phenformer(_cfg(), generator=torch.Generator().manual_seed(1))
    b = Phenformer(_cfg(), generator=torch.Generator().manual_seed(1))
    x = torch.randn(3, 16, 24)
    a.eval(), b.eval()
    torch.testing.assert_close(a(x), b(x))


def test_meta_device():
    m = Phenformer(_cfg(), device="meta")
    out = m(torch.zeros(2, 16, 24, device="meta"))
    assert out.device.type == "meta" and out.shape == (2, 1)


def test_bad_shapes_and_config():
    m = Phenformer(_cfg())
    with pytest.raises(ValueError, match="tokens"):
        m(torch.zeros(2, 15, 24))
    with pytest.raises(TypeError, match="tokens"):
        m(np.zeros((2, 16, 24)))
    with pytest.raises(ValueError, match="d_model"):
        PhenformerConfig(n_genes=4, n_contexts=2, d_model=10, n_heads=4)
    with pytest.raises(ValueError, match="haplotype_features"):
        PhenformerConfig(n_genes=4, n_contexts=2, haplotype_features="x")


def test_one_step_lowers_loss(gen):
    m = Phenformer(_cfg(dropout=0.0), generator=gen)
    x = torch.randn(32, 16, 24, generator=gen)
    y = (x[:, 0, 0] > 0).float()[:, None]
    opt = torch.optim.SGD(m.parameters(), lr=1e-2)
    lossf = torch.nn.BCEWithLogitsLoss()
    l0 = lossf(m(x), y)
    l0.backward()
    opt.step()
    assert lossf(m(x), y) < l0


def test_save_load(gen, tmp_path):
    m = Phenformer(_cfg(), generator=gen).eval()
    x = torch.randn(4, 16, 24)
    check_save_load(m, lambda mod: mod.eval()(x), tmp_path / "m.pt")
    loaded = Phenformer.load(tmp_path / "m.pt").eval()
    torch.testing.assert_close(loaded(x), m(x), rtol=0, atol=0)
