import dataclasses

import numpy as np
import pytest
import torch

from mpiis.pmae import MLPConfig, PretrainConfig, mae, pmae, pretrain


def _mlp(basis, seed=0):
    return pmae(basis, arch="mlp", config=MLPConfig.tiny(),
                generator=torch.Generator().manual_seed(seed))


def test_pretrain_history(basis, synth, gen):
    m = _mlp(basis)
    calls = []
    h = pretrain(m, synth.images, PretrainConfig.tiny(), generator=gen(0), labels=synth.labels,
                 callback=lambda e, hist: calls.append(e))
    assert calls == [0, 1]
    assert len(h.loss) == len(h.relative_loss) == len(h.probe_accuracy) == 2
    assert len(h.step_loss) == 8
    assert all(np.isfinite(h.loss)) and 0 <= h.probe_accuracy[-1] <= 1


def test_pretrain_lowers_loss(basis, synth, gen):
    # smooth images: masked patches are predictable from their neighbours
    m = mae((1, 16, 16), arch="mlp", patch_size=4, ratio=0.25, config=MLPConfig.tiny(),
            generator=gen(0))
    h = pretrain(m, synth.images, PretrainConfig(epochs=8, batch_size=16, lr=3e-3),
                 generator=gen(0))
    assert h.loss[-1] < h.loss[0]


def test_pretrain_deterministic(basis, synth):
    def run():
        m = _mlp(basis)
        pretrain(m, synth.images, PretrainConfig.tiny(), generator=torch.Generator().manual_seed(1))
        return m.encode(synth.images[:4])

    assert torch.equal(run(), run())


def test_checkpoint_resume_is_exact(basis, synth, tmp_path):
    cfg = dataclasses.replace(PretrainConfig.tiny(), epochs=3)
    full = _mlp(basis)
    pretrain(full, synth.images, cfg, generator=torch.Generator().manual_seed(2))
    ck = tmp_path / "ck.pt"
    part = _mlp(basis)
    g = torch.Generator().manual_seed(2)

    def stop(epoch, hist):
        if epoch == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        pretrain(part, synth.images, cfg, generator=g, checkpoint=ck, callback=stop)
    resumed = _mlp(basis, seed=9)
    h = pretrain(resumed, synth.images, cfg, generator=torch.Generator().manual_seed(99),
                 checkpoint=ck, resume=True)
    assert len(h.loss) == 3
    assert torch.equal(full.encode(synth.images[:4]), resumed.encode(synth.images[:4]))


def test_divergence_raises(synth, gen):
    m = mae((1, 16, 16), arch="mlp", patch_size=4, config=MLPConfig.tiny(), generator=gen(0))
    x = np.full((16, 1, 16, 16), 1e30, np.float32)
    with pytest.raises(RuntimeError, match=r"diverged.*epoch 1, step 1"):
        pretrain(m, x, PretrainConfig.tiny(), generator=gen(0))


def test_collapse_flag(basis, synth, gen):
    m = _mlp(basis)
    h = pretrain(m, synth.images, PretrainConfig(epochs=1, batch_size=64, lr=1e-9),
                 generator=gen(0))
    assert any("zero predictor" in w for w in h.warnings)


@pytest.mark.parametrize(("kw", "match"), [({"epochs": 0}, "epochs"),
                                           ({"epochs": 1, "batch_size": 0}, "batch_size"),
                                           ({"epochs": 1, "schedule": "step"}, "schedule")])
def test_config_validation(kw, match):
    with pytest.raises(ValueError, match=match):
        PretrainConfig(**kw)


def test_labels_length(basis, synth, gen):
    with pytest.raises(ValueError, match="labels"):
        pretrain(_mlp(basis), synth.images, PretrainConfig.tiny(), generator=gen(0),
                 labels=synth.labels[:3])


def test_presets():
    assert PretrainConfig.paper().epochs == 800
    assert PretrainConfig.paper().lr == pytest.approx(3e-4)
    assert PretrainConfig.cpu().lr == 1e-3
