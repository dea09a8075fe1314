"""Data-parallel training under torchrun: 2 gloo processes match 1 process on the same global
batch, for the teacher and for both one-step trainers (the README's torchrun command runs this
kind of script)."""

import textwrap

import pytest
import torch

from mpiis.shared import torch as st

SCRIPT = textwrap.dedent('''
    import sys
    import numpy as np
    import torch
    from mpiis.diffratio import (DistillConfig, EDMPrecond, MLPBackbone, TeacherConfig, distill,
                                 train_teacher)
    from mpiis.shared.data import toy2d
    from mpiis.shared.torch import cleanup_distributed, init_distributed

    def main(out):
        torch.set_num_threads(1)
        info = init_distributed(device="cpu")
        x = torch.tensor(toy2d("ring8", 256, rng=np.random.default_rng(0)), dtype=torch.float32)
        g = torch.Generator().manual_seed(0)
        den = EDMPrecond(MLPBackbone(2, hidden=16, emb_dim=8, generator=g), sigma_data=1.4)
        teacher = train_teacher(den, x, TeacherConfig.tiny(steps=6, batch_size=16), generator=g,
                                dist=info)
        states = {"teacher": {k: v.clone() for k, v in teacher.state_dict().items()}}
        for method in ("score_free", "score_based"):
            res = distill(teacher, x, method=method, generator=torch.Generator().manual_seed(1),
                          config=DistillConfig.tiny(steps=5, batch_size=16, log_every=2),
                          dist=info)
            states[method] = {k: v.detach().clone()
                              for k, v in res.trainer.generator.state_dict().items()}
            states[method + "_aux"] = {k: v.detach().clone()
                                       for k, v in res.aux.state_dict().items()}
            states[method + "_loss"] = torch.tensor(res.history.aux_loss)
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
    for name in ("teacher", "score_free", "score_free_aux", "score_based", "score_based_aux"):
        for k, v in one[name].items():
            torch.testing.assert_close(two[name][k], v, rtol=1e-4, atol=1e-5,
                                       msg=f"{name}.{k}")
    for name in ("score_free_loss", "score_based_loss"):
        torch.testing.assert_close(two[name], one[name], rtol=1e-4, atol=1e-6)
    # it did train: the generator moved away from the teacher it started from
    t = one["teacher"]["backbone.out.weight"]
    assert not torch.equal(one["score_free"]["denoiser.backbone.out.weight"], t)
