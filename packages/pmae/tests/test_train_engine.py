"""The scalable training path: datasets, augmentation, weight-decay groups, mixed precision,
logging-interval syncs and step checkpoints."""

import dataclasses

import numpy as np
import pytest
import torch

from mpiis.pmae import (
    ImageFolderDataset,
    ImageTensorDataset,
    MLPConfig,
    PretrainConfig,
    RandomResizedCropFlip,
    ViTConfig,
    mae,
    npz_dataset,
    pmae,
    pretrain,
)
from mpiis.pmae._train import NO_DECAY
from mpiis.shared.torch import weight_decay_groups


def _mlp(basis, seed=0):
    return pmae(basis, arch="mlp", config=MLPConfig.tiny(),
                generator=torch.Generator().manual_seed(seed))


def _run(model, data, cfg=None, **kw):
    cfg = cfg or PretrainConfig.tiny()
    return pretrain(model, data, cfg, generator=torch.Generator().manual_seed(5), **kw)


def _weights(m):
    return torch.cat([p.detach().reshape(-1) for p in m.parameters()])


def test_dataset_path_matches_array_path(basis, synth):
    a, b = _mlp(basis), _mlp(basis)
    ha = _run(a, synth.images, labels=synth.labels)
    hb = _run(b, ImageTensorDataset(synth.images, synth.labels))
    torch.testing.assert_close(_weights(a), _weights(b))
    assert ha.step_loss == pytest.approx(hb.step_loss)
    assert len(hb.probe_accuracy) == 2


def test_npz_dataset(tmp_path, basis, synth):
    np.savez(tmp_path / "d.npz", images=synth.images, labels=synth.labels)
    ds = npz_dataset(tmp_path / "d.npz")
    assert len(ds) == len(synth) and ds[0][0].shape == (1, 16, 16)
    a, b = _mlp(basis), _mlp(basis)
    _run(a, synth.images)
    _run(b, ds)
    torch.testing.assert_close(_weights(a), _weights(b))


def test_image_folder_is_streamed(tmp_path, small_images):
    pil = pytest.importorskip("PIL.Image")
    for k in range(2):
        (tmp_path / f"c{k}").mkdir()
        for i in range(8):
            arr = (small_images[8 * k + i, 0] * 255).astype(np.uint8)
            pil.fromarray(arr).save(tmp_path / f"c{k}" / f"{i}.png")
    ds = ImageFolderDataset(tmp_path, grayscale=True)
    assert len(ds) == 16 and ds.classes == ["c0", "c1"]
    x, y = ds[9]
    assert x.shape == (1, 8, 8) and int(y) == 1 and 0 <= float(x.min()) <= float(x.max()) <= 1
    m = mae((1, 8, 8), arch="mlp", patch_size=2, config=MLPConfig.tiny(),
            generator=torch.Generator().manual_seed(0))
    h = _run(m, ds, PretrainConfig(epochs=1, batch_size=4))
    assert len(h.step_loss) == 4 and len(h.probe_accuracy) == 1


def test_weight_decay_on_weights_only(basis):
    m = pmae(basis, config=ViTConfig.tiny(), patch_size=4)
    decay, no_decay = weight_decay_groups(m, 0.05, skip=NO_DECAY)
    names = {id(p): n for n, p in m.named_parameters()}
    dn = {names[id(p)] for p in decay["params"]}
    nn_ = {names[id(p)] for p in no_decay["params"]}
    assert all(n.endswith("weight") for n in dn)
    assert not any("norm" in n or n.endswith("bias") or "token" in n for n in dn)
    assert {"encoder.cls_token", "decoder.mask_token"} <= nn_
    assert any("norm" in n for n in nn_) and any(n.endswith("bias") for n in nn_)


def test_log_every_does_not_change_training(basis, synth):
    a, b = _mlp(basis), _mlp(basis)
    ha = _run(a, synth.images)
    hb = _run(b, synth.images, dataclasses.replace(PretrainConfig.tiny(), log_every=1))
    assert torch.equal(_weights(a), _weights(b)) and ha.step_loss == hb.step_loss


def test_step_checkpoint_resume_is_exact(basis, synth, tmp_path):
    cfg = dataclasses.replace(PretrainConfig.tiny(), checkpoint_every=3)
    full = _mlp(basis)
    hf = _run(full, synth.images, cfg)
    ck = tmp_path / "ck.pt"

    class Stop(Exception):
        pass

    def stop_mid_epoch(epoch, hist):
        raise Stop

    part = _mlp(basis)
    with pytest.raises(Stop):  # epoch 1 ends after step 4; the step-3 checkpoint is mid-epoch
        _run(part, synth.images, dataclasses.replace(cfg, epochs=2), checkpoint=ck,
             callback=stop_mid_epoch)
    # restart from the checkpoint at the end of epoch 1 and also from a mid-epoch one
    resumed = _mlp(basis, seed=9)
    h = pretrain(resumed, synth.images, cfg, generator=torch.Generator().manual_seed(0),
                 checkpoint=ck, resume=True)
    assert torch.equal(_weights(full), _weights(resumed)) and h.loss == pytest.approx(hf.loss)


def test_mid_epoch_checkpoint_resume(basis, synth, tmp_path):
    cfg = dataclasses.replace(PretrainConfig.tiny(), epochs=1, checkpoint_every=2)
    full = _mlp(basis)
    _run(full, synth.images, cfg)
    ck = tmp_path / "ck.pt"
    part = _mlp(basis)
    cfg_stop = dataclasses.replace(cfg, augment=_StopAfter(3))
    with pytest.raises(KeyboardInterrupt):
        _run(part, synth.images, cfg_stop, checkpoint=ck)
    resumed = _mlp(basis, seed=9)
    pretrain(resumed, synth.images, cfg, generator=torch.Generator().manual_seed(0),
             checkpoint=ck, resume=True)
    assert torch.equal(_weights(full), _weights(resumed))


class _StopAfter:
    """An identity augmentation that interrupts training at its n-th call."""

    def __init__(self, n):
        self.n, self.calls = n, 0

    def __call__(self, x, generator):
        self.calls += 1
        if self.calls == self.n:
            raise KeyboardInterrupt
        return x


def test_bf16_autocast_trains_on_cpu(basis, synth):
    m = _mlp(basis)
    h = _run(m, synth.images, dataclasses.replace(PretrainConfig.tiny(), amp="bf16"))
    assert np.isfinite(h.loss).all()


def test_engine_options_validation():
    with pytest.raises(ValueError, match="amp"):
        PretrainConfig(epochs=1, amp="fp8")
    with pytest.raises(TypeError, match="compile"):
        PretrainConfig(epochs=1, compile=1)
    with pytest.raises(ValueError, match="log_every"):
        PretrainConfig(epochs=1, log_every=-1)
    assert PretrainConfig.paper().compile and PretrainConfig.paper().amp == "bf16"
    assert not PretrainConfig.cpu().compile and PretrainConfig.cpu().amp == "off"


def test_augmentation_identity_deterministic_and_flip(synth):
    x = torch.from_numpy(synth.images[:8])
    same = RandomResizedCropFlip(scale=(1.0, 1.0), ratio=(1.0, 1.0), flip=False)
    torch.testing.assert_close(same(x, torch.Generator().manual_seed(0)), x, atol=1e-5, rtol=0)
    aug = RandomResizedCropFlip()
    a = aug(x, torch.Generator().manual_seed(1))
    b = aug(x, torch.Generator().manual_seed(1))
    assert a.shape == x.shape and torch.equal(a, b) and not torch.allclose(a, x)
    flip = RandomResizedCropFlip(scale=(1.0, 1.0), ratio=(1.0, 1.0), flip=True)
    out = flip(x, torch.Generator().manual_seed(2))
    for i in range(8):  # every image is itself or its mirror
        assert (torch.allclose(out[i], x[i], atol=1e-5)
                or torch.allclose(out[i], x[i].flip(-1), atol=1e-5))
    with pytest.raises(ValueError, match="scale"):
        RandomResizedCropFlip(scale=(0.0, 1.0))


def test_pretrain_with_augmentation(basis, synth):
    m = _mlp(basis)
    h = _run(m, synth.images, dataclasses.replace(PretrainConfig.tiny(),
                                                  augment=RandomResizedCropFlip()))
    assert np.isfinite(h.loss).all()


def test_dataset_refuses_labels_argument(basis, synth):
    with pytest.raises(ValueError, match="labels"):
        _run(_mlp(basis), ImageTensorDataset(synth.images), labels=synth.labels)


def test_command_line_pretraining(tmp_path, synth, capsys):
    from mpiis.pmae import MaskedAutoencoder
    from mpiis.pmae.__main__ import main

    np.savez(tmp_path / "d.npz", images=synth.images, labels=synth.labels)
    out = tmp_path / "m.pt"
    assert main(["--data", str(tmp_path / "d.npz"), "--arch", "mlp", "--epochs", "1",
                 "--batch-size", "32", "--augment", "none", "--out", str(out)]) == 0
    assert "rank 0 of 1" in capsys.readouterr().out
    assert MaskedAutoencoder.load(out).encode(synth.images[:2]).shape[0] == 2
