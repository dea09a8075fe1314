import dataclasses

import pytest
import torch

from mpiis.shared.testing import check_deterministic, check_refuses_nonfinite, check_save_load
from mpiis.shared.torch import count_parameters
from mpiis.spartan import (
    DenseTransformerWM,
    Spartan,
    SpartanConfig,
    spartan_paper,
    spartan_small,
    tiny,
)


def test_config_validation():
    with pytest.raises(ValueError, match="normalization"):
        tiny(obj_dim=4, n_objects=3, normalization="softmax")
    with pytest.raises(ValueError, match="penalty"):
        tiny(obj_dim=4, n_objects=3, penalty="l1")
    with pytest.raises(ValueError, match="temperature"):
        tiny(obj_dim=4, n_objects=3, temperature=0.0)
    with pytest.raises(ValueError, match="n_objects"):
        tiny(obj_dim=4, n_objects=0)
    with pytest.raises(TypeError, match="obj_dim"):
        tiny(obj_dim=4.0, n_objects=3)
    with pytest.raises(TypeError):
        SpartanConfig(4, 3)  # keyword-only
    c = tiny(obj_dim=4, n_objects=3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.d_model = 3
    assert spartan_paper(obj_dim=4, n_objects=6).d_model == 512


def test_spartan_small_parameter_count():
    m = Spartan(spartan_small(obj_dim=4, n_objects=6))
    assert count_parameters(m) == 109_894  # "about 0.11 M" (brief, Public API)


@pytest.mark.parametrize("cls", [Spartan, DenseTransformerWM])
def test_output_shapes(cls, gen):
    cfg = tiny(obj_dim=4, n_objects=5, n_regimes=3, action_dim=2)
    m = cls(cfg, generator=gen(0))
    x = torch.randn(7, 5, 4)
    a = torch.randn(7, 2)
    out = m(x, actions=a, regime=torch.tensor([0, 1, 2, 0, 1, 2, 0]))
    T = 5 + 1 + 1
    assert out.delta.shape == (7, 5, 4)
    assert out.adjacencies.shape == out.gate_probs.shape == out.attention.shape == (2, 7, T, T)
    assert out.path_matrix.shape == (7, T, T)
    g = m.local_graph(x, actions=a, regime=1)
    assert g.shape == (7, 5, T) and g.dtype == torch.bool
    assert not g[:, torch.arange(5), torch.arange(5)].any()
    assert m.intervention_targets(1, x, actions=a).shape == (5,)
    assert m(x, actions=a).delta.shape == (7, 5, 4)  # no intervention token


def test_input_validation(cfg, gen):
    m = Spartan(dataclasses.replace(cfg, n_regimes=2), generator=gen(0))
    x = torch.randn(3, 6, 4)
    with pytest.raises(ValueError, match=r"objects.*3-D"):
        m(x[0])
    with pytest.raises(ValueError, match="obj_dim=4"):
        m(torch.randn(3, 6, 5))
    with pytest.raises(ValueError, match="n_objects=6"):
        m(torch.randn(3, 5, 4))
    with pytest.raises(TypeError, match="objects"):
        m(x.numpy())
    with pytest.raises(ValueError, match=r"regime.*\[0, 1\]"):
        m(x, regime=2)
    with pytest.raises(ValueError, match="mutually exclusive"):
        m(x, regime=0, token=torch.zeros(16))
    with pytest.raises(ValueError, match="token"):
        m(x, token=torch.zeros(5))
    with pytest.raises(ValueError, match="drop"):
        m(x, drop=list(range(6)))
    with pytest.raises(ValueError, match="actions"):
        m(x, actions=torch.zeros(3, 1))
    check_refuses_nonfinite(lambda t: m(t), x, match="objects")
    m0 = Spartan(cfg)
    with pytest.raises(ValueError, match="n_regimes=0"):
        m0(x, regime=0)


def test_meta_device_forward():
    # every tensor must follow the model's device: a tensor made elsewhere would clash here
    cfg = tiny(obj_dim=4, n_objects=5, n_regimes=2)
    for cls in (Spartan, DenseTransformerWM):
        with torch.device("meta"):
            m = cls(cfg)
        x = torch.empty(3, 5, 4, device="meta")
        for sample in (True, False):
            out = m(x, regime=torch.zeros(3, dtype=torch.long, device="meta"), sample=sample,
                    drop=[4])
            assert out.delta.device.type == "meta" and out.delta.shape == (3, 4, 4)
            assert out.path_matrix.device.type == "meta"


def test_sampling_determinism(cfg, gen):
    m = Spartan(cfg, generator=gen(0))
    x = torch.randn(4, 6, 4, generator=gen(9))
    check_deterministic(lambda s: m(x, sample=True, generator=gen(s)).adjacencies)
    a = m(x, sample=False).delta
    assert torch.equal(a, m(x, sample=False).delta)
    # weights from a generator are reproducible
    a1 = Spartan(cfg, generator=gen(1))(x, sample=False).delta
    assert torch.equal(a1, Spartan(cfg, generator=gen(1))(x, sample=False).delta)


@pytest.mark.parametrize("cls", [Spartan, DenseTransformerWM])
def test_save_load_round_trip(cls, tmp_path, gen):
    cfg = tiny(obj_dim=4, n_objects=6, n_regimes=2)
    m = cls(cfg, generator=gen(0))
    with torch.no_grad():
        m.delta_mu.fill_(0.3)
    x = torch.randn(5, 6, 4, generator=gen(1))
    loaded = check_save_load(m, lambda mm: (mm(x, regime=1, sample=False).delta,
                                            mm.local_graph(x, regime=1)), tmp_path / "m.pt")
    assert isinstance(loaded, cls)


def test_load_refuses_other_version(tmp_path, cfg):
    m = Spartan(cfg)
    m.save(tmp_path / "m.pt")
    blob = torch.load(tmp_path / "m.pt", weights_only=True)
    blob["version"] = "0.0.1"
    torch.save(blob, tmp_path / "old.pt")
    with pytest.raises(ValueError, match=r"0\.0\.1.*version"):
        Spartan.load(tmp_path / "old.pt")
    with pytest.raises(ValueError, match="DenseTransformerWM"):
        DenseTransformerWM.load(tmp_path / "m.pt")


def test_dense_model_graph_is_attention_readout(cfg, gen):
    m = DenseTransformerWM(cfg, generator=gen(0))
    x = torch.randn(3, 6, 4)
    out = m(x)
    assert torch.equal(out.adjacencies, torch.ones_like(out.adjacencies))
    from mpiis.spartan import attention_graph

    assert torch.equal(m.local_graph(x), attention_graph(out.attention))


def test_config_tiny_classmethod():
    assert SpartanConfig.tiny(obj_dim=4, n_objects=3) == tiny(obj_dim=4, n_objects=3)
