"""The DiffRatio benchmark: the claims table of the paper brief at three presets.

``run("quick")`` trains a 2-D ring teacher and a digits teacher, distils them with the
score-free (DiffRatio) and score-based (DMD) trainers and checks the GATE claims; ``run("full")``
adds seeds, the Jensen–Shannon member, the initialisation ablations, the verifier and MNIST-5k,
and writes the figures. Only the public API of :mod:`mpiis.diffratio` is used.
"""

from __future__ import annotations

import copy
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mpiis.diffratio import (
    DigitsFeatureNet,
    DistillConfig,
    EDMPrecond,
    MLPBackbone,
    TeacherConfig,
    TinyUNet,
    best_of_n,
    class_entropy,
    distill,
    heun_sample,
    init_student,
    load_digits_split,
    load_mnist5k,
    make_trainer,
    mode_coverage,
    sample_recall,
    train_teacher,
)
from mpiis.shared.bench import ClaimResult, Context, Suite, check_preset, seed_gate, timer
from mpiis.shared.data import ring_centers, toy2d
from mpiis.shared.metrics import linear_cka, mmd2
from mpiis.shared.torch import default_device, make_generator, peak_memory

__all__ = ["CLAIMS", "run", "suite"]

CLAIMS: dict[str, str] = {
    "A1": "The score-free (SF-KL) one-step generator fits the 8-Gaussian ring.",
    "A2": "Score-free training is competitive with score-based (DMD) training on 2-D.",
    "A3": "Score-free training is competitive with score-based training on digits.",
    "A4": "The one-step student approaches the teacher's 35-evaluation Heun sampler.",
    "A5": "The Jensen-Shannon member (DiJS) also fits the ring.",
    "B1": "Teacher initialisation is far better than random initialisation (same objective).",
    "B2": "Random initialisation collapses (low class entropy).",
    "C1": "The teacher's trunk carries the benefit of teacher initialisation.",
    "C2": "A good noise-to-image map alone is not enough.",
    "C3": "Multi-noise-level features matter.",
    "C4": "Ordering of the initialisation arms.",
    "V1": "The learned ratio is a verifier: best-of-N lowers FD without losing diversity.",
    "M1": "Score-free training is competitive with score-based training on MNIST-5k.",
    "P1": "One-step sampling is much faster than the 35-evaluation Heun sampler.",
    "P2": "One auxiliary network instead of two reduces the memory of training.",
    "P3": "Training step cost of score-free vs score-based.",
}

# --- thresholds (from the paper brief's claims table; prototype figures, not the paper's) ---
A1_MODES = 8  # all 8 ring modes hit (brief A1)
A1_MMD = 0.05  # MMD² ≤ 0.05; calibration: one mode dropped 0.042, std 0.05→0.15 0.037
A2_GAP = 0.015  # MMD²(SF) − MMD²(SB) ≤ 0.015 (brief A2)
A3_RATIO = 1.3  # FD(SF)/FD(SB) ≤ 1.3 (brief A3, REPORTED)
A4_RATIO = 2.0  # FD(SF)/FD(Heun-35) ≤ 2 (brief A4, REPORTED)
A5_MMD = 0.06  # JS: 8/8 modes and MMD² ≤ 0.06 (brief A5, REPORTED)
B1_RATIO = 5.0  # FD(random)/FD(teacher) ≥ 5 (brief B1; prototype ≈ 17)
B2_ENTROPY = 2.0  # random-init class entropy < 2.0 nats (brief B2, REPORTED)
C1_RATIO = 1.5  # FD(trunk_only)/FD(teacher) ≤ 1.5 (brief C1, REPORTED)
C2_RATIO = 2.0  # FD(mapping_only)/FD(teacher) ≥ 2 (brief C2, REPORTED)
C3_RATIO = 2.0  # FD(narrow_sigma)/FD(teacher) ≥ 2 (brief C3, REPORTED)
M1_RATIO = 1.3  # FD(SF)/FD(SB) on MNIST-5k ≤ 1.3 (brief M1, REPORTED)
P1_SPEEDUP = 15.0  # one-step ÷ Heun-35 samples/s ≥ 15 (brief P1; ideal 35)
# A1 precision (share of samples within 3σ of a mode) ≥ half the teacher's Heun-35 value: on
# the ring calibration, modes twice as wide (std 0.1) keep ~0.71 of a sharp sampler's
# precision and pass, three times as wide (std 0.15, MMD² 0.037 which passes the MMD² gate)
# keep ~0.41 and fail.
A1_PRECISION_OF_TEACHER = 0.5
# A1 recall (share of reference ring points with a sample within 3σ) ≥ 0.95 × the teacher's:
# one dropped mode costs 1/8 (0.875 × teacher) and fails.
A1_RECALL_OF_TEACHER = 0.95
P2_RATIO = 1.0  # peak training memory SF ÷ SB < 1: the paper's "reduces memory"

FEATURE_SEED = 1234  # the FD-digits classifier's own fixed seed
REF_SEED = 123  # the fixed seed of the 2-D reference sample


@dataclass(frozen=True)
class _Preset:
    ring_hidden: int
    ring_teacher_steps: int
    ring_student_steps: int
    digits_hidden: int
    digits_teacher_steps: int
    digits_student_steps: int
    feature_steps: int
    n_eval: int
    seeds: int  # students per arm (main arms)
    ablation_seeds: int  # 0 = no ablation arms
    mapping_steps: int
    full: bool
    mnist: bool
    curve_every: int  # evaluation period of the curves (0 = none)
    unet: bool = False
    random_lrs: tuple[float, ...] = (1e-4, 3e-4, 1e-3)  # B1: the random arm's lr grid
    random_sweep_steps: int = 200  # B1: steps per lr of the sweep (best FD wins)
    mnist_teacher_steps: int = 6000
    mnist_hidden: int = 256  # width of the MNIST-5k MLP teacher (and its students)
    mnist_depth: int = 3  # its hidden layers (residual blocks when mnist_residual)
    mnist_residual: bool = False  # pre-norm residual MLP (MLPBackbone(residual=True))
    random_seeds: int = 0  # B1's random arm: seeds at the teacher's budget (0 = `seeds`)
    random_arm: bool = True  # B1 runs (its random arm trains at the teacher's budget)


_PRESETS = {
    "smoke": _Preset(32, 30, 20, 32, 30, 20, 50, 256, 1, 1, 20, False, False, 0,
                     random_lrs=(1e-3, 1e-4), random_sweep_steps=5, mnist_teacher_steps=30),
    # quick: no B1. One random-init seed at the teacher's 4,000 steps took half of quick's time
    # (quick measured 124 s on an idle core with it, over DESIGN.md's 120 s) for a claim that
    # the seed rule makes REPORTED on one seed; B1 runs at full on 3 seeds, where it can gate
    "quick": _Preset(128, 3000, 1000, 256, 4000, 500, 2000, 2000, 1, 0, 0, False, False, 0,
                     random_lrs=(1e-3,), random_arm=False),
    # full: the ablation arms run with 1 seed instead of 2 (the brief's first cut when the
    # 15-minute budget is exceeded, which it is on a shared 2-core machine)
    # full: the MNIST-5k teacher is a residual MLP (pre-norm blocks) of width 512 and depth 4
    # trained 12,000 steps. A plain MLP flattens: width 256 near Heun-35 FD 35 (38.2 at 6k steps,
    # 35.6 at 10k, 35.0 at 16k), width 512 at 18.3-18.7 at 12k, where its students edged it
    # (SF 17.4, SB 16.0); EMA 0.999, 40 Heun levels or σ_max 20-40 changed nothing; plain width
    # 1024 reached 8.8 for about 3x the step cost. Probes of the residual net (seed 0, one
    # student per method): depth 4, 12k steps: teacher 10.6, SF 13.1, SB 12.7; depth 4, 8k:
    # 12.3 vs 12.4 / 12.7 (no margin); depth 3, 12k: 11.3
    # B1's random arm trains for the teacher's 8,000 steps with 3 seeds, paired with the 3
    # teacher-initialised students (DESIGN.md: a noisy GATE needs >= 3 seeds)
    "full": _Preset(128, 3000, 1000, 256, 8000, 1500, 2000, 2000, 3, 1, 1000, True, True, 100,
                    random_sweep_steps=500, mnist_teacher_steps=12000, mnist_hidden=512,
                    mnist_depth=4, mnist_residual=True),
}


def _scaled(p: _Preset, k: int) -> _Preset:
    return replace(p, ring_teacher_steps=p.ring_teacher_steps * k,
                   ring_student_steps=p.ring_student_steps * k,
                   digits_teacher_steps=p.digits_teacher_steps * k,
                   digits_student_steps=p.digits_student_steps * k,
                   random_sweep_steps=p.random_sweep_steps * k,
                   mnist_teacher_steps=p.mnist_teacher_steps * k, unet=True)


def _gen(seed: int, device) -> torch.Generator:
    return make_generator(seed, device)


def _np(x: torch.Tensor) -> np.ndarray:
    return x.detach().double().cpu().numpy()


# ------------------------------------------------------------------------------------ 2-D


def _ring(p: _Preset, seed: int, device, smoke: bool) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    data = torch.tensor(toy2d("ring8", 50_000, rng=rng), dtype=torch.float32, device=device)
    ref = toy2d("ring8", p.n_eval, rng=np.random.default_rng(REF_SEED))
    centers = ring_centers(8, 2.0)
    sd = float(data.std(0).mean())
    g = _gen(seed, device)
    tcfg = TeacherConfig.toy2d(steps=p.ring_teacher_steps,
                               warmup_steps=min(200, p.ring_teacher_steps // 5))
    if smoke:
        tcfg = TeacherConfig.tiny(steps=p.ring_teacher_steps)
    bb = MLPBackbone(2, hidden=p.ring_hidden, depth=3, generator=g).to(device)
    with timer() as t:
        teacher = train_teacher(EDMPrecond(bb, sigma_data=sd), data, tcfg, generator=g)
    heun = _np(heun_sample(teacher, (p.n_eval, 2), generator=_gen(seed + 7, device)))
    out: dict[str, Any] = {"teacher_seconds": t.seconds, "centers": centers, "ref": ref,
                           "heun_mmd": mmd2(heun, ref), "samples": {"teacher Heun-35": heun},
                           "heun_stats": ring_stats(heun, ref, centers)}
    arms = [("SF-KL", "score_free", "reverse_kl"), ("SB-KL", "score_based", "reverse_kl")]
    if p.full:
        arms.insert(1, ("SF-JS", "score_free", "js"))
    cfg = DistillConfig.toy2d(steps=p.ring_student_steps)
    if smoke:
        cfg = DistillConfig.tiny(steps=p.ring_student_steps, sigma_lo=0.005, sigma_hi=10.0)
    for name, method, div in arms:
        per = []
        for s in range(p.seeds):
            gs = _gen(seed + 100 * s + 1, device)
            curve: list[tuple[int, float]] = []

            def cb(step, trainer, curve=curve, s=s):
                if p.curve_every and s == 0 and (step + 1) % p.curve_every == 0:
                    x = trainer.ema_generator.sample(1000, generator=_gen(99, device))
                    curve.append((step + 1, mmd2(_np(x), ref[:1000])))

            res = distill(teacher, data, method=method, config=replace(cfg, divergence=div),
                          generator=gs, callback=cb)
            x = _np(res.generator.sample(p.n_eval, generator=_gen(seed + 11, device)))
            secs = res.history.seconds
            per.append({**ring_stats(x, ref, centers),
                        "step_s": float(np.median(secs[min(5, len(secs) - 1):])),
                        "samples": x, "curve": curve})
        out[name] = per
        out["samples"][name] = per[0]["samples"]
    return out


def ring_stats(x: np.ndarray, ref: np.ndarray, centers: np.ndarray) -> dict[str, float]:
    """MMD² to the reference, modes hit, precision (share of samples within 3σ of a mode) and
    recall (share of reference points with a sample within 3σ) of 2-D ring samples."""
    cov = mode_coverage(x, centers, std=0.05)
    return {"mmd": mmd2(x, ref), "modes": cov.modes_hit, "precision": cov.high_quality,
            "recall": sample_recall(x, ref, radius=3 * 0.05)}


def a1_claims(sf: list[dict[str, float]], sb: list[dict[str, float]],
              teacher: dict[str, float], *, smoke: bool = False,
              seconds: float = 0.0) -> list[ClaimResult]:
    """A1 from per-seed :func:`ring_stats` of SF-KL (``sf``), SB-KL (``sb``, the baseline)
    and the teacher's Heun-35 samples (whose precision and recall set the thresholds)."""
    def col(rows, k):
        return [float(r[k]) for r in rows]

    prec_thr = A1_PRECISION_OF_TEACHER * teacher["precision"]
    rec_thr = A1_RECALL_OF_TEACHER * teacher["recall"]
    return [_claim(
        smoke, id="A1", claim=CLAIMS["A1"], metric="MMD² of SF-KL samples vs the ring",
        value=col(sf, "mmd"), threshold=A1_MMD, comparator="<=", gate=True,
        baseline=float(np.mean(col(sb, "mmd"))), seconds=seconds,
        details={"modes_hit": col(sf, "modes"), "precision": col(sf, "precision"),
                 "recall": col(sf, "recall"), "heun_mmd": teacher["mmd"],
                 "baseline_is": "SB-KL"}), _claim(
        smoke, id="A1.modes", claim=CLAIMS["A1"], metric="ring modes hit by SF-KL (worst seed)",
        value=float(min(col(sf, "modes"))), threshold=A1_MODES, comparator=">=",
        gate=True, baseline=float(min(col(sb, "modes"))),
        details={"modes_hit": col(sf, "modes")}), _claim(
        smoke, id="A1.precision", claim=CLAIMS["A1"],
        metric="share of SF-KL samples within 3σ of a ring mode",
        value=col(sf, "precision"), threshold=round(prec_thr, 4), comparator=">=", gate=True,
        baseline=float(np.mean(col(sb, "precision"))),
        details={"threshold_rule": f"{A1_PRECISION_OF_TEACHER} × the teacher's Heun-35 "
                 "precision", "teacher_precision": teacher["precision"],
                 "sb_precision": col(sb, "precision"), "baseline_is": "SB-KL"}), _claim(
        smoke, id="A1.recall", claim=CLAIMS["A1"],
        metric="share of ring points with an SF-KL sample within 3σ",
        value=col(sf, "recall"), threshold=round(rec_thr, 4), comparator=">=", gate=True,
        baseline=float(np.mean(col(sb, "recall"))),
        details={"threshold_rule": f"{A1_RECALL_OF_TEACHER} × the teacher's Heun-35 recall "
                 "(one dropped mode: 0.875 ×)", "teacher_recall": teacher["recall"],
                 "sb_recall": col(sb, "recall"), "baseline_is": "SB-KL"})]


def a2_claim(sf_mmd: list[float], sb_mmd: list[float], *, smoke: bool = False,
             details: dict[str, Any] | None = None) -> ClaimResult:
    """A2 from per-seed MMD² of SF-KL and SB-KL (paired by seed)."""
    return _claim(
        smoke, id="A2", claim=CLAIMS["A2"], metric="MMD²(SF-KL) − MMD²(SB-KL), ring",
        value=[a - b for a, b in zip(sf_mmd, sb_mmd, strict=True)], threshold=A2_GAP,
        comparator="<=", gate=True, baseline=float(np.mean(sb_mmd)),
        details={"sf_mmd": list(sf_mmd), "sb_mmd": list(sb_mmd), **(details or {})})


# --------------------------------------------------------------------------------- digits


def _digit_nets(p: _Preset, shape, dim: int, hidden: int, g, device, *, depth: int = 3,
                residual: bool = False):
    if p.unet:
        return TinyUNet(shape[0], base=32, mults=(1, 2), generator=g).to(device)
    return MLPBackbone(dim, hidden=hidden, depth=depth, residual=residual, generator=g).to(device)


def _fd_eval(fnet, gen_model, ref, n, seed, device) -> tuple[float, float, np.ndarray]:
    x = gen_model.sample(n, generator=_gen(seed, device)).reshape(n, -1)
    return fnet.fd(x.cpu(), ref), class_entropy(fnet.probs(x.cpu())), _np(x)


def _images(p: _Preset, split, seed: int, device, smoke: bool, *, mnist: bool = False
            ) -> dict[str, Any]:
    """Teacher, students and arms on one image set."""
    shape = split.shape
    dim = int(np.prod(shape))
    train = split.train.reshape(-1, *shape) if p.unet else split.train
    train = train.to(device)
    data_shape = tuple(train.shape[1:])
    g = _gen(seed, device)
    fg = make_generator(FEATURE_SEED)
    with timer() as tf:
        fnet = DigitsFeatureNet.fit(split.train, split.y_train, generator=fg,
                                    steps=p.feature_steps)
    out: dict[str, Any] = {"feature_acc": fnet.accuracy(split.test, split.y_test),
                           "fd_floor": fnet.fd(split.test, split.train),
                           "feature_seconds": tf.seconds, "shape": shape}
    hidden = p.digits_hidden if not mnist else p.mnist_hidden
    teacher_steps = p.digits_teacher_steps if not mnist else p.mnist_teacher_steps
    depth, residual = (p.mnist_depth, p.mnist_residual) if mnist else (3, False)
    tcfg = (TeacherConfig.tiny(steps=teacher_steps) if smoke
            else TeacherConfig.digits(steps=teacher_steps))
    with timer() as tt:
        net = _digit_nets(p, shape, dim, hidden, g, device, depth=depth, residual=residual)
        teacher = train_teacher(EDMPrecond(net), train, tcfg, generator=g)
    out["teacher_seconds"] = tt.seconds
    n = p.n_eval
    zh = torch.randn((n, *data_shape), generator=_gen(seed + 5, device), device=device)
    heun = heun_sample(teacher, (n, *data_shape), noise=zh)
    out["heun_fd"] = fnet.fd(heun.reshape(n, -1).cpu(), split.train)
    out["samples"] = {"teacher Heun-35": _np(heun.reshape(n, -1))}
    out["teacher"], out["fnet"], out["train"] = teacher, fnet, train

    narrow = None
    arms: list[tuple[str, str, str, int]] = [("SF-KL", "score_free", "teacher", p.seeds)]
    if p.random_arm:
        arms.append(("random", "score_free", "random", p.random_seeds or p.seeds))
    if p.full:
        arms.insert(1, ("SB-KL", "score_based", "teacher", p.seeds))
    if mnist:
        arms = [("SF-KL", "score_free", "teacher", 1), ("SB-KL", "score_based", "teacher", 1)]
    elif p.ablation_seeds:
        arms += [(m, "score_free", m, p.ablation_seeds)
                 for m in ("trunk_only", "mapping_only", "narrow_sigma", "head_only")]
        ncfg = replace(tcfg, sigma_law="fixed", fixed_sigma=2.5)
        gn = _gen(seed + 3, device)
        narrow = train_teacher(EDMPrecond(_digit_nets(p, shape, dim, hidden, gn, device)), train,
                               ncfg, generator=gn)
    steps = p.digits_student_steps
    cfg = DistillConfig.tiny(steps=steps) if smoke else DistillConfig.digits(steps=steps)
    cfgs = {name: cfg for name, *_ in arms}
    if not mnist and p.random_arm:
        # B1's random arm: its own learning rate (a sweep at a short budget, best FD) and the
        # teacher's training budget, so that it is not judged at the fine-tuning rate
        sweep = {}
        for lr in p.random_lrs if len(p.random_lrs) > 1 else ():
            r = distill(teacher, train, config=replace(cfg, steps=p.random_sweep_steps,
                                                       lr_generator=lr, lr_aux=lr),
                        init="random", generator=_gen(seed + 31, device))
            sweep[lr] = _fd_eval(fnet, r.generator, split.train, min(n, 1000), 98, device)[0]
        best = min(sweep, key=sweep.get) if sweep else p.random_lrs[0]
        cfgs["random"] = replace(cfg, steps=teacher_steps, lr_generator=best, lr_aux=best)
        out["random_lr_sweep"] = {"fd_by_lr": {str(k): v for k, v in sweep.items()},
                                  "steps_per_lr": p.random_sweep_steps, "chosen_lr": best,
                                  "steps": teacher_steps}
    for name, method, init, n_seeds in arms:
        per = []
        for s in range(n_seeds):
            gs = _gen(seed + 100 * s + 2, device)
            curve: list[tuple[int, float]] = []

            def cb(step, trainer, curve=curve, s=s):
                first = step == 0
                if s == 0 and (first or (p.curve_every and (step + 1) % p.curve_every == 0)):
                    model = trainer.generator if first else trainer.ema_generator
                    fd, _, _ = _fd_eval(fnet, model, split.train, min(n, 1000), 99, device)
                    curve.append((0 if first else step + 1, fd))

            with timer() as ts:
                res = distill(teacher, train, method=method, config=cfgs[name], init=init,
                              generator=gs, narrow_teacher=narrow,
                              mapping_steps=p.mapping_steps or 1000, callback=cb)
            fd, ent, x = _fd_eval(fnet, res.generator, split.train, n, seed + 9, device)
            per.append({"fd": fd, "entropy": ent, "curve": curve, "seconds": ts.seconds,
                        "samples": x, "flags": list(res.history.flags), "result": res})
        out[name] = per
        out["samples"][name] = per[0]["samples"]
    return out


def b1_claim(fd_teacher_init: list[float], fd_random_init: list[float], *, smoke: bool = False,
             seconds: float = 0.0, details: dict[str, Any] | None = None
             ) -> ClaimResult:
    """B1 from per-seed FD-digits of the teacher-initialised and random-initialised students,
    paired by seed (one ratio per random-init seed). A noisy claim: a GATE on >= 3 seeds that
    all fall on one side of the threshold, REPORTED otherwise (DESIGN.md's seed rule,
    ``mpiis.shared.bench.seed_gate``)."""
    per = [b / a for a, b in zip(fd_teacher_init, fd_random_init, strict=False)]
    gate, rule = seed_gate(per, B1_RATIO, ">=")
    return _claim(
        smoke, id="B1", claim=CLAIMS["B1"], metric="FD(random init)/FD(teacher init), digits",
        value=per, threshold=B1_RATIO, comparator=">=", gate=gate, seconds=seconds,
        details={"fd_teacher_init": list(fd_teacher_init),
                 "fd_random_init": list(fd_random_init), "gate_rule": rule,
                 **(details or {})})


def b1_equal_steps(dig: dict[str, Any], *, smoke: bool = False) -> ClaimResult | None:
    """B1 at the distillation budget (REPORTED, one seed): the random arm's best sweep FD after
    ``steps_per_lr`` steps (its best of the learning-rate grid) ÷ the seed-0 teacher-initialised
    student's FD after the same number of steps (its curve, at the brief's lr 1e-4). This is
    the brief's own protocol (same objective and steps); the GATE B1 gives the random arm the
    teacher's budget instead."""
    sweep = dig.get("random_lr_sweep", {})
    steps = sweep.get("steps_per_lr")
    fd_by_lr = sweep.get("fd_by_lr") or {}
    at = dict(dig["SF-KL"][0]["curve"]).get(steps) if steps else None
    if not fd_by_lr or at is None:
        return None
    fd_rand = min(fd_by_lr.values())
    return _claim(
        smoke, id="B1.equal_steps", claim=CLAIMS["B1"],
        metric=f"FD(random init)/FD(teacher init) after {steps} steps each, digits",
        value=fd_rand / at, threshold=B1_RATIO, comparator=">=", gate=False, baseline=at,
        paper="brief prototype ≈ 17 after 500 steps (random at lr 1e-4, collapsed)",
        details={"steps": steps, "fd_random_best_lr": fd_rand, "fd_by_lr": fd_by_lr,
                 "fd_teacher_init": at, "seeds": 1,
                 "note": "the random arm's lr is its best of the grid; the teacher-initialised "
                         "student keeps the brief's lr 1e-4"})


def _cka(teacher, model, train, sigmas, seed, device) -> list[float]:
    g = _gen(seed, device)
    x = train[:512]
    vals = []
    with torch.no_grad():
        for s in sigmas:
            xs = x + s * torch.randn(x.shape, generator=g, device=device)
            sig = torch.full((x.shape[0],), s, device=device)
            vals.append(linear_cka(_np(teacher.features(xs, sig)), _np(model.features(xs, sig))))
    return vals


# ------------------------------------------------------------------------------- speed


def _speed(teacher, one_step, shape, seed, device) -> dict[str, float]:
    """Samples/s of one-step vs Heun-35: batch 1,000, noise pre-drawn, warm-up, best of 5."""
    n = 1000
    z = torch.randn((n, *shape), generator=_gen(seed, device), device=device)

    def best(fn) -> float:
        fn()
        times = []
        for _ in range(5):
            if device.type == "cuda":
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            fn()
            if device.type == "cuda":
                torch.cuda.synchronize()
            times.append(time.perf_counter() - t0)
        return min(times)

    with torch.no_grad():
        t_one = best(lambda: one_step(z))
        t_heun = best(lambda: heun_sample(teacher, (n, *shape), noise=z))
    return {"one_step_per_s": n / t_one, "heun_per_s": n / t_heun, "ratio": t_heun / t_one}


# ------------------------------------------------------------------------------ memory


def _memory_nets(kind: str, g: torch.Generator, device) -> tuple[EDMPrecond, torch.Tensor]:
    """The digits teacher architectures (MLP 64→256×3, TinyUNet 1×8×8) and a batch of 128."""
    if kind == "mlp":
        t = EDMPrecond(MLPBackbone(64, hidden=256, depth=3, generator=g))
        x = torch.rand((128, 64), generator=g) * 2 - 1
    else:
        t = EDMPrecond(TinyUNet(1, base=32, mults=(1, 2), generator=g), shape=(1, 8, 8))
        x = torch.rand((128, 1, 8, 8), generator=g) * 2 - 1
    return t.to(device).requires_grad_(False).eval(), x.to(device)


def training_memory(kind: str, device, seed: int, *, trainer_factory=None
                    ) -> dict[str, float]:
    """Peak bytes of one training step of the score-free and score-based trainers on one
    architecture, with everything each trainer holds: the generator, its EMA copy, the ratio
    net (SF) or the frozen teacher and the fake score (SB), gradients and Adam state. On CUDA:
    ``torch.cuda.max_memory_allocated`` (``mpiis.shared.torch.peak_memory``) with only that
    trainer alive (the SF teacher moved off the GPU); on a CPU: the peak of the bytes alive at
    once that ``mpiis.shared.torch.peak_memory`` counts (held state plus every storage the step
    allocates, from its creation to its release).
    ``trainer_factory(teacher, method, config, generator)`` replaces ``make_trainer`` (the
    negative control)."""
    import gc

    device = torch.device(device)
    g = _gen(seed, "cpu")
    teacher, x = _memory_nets(kind, g, device)
    cfg = DistillConfig.digits()
    build = trainer_factory or (lambda t, m, c, gg: make_trainer(t, method=m, config=c,
                                                                 generator=gg))
    out: dict[str, float] = {}
    for method in ("score_free", "score_based"):
        tr = build(teacher, method, cfg, g)
        if method == "score_free" and device.type == "cuda":
            teacher.to("cpu")  # score-free training no longer needs the teacher
        tr.step(x, generator=g)  # the optimiser state exists from here on

        def step(tr=tr):
            tr.step(x, generator=g)
            return tr.held()

        out[method] = float(peak_memory(step, device=device, held=tr.held()))
        out[method + "_state"] = float(peak_memory(tr.held, device=device)) \
            if device.type != "cuda" else float("nan")
        teacher.to(device)
        del tr
        gc.collect()
        if device.type == "cuda":
            torch.cuda.empty_cache()
    out["ratio"] = out["score_free"] / out["score_based"]
    return out


def p2_claims(mem: dict[str, dict[str, float]], *, smoke: bool = False,
              device: str = "cpu", seconds: float = 0.0) -> list[ClaimResult]:
    """P2 per architecture from :func:`training_memory`."""
    how = ("torch.cuda.max_memory_allocated" if device == "cuda"
           else "peak bytes alive at once: held state + storages allocated by the step "
                "(mpiis.shared.torch.peak_memory)")
    out = []
    for kind, m in mem.items():
        state = (m["score_free_state"] / m["score_based_state"]
                 if np.isfinite(m.get("score_free_state", np.nan)) else None)
        out.append(_claim(
            smoke, id=f"P2.{kind}", claim=CLAIMS["P2"],
            metric=f"peak training-step memory SF ÷ SB ({'TinyUNet' if kind == 'unet' else 'MLP'}"
                   ", digits, batch 128)",
            value=m["ratio"], threshold=P2_RATIO, comparator="<", gate=True,
            paper="reduces memory (one ratio net replaces teacher + fake score)",
            seconds=seconds,
            details={"sf_bytes": m["score_free"], "sb_bytes": m["score_based"],
                     "held_state_ratio_without_activations": state,
                     "sf_state_bytes": m.get("score_free_state"),
                     "sb_state_bytes": m.get("score_based_state"), "measured_by": how}))
    return out


# ----------------------------------------------------------------------------------- run


def _claim(smoke: bool, **kw) -> ClaimResult:
    """A claim; at the smoke preset everything is recorded as not evaluated."""
    if smoke:
        kw = {**kw, "comparator": "report", "gate": False, "threshold": None,
              "details": {**kw.get("details", {}), "evaluated": False}}
    return ClaimResult.measure(**kw)


# On a CPU these small networks run fastest on one intra-op thread, and several threads thrash
# when the cores are shared; the suite pins that (and records it) while it runs.
suite = Suite("diffratio", description=__doc__ or "", torch_threads=1)


def run(preset: str, *, seed: int = 0, out_dir: Path | None = None) -> list[ClaimResult]:
    """Run the benchmark at ``preset`` (``smoke``, ``quick`` or ``full``).

    Args:
        preset: the budget.
        seed: base seed (students of the full preset use seed, seed+1, seed+2).
        out_dir: where figures go (the full preset writes them).

    Returns:
        One :class:`ClaimResult` per claim (claims not evaluated at this preset are skipped).
    """
    check_preset(preset)
    return suite(preset, seed=seed, out_dir=out_dir)


def _state(ctx: Context) -> dict[str, Any]:
    device = default_device()
    p = _PRESETS[ctx.preset]
    if ctx.preset == "full" and device.type == "cuda":
        p = _scaled(p, 10)
    return {"device": device, "p": p, "smoke": ctx.preset == "smoke"}


def _ring_phase(ctx: Context) -> dict[str, list[ClaimResult]]:
    st = ctx.shared("state", lambda: _state(ctx))
    p, device, smoke, seed = st["p"], st["device"], st["smoke"], ctx.seed
    with timer() as t_ring:
        ring = _ring(p, seed, device, smoke)
    st["ring"] = ring
    sf, sb = ring["SF-KL"], ring["SB-KL"]
    sf_mmd = [r["mmd"] for r in sf]
    sb_mmd = [r["mmd"] for r in sb]
    out: dict[str, list[ClaimResult]] = {}
    out["A1"] = a1_claims(sf, sb, ring["heun_stats"], smoke=smoke, seconds=t_ring.seconds)
    out["A2"] = [a2_claim(sf_mmd, sb_mmd, smoke=smoke,
                          details={"sb_modes": [r["modes"] for r in sb]})]
    if "SF-JS" in ring:
        js = ring["SF-JS"]
        out["A5"] = [_claim(
            smoke, id="A5", claim=CLAIMS["A5"], metric="MMD² of SF-JS samples vs the ring",
            value=[r["mmd"] for r in js], threshold=A5_MMD, comparator="<=",
            paper="works (DiJS); brief: 8/8 modes and ≤ 0.06",
            details={"modes_hit": [r["modes"] for r in js]}), _claim(
            smoke, id="A5.modes", claim=CLAIMS["A5"], metric="ring modes hit by SF-JS (worst)",
            value=float(min(r["modes"] for r in js)), threshold=A1_MODES, comparator=">=",
            paper="brief: 8/8")]
    p3 = [a["step_s"] / b["step_s"] for a, b in zip(sf, sb, strict=True)]
    out["P3"] = [_claim(
        smoke, id="P3", claim=CLAIMS["P3"], metric="wall time per iteration SF ÷ SB (2-D)",
        value=p3, paper="prototype SF ≈ 1.4–1.6× SB on CPU; the saving is memory, not time",
        details={"sf_ms": [1e3 * r["step_s"] for r in sf],
                 "sb_ms": [1e3 * r["step_s"] for r in sb]})]
    return out


def _start_mnist(st: dict[str, Any], seed: int) -> None:
    """On a CPU, start the MNIST-5k study (its own data, teacher, students and generators) on a
    second thread with the caller's intra-op thread count, so that the full preset uses both
    cores of a 2-core machine while the digits study trains; M1 collects it. Intra-op thread
    counts are per thread in OpenMP, so the worker copies the caller's."""
    p, device = st["p"], st["device"]
    if not p.mnist or device.type != "cpu" or "mnist_job" in st:
        return
    pool = ThreadPoolExecutor(1, initializer=torch.set_num_threads,
                              initargs=(torch.get_num_threads(),))
    st["mnist_job"] = pool.submit(_mnist_claims, p, seed, device, st["smoke"])
    pool.shutdown(wait=False)  # the thread ends with its one job


def _digits_phase(ctx: Context) -> dict[str, list[ClaimResult]]:
    st = ctx.shared("state", lambda: _state(ctx))
    p, device, smoke, seed = st["p"], st["device"], st["smoke"], ctx.seed
    split = load_digits_split()
    _start_mnist(st, seed)
    with timer() as t_dig:
        dig = _images(p, split, seed, device, smoke)
    if "mnist_job" in st:  # the speed claim (P1) and the memory phase run alone
        wait([st["mnist_job"]])
    st["dig"] = dig
    teacher = dig["teacher"]
    fd_sf = [r["fd"] for r in dig["SF-KL"]]
    out: dict[str, list[ClaimResult]] = {}
    if "random" in dig:
        fd_rand = [r["fd"] for r in dig["random"]]
        out["B1"] = [b1_claim(fd_sf, fd_rand, smoke=smoke, seconds=t_dig.seconds, details={
            "fd_heun35": dig["heun_fd"], "fd_floor_test_train": dig["fd_floor"],
            "feature_net_test_accuracy": dig["feature_acc"],
            "entropy_random": [r["entropy"] for r in dig["random"]],
            "flags_random": dig["random"][0]["flags"],
            "random_arm": dig.get("random_lr_sweep", {}),
            "teacher_init_steps": p.digits_student_steps})]
        eq = b1_equal_steps(dig, smoke=smoke)
        if eq is not None:
            out["B1"].append(eq)
    sf_res = dig["SF-KL"][0]["result"]
    data_shape = tuple(dig["train"].shape[1:])
    speed = _speed(teacher, sf_res.generator, data_shape, seed, device)
    # REPORTED: a wall-clock ratio that fell below its threshold on a loaded machine (14.8
    # against 15) is no GATE (DESIGN.md, "What may be a GATE").
    out["P1"] = [_claim(
        smoke, id="P1", claim=CLAIMS["P1"],
        metric="samples/s one-step ÷ Heun-35 (digits, batch 1,000, best of 5)",
        value=speed["ratio"], threshold=P1_SPEEDUP, comparator=">=", gate=False,
        details=speed)]
    if p.full or smoke:
        for r in _full_digit_claims(p, dig, split, seed, device, smoke):
            out.setdefault(r.id, []).append(r)
    return out


def _memory_phase(ctx: Context) -> dict[str, list[ClaimResult]]:
    st = ctx.shared("state", lambda: _state(ctx))
    device = st["device"]
    with timer() as t:
        mem = {k: training_memory(k, device, ctx.seed) for k in ("mlp", "unet")}
    return {"P2": p2_claims(mem, smoke=st["smoke"], device=device.type, seconds=t.seconds)}


def _mnist_phase(ctx: Context) -> dict[str, list[ClaimResult]]:
    st = ctx.shared("state", lambda: _state(ctx))
    if not st["p"].mnist:
        return {}
    if "mnist_job" in st:  # started beside the digits study (_start_mnist)
        return {"M1": st["mnist_job"].result()}
    return {"M1": _mnist_claims(st["p"], ctx.seed, st["device"], st["smoke"])}


def _draw_figures(ctx: Context, out_dir: Path) -> None:
    st = ctx.shared("state", lambda: _state(ctx))
    if "ring" not in st or "dig" not in st:
        raise RuntimeError("the ring or digits phase did not finish; nothing to draw")
    _figures(out_dir, st["ring"], st["dig"], st["p"], ctx.seed, st["device"])


_PHASES = {"ring": _ring_phase, "digits": _digits_phase, "memory": _memory_phase,
           "mnist": _mnist_phase}
_CLAIM_PHASE = {"A1": ("ring", True), "A2": ("ring", True), "A5": ("ring", False),
                "P3": ("ring", False), "B1": ("digits", True), "P1": ("digits", False),
                "P2": ("memory", True),
                "A3": ("digits", False), "A4": ("digits", False), "B2": ("digits", False),
                "C1": ("digits", False), "C2": ("digits", False), "C3": ("digits", False),
                "C4": ("digits", False), "V1": ("digits", False), "M1": ("mnist", False)}


def _register(cid: str, phase: str, gate: bool) -> None:
    def claim(ctx: Context) -> list[ClaimResult]:
        got = ctx.shared(phase, lambda: _PHASES[phase](ctx)).get(cid)
        if cid == "M1":  # the last claim: every phase has run, draw the figures
            st = ctx.shared("state", lambda: _state(ctx))
            if st["p"].full or st["smoke"]:
                ctx.figure("figures", lambda path: _draw_figures(ctx, path.parent))
        if not got:
            ctx.skip(f"not evaluated at preset {ctx.preset!r}")
        for r in got:
            r.details.setdefault("preset", ctx.preset)
        return got

    suite.claim(cid, CLAIMS[cid], gate=gate)(claim)


for _cid, (_phase, _gate) in _CLAIM_PHASE.items():
    _register(_cid, _phase, _gate)


def _cka_table(dig, seed, device) -> dict[str, list[float]]:
    """Linear CKA of student vs teacher trunk features at 5 noise levels, before and after."""
    sigmas = [0.05, 0.2, 0.5, 1.0, 2.5]
    teacher, train = dig["teacher"], dig["train"]
    vals: dict[str, Any] = {"sigmas": sigmas}
    for arm, init in (("SF-KL", "teacher"), ("random", "random")):
        res = dig[arm][0]["result"]
        before = init_student(teacher, init, generator=_gen(seed + 2, device))  # as in distill
        vals[f"{arm} before"] = _cka(teacher, before, train, sigmas, seed, device)
        vals[f"{arm} after"] = _cka(teacher, copy.deepcopy(res.generator.denoiser), train,
                                    sigmas, seed, device)
    return vals


def _full_digit_claims(p, dig, split, seed, device, smoke) -> list[ClaimResult]:
    out: list[ClaimResult] = []
    if not p.unet:
        dig["cka"] = _cka_table(dig, seed, device)
    fd_sf = [r["fd"] for r in dig["SF-KL"]]
    heun_fd = dig["heun_fd"]
    if "SB-KL" in dig:
        fd_sb = [r["fd"] for r in dig["SB-KL"]]
        out.append(_claim(
            smoke, id="A3", claim=CLAIMS["A3"], metric="FD(SF-KL)/FD(SB-KL), digits",
            value=[a / b for a, b in zip(fd_sf, fd_sb, strict=True)], threshold=A3_RATIO,
            comparator="<=", baseline=float(np.mean(fd_sb)),
            paper="≈ 1 or better (CIFAR-10/ImageNet-64); brief: ≤ 1.3",
            details={"fd_sf": fd_sf, "fd_sb": fd_sb}))
    out.append(_claim(
        smoke, id="A4", claim=CLAIMS["A4"], metric="FD(SF-KL)/FD(teacher Heun-35), digits",
        value=[a / heun_fd for a in fd_sf], threshold=A4_RATIO, comparator="<=",
        baseline=heun_fd, paper="close to teacher; brief: ≤ 2",
        details={"fd_sf": fd_sf, "fd_heun35": heun_fd}))
    ent_r = [r["entropy"] for r in dig["random"]]
    out.append(_claim(
        smoke, id="B2", claim=CLAIMS["B2"], metric="class entropy (nats) of random-init samples",
        value=ent_r, threshold=B2_ENTROPY, comparator="<",
        baseline=float(np.mean([r["entropy"] for r in dig["SF-KL"]])),
        paper="random init fails; brief: < 2.0 (teacher init ≥ 2.2)"))
    base = float(np.mean(fd_sf[: p.ablation_seeds or 1]))
    arms = [a for a in ("trunk_only", "mapping_only", "narrow_sigma", "head_only") if a in dig]
    if arms:
        def ratio(a):
            return [r["fd"] / base for r in dig[a]]
        out.append(_claim(
            smoke, id="C1", claim=CLAIMS["C1"], metric="FD(trunk_only)/FD(teacher)",
            value=ratio("trunk_only"), threshold=C1_RATIO, comparator="<=",
            paper="features carry the benefit; brief expectation ≤ 1.5",
            details={"linear_cka_vs_teacher": dig.get("cka", {})}))
        c2_start = (dig["mapping_only"][0]["curve"][0][1], dig["SF-KL"][0]["curve"][0][1])
        out.append(_claim(
            smoke, id="C2", claim=CLAIMS["C2"], metric="FD(mapping_only)/FD(teacher)",
            value=ratio("mapping_only"), threshold=C2_RATIO, comparator=">=",
            paper="mapping alone not enough; brief expectation ≥ 2 though it starts lower",
            details={"fd_step0_mapping_only": c2_start[0], "fd_step0_teacher": c2_start[1]}))
        out.append(_claim(
            smoke, id="C3", claim=CLAIMS["C3"], metric="FD(narrow_sigma)/FD(teacher)",
            value=ratio("narrow_sigma"), threshold=C3_RATIO, comparator=">=",
            paper="multi-σ features matter; brief expectation ≥ 2"))
        means = {a: float(np.mean([r["fd"] for r in dig[a]]))
                 for a in ("SF-KL", "random", *arms)}
        order = sorted(means, key=means.get)
        out.append(_claim(
            smoke, id="C4", claim=CLAIMS["C4"],
            metric="rank of trunk_only among the arms by FD (1 = best; teacher arm is SF-KL)",
            value=float(order.index("trunk_only") + 1),
            paper="teacher ≈ trunk_only < mapping_only, narrow_sigma, head_only ≈ random",
            details={"fd_by_arm": means, "ranking": order}))
    # verifier
    res = dig["SF-KL"][0]["result"]
    fnet = dig["fnet"]
    ns = (1, 2, 4, 8, 16)
    fds, ents = [], []
    for k in ns:
        x = best_of_n(res.generator, res.aux, p.n_eval, candidates=k,
                      generator=_gen(seed + 21, device)).reshape(p.n_eval, -1).cpu()
        fds.append(fnet.fd(x, split.train))
        ents.append(class_entropy(fnet.probs(x)))
    dig["verifier"] = (ns, fds)
    out.append(_claim(
        smoke, id="V1", claim=CLAIMS["V1"], metric="FD(best-of-16)/FD(best-of-1), digits",
        value=fds[-1] / fds[0], paper="FD falls with N at no diversity loss",
        details={"N": list(ns), "fd": fds, "class_entropy": ents}))
    return out


def _mnist_claims(p, seed, device, smoke) -> list[ClaimResult]:
    try:
        split = load_mnist5k(size=28 if p.unet else 14)
    except ImportError as exc:
        return [ClaimResult.measure(id="M1", claim=CLAIMS["M1"], metric="skipped",
                                    value=None, details={"reason": str(exc)})]
    with timer() as t:
        m = _images(p, split, seed, device, smoke, mnist=True)
    fd_sf, fd_sb = m["SF-KL"][0]["fd"], m["SB-KL"][0]["fd"]
    return [_claim(
        smoke, id="M1", claim=CLAIMS["M1"], metric="FD(SF-KL)/FD(SB-KL), MNIST-5k 14×14",
        value=fd_sf / fd_sb, threshold=M1_RATIO, comparator="<=", baseline=fd_sb,
        paper="competitive; brief ≤ 1.3", seconds=t.seconds,
        details={"fd_sf": fd_sf, "fd_sb": fd_sb, "fd_heun35": m["heun_fd"],
                 "fd_sf_over_heun35": fd_sf / m["heun_fd"],
                 "fd_sb_over_heun35": fd_sb / m["heun_fd"],
                 "teacher": ("TinyUNet" if p.unet else
                             f"{'residual ' if p.mnist_residual else ''}MLP width "
                             f"{p.mnist_hidden}, depth {p.mnist_depth}, "
                             f"{p.mnist_teacher_steps} steps"),
                 "fd_teacher_below_students": m["heun_fd"] < min(fd_sf, fd_sb),
                 "teacher_seconds": m["teacher_seconds"],
                 "feature_net_test_accuracy": m["feature_acc"], "fd_floor": m["fd_floor"]})]


def _figures(out_dir: Path, ring, dig, p, seed, device) -> None:
    try:
        from mpiis.diffratio import _plots
    except ImportError:  # pragma: no cover
        return
    try:
        _plots._plt()
    except ImportError:
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    _plots.scatter_panels(ring["samples"], ring["centers"], out_dir / "ring_samples.png")
    series = {k: tuple(zip(*ring[k][0]["curve"], strict=True)) for k in ("SF-KL", "SB-KL")
              if ring[k][0]["curve"]}
    if series:
        _plots.curves(series, out_dir / "ring_mmd_vs_step.png", xlabel="step",
                      ylabel="MMD²", logy=False, title="2-D ring")
    _plots.grid_panels(dig["samples"], dig["shape"], out_dir / "digits_samples.png")
    arms = [a for a in ("SF-KL", "SB-KL", "random", "trunk_only", "mapping_only",
                        "narrow_sigma", "head_only") if a in dig and dig[a][0]["curve"]]
    _plots.curves({("teacher" if a == "SF-KL" else a): tuple(zip(*dig[a][0]["curve"],
                                                                  strict=True)) for a in arms},
                  out_dir / "digits_fd_vs_step.png", xlabel="step", ylabel="FD-digits",
                  logy=True, title="initialisation arms (score-free KL)")
    if "verifier" in dig:
        ns, fds = dig["verifier"]
        _plots.curves({"best-of-N": (ns, fds)}, out_dir / "verifier_fd_vs_n.png",
                      xlabel="N candidates", ylabel="FD-digits", title="ratio as verifier")
    if "cka" in dig:
        cka = dict(dig["cka"])
        sigmas = cka.pop("sigmas")
        _plots.cka_bars(sigmas, cka, out_dir / "cka_student_teacher.png")
