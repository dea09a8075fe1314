import numpy as np
import pytest
import torch

from mpiis.pmae import (
    MaskedAutoencoder,
    MLPConfig,
    PatchMasking,
    ViTConfig,
    component_mse,
    mae,
    patch_mse,
    pmae,
)
from mpiis.shared.testing import check_deterministic, check_refuses_nonfinite, check_save_load


def _make(kind, arch, basis, seed=0):
    cfg = ViTConfig.tiny() if arch == "vit" else MLPConfig.tiny()
    g = torch.Generator().manual_seed(seed)
    if kind == "pmae":
        return pmae(basis, arch=arch, patch_size=4, config=cfg, generator=g)
    return mae((1, 16, 16), arch=arch, patch_size=4, config=cfg, mean=basis.mean, std=basis.std,
               generator=g)


CASES = [(k, a) for k in ("pmae", "mae") for a in ("vit", "mlp")]


@pytest.mark.parametrize(("kind", "arch"), CASES)
def test_forward_shapes(kind, arch, basis, synth, gen):
    m = _make(kind, arch, basis)
    out = m(synth.images[:6], generator=gen(0))
    assert out.pred.shape == (6, 1, 16, 16)
    assert out.loss_per_sample.shape == (6,) and out.loss.ndim == 0
    assert out.mask.shape == ((6, basis.n_components) if kind == "pmae" else (6, 16))
    feats = m.encode(synth.images[:3], pool="mean")
    assert feats.shape == (3, 16)


@pytest.mark.parametrize(("kind", "arch"), CASES)
def test_deterministic(kind, arch, basis, synth):
    def run(seed):
        m = _make(kind, arch, basis, seed)
        return m(synth.images[:4], generator=torch.Generator().manual_seed(seed)).loss

    check_deterministic(run)


@pytest.mark.parametrize(("kind", "arch"), CASES)
def test_one_step_lowers_loss(kind, arch, basis, synth):
    m = _make(kind, arch, basis)
    x = synth.images[:32]
    opt = torch.optim.Adam(m.parameters(), lr=3e-3)
    mask = m(x, generator=torch.Generator().manual_seed(0)).mask
    before = m(x, mask=mask).loss
    opt.zero_grad()
    before.backward()
    opt.step()
    assert float(m(x, mask=mask).loss.detach()) < float(before.detach())


@pytest.mark.parametrize(("kind", "arch"), CASES)
def test_save_load(kind, arch, basis, synth, tmp_path):
    m = _make(kind, arch, basis).eval()
    x = synth.images[:4]
    loaded = check_save_load(m, lambda mm: mm.encode(x), tmp_path / "m.pt")
    g = lambda: torch.Generator().manual_seed(5)  # noqa: E731
    assert torch.equal(m(x, generator=g()).loss, loaded(x, generator=g()).loss)


def test_refuses_nonfinite_and_bad_input(basis, synth):
    m = _make("pmae", "vit", basis)
    check_refuses_nonfinite(lambda x: m(x), synth.images[:2], match="x")
    with pytest.raises(ValueError, match="image shape"):
        m(np.zeros((2, 1, 8, 8), np.float32))
    with pytest.raises(TypeError, match="floating-point"):
        m(np.zeros((2, 1, 16, 16), np.int64))


def test_component_loss_matches_projector_form(basis, synth, gen):
    m = _make("pmae", "vit", basis)
    out = m(synth.images[:4], generator=gen(0))
    z = basis.standardize(synth.images[:4])
    per = component_mse(out.pred, z, basis, out.mask)
    assert torch.allclose(per, out.loss_per_sample, atol=1e-5)
    v = basis.components.double()
    for i in range(4):
        mi = out.mask[i].double()
        proj = v @ torch.diag(mi) @ v.T
        e = (out.pred[i].reshape(-1) - z[i].reshape(-1)).double()
        ref = (e @ proj @ e) / mi.sum()
        assert abs(float(ref.detach()) - float(per[i].detach())) < 1e-4


def test_patch_mse_only_masked():
    pred, target = torch.zeros(1, 4, 3), torch.ones(1, 4, 3)
    target[0, 0] = 0.0
    mask = torch.tensor([[True, False, False, False]])
    assert float(patch_mse(pred, target, mask)[0]) == 0.0
    assert float(patch_mse(pred, target, ~mask)[0]) == 1.0


def test_pool_cls_refused_for_mlp(basis, synth):
    with pytest.raises(ValueError, match="pool"):
        _make("pmae", "mlp", basis).encode(synth.images[:2], pool="cls")


def test_patch_size_must_divide(basis):
    with pytest.raises(ValueError, match="patch_size"):
        pmae(basis, patch_size=5, config=ViTConfig.tiny())
    with pytest.raises(ValueError, match="patch_size"):
        mae((1, 16, 16), arch="mlp", patch_size=3)


def test_unknown_masking_type(basis):
    m = _make("pmae", "vit", basis)
    with pytest.raises(TypeError, match="masking"):
        MaskedAutoencoder(m.encoder, m.decoder, "patches")  # type: ignore[arg-type]
    MaskedAutoencoder(m.encoder, m.decoder, PatchMasking())


def test_patch_mask_argument(basis, synth):
    m = _make("mae", "vit", basis)
    with pytest.raises(ValueError, match="mask"):
        m(synth.images[:2], mask=torch.zeros(2, 3, dtype=torch.bool))
    fixed = torch.zeros(2, 16, dtype=torch.bool)
    fixed[:, :12] = True
    out = m(synth.images[:2], mask=fixed)
    assert torch.equal(out.mask, fixed)


def test_factory_sizes():
    from mpiis.pmae import vit_tiny_cpu, vit_tiny_paper
    from mpiis.shared.torch import count_parameters

    enc, dec = vit_tiny_cpu(16, 4)
    n = count_parameters(enc) + count_parameters(dec)
    assert 0.1e6 < n < 0.25e6  # about 0.15 M parameters (brief)
    enc, _ = vit_tiny_paper(32)
    assert enc.dim == 192 and len(enc.blocks) == 12 and enc.num_patches == 16
