"""Benchmark suite of mpiis.pmae (``mpiis-bench pmae --preset quick``).

Reproduces, at CPU scale, the paper's claims that masking principal components (PMAE) learns
better representations than masking patches (MAE): on a synthetic set built so that patch
masking has a local shortcut, on sklearn's digits and on MNIST-5k, plus the ratio sweep, the PCA
fit against scikit-learn and the cost of pre-training. Uses only the public API.
"""

from __future__ import annotations

import dataclasses
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mpiis.shared.bench import PRESETS, ClaimResult, Context, Option, Suite, seed_gate
from mpiis.shared.torch import default_device

from . import (
    ImageSet,
    MaskedAutoencoder,
    MLPConfig,
    PCABasis,
    PretrainConfig,
    ViTConfig,
    extract_features,
    linear_probe,
    load_digits_images,
    load_mnist5k,
    mae,
    make_failure_mode_images,
    pmae,
    pretrain,
)

__all__ = ["CLAIMS", "run", "suite"]

CLAIMS: dict[str, str] = {
    "S0": "The synthetic failure-mode set is not linearly separable from raw pixels.",
    "S1": "PMAE beats patch-MAE under linear probing on the failure-mode set (ViT).",
    "S2": "PMAE learns more than a randomly initialised encoder (MLP encoder).",
    "S3a": "PMAE beats patch-MAE with the MLP encoder too (paper-level margin +5 pp).",
    "T1": "Tuned with the same small budget, the patch-MAE ViT learns more than an untrained ViT.",
    "S3b": "PMAE beats the random ViT encoder (paper-level margin +10 pp).",
    "D1": "On 8x8 digits PMAE matches or beats patch-MAE under linear probing.",
    "M1": "On MNIST-5k PMAE matches or beats patch-MAE, both well above a random encoder.",
    "R1": "Masking a small variance share (<= 0.5) is best among PMAE ratios.",
    "R2": "PMAE's accuracy is flatter in its ratio than MAE's in the patch ratio.",
    "R3": "A per-sample random ratio: PMAE_rd beats MAE_rd and is below the tuned PMAE.",
    "R4": "Masking a random subset of components beats masking the top or bottom components.",
    "P1": "The PCA basis fit is at most as slow as scikit-learn's full-SVD PCA and agrees with it.",
    "P1b": "The PCA basis agrees with scikit-learn's (top-10 components, digits).",
    "P1c": "The explained-variance ratios agree with scikit-learn's.",
    "P2": "PMAE pre-training keeps at least a third of patch-MAE's throughput.",
}

# --- thresholds (all from the brief's claims table, docs/papers/pmae.md) ---
S0_MAX_RAW_ACC = 0.60  # brief: raw-pixel probe <= 60 % (chance 25 %, prototype 27 %)
S1_MIN_GAIN = 0.02  # brief: PMAE - MAE >= +2 pp (ViT); prototype mean lead +4.3 pp
S2_MIN_GAIN = 0.02  # brief: PMAE - random >= +2 pp (MLP); prototype mean lead +4.7 pp
R1_MAX_BEST_RATIO = 0.5  # brief: argmax_r over the sweep <= 0.5 (paper: about 0.2 is best)
P1_MAX_TIME_RATIO = 1.0  # brief: fit time / sklearn <= 1
P1_MIN_ABS_COS = 0.999  # brief: top-10 components agree up to sign on digits
P1_MAX_EVR_DIFF = 1e-6  # brief: explained-variance ratios within 1e-6
P2_MIN_THROUGHPUT = 0.33  # brief: PMAE / MAE images/s >= 0.33 (prototype 0.55-0.70)

PMAE_SWEEP = (0.1, 0.2, 0.35, 0.5, 0.75, 0.9)
MAE_SWEEP = (0.25, 0.5, 0.75, 0.9)


@dataclasses.dataclass(frozen=True)
class _Preset:
    n_synth: int
    vit: ViTConfig
    vit_epochs: int
    vit_seeds: int
    mlp: MLPConfig
    mlp_epochs: int
    mlp_seeds: int
    real: bool  # digits, MNIST-5k and the sweep
    digits_epochs: int = 60
    mnist_epochs: int = 20
    mnist_size: int = 14
    throughput_steps: int = 8
    tune_epochs: int = 0  # > 0: tune lr and ratio of the ViT arms first (T1), then use them


def _preset(name: str, cuda: bool) -> _Preset:
    if name == "smoke":
        return _Preset(256, dataclasses.replace(ViTConfig.cpu(), depth=1), 2, 1, MLPConfig.cpu(),
                       1, 1, False, throughput_steps=1)
    if name == "quick":
        return _Preset(3000, ViTConfig.cpu(), 15, 1, MLPConfig.cpu(), 40, 2, False)
    if cuda:  # the brief's GPU budget for `full`
        return _Preset(3000, ViTConfig.cpu(), 200, 3, MLPConfig.cpu(), 40, 3, True,
                       mnist_epochs=200, mnist_size=28, tune_epochs=50)
    # CPU full (<= 15 min idle, one thread): the tuning stage (T1, about 100 s) and R1's three
    # sweep seeds (about 80 s) are paid for by MNIST-5k at 8 epochs instead of 20 and digits at
    # 30 instead of 60 (the run recorded before them took 906 s)
    return _Preset(3000, ViTConfig.cpu(), 30, 3, MLPConfig.cpu(), 40, 3, True, digits_epochs=30,
                   mnist_epochs=8, tune_epochs=10)


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(int(seed))


def _probe(model: MaskedAutoencoder, tr: ImageSet, te: ImageSet) -> float:
    return linear_probe(extract_features(model, tr.images), tr.labels,
                        extract_features(model, te.images), te.labels).accuracy


def _build(kind: str, basis: PCABasis, arch: str, seed: int, *, patch: int, cfg: Any,
           ratio: float | None = None, mode: str = "fixed") -> MaskedAutoencoder:
    g = _gen(seed)
    if kind == "pmae":
        return pmae(basis, arch=arch, ratio=0.2 if ratio is None else ratio, mode=mode,
                    patch_size=patch, config=cfg, generator=g)  # type: ignore[arg-type]
    return mae(basis.image_shape, arch=arch, ratio=0.75 if ratio is None else ratio,
               mode=mode, patch_size=patch, config=cfg, mean=basis.mean, std=basis.std,
               generator=g)  # type: ignore[arg-type]


def _arm(kind: str, basis: PCABasis, tr: ImageSet, te: ImageSet, *, arch: str, seed: int,
         epochs: int, patch: int, cfg: Any, ratio: float | None = None, mode: str = "fixed",
         keep: dict[str, Any] | None = None, tag: str = "", lr: float | None = None) -> float:
    """Train one arm (``kind`` in pmae / mae / random) and return its probe accuracy."""
    device = basis.device
    model = _build("mae" if kind == "random" else kind, basis, arch, seed, patch=patch, cfg=cfg,
                   ratio=ratio, mode=mode).to(device)
    if kind != "random":
        g = torch.Generator(device=device).manual_seed(int(seed) + 1000)
        pc = PretrainConfig(epochs=epochs) if lr is None else PretrainConfig(epochs=epochs, lr=lr)
        hist = pretrain(model, tr.images, pc, generator=g, progress=False)
        if keep is not None:
            keep[f"{tag}history"] = hist
            keep[f"{tag}model"] = model
    return _probe(model, tr, te)


def _cached_arm(cache: dict[tuple[Any, ...], float]) -> Any:
    """:func:`_arm` memoised on everything that determines its result (the same arm of the
    S-claims and of the sweep is trained once per run)."""
    def arm(kind: str, basis: PCABasis, tr: ImageSet, te: ImageSet, *, arch: str, seed: int,
            epochs: int, patch: int, cfg: Any, ratio: float | None = None, mode: str = "fixed",
            keep: dict[str, Any] | None = None, tag: str = "", lr: float | None = None) -> float:
        if kind == "random":
            ratio, mode, lr = None, "fixed", None
        ratio = (0.2 if kind == "pmae" else 0.75) if ratio is None else ratio
        lr = PretrainConfig(epochs=1).lr if lr is None else lr
        key = (kind, id(basis), id(tr), id(te), arch, seed, epochs if kind != "random" else 0,
               patch, repr(cfg), ratio, mode, lr)
        if key not in cache or keep is not None:
            cache[key] = _arm(kind, basis, tr, te, arch=arch, seed=seed, epochs=epochs,
                              patch=patch, cfg=cfg, ratio=ratio, mode=mode, keep=keep, tag=tag,
                              lr=lr)
        return cache[key]

    return arm


def _synthetic(n: int) -> tuple[ImageSet, ImageSet]:
    return make_failure_mode_images(n, seed=0).split(0.3, seed=0)


def _raw_probe(tr: ImageSet, te: ImageSet) -> float:
    return linear_probe(tr.images.reshape(len(tr), -1), tr.labels,
                        te.images.reshape(len(te), -1), te.labels).accuracy


# ----------------------------------------------------------------------------------- P1 / P2
def _pca_agreement(basis: PCABasis, x: np.ndarray) -> tuple[float, float, str]:
    """min |cos| of the top-10 components and max |EVR diff| against sklearn (numpy SVD when
    scikit-learn is absent) on the same standardised matrix."""
    # the reference standardises the data itself (float64, ddof 1, std 0 -> 1), so that a basis
    # fitted on differently scaled data cannot agree with it by construction
    flat = x.reshape(len(x), -1).astype(np.float64)
    sd = flat.std(0, ddof=1)
    z = (flat - flat.mean(0)) / np.where(sd > 0, sd, 1.0)
    try:
        from sklearn.decomposition import PCA

        ref = PCA(svd_solver="full").fit(z.astype(np.float64))
        comps, evr, name = ref.components_, ref.explained_variance_ratio_, "sklearn"
    except ImportError:  # pragma: no cover - sklearn is a dev dependency
        zc = z - z.mean(0)
        _, s, vt = np.linalg.svd(zc, full_matrices=False)
        comps, evr, name = vt, s**2 / np.sum(s**2), "numpy-svd"
    ours = basis.components.cpu().numpy()
    k = min(10, ours.shape[1])
    cos = np.abs(np.sum(ours[:, :k].T * comps[:k], axis=1))
    m = min(len(evr), ours.shape[1])
    diff = float(np.max(np.abs(basis.explained_variance_ratio.cpu().numpy()[:m] - evr[:m])))
    return float(cos.min()), diff, name


def _fit_time_ratio(x: np.ndarray, repeats: int) -> tuple[float, float, float, str, float]:
    """Best-of-``repeats`` fit time of :meth:`PCABasis.fit` (default route) against scikit-learn's
    full-SVD PCA on the same standardised matrix, interleaved; also the EVR agreement."""
    basis = PCABasis.fit(x)
    z = ((x.reshape(len(x), -1) - basis.mean.numpy()) / basis.std.numpy()).astype(np.float64)
    try:
        from sklearn.decomposition import PCA

        def ref() -> Any:
            return PCA(svd_solver="full").fit(z).explained_variance_ratio_

        name = "sklearn PCA(svd_solver='full')"
    except ImportError:  # pragma: no cover

        def ref() -> Any:
            s = np.linalg.svd(z - z.mean(0), compute_uv=False)
            return s**2 / np.sum(s**2)

        name = "numpy SVD"
    ours, theirs = math.inf, math.inf
    evr_ref = None
    for _ in range(repeats):  # interleaved, best of `repeats`
        t0 = time.perf_counter()
        PCABasis.fit(x)
        ours = min(ours, time.perf_counter() - t0)
        t0 = time.perf_counter()
        evr_ref = ref()
        theirs = min(theirs, time.perf_counter() - t0)
    k = basis.n_components
    diff = float(np.max(np.abs(basis.explained_variance_ratio.numpy() - evr_ref[:k])))
    return ours / theirs, ours, theirs, name, diff


def _pca_sizes(preset: str, tr: ImageSet) -> list[tuple[str, np.ndarray]]:
    """The issue's three sizes: 200 x 768 (3 x 16 x 16, N < D), 512 x 3072 (3 x 32 x 32,
    CIFAR-sized, N < D) and the benchmark's synthetic training split 2,100 x 256 (N > D).
    The N < D sets stack three synthetic grey images into colour channels."""
    def colour(n: int, size: int) -> np.ndarray:
        g = make_failure_mode_images(3 * n, size=size, seed=7).images  # (3n, 1, s, s)
        g = g.reshape(n, 3, size, size)
        return ((g - g.min()) / (g.max() - g.min())).astype(np.float32)

    sizes = [("200x768", colour(200, 16))]
    if preset != "smoke":
        sizes.append(("512x3072", colour(512, 32)))
    sizes.append((f"{len(tr)}x256", tr.images))
    return sizes


def _throughput(basis: PCABasis, tr: ImageSet, arch: str, cfg: Any, steps: int,
                batch: int = 128, rounds: int = 3) -> tuple[float, float, float]:
    """images/s of PMAE and MAE training steps on the same batch; returns (ratio, pmae, mae)."""
    device = basis.device
    x = torch.from_numpy(tr.images[:batch]).to(device)
    rates: dict[str, float] = {}
    models = {k: _build(k, basis, arch, 0, patch=4, cfg=cfg).to(device) for k in ("pmae", "mae")}
    opts = {k: torch.optim.AdamW(m.parameters(), lr=1e-4) for k, m in models.items()}
    best = {k: math.inf for k in models}
    for _ in range(rounds):  # interleaved; best round per model
        for k, m in models.items():
            g = torch.Generator(device=device).manual_seed(0)
            m.train()
            for i in range(steps + 1):
                if i == 1:
                    if device.type == "cuda":
                        torch.cuda.synchronize()
                    t0 = time.perf_counter()
                loss = m(x, generator=g).loss
                opts[k].zero_grad(set_to_none=True)
                loss.backward()
                opts[k].step()
            if device.type == "cuda":
                torch.cuda.synchronize()
            best[k] = min(best[k], time.perf_counter() - t0)
    for k in models:
        rates[k] = steps * batch / best[k]
    return rates["pmae"] / rates["mae"], rates["pmae"], rates["mae"]


# ----------------------------------------------------------------------------------- suite
suite = Suite("pmae", description=__doc__ or "", torch_threads=1, options=[
    Option("sweep_seeds", type=int, default=3,
           help="seeds of the PMAE ratio sweep behind R1 (full preset; each seed beyond the "
                "first adds five MLP arms, about 45 s on an idle 2-core CPU); R1 is a GATE only "
                "where the per-seed argmax does not straddle 0.5"),
])


def _setup(ctx: Context) -> dict[str, Any]:
    """The device, the preset and the synthetic set with its basis (shared by every claim)."""
    device = default_device()
    P = _preset(ctx.preset, device.type == "cuda")
    tr, te = _synthetic(P.n_synth)
    basis = PCABasis.fit(torch.from_numpy(tr.images).to(device))
    return {"device": device, "P": P, "tr": tr, "te": te, "basis": basis, "keep": {},
            "results": {}, "arm": _cached_arm({})}


def _synthetic_phase(ctx: Context) -> dict[str, ClaimResult]:
    st = ctx.shared("setup", lambda: _setup(ctx))
    out: dict[str, ClaimResult] = {"S0": s0_result(st["tr"], st["te"])}
    P, arm, vit_hp = st["P"], st["arm"], None
    if P.tune_epochs > 0:
        t0 = time.perf_counter()
        tuning = tune_vit(P, ctx.seed, st["basis"], st["tr"], arm=arm)
        st["tuning"], st["tuning_seconds"] = tuning, time.perf_counter() - t0
        vit_hp = tuning["chosen"]
    out.update(s_results(P, ctx.seed, st["basis"], st["tr"], st["te"], keep=st["keep"], arm=arm,
                         vit_hp=vit_hp))
    if "T1" in out:
        t1 = out["T1"]
        extra = {k: v for k, v in st["tuning"].items() if k != "chosen"}
        out["T1"] = dataclasses.replace(
            t1, seconds=st["tuning_seconds"],
            details={**t1.details, **extra, "tuning_seconds": st["tuning_seconds"]})
    return out


def s0_result(tr: ImageSet, te: ImageSet) -> ClaimResult:
    """S0: the raw-pixel linear probe on the synthetic set stays near chance."""
    t0 = time.perf_counter()
    raw = _raw_probe(tr, te)
    return ClaimResult.measure(
        id="S0", claim=CLAIMS["S0"], metric="raw-pixel linear-probe accuracy (4 classes)",
        value=raw, threshold=S0_MAX_RAW_ACC, comparator="<=", gate=True,
        seconds=time.perf_counter() - t0,
        details={"chance": 1.0 / len(np.unique(tr.labels)), "n_train": len(tr)})


TUNE_LRS = (3e-4, 1e-3, 3e-3)  # the ViT arms' learning-rate grid (CPU recipe: 1e-3)
TUNE_RATIOS = {"mae": (0.75, 0.5), "pmae": (0.2, 0.1)}  # (default, alternative) mask ratio


def tune_vit(P: _Preset, seed: int, basis: PCABasis, tr: ImageSet, *, arm: Any = None,
             ) -> dict[str, Any]:
    """The tuning stage: MAE and PMAE (ViT) get the same small budget on a validation split of
    the training images (70 / 30, the test split is never seen): ``P.tune_epochs`` epochs, one
    seed, the learning rate over ``TUNE_LRS`` at the default mask ratio, then the alternative
    ratio at the best learning rate (four runs each). Returns the grid, the untrained encoder's
    validation accuracy and the chosen ``{kind: (lr, ratio)}``."""
    arm = _arm if arm is None else arm
    fit, val = tr.split(0.3, seed=1)
    kw = {"arch": "vit", "seed": seed, "patch": 4, "cfg": P.vit, "epochs": P.tune_epochs}
    out: dict[str, Any] = {"epochs": P.tune_epochs, "n_fit": len(fit), "n_val": len(val),
                           "val_random": arm("random", basis, fit, val, **kw)}
    chosen: dict[str, tuple[float, float]] = {}
    for kind in ("mae", "pmae"):
        r0, r1 = TUNE_RATIOS[kind]
        grid = {(lr, r0): arm(kind, basis, fit, val, ratio=r0, lr=lr, **kw) for lr in TUNE_LRS}
        best_lr = max(TUNE_LRS, key=lambda lr, r0=r0, grid=grid: grid[(lr, r0)])
        grid[(best_lr, r1)] = arm(kind, basis, fit, val, ratio=r1, lr=best_lr, **kw)
        chosen[kind] = max(grid, key=lambda k, grid=grid: grid[k])
        out[f"val_{kind}"] = {f"lr={lr:g},ratio={r:g}": v for (lr, r), v in grid.items()}
        out[f"{kind}_lr"], out[f"{kind}_ratio"] = chosen[kind]
    out["chosen"] = chosen
    return out


def s_results(P: _Preset, seed: int, basis: PCABasis, tr: ImageSet, te: ImageSet, *,
              keep: dict[str, Any] | None = None, arm: Any = None,
              vit_hp: dict[str, tuple[float, float]] | None = None) -> dict[str, ClaimResult]:
    """S1-S3: random-init, MAE and PMAE arms of both encoders over the preset's seeds.

    ``arm(kind, basis, tr, te, **kw) -> accuracy`` trains and probes one arm (default
    :func:`_arm`); the negative-control tests pass a broken one through this same code.
    ``vit_hp`` maps ``"mae"`` / ``"pmae"`` to the ViT arms' tuned ``(lr, ratio)`` (T1)."""
    arm = _arm if arm is None else arm
    acc: dict[str, dict[str, list[float]]] = {"vit": {}, "mlp": {}}
    t0 = time.perf_counter()
    for arch, cfg, epochs, n_seeds in (("vit", P.vit, P.vit_epochs, P.vit_seeds),
                                       ("mlp", P.mlp, P.mlp_epochs, P.mlp_seeds)):
        for kind in ("random", "mae", "pmae"):
            hp: dict[str, Any] = {}
            if arch == "vit" and vit_hp is not None and kind in vit_hp:
                hp = {"lr": vit_hp[kind][0], "ratio": vit_hp[kind][1]}
            acc[arch][kind] = [
                arm(kind, basis, tr, te, arch=arch, seed=seed + s, epochs=epochs, patch=4,
                    cfg=cfg, keep=keep if s == 0 else None, tag=f"synth_{arch}_{kind}_", **hp)
                for s in range(n_seeds)
            ]
    t_train = time.perf_counter() - t0

    def diff(arch: str, a: str, b: str) -> list[float]:
        return [u - v for u, v in zip(acc[arch][a], acc[arch][b], strict=True)]

    common = {**{f"{a}_{k}": v for a in acc for k, v in acc[a].items()},
              "seeds": [seed + s for s in range(max(P.vit_seeds, P.mlp_seeds))],
              "vit_epochs": P.vit_epochs, "mlp_epochs": P.mlp_epochs,
              "vit_hp": {k: {"lr": v[0], "ratio": v[1]} for k, v in (vit_hp or {}).items()}
              or "untuned (lr 1e-3, MAE 0.75, PMAE 0.2)"}
    out: dict[str, ClaimResult] = {}
    s1, s2 = diff("vit", "pmae", "mae"), diff("mlp", "pmae", "random")
    g1, why1 = seed_gate(s1, S1_MIN_GAIN, ">=")
    g2, why2 = seed_gate(s2, S2_MIN_GAIN, ">=")
    tuned = " tuned (T1)" if vit_hp else ""
    out["S1"] = ClaimResult.measure(
        id="S1", claim=CLAIMS["S1"],
        metric=f"probe acc. PMAE - MAE (vit_tiny_cpu, patch 4{tuned}, {len(s1)} seed(s))",
        value=s1, threshold=S1_MIN_GAIN, comparator=">=", gate=g1,
        baseline=float(np.mean(acc["vit"]["mae"])), seconds=t_train / 2,
        details={**common, "per_seed": s1, "gate_rule": why1})
    out["S2"] = ClaimResult.measure(
        id="S2", claim=CLAIMS["S2"],
        metric=f"probe acc. PMAE - random init (MLP encoder, {len(s2)} seed(s))",
        value=s2, threshold=S2_MIN_GAIN, comparator=">=", gate=g2,
        baseline=float(np.mean(acc["mlp"]["random"])), seconds=t_train / 2,
        details={**common, "per_seed": s2, "gate_rule": why2})
    if vit_hp is not None:
        t1 = diff("vit", "mae", "random")
        out["T1"] = ClaimResult.measure(
            id="T1", claim=CLAIMS["T1"],
            metric="probe acc. tuned MAE - untrained encoder (vit_tiny_cpu, test split, "
                   f"{len(t1)} seed(s))",
            value=t1, threshold=0.0, comparator=">=", gate=False,
            baseline=float(np.mean(acc["vit"]["random"])),
            paper="the paper's MAE learns; here patch masking has a local shortcut by design",
            details={"per_seed": t1, "vit_hp": common["vit_hp"]})
    out["S3a"] = ClaimResult.measure(
        id="S3a", claim=CLAIMS["S3a"], metric="probe acc. PMAE - MAE (MLP encoder)",
        value=diff("mlp", "pmae", "mae"), paper="paper-level expectation +5 pp (Table 1: +14 pp)",
        baseline=float(np.mean(acc["mlp"]["mae"])))
    out["S3b"] = ClaimResult.measure(
        id="S3b", claim=CLAIMS["S3b"], metric="probe acc. PMAE - random init (ViT)",
        value=diff("vit", "pmae", "random"), paper="paper-level expectation +10 pp",
        baseline=float(np.mean(acc["vit"]["random"])))
    return out


def _real_phase(ctx: Context) -> dict[str, ClaimResult]:
    st = ctx.shared("setup", lambda: _setup(ctx))
    return {r.id: r for r in _real_images(st["P"], ctx.seed, st["device"], st["keep"])}


def _sweep_phase(ctx: Context) -> dict[str, ClaimResult]:
    st = ctx.shared("setup", lambda: _setup(ctx))
    return {r.id: r for r in _sweep(st["P"], ctx.seed, st["basis"], st["tr"], st["te"],
                                    st["keep"], seeds=int(ctx.options["sweep_seeds"]),
                                    arm=st["arm"])}


def _pca_phase(ctx: Context) -> dict[str, Any]:
    st = ctx.shared("setup", lambda: _setup(ctx))
    tr, device = st["tr"], st["device"]
    t0 = time.perf_counter()
    repeats = 1 if ctx.preset == "smoke" else 3
    timings = {name: _fit_time_ratio(x, repeats) for name, x in _pca_sizes(ctx.preset, tr)}
    evr_sizes = {f"evr_max_abs_diff_{k}": v[4] for k, v in timings.items()}
    p1b, p1c, p1_details = p1_agreement(tr, extra=evr_sizes)
    p1_details.update({"reference": next(iter(timings.values()))[3],
                       "fit_seconds": {k: v[1] for k, v in timings.items()},
                       "reference_seconds": {k: v[2] for k, v in timings.items()},
                       "repeats": repeats})
    if device.type == "cuda":
        gpu: dict[str, float] = {}
        for name, x in _pca_sizes(ctx.preset, tr):
            xg = torch.from_numpy(x).to(device)
            PCABasis.fit(xg)
            torch.cuda.synchronize()
            t1 = time.perf_counter()
            PCABasis.fit(xg)
            torch.cuda.synchronize()
            gpu[name] = time.perf_counter() - t1
        p1_details["gpu_fit_seconds"] = gpu
    secs = time.perf_counter() - t0
    # Wall-clock ratios whose margin to 1.0 is under 2x are REPORTED (DESIGN.md, "What may be a
    # GATE"): the run's exit status must not depend on load. The issue's goal is <= 2x.
    p1 = [
        ClaimResult.measure(
            id=f"P1.{name}", claim=CLAIMS["P1"],
            metric=f"PCABasis.fit time / sklearn full-SVD PCA (N x D = {name}, best of "
                   f"{repeats})",
            value=v[0], threshold=P1_MAX_TIME_RATIO, comparator="<=", gate=False,
            seconds=secs, details=p1_details)
        for name, v in timings.items()
    ]
    return {"P1": p1, "P1b": p1b, "P1c": p1c}


def p1_agreement(tr: ImageSet, *, fit: Any = None, extra: dict[str, float] | None = None,
                 ) -> tuple[ClaimResult, ClaimResult, dict[str, Any]]:
    """P1b / P1c: ``fit(images) -> PCABasis`` (default :meth:`PCABasis.fit`) against
    scikit-learn on digits (top-10 components) and on the synthetic training split (spectrum);
    ``extra`` adds EVR differences measured elsewhere (the P1 sizes). The negative-control
    tests pass a broken fit through this same code."""
    fit = PCABasis.fit if fit is None else fit
    missing = None
    try:  # digits ship with scikit-learn (a dependency of the `data` extra's mlxtend)
        dtr, _ = load_digits_images().split(0.3, seed=0)
        cos_d, evr_d, _ = _pca_agreement(fit(dtr.images), dtr.images)
    except ImportError as exc:
        cos_d, evr_d, missing = float("nan"), float("nan"), str(exc)
    _, evr_s, _ = _pca_agreement(fit(tr.images).to("cpu"), tr.images)
    extra = dict(extra or {})
    evr_all = max(evr_d, evr_s, *extra.values())
    ok = cos_d >= P1_MIN_ABS_COS and evr_all <= P1_MAX_EVR_DIFF
    details: dict[str, Any] = {"digits_missing": missing, "digits_min_abs_cos_top10": cos_d,
                               "evr_max_abs_diff_digits": evr_d,
                               "evr_max_abs_diff_synthetic": evr_s, **extra,
                               "agreement_ok": ok}
    p1b = ClaimResult.measure(
        id="P1b", claim=CLAIMS["P1b"],
        metric="min |cos| of top-10 components vs sklearn (digits)", value=cos_d,
        threshold=P1_MIN_ABS_COS, comparator=">=", gate=True, details=details)
    p1c = ClaimResult.measure(
        id="P1c", claim=CLAIMS["P1c"],
        metric="max |EVR - sklearn EVR| (digits, synthetic, and the P1 sizes)",
        value=evr_all, threshold=P1_MAX_EVR_DIFF, comparator="<=", gate=True, details=details)
    return p1b, p1c, details


def _throughput_phase(ctx: Context) -> dict[str, Any]:
    st = ctx.shared("setup", lambda: _setup(ctx))
    P, tr, basis, device = st["P"], st["tr"], st["basis"], st["device"]
    t0 = time.perf_counter()
    rounds = 1 if ctx.preset == "smoke" else 3
    ratio_v, r_p, r_m = _throughput(basis, tr, "vit", P.vit, P.throughput_steps, rounds=rounds)
    ratio_m, r_pm, r_mm = _throughput(basis, tr, "mlp", P.mlp, P.throughput_steps, rounds=rounds)
    # REPORTED: its recorded margin (0.45 against 0.33) is under 2x (DESIGN.md).
    out = [ClaimResult.measure(
        id="P2.d256", claim=CLAIMS["P2"],
        metric="pre-training images/s PMAE / MAE (vit_tiny_cpu, 1 x 16 x 16, 16 tokens, "
               "batch 128, same run)",
        value=ratio_v, threshold=P2_MIN_THROUGHPUT, comparator=">=", gate=False,
        seconds=time.perf_counter() - t0,
        details={"vit_pmae_img_per_s": r_p, "vit_mae_img_per_s": r_m, "mlp_ratio": ratio_m,
                 "mlp_pmae_img_per_s": r_pm, "mlp_mae_img_per_s": r_mm,
                 "device": str(device)})]
    if ctx.preset != "smoke":
        # CIFAR-sized inputs: 3 x 32 x 32 (D = 3,072, 64 tokens of patch 4) with a full D x D
        # basis, as a set of more than D images would give, so that the two projections cost
        # what they cost at the paper's scale. Step cost does not depend on the basis's values,
        # so an orthonormal stand-in (the identity, a 1/k spectrum) replaces a 3,072^2 eigh.
        t1 = time.perf_counter()
        x = _pca_sizes("quick", tr)[1][1]
        imgs = ImageSet(x, np.zeros(len(x), dtype=np.int64))
        d = x[0].size
        flat = torch.from_numpy(x.reshape(len(x), -1))
        spec = 1.0 / torch.arange(1, d + 1, dtype=torch.float32)
        big = PCABasis(image_shape=x.shape[1:], mean=flat.mean(0), std=flat.std(0) + 1e-3,
                       components=torch.eye(d), eigenvalues=spec,
                       explained_variance_ratio=spec / spec.sum()).to(device)
        # batch 64, 4 steps, best of 2 rounds: a lighter measurement that fits the budgets
        bb, steps_b, rounds_b = 64, 4, 2
        ratio_b, b_p, b_m = _throughput(big, imgs, "vit", P.vit, steps_b, batch=bb,
                                        rounds=rounds_b)
        # profile of PMAE's extra cost: a step holds four (B x D) @ (D x D) products (c = xV,
        # the visible image (c * (1 - m)) V^T, c_hat = x_hat V and its backward); the rest of
        # the gap is the encoder on all 64 tokens where MAE encodes 16 (+ CLS)
        xb = torch.randn(bb, d, device=device, generator=torch.Generator(device).manual_seed(0))
        comps = big.components
        proj = math.inf
        for _ in range(3):
            if device.type == "cuda":
                torch.cuda.synchronize()
            t2 = time.perf_counter()
            for _ in range(4):
                xb @ comps
            if device.type == "cuda":
                torch.cuda.synchronize()
            proj = min(proj, time.perf_counter() - t2)
        step_p, step_m = bb / b_p, bb / b_m
        no_proj = step_m / max(step_p - proj, 1e-12)
        out.append(ClaimResult.measure(
            id="P2.d3072", claim=CLAIMS["P2"],
            metric="pre-training images/s PMAE / MAE (vit_tiny_cpu, 3 x 32 x 32, 64 tokens, "
                   f"K = D = 3,072, batch {bb}, same run)",
            value=ratio_b, threshold=P2_MIN_THROUGHPUT, comparator=">=", gate=False,
            seconds=time.perf_counter() - t1,
            paper="the brief expects <= 2x MAE's step cost at paper scale on a GPU",
            details={"vit_pmae_img_per_s": b_p, "vit_mae_img_per_s": b_m, "batch": bb,
                     "steps": steps_b, "rounds": rounds_b, "device": str(device),
                     "pmae_step_seconds": step_p, "mae_step_seconds": step_m,
                     "projection_seconds_per_step": proj,
                     "projection_share_of_pmae_step": proj / step_p,
                     "ratio_if_projections_were_free": no_proj}))
    return {"P2": out}


_PHASES = {"synthetic": _synthetic_phase, "real": _real_phase, "sweep": _sweep_phase,
           "pca": _pca_phase, "throughput": _throughput_phase}
# claim id -> (phase, declared GATE, presets it runs at)
_CLAIM_PHASE: dict[str, tuple[str, bool, tuple[str, ...]]] = {
    # S1, S2 and R1 are declared GATEs; each result is a GATE only where >= 3 seeds do not
    # straddle its threshold (`seed_gate`), and REPORTED with its per-seed values otherwise
    "S0": ("synthetic", True, PRESETS), "S1": ("synthetic", True, PRESETS),
    "S2": ("synthetic", True, PRESETS), "S3a": ("synthetic", False, PRESETS),
    "S3b": ("synthetic", False, PRESETS), "T1": ("synthetic", False, ("full",)),
    "D1": ("real", False, ("full",)), "M1": ("real", False, ("full",)),
    "R1": ("sweep", True, ("full",)), "R2": ("sweep", False, ("full",)),
    "R3": ("sweep", False, ("full",)), "R4": ("sweep", False, ("full",)),
    "P1": ("pca", False, PRESETS), "P1b": ("pca", True, PRESETS), "P1c": ("pca", True, PRESETS),
    "P2": ("throughput", False, PRESETS),
}


def _register(cid: str, phase: str, gate: bool, presets: tuple[str, ...]) -> None:
    def claim(ctx: Context) -> ClaimResult | list[ClaimResult]:
        results = ctx.shared(phase, lambda: _PHASES[phase](ctx))
        res = results[cid]
        ctx.shared("setup", lambda: _setup(ctx))["results"][cid] = res
        if cid == "P2" and ctx.preset == "full":
            ctx.figure("figures", lambda path: _write_figures(ctx, path.parent))
        return res

    suite.claim(cid, CLAIMS[cid], gate=gate, presets=presets)(claim)


def _write_figures(ctx: Context, out: Path) -> None:
    from ._figures import write_figures

    st = ctx.shared("setup", lambda: _setup(ctx))
    write_figures(out, basis=st["basis"].to("cpu"), synth=(st["tr"], st["te"]), keep=st["keep"],
                  results=list(st["results"].values()))


for _cid, (_phase, _gate, _presets) in _CLAIM_PHASE.items():
    _register(_cid, _phase, _gate, _presets)


def run(preset: str = "quick", *, seed: int = 0, out_dir: Path | None = None) -> list[ClaimResult]:
    """Run the suite at ``preset`` (smoke / quick / full); figures go to ``out_dir``."""
    return suite(preset, seed=seed, out_dir=out_dir)


def _real_images(P: _Preset, seed: int, device: torch.device,
                 keep: dict[str, Any]) -> list[ClaimResult]:
    res: list[ClaimResult] = []
    t0 = time.perf_counter()
    dtr, dte = load_digits_images().split(0.3, seed=0)
    db = PCABasis.fit(torch.from_numpy(dtr.images).to(device))
    keep["digits"] = (dtr, dte, db.to("cpu"))
    d = {"raw": _raw_probe(dtr, dte)}
    for kind in ("random", "mae", "pmae"):
        d[kind] = _arm(kind, db, dtr, dte, arch="vit", seed=seed, epochs=P.digits_epochs,
                       patch=2, cfg=P.vit, keep=keep, tag=f"digits_{kind}_")
    res.append(ClaimResult.measure(
        id="D1", claim=CLAIMS["D1"], metric="probe acc. PMAE - MAE (digits 8x8, ViT patch 2)",
        value=d["pmae"] - d["mae"], baseline=d["mae"],
        paper="PMAE >= MAE (prototype, 100 epochs: 0.919 vs 0.922; raw 0.972)",
        seconds=time.perf_counter() - t0, details={**d, "epochs": P.digits_epochs}))
    t0 = time.perf_counter()
    try:
        mset = load_mnist5k(size=P.mnist_size)
    except ImportError as exc:
        res.append(ClaimResult.measure(
            id="M1", claim=CLAIMS["M1"], metric="probe acc. PMAE - MAE (MNIST-5k)", value=None,
            paper="skipped: " + str(exc)))
        return res
    mtr, mte = mset.split(0.3, seed=0)
    mb = PCABasis.fit(torch.from_numpy(mtr.images).to(device))
    cfg = P.vit if P.mnist_size == 14 else dataclasses.replace(P.vit, heads=8)
    m = {}
    for kind in ("random", "mae", "pmae"):
        m[kind] = _arm(kind, mb, mtr, mte, arch="vit", seed=seed, epochs=P.mnist_epochs,
                       patch=2 if P.mnist_size == 14 else 4, cfg=cfg)
    res.append(ClaimResult.measure(
        id="M1", claim=CLAIMS["M1"],
        metric=f"probe acc. PMAE - MAE (MNIST-5k {P.mnist_size}x{P.mnist_size}, ViT)",
        value=m["pmae"] - m["mae"], baseline=m["mae"],
        paper="PMAE >= MAE; both >= random + 10 pp (prototype, 30 epochs: 0.779 vs 0.840; "
              "random 0.683)",
        seconds=time.perf_counter() - t0,
        details={**m, "pmae_minus_random": m["pmae"] - m["random"],
                 "mae_minus_random": m["mae"] - m["random"], "epochs": P.mnist_epochs}))
    return res


def _sweep(P: _Preset, seed: int, basis: PCABasis, tr: ImageSet, te: ImageSet,
           keep: dict[str, Any], *, seeds: int = 1, arm: Any = None) -> list[ClaimResult]:
    """R1-R4 from the ratio sweep; ``arm`` as in :func:`s_results` (memoised in a run, so the
    S-claims' PMAE r = 0.2 and MAE 0.75 arms are reused; the negative control passes a broken
    one)."""
    train_arm = _arm if arm is None else arm
    res: list[ClaimResult] = []
    arch, cfg, epochs = ("vit", P.vit, P.vit_epochs) if basis.device.type == "cuda" else (
        "mlp", P.mlp, P.mlp_epochs)
    t0 = time.perf_counter()

    def one(kind: str, ratio: float | None, mode: str = "fixed", s: int = 0) -> float:
        return train_arm(kind, basis, tr, te, arch=arch, seed=seed + s, epochs=epochs, patch=4,
                    cfg=cfg, ratio=ratio, mode=mode)

    seeds = max(1, int(seeds))
    p_seed = {r: [one("pmae", r, s=s) for s in range(seeds)] for r in PMAE_SWEEP}
    p_acc = {r: float(np.mean(v)) for r, v in p_seed.items()}
    m_acc = {r: one("mae", r) for r in MAE_SWEEP}
    p_rd, m_rd = one("pmae", 0.2, "random"), one("mae", 0.75, "random")
    p_top, p_bot = one("pmae", 0.2, "top"), one("pmae", 0.2, "bottom")
    p_02 = p_acc[0.2] if 0.2 in p_acc else one("pmae", 0.2)
    secs = time.perf_counter() - t0
    keep["sweep"] = {"pmae": p_acc, "mae": m_acc, "pmae_rd": p_rd, "mae_rd": m_rd, "arch": arch}
    sweep_details = {"arch": arch, "epochs": epochs,
                     "pmae": {str(k): v for k, v in p_acc.items()},
                     "mae": {str(k): v for k, v in m_acc.items()}}
    best_r = max(p_acc, key=lambda r: p_acc[r])
    per_seed_best = [max(PMAE_SWEEP, key=lambda r, s=s: p_seed[r][s]) for s in range(seeds)]
    # a GATE only where >= 3 seeds' argmax lie on one side of 0.5 (DESIGN.md); one seed's
    # argmax over six noisy arms is REPORTED
    g_r1, why_r1 = seed_gate(per_seed_best, R1_MAX_BEST_RATIO, "<=")
    res.append(ClaimResult.measure(
        id="R1", claim=CLAIMS["R1"],
        metric=f"argmax_r of the seed-mean probe acc. over r in {PMAE_SWEEP} ({arch}, "
               f"{seeds} seed(s))",
        value=best_r, threshold=R1_MAX_BEST_RATIO, comparator="<=", gate=g_r1, seconds=secs,
        details={**sweep_details, "seeds": seeds, "per_seed_argmax": per_seed_best,
                 "gate_rule": why_r1,
                 "pmae_per_seed": {str(k): v for k, v in p_seed.items()}}))
    p_small = [p_acc[r] for r in PMAE_SWEEP if r <= 0.5]
    p_range, m_range = max(p_small) - min(p_small), max(m_acc.values()) - min(m_acc.values())
    res.append(ClaimResult.measure(
        id="R2", claim=CLAIMS["R2"],
        metric="range of probe acc. PMAE (r 0.1-0.5) - range MAE (rho 0.25-0.9)",
        value=p_range - m_range, paper="PMAE range smaller (value < 0)",
        details={**sweep_details, "pmae_range": p_range, "mae_range": m_range}))
    p_ocl = max(p_acc.values())
    res.append(ClaimResult.measure(
        id="R3", claim=CLAIMS["R3"], metric="probe acc. PMAE_rd - MAE_rd", value=p_rd - m_rd,
        baseline=m_rd, paper="> 0 (linear probe: 44.0 vs 41.9 ... 90.1 vs 85.6); PMAE_ocl - "
        "PMAE_rd > 0",
        details={"pmae_rd": p_rd, "mae_rd": m_rd, "pmae_ocl": p_ocl,
                 "pmae_ocl_minus_pmae_rd": p_ocl - p_rd}))
    res.append(ClaimResult.measure(
        id="R4", claim=CLAIMS["R4"], metric="probe acc. random subset - max(top, bottom), r=0.2",
        value=p_02 - max(p_top, p_bot), paper="random subsets best (value > 0)",
        details={"random": p_02, "top": p_top, "bottom": p_bot}))
    return res
