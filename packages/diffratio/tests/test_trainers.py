import copy
import math

import numpy as np
import pytest
import torch

from mpiis.diffratio import (
    DensityRatioNet,
    DistillConfig,
    OneStepGenerator,
    ScoreBasedTrainer,
    ScoreFreeTrainer,
    distill,
    f_divergence,
)
from mpiis.shared.testing import assert_same_output, check_refuses_nonfinite


def _sf(teacher, cfg=None, **kw):
    g = OneStepGenerator(copy.deepcopy(teacher).requires_grad_(True))
    ratio = DensityRatioNet.from_teacher(teacher, generator=torch.Generator().manual_seed(7))
    return ScoreFreeTrainer(g, ratio, cfg or DistillConfig.tiny(),
                            **kw)


def test_aux_step_lowers_ratio_loss(ring_teacher, ring, gen):
    tr = _sf(ring_teacher, DistillConfig.tiny(lr_aux=1e-2))
    before = float(tr.aux_loss(ring[:64], generator=gen(1)).detach())
    tr.opt_aux.zero_grad()
    tr.aux_loss(ring[:64], generator=gen(1)).backward()
    tr.opt_aux.step()
    after = float(tr.aux_loss(ring[:64], generator=gen(1)).detach())
    assert before == pytest.approx(2 * math.log(2), abs=1e-6)
    assert after < before


@pytest.mark.parametrize("method", ["score_free", "score_based"])
def test_distill_runs_and_is_deterministic(ring_teacher, ring, gen, method):
    def once(seed):
        r = distill(ring_teacher, ring, method=method, config=DistillConfig.tiny(steps=5),
                    generator=gen(seed))
        return r.generator.sample(16, generator=gen(9))

    a = once(0)
    assert a.shape == (16, 2) and torch.isfinite(a).all()
    assert_same_output(a, once(0))
    assert not torch.equal(a, once(1))


@pytest.mark.parametrize("div", ["forward_kl", "js"])
def test_other_divergences_run(ring_teacher, ring, gen, div):
    r = distill(ring_teacher, ring, config=DistillConfig.tiny(steps=3, divergence=div),
                generator=gen(0))
    assert len(r.history.generator_loss) == 3 and all(map(math.isfinite,
                                                          r.history.generator_loss))


def test_warmup_and_aux_steps(ring_teacher, ring, gen):
    cfg = DistillConfig.tiny(steps=3, warmup_steps=2, aux_steps=2)
    r = distill(ring_teacher, ring, config=cfg, generator=gen(0))
    h = r.history
    assert len(h.aux_loss) == 5
    assert math.isnan(h.generator_loss[0]) and math.isnan(h.generator_loss[1])
    assert math.isfinite(h.generator_loss[2])


class _Stop(Exception):
    pass


def _stop_at(k):
    def cb(step, trainer):
        if step == k:
            raise _Stop

    return cb


def test_save_load_and_exact_resume(ring_teacher, ring, gen, tmp_path):
    cfg = DistillConfig.tiny(steps=6)
    full = _sf(ring_teacher, cfg)
    full.fit(ring, generator=gen(0))
    ck = tmp_path / "ck.pt"
    with pytest.raises(_Stop):  # interrupted after the checkpoint of step 3
        _sf(ring_teacher, cfg).fit(ring, generator=gen(0), checkpoint=ck, checkpoint_every=3,
                                   callback=_stop_at(3))
    fresh = _sf(ring_teacher, cfg)
    fresh.fit(ring, generator=gen(123), checkpoint=ck, resume=True)
    z = torch.randn(8, 2, generator=gen(4))
    assert fresh.step_count == 6
    assert_same_output(fresh.ema_generator(z), full.ema_generator(z), what="resumed run")
    # plain save/load reproduces samples bit for bit
    path = tmp_path / "t.pt"
    full.save(path)
    other = _sf(ring_teacher, cfg).load(path)
    assert_same_output(other.ema_generator(z), full.ema_generator(z))
    assert other.history.aux_loss == full.history.aux_loss
    with pytest.raises(ValueError, match="ScoreFreeTrainer"):
        ScoreBasedTrainer(OneStepGenerator(copy.deepcopy(ring_teacher)), ring_teacher,
                          copy.deepcopy(ring_teacher), cfg).load(path)


def test_divergence_stops_with_error(ring_teacher, ring, gen):
    bad = f_divergence(lambda c: torch.full_like(c, float("inf")), "inf")
    tr = _sf(ring_teacher, DistillConfig.tiny(steps=3), divergence=bad)
    with pytest.raises(RuntimeError, match="diverged at step 0"):
        tr.fit(ring, generator=gen(0))


def test_classifier_wins_flag(ring_teacher, ring, gen):
    cfg = DistillConfig.tiny(steps=4, collapse_loss=10.0, collapse_steps=2)
    tr = _sf(ring_teacher, cfg)
    h = tr.fit(ring, generator=gen(0))
    assert len(h.flags) == 1 and "classifier_wins" in h.flags[0]
    with pytest.raises(RuntimeError, match="classifier_wins"):
        _sf(ring_teacher, cfg).fit(ring, generator=gen(0), stop_on_failure=True)


def test_callback_records_evals(ring_teacher, ring, gen):
    tr = _sf(ring_teacher, DistillConfig.tiny(steps=4))
    h = tr.fit(ring, generator=gen(0), callback=lambda s, t: {"x": s * 2.0} if s % 2 else None)
    assert h.evals == [{"step": 1.0, "x": 2.0}, {"step": 3.0, "x": 6.0}]


def test_config_validation():
    with pytest.raises(ValueError, match="sigma_lo"):
        DistillConfig(steps=1, sigma_lo=5.0, sigma_hi=1.0)
    with pytest.raises(ValueError, match="steps"):
        DistillConfig(steps=0)
    with pytest.raises(ValueError, match="batch_size"):
        DistillConfig(steps=1, batch_size=0)
    with pytest.raises(ValueError, match="ema_decay"):
        DistillConfig(steps=1, ema_decay=1.0)
    with pytest.raises(ValueError, match="sigma_init"):
        DistillConfig(steps=1, sigma_init=0.0)
    with pytest.raises(ValueError, match=r"divergence.*reverse_kl"):
        DistillConfig(steps=1, divergence="hellinger")
    with pytest.raises(ValueError, match="weighting"):
        DistillConfig(steps=1, weighting="snr")


def test_distill_validation(ring_teacher, ring, gen):
    cfg = DistillConfig.tiny(steps=1)
    with pytest.raises(ValueError, match=r"method.*score_free"):
        distill(ring_teacher, ring, method="sid", config=cfg)
    with pytest.raises(ValueError, match=r"`init`.*teacher"):
        distill(ring_teacher, ring, config=cfg, init="pretrained")
    with pytest.raises(TypeError, match="teacher"):
        distill(3, ring, config=cfg)
    with pytest.raises(TypeError, match="teacher"):
        distill(lambda x: x, ring, config=cfg)
    with pytest.raises(ValueError, match="data"):
        distill(ring_teacher, torch.randn(20, 3), config=cfg, generator=gen(0))
    check_refuses_nonfinite(lambda x: distill(ring_teacher, x, config=cfg, generator=gen(0)),
                            ring, match="data")
    tr = _sf(ring_teacher, cfg)
    with pytest.raises(ValueError, match="labels"):
        tr.step(ring[:8], torch.zeros(8, dtype=torch.long))
    with pytest.raises(ValueError, match="real"):
        tr.step(ring[:8, :1])


@pytest.mark.parametrize("amp", ["bf16", "fp16"])
def test_mixed_precision_option_trains(ring_teacher, ring, gen, amp):
    from mpiis.diffratio import TeacherConfig, train_teacher

    t = train_teacher(copy.deepcopy(ring_teacher), ring, TeacherConfig.tiny(steps=5, amp=amp),
                      generator=gen(0))
    for method in ("score_free", "score_based"):
        res = distill(t, ring, method=method, config=DistillConfig.tiny(steps=5, amp=amp),
                      generator=gen(1))
        assert np.isfinite(res.history.aux_loss).all()
        assert next(res.generator.parameters()).dtype == torch.float32  # weights stay fp32
    with pytest.raises(ValueError, match="amp"):
        DistillConfig.tiny(amp="fp8")


@pytest.mark.slow
def test_compile_option_matches_eager(ring_teacher, ring, gen):
    outs = []
    for compile_ in (False, True):
        res = distill(ring_teacher, ring, config=DistillConfig.tiny(steps=3, compile=compile_),
                      generator=gen(1))
        outs.append(res.generator.sample(16, generator=gen(2)))
    torch.testing.assert_close(outs[0], outs[1], rtol=1e-3, atol=1e-4)


def test_ema_decay_follows_the_half_life_by_default():
    from mpiis.shared.torch import ema_decay_from_half_life

    cfg = DistillConfig(steps=1)
    assert cfg.ema_decay is None and cfg.ema_half_life == 500_000
    assert cfg.decay == pytest.approx(ema_decay_from_half_life(500_000, 256))
    assert DistillConfig(steps=1, ema_decay=0.9).decay == 0.9


@pytest.mark.parametrize("teacher_kind", ["ring", "unet"])
def test_two_pass_ratio_step_gives_the_one_graph_gradient(ring_teacher, gen, teacher_kind):
    """The training step's ratio update (real and fake batches in two backward passes, one
    graph alive at a time) accumulates the gradient of the one-graph loss ``aux_loss``."""
    from mpiis.diffratio import EDMPrecond, TinyUNet

    if teacher_kind == "ring":
        teacher, x = ring_teacher, torch.randn(16, 2, generator=gen(3))
    else:
        teacher = EDMPrecond(TinyUNet(1, base=8, mults=(1, 2), emb_dim=8, generator=gen(0)),
                             shape=(1, 8, 8))
        x = torch.rand(16, 1, 8, 8, generator=gen(3)) * 2 - 1
    tr = _sf(teacher)
    with torch.no_grad():  # a head that is not zero, so every parameter gets a gradient
        tr.ratio_net.head[2].weight.normal_(generator=gen(4))
    one = tr.aux_loss(x, generator=gen(5))
    tr.opt_aux.zero_grad(set_to_none=True)
    one.backward()
    want = [None if p.grad is None else p.grad.clone() for p in tr.ratio_net.parameters()]
    tr.opt_aux.zero_grad(set_to_none=True)
    two = tr.aux_backward(x, generator=gen(5))
    got = [p.grad for p in tr.ratio_net.parameters()]
    assert float(two) == pytest.approx(float(one), rel=1e-6)
    assert sum(g is not None for g in got) > len(got) // 2
    for a, b in zip(want, got, strict=True):
        assert (a is None) == (b is None)
        if a is not None:
            torch.testing.assert_close(b, a, rtol=1e-5, atol=1e-7)
