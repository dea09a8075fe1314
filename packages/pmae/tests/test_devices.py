"""Device consistency: every model and mask builds on the ``meta`` device (a tensor created on
the CPU by mistake shows up as a device mismatch), and, when CUDA is present, training, probes and
the smoke preset run there (tests marked ``gpu``; they skip without a GPU)."""

import numpy as np
import pytest
import torch

from mpiis.pmae import (
    MLPConfig,
    PretrainConfig,
    ViTConfig,
    extract_features,
    linear_probe,
    mae,
    mlp_probe,
    pmae,
    pretrain,
    random_patch_mask,
    sample_variance_mask,
)

META = torch.device("meta")
CASES = [(k, a) for k in ("pmae", "mae") for a in ("vit", "mlp")]


def _on(model, device):
    return {t.device.type for t in [*model.parameters(), *model.buffers()]} == {device.type}


@pytest.mark.parametrize(("kind", "arch"), CASES)
def test_models_build_and_run_on_meta(kind, arch, basis):
    b = basis.to(META)
    cfg = ViTConfig.tiny() if arch == "vit" else MLPConfig.tiny()
    if kind == "pmae":
        m = pmae(b, arch=arch, patch_size=4, config=cfg)
    else:
        m = mae(b.image_shape, arch=arch, patch_size=4, config=cfg, mean=b.mean, std=b.std)
    assert m.device == META and _on(m, META)
    x = torch.empty(3, *b.image_shape, device=META)
    out = m(x)
    for t in (out.loss, out.loss_per_sample, out.pred, out.mask, out.latent):
        assert t.device == META
    assert m.encode(x, pool="mean").device == META


def test_masks_follow_their_inputs_device_on_meta(basis):
    evr = basis.explained_variance_ratio.to(META)
    assert sample_variance_mask(evr, 0.2, 4).device == META
    assert sample_variance_mask(evr, (0.1, 0.9), 4).device == META
    pm = random_patch_mask(4, 16, 0.75, device=META)
    assert pm.mask.device == pm.ids_keep.device == pm.ids_restore.device == META


def test_mae_follows_the_device_of_its_statistics(basis):
    m = mae(basis.image_shape, mean=basis.mean.to(META), std=basis.std.to(META),
            config=ViTConfig.tiny(), patch_size=4)
    assert _on(m, META)
    assert _on(mae(basis.image_shape, config=ViTConfig.tiny(), patch_size=4, device=META), META)


def test_linear_probe_refuses_a_single_class():
    f = np.random.default_rng(0).normal(size=(10, 3))
    with pytest.raises(ValueError, match="y_train"):
        linear_probe(f, np.zeros(10), f, np.zeros(10))


# ----------------------------------------------------------------------------- CUDA
cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@pytest.mark.gpu
@cuda
@pytest.mark.parametrize(("kind", "arch"), CASES)
def test_training_and_probes_on_cuda(kind, arch, synth, basis):
    dev = torch.device("cuda")
    b = basis.to(dev)
    cfg = ViTConfig.tiny() if arch == "vit" else MLPConfig.tiny()
    g = torch.Generator(device=dev).manual_seed(0)
    if kind == "pmae":
        m = pmae(b, arch=arch, patch_size=4, config=cfg, generator=g)
    else:
        m = mae(b.image_shape, arch=arch, patch_size=4, config=cfg, mean=b.mean, std=b.std,
                generator=g)
    assert _on(m, dev)
    hist = pretrain(m, synth.images, PretrainConfig.tiny(), generator=g, labels=synth.labels)
    assert np.isfinite(hist.loss).all() and _on(m, dev)
    f = extract_features(m, synth.images, pool="mean")
    assert linear_probe(f[:40], synth.labels[:40], f[40:], synth.labels[40:]).accuracy >= 0
    r = mlp_probe(f[:40], synth.labels[:40], f[40:], synth.labels[40:], generator=g, epochs=2)
    assert 0 <= r.accuracy <= 1


@pytest.mark.gpu
@cuda
def test_same_seed_same_weights_on_cpu_and_cuda(basis):
    a = pmae(basis, config=ViTConfig.tiny(), patch_size=4,
             generator=torch.Generator().manual_seed(3))
    c = pmae(basis.to("cuda"), config=ViTConfig.tiny(), patch_size=4,
             generator=torch.Generator().manual_seed(3))
    for (k, p), (_, q) in zip(a.state_dict().items(), c.state_dict().items(), strict=True):
        assert torch.equal(p, q.cpu()), k


@pytest.mark.gpu
@cuda
def test_smoke_preset_on_cuda(tmp_path):
    from mpiis.pmae import benchmark

    res = benchmark.run("smoke", seed=0, out_dir=tmp_path)
    assert not [r.id for r in res if r.error is not None]
    assert any("cuda" in str(r.details) for r in res)


@pytest.mark.gpu
@cuda
def test_host_syncs_do_not_grow_with_steps(synth, basis):
    """Between logging points the loop never waits for the GPU: twice the steps per epoch give
    the same number of synchronising calls (CUDA sync debug mode)."""
    import dataclasses
    import warnings

    dev = torch.device("cuda")
    b = basis.to(dev)
    x = torch.from_numpy(synth.images).to(dev)

    def count(batch_size):
        g = torch.Generator(device=dev).manual_seed(0)
        m = pmae(b, config=ViTConfig.tiny(), patch_size=4, generator=g)
        cfg = dataclasses.replace(PretrainConfig.tiny(), batch_size=batch_size)
        torch.cuda.synchronize()
        with warnings.catch_warnings(record=True) as got:
            warnings.simplefilter("always")
            torch.cuda.set_sync_debug_mode("warn")
            try:
                pretrain(m, x, cfg, generator=g, progress=False)
            finally:
                torch.cuda.set_sync_debug_mode("default")
        return sum("synchroniz" in str(w.message) for w in got)

    assert count(16) == count(8)
