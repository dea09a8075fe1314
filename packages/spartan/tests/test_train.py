import dataclasses
import math

import numpy as np
import pytest
import torch

from mpiis.spartan import (
    DenseTransformerWM,
    GECOLagrangian,
    Spartan,
    TrainConfig,
    adapt_intervention_token,
    calibrate_tau,
    finetune,
    fit,
    prediction_mse,
    rollout,
    tiny,
)


def test_train_config_validation():
    with pytest.raises(ValueError, match="steps"):
        TrainConfig(steps=0)
    with pytest.raises(ValueError, match="warmup_frac"):
        TrainConfig(steps=10, warmup_frac=1.0)
    with pytest.raises(ValueError, match="contact_fraction"):
        TrainConfig(steps=10, contact_fraction=2.0)


def test_fit_lowers_loss_and_is_deterministic(small_data, cfg, gen):
    tr, va = small_data
    m0 = DenseTransformerWM(cfg, generator=gen(0))
    m0.set_standardizer(__import__("mpiis.spartan", fromlist=["Standardizer"]).Standardizer
                        .fit(tr))
    before = prediction_mse(m0, va)
    res = fit(m0, tr, val=va, config=TrainConfig.tiny(steps=40), generator=gen(1))
    assert prediction_mse(m0, va) < before
    assert len(res.history["val_mse"]) == 4 and res.tau is None
    m1 = DenseTransformerWM(cfg, generator=gen(0))
    fit(m1, tr, val=va, config=TrainConfig.tiny(steps=40), generator=gen(1))
    x = torch.as_tensor(va.states, dtype=torch.float32)
    assert torch.equal(m0(x).delta, m1(x).delta)


def test_fit_spartan_with_geco(small_data, cfg, gen):
    tr, va = small_data
    dense = DenseTransformerWM(cfg, generator=gen(0))
    fit(dense, tr, val=va, config=TrainConfig.tiny(), generator=gen(1))
    tau = calibrate_tau(dense, {"train": tr, "val": va})
    assert tau > 0 and tau == pytest.approx(
        0.5 * prediction_mse(dense, va.subset(va.contact))
        + 0.5 * prediction_mse(dense, va.subset(~va.contact)))
    m = Spartan(cfg, generator=gen(0))
    geco = GECOLagrangian(tau=tau)
    seen = []
    res = fit(m, tr, val=va, config=TrainConfig.tiny(steps=40), constraint=geco,
              generator=gen(2), callback=lambda s, mm: seen.append(s))
    assert res.tau == tau and res.final_lambda == geco.lam and geco.lam != 100.0
    assert seen == [5, 10, 15, 20, 25, 30, 35, 40]
    w = res.history["weight"]
    assert w[0] == 0.0 and w[-1] > 0.0  # warm-up without penalty, then 1/lambda
    assert float(m.sparsity_weight) == pytest.approx(geco.weight)
    with pytest.raises(ValueError, match="source"):
        calibrate_tau(dense, {"train": tr}, source="test")


def test_fixed_penalty_weight_prunes(small_data, cfg, gen):
    tr, _va = small_data
    m = Spartan(cfg, generator=gen(0))
    res = fit(m, tr, config=TrainConfig.tiny(steps=60, lr=3e-3, warmup_frac=0.0),
              constraint=5.0, generator=gen(1))
    assert res.history["active_fraction"][-1] < res.history["active_fraction"][0]
    with pytest.raises(ValueError, match="constraint"):
        fit(m, tr, config=TrainConfig.tiny(), constraint=-1.0, generator=gen(1))


def test_divergence_raises_floating_point_error(small_data, cfg, gen):
    tr, _ = small_data
    m = DenseTransformerWM(cfg, generator=gen(0))
    with torch.no_grad():
        m.head.bias.fill_(float("inf"))
    with pytest.raises(FloatingPointError, match="step 0"):
        fit(m, tr, config=TrainConfig.tiny(), generator=gen(1))


def test_checkpoint_resume_matches_uninterrupted(small_data, cfg, gen, tmp_path):
    tr, va = small_data
    _assert_resume_matches(TrainConfig.tiny(steps=20, eval_every=10), tr, va, cfg, gen,
                           tmp_path)


def _assert_resume_matches(conf, tr, va, cfg, gen, tmp_path, *, val=None, crash_at=15):
    """A run interrupted at step ``crash_at`` (after the last checkpoint) and resumed in a fresh
    model, constraint and generator ends where the uninterrupted run ends."""
    a = Spartan(cfg, generator=gen(0))
    ra = fit(a, tr, val=val, config=conf, constraint=GECOLagrangian(tau=0.5), generator=gen(1))
    b = Spartan(cfg, generator=gen(0))
    ck = tmp_path / "ck.pt"

    def crash(step, _):
        if step == crash_at:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fit(b, tr, val=val, config=conf, constraint=GECOLagrangian(tau=0.5), generator=gen(1),
            checkpoint=ck, callback=crash)
    c = Spartan(cfg, generator=gen(5))
    rc = fit(c, tr, val=val, config=conf, constraint=GECOLagrangian(tau=0.5), generator=gen(7),
             checkpoint=ck)
    x = torch.as_tensor(va.states, dtype=torch.float32)
    assert torch.allclose(a(x, sample=False).delta, c(x, sample=False).delta, atol=1e-6)
    assert ra.history.get("restored_step") == rc.history.get("restored_step")


def test_adaptation_and_finetune(env, gen):
    from mpiis.spartan import TRAINING_REGIMES, UNSEEN_REGIMES

    rng = np.random.default_rng(0)
    tr = env.study(TRAINING_REGIMES[:3], 6, 15, rng=rng).transitions()
    cfg = tiny(obj_dim=4, n_objects=6, n_regimes=3)
    m = Spartan(cfg, generator=gen(0))
    fit(m, tr, config=TrainConfig.tiny(), constraint=GECOLagrangian(tau=0.3), generator=gen(1))
    new = env.simulate(4, 16, rng=rng, regime=UNSEEN_REGIMES[1]).transitions()
    w0 = [p.detach().clone() for p in m.parameters()]
    tok = adapt_intervention_token(m, new, steps=30, generator=gen(2))
    assert tok.shape == (16,)
    assert all(torch.equal(p, q) for p, q in zip(w0, m.parameters(), strict=True))
    x = torch.as_tensor(new.states, dtype=torch.float32)
    mean_tok = m.regime_tokens.detach().mean(0)

    def mse(t):
        with torch.no_grad():
            from mpiis.spartan._train import _tensors

            _, y, _, _ = _tensors(m, new)
            return float(((m(x, token=t, sample=False).delta - y) ** 2).mean())

    assert mse(tok) < mse(mean_tok)
    ft = finetune(m, new, steps=10, generator=gen(3))
    assert ft.config.n_regimes == 4 and ft(x, regime=3).delta.shape == x.shape
    assert ft is not m and all(torch.equal(p, q) for p, q in zip(w0, m.parameters(), strict=True))
    with pytest.raises(ValueError, match="n_regimes=0"):
        adapt_intervention_token(Spartan(tiny(obj_dim=4, n_objects=6)), new, generator=gen(0))


def test_rollout_shapes_and_first_step(small_data, cfg, gen):
    tr, _ = small_data
    m = Spartan(cfg, generator=gen(0))
    fit(m, tr, config=TrainConfig.tiny(steps=5), generator=gen(1))
    x0 = torch.as_tensor(tr.states[:3], dtype=torch.float32)
    r = rollout(m, x0, steps=4)
    assert r.states.shape == (3, 5, 6, 4) and r.graphs.shape == (3, 4, 6, 6)
    one = m(x0, sample=False).delta * m.delta_sigma + m.delta_mu + x0
    assert torch.allclose(r.states[:, 1], one)
    with pytest.raises(ValueError, match="steps"):
        rollout(m, x0, steps=0)
    assert not math.isnan(float(r.states.sum()))


@pytest.mark.gpu
def test_training_entry_points_on_cuda(small_data, cfg):
    if not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    tr, va = small_data
    g = torch.Generator(device="cuda").manual_seed(0)
    d = DenseTransformerWM(cfg).cuda()
    fit(d, tr, val=va, config=TrainConfig.tiny(), generator=g)
    tau = calibrate_tau(d, {"train": tr, "val": va})
    m = Spartan(dataclasses.replace(cfg, n_regimes=1)).cuda()
    fit(m, tr, val=va, config=TrainConfig.tiny(), constraint=GECOLagrangian(tau=tau), generator=g)
    tok = adapt_intervention_token(m, va, steps=5, generator=g)
    assert tok.device.type == "cuda"
    ft = finetune(m, va, steps=3, generator=g)
    x = torch.as_tensor(va.states[:4], dtype=torch.float32, device="cuda")
    assert rollout(ft, x, steps=3, regime=1).states.device.type == "cuda"


def test_gate_logit_regulariser(small_data, cfg, gen):
    from mpiis.spartan import gate_logit_penalty

    g = torch.zeros(2, 3, 4, 4)
    assert float(gate_logit_penalty(g)) == pytest.approx(2.0)  # e^0 + e^-0 off the diagonal
    g = torch.full((1, 1, 3, 3), 2.0)
    g[..., 0, 0] = 1e4  # the diagonal is excluded (and large logits stay finite)
    assert float(gate_logit_penalty(g)) == pytest.approx(math.exp(2) + math.exp(-2))
    with pytest.raises(ValueError, match="gate_logit_weight"):
        TrainConfig(steps=10, gate_logit_weight=-1.0)
    with pytest.raises(ValueError, match="gate_logit_weight"):
        TrainConfig(steps=10, gate_logit_weight=float("nan"))
    tr, _ = small_data
    finals = []
    for w in (0.0, 1.0):  # default 0: not SPARTAN; a positive weight shrinks |g|
        m = Spartan(cfg, generator=gen(0))
        fit(m, tr, config=TrainConfig.tiny(steps=30, gate_logit_weight=w), constraint=None,
            generator=gen(1))
        x = torch.as_tensor(tr.states[:64], dtype=torch.float32)
        with torch.no_grad():
            finals.append(float(gate_logit_penalty(m(x, sample=False).gate_logits)))
    assert finals[1] < finals[0]
    assert DenseTransformerWM(cfg, generator=gen(0))(
        torch.as_tensor(tr.states[:4], dtype=torch.float32)).gate_logits is None


def test_constraint_options(small_data, cfg, gen, tmp_path):
    tr, _ = small_data
    with pytest.raises(ValueError, match="constraint_gates"):
        TrainConfig(steps=10, constraint_gates="soft")
    with pytest.raises(ValueError, match="constraint_every"):
        TrainConfig(steps=10, constraint_every=0)
    with pytest.raises(ValueError, match="lr_decay_frac"):
        TrainConfig(steps=10, lr_decay_frac=1.5)
    # eval-mode constraint: the dual step reads the batch MSE through A = 1[g > 0]
    seen = []

    class Spy(GECOLagrangian):
        def observe(self, v):
            seen.append(v)
            return super().observe(v)

    m = Spartan(cfg, generator=gen(0))
    conf = TrainConfig.tiny(steps=12, warmup_frac=0.5, constraint_gates="eval",
                            constraint_every=3)
    fit(m, tr, config=conf, constraint=Spy(tau=0.5), generator=gen(1))
    assert len(seen) == 6 and seen[0] == seen[1] == seen[2] != seen[3]
    # prune once feasible: no penalty while the averaged constraint is unmet ...
    conf = TrainConfig.tiny(steps=20, warmup_frac=0.25, prune_when_feasible=True)
    m = Spartan(cfg, generator=gen(0))
    res = fit(m, tr, config=conf, constraint=GECOLagrangian(tau=1e-6), generator=gen(1))
    assert res.final_lambda == pytest.approx(100.0) and max(res.history["weight"]) == 0.0
    assert res.history["prune_start"] == []
    # ... and from the step after the average has met it over one averaging window (a huge
    # tau is met at once; momentum 0.8: a window of 5 batches after the 5 warm-up steps)
    m = Spartan(cfg, generator=gen(0))
    res = fit(m, tr, config=conf, constraint=GECOLagrangian(tau=1e6, momentum=0.8),
              generator=gen(1))
    assert res.history["prune_start"] == [10] and res.history["weight"][-1] > 0.01
    # the learning-rate tail decays to 0 and resumes from a checkpoint
    conf = TrainConfig.tiny(steps=20, eval_every=10, lr_decay_frac=0.5)
    _assert_resume_matches(conf, tr, tr.subset(np.arange(50)), cfg, gen, tmp_path)


def test_lambda_held_through_the_cooldown(small_data, cfg, gen):
    tr, _ = small_data
    conf = TrainConfig.tiny(steps=20, warmup_frac=0.25, lr_decay_frac=0.5,
                            dual_in_cooldown=False, log_every=1)
    m = Spartan(cfg, generator=gen(0))
    res = fit(m, tr, config=conf, constraint=GECOLagrangian(tau=0.5), generator=gen(1))
    lam = res.history["lam"]
    assert lam[4] == lam[0] and lam[5] != lam[4]  # dual steps from step 5 (after the warm-up)
    assert len(set(lam[9:])) == 1 and lam[9] != lam[5]  # held from the cool-down (step 10) on


def test_restore_best_validation_checkpoint(small_data, cfg, gen, tmp_path):
    tr, va = small_data
    with pytest.raises(TypeError, match="restore_best"):
        TrainConfig(steps=10, restore_best=1)
    conf = TrainConfig.tiny(steps=20, eval_every=2, warmup_frac=0.25, lr_decay_frac=0.5,
                            restore_best=True)
    m = Spartan(cfg, generator=gen(0))
    res = fit(m, tr, val=va, config=conf, constraint=GECOLagrangian(tau=0.5),
              generator=gen(1))
    h = res.history
    # candidates: the evaluations of the cool-down (steps 12, 14, ..., 20)
    cand = {s: v for s, v in zip(h["eval_step"], h["val_mse"], strict=True) if s > 10}
    best = min(cand, key=cand.get)
    assert h["restored_step"] == best and sorted(cand) == [12, 14, 16, 18, 20]
    assert prediction_mse(m, va) == pytest.approx(cand[best], rel=1e-6)
    # the restored weights are those of that step: an identical run stopped there agrees
    m2 = Spartan(cfg, generator=gen(0))
    conf2 = dataclasses.replace(conf, restore_best=False)
    ck = tmp_path / "c.pt"
    seen = {}

    def grab(step, _m):
        if step == best:
            seen["sd"] = {k: t.detach().clone() for k, t in m2.state_dict().items()}

    fit(m2, tr, val=va, config=dataclasses.replace(conf2, log_every=2),
        constraint=GECOLagrangian(tau=0.5), generator=gen(1), callback=grab, checkpoint=ck)
    for k, t in m.state_dict().items():
        if k != "sparsity_weight":
            assert torch.equal(t, seen["sd"][k]), k
    # resumable: the best-so-far (steps 12 to 18) survives a restart from step 18
    _assert_resume_matches(conf, tr, va, cfg, gen, tmp_path / "r", val=va, crash_at=20)
