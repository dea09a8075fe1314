"""Data-parallel pre-training under torchrun: 2 gloo processes match 1 process on the same
global batch (mpiis.shared.torch; the README's torchrun command runs this kind of script)."""

import textwrap

import pytest
import torch

from mpiis.shared import torch as st

SCRIPT = textwrap.dedent('''
    import sys
    import torch
    from mpiis.pmae import (MLPConfig, PCABasis, PretrainConfig, ViTConfig, mae,
                            make_failure_mode_images, pmae, pretrain)
    from mpiis.shared.torch import cleanup_distributed, init_distributed

    def main(out):
        info = init_distributed(device="cpu")
        data = make_failure_mode_images(64, seed=0)
        basis = PCABasis.fit(data.images)
        cfg = PretrainConfig(epochs=2, batch_size=16)
        states = {}
        for name, build in {
            "pmae_mlp": lambda g: pmae(basis, arch="mlp", config=MLPConfig.tiny(), generator=g),
            "mae_vit": lambda g: mae(basis.image_shape, config=ViTConfig.tiny(), patch_size=4,
                                     mean=basis.mean, std=basis.std, generator=g),
        }.items():
            model = build(torch.Generator().manual_seed(0))
            hist = pretrain(model, data.images, cfg, generator=torch.Generator().manual_seed(1),
                            labels=data.labels, dist=info)
            states[name] = {k: v.detach().clone() for k, v in model.state_dict().items()}
            states[name + "_loss"] = torch.tensor(hist.loss)
        if info.is_main:
            torch.save({"world": info.world_size, **states}, out)
        cleanup_distributed()

    main(sys.argv[1])
''')


@pytest.mark.slow
def test_ddp_two_gloo_processes_match_one_process(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    st.run_torchrun(script, nproc=2, args=[str(tmp_path / "two.pt")], timeout=400)
    st.run_torchrun(script, nproc=1, args=[str(tmp_path / "one.pt")], timeout=400)
    two, one = torch.load(tmp_path / "two.pt"), torch.load(tmp_path / "one.pt")
    assert two["world"] == 2 and one["world"] == 1
    for name in ("pmae_mlp", "mae_vit"):
        for k, v in one[name].items():
            torch.testing.assert_close(two[name][k], v, rtol=1e-4, atol=1e-5, msg=k)
        torch.testing.assert_close(two[name + "_loss"], one[name + "_loss"], rtol=1e-4,
                                   atol=1e-6)
    # it did train: the weights moved away from their initialisation
    fresh = make_init()
    assert not torch.equal(fresh, one["pmae_mlp"]["encoder.net.0.weight"])


def make_init():
    from mpiis.pmae import MLPConfig, PCABasis, make_failure_mode_images, pmae

    data = make_failure_mode_images(64, seed=0)
    m = pmae(PCABasis.fit(data.images), arch="mlp", config=MLPConfig.tiny(),
             generator=torch.Generator().manual_seed(0))
    return m.state_dict()["encoder.net.0.weight"]
