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

from mpiis.shared.bench import PRESETS, ClaimResult, Context, Suite
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


def _preset(name: str, cuda: bool) -> _Preset:
    if name == "smoke":
        return _Preset(256, dataclasses.replace(ViTConfig.cpu(), depth=1), 2, 1, MLPConfig.cpu(),
                       1, 1, False, throughput_steps=1)
    if name == "quick":
        return _Preset(3000, ViTConfig.cpu(), 15, 1, MLPConfig.cpu(), 40, 2, False)
    if cuda:  # the brief's GPU budget for `full`
        return _Preset(3000, ViTConfig.cpu(), 200, 3, MLPConfig.cpu(), 40, 3, True,
                       mnist_epochs=200, mnist_size=28)
    return _Preset(3000, ViTConfig.cpu(), 30, 3, MLPConfig.cpu(), 40, 3, True)


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
         keep: dict[str, Any] | None = None, tag: str = "") -> float:
    """Train one arm (``kind`` in pmae / mae / random) and return its probe accuracy."""
    device = basis.device
    model = _build("mae" if kind == "random" else kind, basis, arch, seed, patch=patch, cfg=cfg,
                   ratio=ratio, mode=mode).to(device)
    if kind != "random":
        g = torch.Generator(device=device).manual_seed(int(seed) + 1000)
        hist = pretrain(model, tr.images, PretrainConfig(epochs=epochs), generator=g,
                        progress=False)
        if keep is not None:
            keep[f"{tag}history"] = hist
            keep[f"{tag}model"] = model
    return _probe(model, tr, te)


def _synthetic(n: int) -> tuple[ImageSet, ImageSet]:
    return make_failure_mode_images(n, seed=0).split(0.3, seed=0)


def _raw_probe(tr: ImageSet, te: ImageSet) -> float:
    return linear_probe(tr.images.reshape(len(tr), -1), tr.labels,
                        te.images.reshape(len(te), -1), te.labels).accuracy


# ----------------------------------------------------------------------------------- P1 / P2
def _pca_agreement(basis: PCABasis, x: np.ndarray) -> tuple[float, float, str]:
    """min |cos| of the top-10 components and max |EVR diff| against sklearn (numpy SVD when
    scikit-learn is absent) on the same standardised matrix."""
    z = (x.reshape(len(x), -1) - basis.mean.cpu().numpy()) / basis.std.cpu().numpy()
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


def _fit_time_ratio(x: np.ndarray, repeats: int) -> tuple[float, float, float, str]:
    basis = PCABasis.fit(x)
    z = ((x.reshape(len(x), -1) - basis.mean.numpy()) / basis.std.numpy()).astype(np.float64)
    try:
        from sklearn.decomposition import PCA

        def ref() -> None:
            PCA(svd_solver="full").fit(z)

        name = "sklearn PCA(svd_solver='full')"
    except ImportError:  # pragma: no cover

        def ref() -> None:
            np.linalg.svd(z - z.mean(0), full_matrices=False)

        name = "numpy SVD"
    ours, theirs = math.inf, math.inf
    for _ in range(repeats):  # interleaved, best of `repeats`
        t0 = time.perf_counter()
        PCABasis.fit(x)
        ours = min(ours, time.perf_counter() - t0)
        t0 = time.perf_counter()
        ref()
        theirs = min(theirs, time.perf_counter() - t0)
    return ours / theirs, ours, theirs, name


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
suite = Suite("pmae", description=__doc__ or "")


def _setup(ctx: Context) -> dict[str, Any]:
    """The device, the preset and the synthetic set with its basis (shared by every claim)."""
    device = default_device()
    P = _preset(ctx.preset, device.type == "cuda")
    tr, te = _synthetic(P.n_synth)
    basis = PCABasis.fit(torch.from_numpy(tr.images).to(device))
    return {"device": device, "P": P, "tr": tr, "te": te, "basis": basis, "keep": {},
            "results": {}}


def _synthetic_phase(ctx: Context) -> dict[str, ClaimResult]:
    st = ctx.shared("setup", lambda: _setup(ctx))
    P, tr, te, basis, keep, seed = st["P"], st["tr"], st["te"], st["basis"], st["keep"], ctx.seed
    t_all = time.perf_counter()
    raw = _raw_probe(tr, te)
    out = {"S0": ClaimResult.measure(
        id="S0", claim=CLAIMS["S0"], metric="raw-pixel linear-probe accuracy (4 classes)",
        value=raw, threshold=S0_MAX_RAW_ACC, comparator="<=", gate=True,
        seconds=time.perf_counter() - t_all, details={"chance": 0.25, "n_train": len(tr)})}

    acc: dict[str, dict[str, list[float]]] = {"vit": {}, "mlp": {}}
    t0 = time.perf_counter()
    for arch, cfg, epochs, n_seeds in (("vit", P.vit, P.vit_epochs, P.vit_seeds),
                                       ("mlp", P.mlp, P.mlp_epochs, P.mlp_seeds)):
        for kind in ("random", "mae", "pmae"):
            acc[arch][kind] = [
                _arm(kind, basis, tr, te, arch=arch, seed=seed + s, epochs=epochs, patch=4,
                     cfg=cfg, keep=keep if s == 0 else None, tag=f"synth_{arch}_{kind}_")
                for s in range(n_seeds)
            ]
    t_train = time.perf_counter() - t0

    def diff(arch: str, a: str, b: str) -> list[float]:
        return [u - v for u, v in zip(acc[arch][a], acc[arch][b], strict=True)]

    common = {"raw_pixels": raw, **{f"{a}_{k}": v for a in acc for k, v in acc[a].items()},
              "vit_epochs": P.vit_epochs, "mlp_epochs": P.mlp_epochs}
    out["S1"] = ClaimResult.measure(
        id="S1", claim=CLAIMS["S1"], metric="probe acc. PMAE - MAE (vit_tiny_cpu, patch 4)",
        value=diff("vit", "pmae", "mae"), threshold=S1_MIN_GAIN, comparator=">=", gate=True,
        baseline=float(np.mean(acc["vit"]["mae"])), seconds=t_train / 2, details=dict(common))
    out["S2"] = ClaimResult.measure(
        id="S2", claim=CLAIMS["S2"], metric="probe acc. PMAE - random init (MLP encoder)",
        value=diff("mlp", "pmae", "random"), threshold=S2_MIN_GAIN, comparator=">=", gate=True,
        baseline=float(np.mean(acc["mlp"]["random"])), seconds=t_train / 2,
        details=dict(common))
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
                                    st["keep"])}


def _pca_phase(ctx: Context) -> dict[str, ClaimResult]:
    st = ctx.shared("setup", lambda: _setup(ctx))
    tr, basis, device = st["tr"], st["basis"], st["device"]
    t0 = time.perf_counter()
    time_ratio, t_ours, t_ref, ref_name = _fit_time_ratio(
        tr.images, 1 if ctx.preset == "smoke" else 5)
    missing = None
    try:  # digits ship with scikit-learn (a dependency of the `data` extra's mlxtend)
        dtr, _ = load_digits_images().split(0.3, seed=0)
        cos_d, evr_d, _ = _pca_agreement(PCABasis.fit(dtr.images), dtr.images)
    except ImportError as exc:
        cos_d, evr_d, missing = float("nan"), float("nan"), str(exc)
    _, evr_s, _ = _pca_agreement(basis.to("cpu"), tr.images)
    p1_ok = cos_d >= P1_MIN_ABS_COS and max(evr_d, evr_s) <= P1_MAX_EVR_DIFF
    p1_details = {"digits_missing": missing,
                  "fit_seconds": t_ours, "reference_seconds": t_ref, "reference": ref_name,
                  "digits_min_abs_cos_top10": cos_d, "evr_max_abs_diff_digits": evr_d,
                  "evr_max_abs_diff_synthetic": evr_s, "agreement_ok": p1_ok}
    if device.type == "cuda":
        xg = torch.from_numpy(tr.images).to(device)
        PCABasis.fit(xg)
        torch.cuda.synchronize()
        t1 = time.perf_counter()
        PCABasis.fit(xg)
        torch.cuda.synchronize()
        p1_details["gpu_fit_seconds"] = time.perf_counter() - t1
    # A wall-clock ratio whose margin (0.56 against 1.0 when recorded) is under 2x is REPORTED
    # (DESIGN.md, "What may be a GATE"): the run's exit status must not depend on load.
    return {
        "P1": ClaimResult.measure(
            id="P1", claim=CLAIMS["P1"],
            metric="PCABasis.fit time / sklearn full-SVD PCA (synthetic 2,100 x 256, best of 5)",
            value=time_ratio, threshold=P1_MAX_TIME_RATIO, comparator="<=", gate=False,
            seconds=time.perf_counter() - t0, details=p1_details),
        "P1b": ClaimResult.measure(
            id="P1b", claim=CLAIMS["P1b"],
            metric="min |cos| of top-10 components vs sklearn (digits)", value=cos_d,
            threshold=P1_MIN_ABS_COS, comparator=">=", gate=True, details=p1_details),
        "P1c": ClaimResult.measure(
            id="P1c", claim=CLAIMS["P1c"],
            metric="max |EVR - sklearn EVR| (digits, synthetic)", value=max(evr_d, evr_s),
            threshold=P1_MAX_EVR_DIFF, comparator="<=", gate=True, details=p1_details),
    }


def _throughput_phase(ctx: Context) -> dict[str, ClaimResult]:
    st = ctx.shared("setup", lambda: _setup(ctx))
    P, tr, basis, device = st["P"], st["tr"], st["basis"], st["device"]
    t0 = time.perf_counter()
    rounds = 1 if ctx.preset == "smoke" else 3
    ratio_v, r_p, r_m = _throughput(basis, tr, "vit", P.vit, P.throughput_steps, rounds=rounds)
    ratio_m, r_pm, r_mm = _throughput(basis, tr, "mlp", P.mlp, P.throughput_steps, rounds=rounds)
    # REPORTED: its recorded margin (0.45 against 0.33) is under 2x (DESIGN.md).
    return {"P2": ClaimResult.measure(
        id="P2", claim=CLAIMS["P2"],
        metric="pre-training images/s PMAE / MAE (vit_tiny_cpu, batch 128, same run)",
        value=ratio_v, threshold=P2_MIN_THROUGHPUT, comparator=">=", gate=False,
        seconds=time.perf_counter() - t0,
        details={"vit_pmae_img_per_s": r_p, "vit_mae_img_per_s": r_m, "mlp_ratio": ratio_m,
                 "mlp_pmae_img_per_s": r_pm, "mlp_mae_img_per_s": r_mm,
                 "device": str(device)})}


_PHASES = {"synthetic": _synthetic_phase, "real": _real_phase, "sweep": _sweep_phase,
           "pca": _pca_phase, "throughput": _throughput_phase}
# claim id -> (phase, declared GATE, presets it runs at)
_CLAIM_PHASE: dict[str, tuple[str, bool, tuple[str, ...]]] = {
    "S0": ("synthetic", True, PRESETS), "S1": ("synthetic", True, PRESETS),
    "S2": ("synthetic", True, PRESETS), "S3a": ("synthetic", False, PRESETS),
    "S3b": ("synthetic", False, PRESETS),
    "D1": ("real", False, ("full",)), "M1": ("real", False, ("full",)),
    "R1": ("sweep", True, ("full",)), "R2": ("sweep", False, ("full",)),
    "R3": ("sweep", False, ("full",)), "R4": ("sweep", False, ("full",)),
    "P1": ("pca", False, PRESETS), "P1b": ("pca", True, PRESETS), "P1c": ("pca", True, PRESETS),
    "P2": ("throughput", False, PRESETS),
}


def _register(cid: str, phase: str, gate: bool, presets: tuple[str, ...]) -> None:
    def claim(ctx: Context) -> ClaimResult:
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
           keep: dict[str, Any]) -> list[ClaimResult]:
    res: list[ClaimResult] = []
    arch, cfg, epochs = ("vit", P.vit, P.vit_epochs) if basis.device.type == "cuda" else (
        "mlp", P.mlp, P.mlp_epochs)
    t0 = time.perf_counter()

    def arm(kind: str, ratio: float | None, mode: str = "fixed") -> float:
        return _arm(kind, basis, tr, te, arch=arch, seed=seed, epochs=epochs, patch=4, cfg=cfg,
                    ratio=ratio, mode=mode)

    p_acc = {r: arm("pmae", r) for r in PMAE_SWEEP}
    m_acc = {r: arm("mae", r) for r in MAE_SWEEP}
    p_rd, m_rd = arm("pmae", 0.2, "random"), arm("mae", 0.75, "random")
    p_top, p_bot = arm("pmae", 0.2, "top"), arm("pmae", 0.2, "bottom")
    p_02 = p_acc[0.2] if 0.2 in p_acc else arm("pmae", 0.2)
    secs = time.perf_counter() - t0
    keep["sweep"] = {"pmae": p_acc, "mae": m_acc, "pmae_rd": p_rd, "mae_rd": m_rd, "arch": arch}
    sweep_details = {"arch": arch, "epochs": epochs,
                     "pmae": {str(k): v for k, v in p_acc.items()},
                     "mae": {str(k): v for k, v in m_acc.items()}}
    best_r = max(p_acc, key=lambda r: p_acc[r])
    res.append(ClaimResult.measure(
        id="R1", claim=CLAIMS["R1"], metric=f"argmax_r probe acc. over r in {PMAE_SWEEP} ({arch})",
        value=best_r, threshold=R1_MAX_BEST_RATIO, comparator="<=", gate=True, seconds=secs,
        details=sweep_details))
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
