"""Benchmark suite of mpiis.gim (``mpiis-bench gim --preset quick``): the brief's claims table.

Presets: ``smoke`` (d = 5, 8 drugs, 200 steps, 1 seed; seconds), ``quick`` (d = 10, the paper's
splits, seeds {0, 1, 2}, 2000 steps per stage, 40 random contexts per test split x 500 cells for
distances) and ``full`` (seeds 0-4 with all contexts, the noise-feature control and d = 20 on
seeds 0-2 with 40 contexts per split, timings and figures). Every model is fitted on the same
training data with the same budget; the GIMs of all seeds are fitted together, vmapped over
seeds (``GIM.fit_many``).

Negative controls: ``--set control=shuffled-features`` trains GIM on features permuted across
the training contexts (the baselines keep the true ones); every GATE must then fail. The tests
run it (``test_<claim>_negative_control``).
"""

from __future__ import annotations

import time
from typing import Any

import jax
import numpy as np

from mpiis.shared.bench import ClaimResult, Context, Option, Suite, compare_speed

from . import (
    GIM,
    FeatureMLP,
    GIMConfig,
    MeanShiftTest,
    Observational,
    PerContextCausal,
    PerturbationData,
    energy_distance,
    gaussian_w2,
    make_hill_benchmark,
    make_train_step,
    mean_rmse,
    median_bandwidths,
    mmd2,
    shd,
    target_auprc,
    target_auroc,
    target_f1,
)

PRESETS: dict[str, dict[str, Any]] = {
    "smoke": dict(d=5, n_train_drugs=8, n_test_drugs=4, steps=200, seeds=(0,), n_eval=200,
                  n_ctx=8, hidden=(64, 64), noise_seeds=(), d_big=None, timing=False),
    "quick": dict(d=10, n_train_drugs=40, n_test_drugs=20, steps=2000, seeds=(0, 1, 2),
                  n_eval=500, n_ctx=40, hidden=(64, 64), noise_seeds=(), d_big=None,
                  timing=False),
    "full": dict(d=10, n_train_drugs=40, n_test_drugs=20, steps=2000, seeds=(0, 1, 2, 3, 4),
                 n_eval=500, n_ctx=None, hidden=(64, 64), noise_seeds=(0, 1, 2), d_big=20,
                 d_big_seeds=(0, 1, 2), timing=True),
}

# ---- thresholds: the brief's claims table (prototype numbers in the comments); never loosened
G1_GIM_VS_MLP = 1.2  # brief G1: prototype ratio of quick means 0.48
G1_GIM_VS_OBS = 0.2  # brief G1: prototype 0.04
G1_MLP_VS_OBS = 0.2  # brief G1: prototype 0.08
G2_GIM_VS_MLP = 1.2  # brief G2: prototype 0.42 (5 seeds 0.51)
G2_GIM_VS_OBS = 0.6  # brief G2: prototype 0.35 (5 seeds 0.42)
G3_AUROC = 0.80  # brief G3: prototype median 0.906
G3_MARGIN = 0.02  # brief G3: prototype +0.07 over MeanShiftTest-features
G4_VS_PCC = 0.03  # brief G4: prototype +0.08
G4_VS_MST = 0.05  # brief G4: prototype +0.14
T1_RATIO = 1.5  # brief T1: GIM step <= 1.5 x (PerContextCausal + FeatureMLP) step
T3_RATIO = 4.0  # brief T3: steady-state fit <= 4 x FeatureMLP's
R6_CONTEXTS = 40  # R6's energy distance (O(n²) in numpy) on at most 40 contexts per split

suite = Suite(
    "gim",
    description="Generative intervention models: prediction under unseen perturbations and "
                "target inference on the Hill dose-response benchmark.",
    options=[
        Option("control", type=str, default="none",
               help="negative control: 'none' or 'shuffled-features' (GIM trained on features "
                    "permuted across training contexts; every GATE must then fail)"),
    ],
)

DIST_MODELS = ("GIM", "FeatureMLP", "PerContextCausal", "Observational")


def _config(p: dict[str, Any]) -> GIMConfig:
    return GIMConfig(hidden=p["hidden"], steps=p["steps"])


def _shuffled(data: PerturbationData, rng: np.random.Generator) -> PerturbationData:
    perm = rng.permutation(data.n_contexts)
    return PerturbationData.from_arrays(list(data.xs), data.features[perm], control=data.control,
                                        names=data.names, truth=data.truth)


def _off_diag_auroc(true_w: np.ndarray, w: np.ndarray) -> float:
    mask = ~np.eye(len(w), dtype=bool)
    return target_auroc(np.abs(w)[mask][None], (true_w != 0)[mask][None])


def _multi_seed_runs(seeds, p: dict[str, Any], *, d: int, control: str = "none",
                     noise_features: bool = False,
                     full_metrics: bool = False) -> list[dict[str, Any]]:
    """One benchmark draw per seed; the GIMs of all seeds are fitted together, vmapped over
    seeds (``GIM.fit_many``); then every baseline is fitted and everything measured per seed."""
    t0 = time.perf_counter()
    bms = [make_hill_benchmark(key=jax.random.key(s), d=d, n_train_drugs=p["n_train_drugs"],
                               n_test_drugs=p["n_test_drugs"], n_eval=p["n_eval"],
                               noise_features=noise_features) for s in seeds]
    trains = [_shuffled(bm.train, np.random.default_rng([s, 8]))
              if control == "shuffled-features" else bm.train for s, bm in zip(seeds, bms,
                                                                             strict=True)]
    keys = [jax.random.split(jax.random.key(10_000 + s), 3)[0] for s in seeds]
    gims = GIM.fit_many(trains, keys=keys, config=_config(p))
    gim_s = time.perf_counter() - t0
    return [_seed_run(s, p, bm, gim, full_metrics=full_metrics, gim_s=gim_s / len(seeds))
            for s, bm, gim in zip(seeds, bms, gims, strict=True)]


def _seed_run(seed: int, p: dict[str, Any], bm, gim: GIM, *, full_metrics: bool = False,
              gim_s: float = 0.0) -> dict[str, Any]:
    """Fit the baselines on one benchmark draw and measure everything the claims read."""
    t0 = time.perf_counter()
    rng = np.random.default_rng([seed, 7])
    train = bm.train
    cfg = _config(p)
    _, k_mlp, k_sample = jax.random.split(jax.random.key(10_000 + seed), 3)
    mlp = FeatureMLP(hidden=cfg.hidden, steps=cfg.steps).fit(train, key=k_mlp)
    pcc = PerContextCausal(steps=cfg.steps).fit(train)
    mst = MeanShiftTest().fit(train)
    obs = Observational().fit(train)
    models = {"GIM": gim, "FeatureMLP": mlp, "PerContextCausal": pcc, "Observational": obs}
    bw = median_bandwidths(train.control)
    out: dict[str, Any] = {"seed": seed, "mmd": {}, "mmd_by_dose": {}, "other": {}}
    for split_name, split in (("partial_ood", bm.partial_ood), ("full_ood", bm.full_ood)):
        m = split.data.n_contexts
        idx = np.arange(m) if p["n_ctx"] is None or p["n_ctx"] >= m else np.sort(
            rng.choice(m, p["n_ctx"], replace=False))
        feats = split.data.features[idx]
        y = np.stack([split.data.xs[i] for i in idx])
        out["mmd"][split_name], out["mmd_by_dose"][split_name] = {}, {}
        other: dict[str, Any] = {}
        for k, (name, model) in enumerate(models.items()):
            x = model.sample(feats, y.shape[1], key=jax.random.fold_in(k_sample, k))
            vals = mmd2(x, y, bandwidths=bw, backend="jax")
            out["mmd"][split_name][name] = float(vals.mean())
            doses = split.doses[idx]
            out["mmd_by_dose"][split_name][name] = {
                float(c): float(vals[doses == c].mean()) for c in np.unique(doses)}
            if full_metrics:  # R6 on the first (at most) 40 of these contexts
                sub = slice(0, R6_CONTEXTS)
                pred = model.predict_distribution(feats[sub])
                ycov = np.stack([np.cov(v.T) for v in y[sub]])
                other[name] = {
                    "energy": float(energy_distance(x[sub], y[sub]).mean()),
                    "w2": float(gaussian_w2(pred.mean, pred.cov, y[sub].mean(1), ycov).mean()),
                    "rmse": float(mean_rmse(x[sub], y[sub]).mean()),
                }
        out["other"][split_name] = other
    fo = bm.full_ood
    truth_fo = fo.data.truth.targets
    out["full_auroc"] = {
        "GIM": target_auroc(gim.target_scores(fo.data.features), truth_fo),
        "MeanShiftTest-features": target_auroc(mst.target_scores(fo.data.features), truth_fo),
        "PerContextCausal-features": target_auroc(pcc.target_scores(fo.data.features), truth_fo),
        "MeanShiftTest-evidence": target_auroc(
            mst.target_scores(fo.data.features, evidence=fo.evidence), truth_fo),
    }
    tt = train.truth.targets
    train_scores = {"GIM": gim.target_scores(train.features),
                    "PerContextCausal": pcc.train_target_scores_,
                    "MeanShiftTest": mst.train_target_scores_}
    low = bm.train_doses == min(bm.train_doses)
    out["low_dose_auroc"] = {k: target_auroc(s[low], tt[low]) for k, s in train_scores.items()}
    out["train_auroc"] = {k: target_auroc(s, tt) for k, s in train_scores.items()}
    out["train_auprc"] = {k: target_auprc(s, tt) for k, s in train_scores.items()}
    hi = bm.train_doses >= 1.0
    out["gim_f1"] = target_f1(train_scores["GIM"][hi], tt[hi])
    w = np.asarray(gim.causal_params_.graph_weights)
    out["shd"] = shd(bm.truth.weights, w, threshold=cfg.edge_threshold)
    out["n_edges"] = int((bm.truth.weights != 0).sum())
    out["edge_auroc"] = _off_diag_auroc(bm.truth.weights, w)
    h = gim.history_
    n = h["batch"]
    out["timing"] = {  # GIM: the batched fit of all seeds; per seed = batch / n
        "gim_batch": n,
        "gim_fit_s": h["fit_s"],
        "gim_first_chunks_s": h["stage2"]["first_chunk_s"] + h["stage3"]["first_chunk_s"],
        "gim_steady_per_seed_s": (h["stage2"]["init_s"] + h["stage2"]["rest_s"]
                                  + h["stage3"]["rest_s"]) / n,
        "mlp_first_chunk_s": mlp.history_["first_chunk_s"],
        "mlp_steady_s": mlp.history_["rest_s"],
    }
    out["seconds"] = time.perf_counter() - t0 + gim_s
    if full_metrics and seed == p["seeds"][0]:
        out["figure_data"] = {"bm": bm, "gim": gim, "models": models}
    return out


def _runs(ctx: Context) -> list[dict[str, Any]]:
    p = PRESETS[ctx.preset]
    control = ctx.options["control"]
    if control not in ("none", "shuffled-features"):
        raise ValueError(f"option `control` must be 'none' or 'shuffled-features', got {control!r}")

    def compute():
        return _multi_seed_runs([ctx.seed + s for s in p["seeds"]], p, d=p["d"],
                                control=control, full_metrics=ctx.preset == "full")

    return ctx.shared("runs", compute)


def _per_seed(runs, *path) -> list[float]:
    vals = []
    for r in runs:
        v = r
        for key in path:
            v = v[key]
        vals.append(float(v))
    return vals


def _ratio(runs, split: str, num: str, den: str) -> tuple[float, dict[str, Any]]:
    a = _per_seed(runs, "mmd", split, num)
    b = _per_seed(runs, "mmd", split, den)
    return float(np.mean(a) / np.mean(b)), {f"{num}_per_seed": a, f"{den}_per_seed": b}


def _ratio_claims(ctx, cid, sentence, split, specs) -> list[ClaimResult]:
    runs = _runs(ctx)
    out = []
    for sub, num, den, thr, proto in specs:
        value, det = _ratio(runs, split, num, den)
        det["seeds"] = [r["seed"] for r in runs]
        out.append(ClaimResult.measure(
            id=f"{cid}.{sub}", claim=sentence,
            metric=f"mean over seeds of the mean MMD² over {split} contexts: {num} / {den}",
            value=value, threshold=thr, comparator="<=", gate=True,
            baseline=float(np.mean(det[f"{den}_per_seed"])),
            paper=f"on par (paper); prototype ratio {proto}", details=det))
    return out


@suite.claim("G1", "GIM predicts the distribution under unseen doses of known drugs on par with "
             "an unstructured feature-conditioned model (partially OOD).", gate=True)
def _g1(ctx: Context):
    return _ratio_claims(ctx, "G1", suite.claims["G1"], "partial_ood", [
        ("gim_vs_mlp", "GIM", "FeatureMLP", G1_GIM_VS_MLP, "0.48"),
        ("gim_vs_obs", "GIM", "Observational", G1_GIM_VS_OBS, "0.04"),
        ("mlp_vs_obs", "FeatureMLP", "Observational", G1_MLP_VS_OBS, "0.08"),
    ])


@suite.claim("G2", "GIM predicts the distribution under new drugs on par with an unstructured "
             "feature-conditioned model (fully OOD).", gate=True)
def _g2(ctx: Context):
    return _ratio_claims(ctx, "G2", suite.claims["G2"], "full_ood", [
        ("gim_vs_mlp", "GIM", "FeatureMLP", G2_GIM_VS_MLP, "0.42 (5 seeds 0.51)"),
        ("gim_vs_obs", "GIM", "Observational", G2_GIM_VS_OBS, "0.35 (5 seeds 0.42)"),
    ])


@suite.claim("G3", "GIM names the targets of unseen drugs from their features alone, better "
             "than a feature-regressed mean-shift test.", gate=True)
def _g3(ctx: Context):
    runs = _runs(ctx)
    g = _per_seed(runs, "full_auroc", "GIM")
    m = _per_seed(runs, "full_auroc", "MeanShiftTest-features")
    det = {"GIM_per_seed": g, "MeanShiftTest-features_per_seed": m}
    return [
        ClaimResult.measure(
            id="G3.auroc", claim=suite.claims["G3"],
            metric="median over seeds of the fully-OOD target AUROC of GIM", value=float(
                np.median(g)), threshold=G3_AUROC, comparator=">=", gate=True,
            paper="prototype median 0.906", details=det),
        ClaimResult.measure(
            id="G3.margin", claim=suite.claims["G3"],
            metric="median(GIM) - median(MeanShiftTest-features), fully-OOD target AUROC",
            value=float(np.median(g) - np.median(m)), threshold=G3_MARGIN, comparator=">=",
            gate=True, baseline=float(np.median(m)), paper="prototype +0.07", details=det),
    ]


@suite.claim("G4", "Pooling across contexts beats per-context causal inference at low dose "
             "(target AUROC on the training contexts at c = 0.5).", gate=True)
def _g4(ctx: Context):
    runs = _runs(ctx)
    g = _per_seed(runs, "low_dose_auroc", "GIM")
    out = []
    for sub, other, thr, proto in (("vs_percontext", "PerContextCausal", G4_VS_PCC, "+0.08"),
                                   ("vs_meanshift", "MeanShiftTest", G4_VS_MST, "+0.14")):
        o = _per_seed(runs, "low_dose_auroc", other)
        out.append(ClaimResult.measure(
            id=f"G4.{sub}", claim=suite.claims["G4"],
            metric=f"median(GIM) - median({other}), training-context target AUROC at c = 0.5",
            value=float(np.median(g) - np.median(o)), threshold=thr, comparator=">=", gate=True,
            baseline=float(np.median(o)), paper=f"prototype {proto}",
            details={"GIM_per_seed": g, f"{other}_per_seed": o}))
    return out


@suite.claim("R1", "FeatureMLP is far better than Observational on new drugs (the paper states "
             "only parity between GIM and the unstructured model).", gate=False)
def _r1(ctx: Context):
    runs = _runs(ctx)
    value, det = _ratio(runs, "full_ood", "FeatureMLP", "Observational")
    per = [a / b for a, b in zip(det["FeatureMLP_per_seed"], det["Observational_per_seed"],
                                 strict=True)]
    det["ratio_per_seed"] = per
    return ClaimResult.measure(
        id="R1", claim=suite.claims["R1"], metric="fully-OOD mean MMD²: FeatureMLP / Observational",
        value=value, paper="prototype 0.87/0.57/1.04 (0.64/0.89): not far better with 40 drugs",
        details=det)


@suite.claim("R2", "Feature-ablation control: with noise features GIM cannot name the targets "
             "of new drugs, while training-context recovery is unchanged.", gate=False,
             presets=("full",))
def _r2(ctx: Context):
    p = PRESETS[ctx.preset]
    runs = ctx.shared("noise_runs", lambda: _multi_seed_runs(  # distances on 40 contexts
        [ctx.seed + s for s in p["noise_seeds"]], dict(p, n_ctx=40), d=p["d"],
        noise_features=True))
    full = _per_seed(runs, "full_auroc", "GIM")
    return [
        ClaimResult.measure(
            id="R2.full_auroc", claim=suite.claims["R2"],
            metric="fully-OOD target AUROC of GIM with noise features", value=full,
            paper="prototype 0.574/0.495/0.524 (informative 0.906/0.705/0.965)"),
        ClaimResult.measure(
            id="R2.train_auroc", claim=suite.claims["R2"],
            metric="training-context target AUROC of GIM with noise features",
            value=_per_seed(runs, "train_auroc", "GIM"),
            paper="prototype 0.993/0.776/0.987 (informative 0.984/0.783/0.992)"),
        ClaimResult.measure(
            id="R2.full_mmd", claim=suite.claims["R2"],
            metric="fully-OOD mean MMD² of GIM with noise features (Observational as baseline)",
            value=_per_seed(runs, "mmd", "full_ood", "GIM"),
            baseline=float(np.mean(_per_seed(runs, "mmd", "full_ood", "Observational"))),
            paper="prototype 0.37/0.36/0.40, worse than Observational 0.31/0.23/0.21"),
    ]


@suite.claim("R3", "Graph recovery of the learned causal model.", gate=False, presets=("full",))
def _r3(ctx: Context):
    runs = _runs(ctx)
    return [
        ClaimResult.measure(id="R3.shd", claim=suite.claims["R3"],
                            metric="SHD at |B̂| > 0.3", value=_per_seed(runs, "shd"),
                            paper="prototype 0/15/3/12/1 (of 9/12/11/11/6 edges)",
                            details={"n_edges": _per_seed(runs, "n_edges")}),
        ClaimResult.measure(id="R3.edge_auroc", claim=suite.claims["R3"],
                            metric="edge AUROC of |B̂|", value=_per_seed(runs, "edge_auroc"),
                            paper="prototype 1.00/0.75/0.99/0.91/0.96"),
    ]


@suite.claim("R4", "On new drugs, the other causal baselines against GIM (fully-OOD target "
             "AUROC).", gate=False)
def _r4(ctx: Context):
    runs = _runs(ctx)
    out = []
    for name, proto in (("GIM", "0.906/0.705/0.965 (0.839/0.942)"),
                        ("PerContextCausal-features", "0.937/0.808/0.936/0.892/0.920"),
                        ("MeanShiftTest-evidence", "0.876/0.791/0.901/0.718/0.937")):
        out.append(ClaimResult.measure(
            id=f"R4.{name}", claim=suite.claims["R4"], metric=f"fully-OOD target AUROC, {name}",
            value=_per_seed(runs, "full_auroc", name),
            paper=f"paper: GIM often better; prototype {proto}"))
    return out


@suite.claim("R5", "Training-context targets over all doses: GIM against PerContextCausal and "
             "MeanShiftTest; GIM's F1 at 0.5 for c >= 1.", gate=False)
def _r5(ctx: Context):
    runs = _runs(ctx)
    out = []
    for name in ("GIM", "PerContextCausal", "MeanShiftTest"):
        out.append(ClaimResult.measure(
            id=f"R5.auroc.{name}", claim=suite.claims["R5"],
            metric=f"training-context target AUROC (all doses), {name}",
            value=_per_seed(runs, "train_auroc", name),
            details={"auprc_per_seed": _per_seed(runs, "train_auprc", name)},
            paper="prototype GIM 0.984/0.783/0.992, PerContextCausal 0.976/0.791/0.967, "
                  "MeanShiftTest 0.906/0.826/0.905"))
    out.append(ClaimResult.measure(
        id="R5.f1", claim=suite.claims["R5"], metric="GIM target F1 at π > 0.5, contexts c >= 1",
        value=_per_seed(runs, "gim_f1"), paper="expected >= 0.7 [decision]"))
    return out


@suite.claim("R6", "Other distances (energy, Gaussian W2, mean RMSE) give the same ordering as "
             "MMD².", gate=False, presets=("full",))
def _r6(ctx: Context):
    runs = _runs(ctx)
    out = []
    for split in ("partial_ood", "full_ood"):
        for metric in ("energy", "w2", "rmse"):
            vals = {m: float(np.mean([r["other"][split][m][metric] for r in runs]))
                    for m in DIST_MODELS}
            mmds = {m: float(np.mean(_per_seed(runs, "mmd", split, m))) for m in DIST_MODELS}
            same = sorted(vals, key=vals.get) == sorted(mmds, key=mmds.get)
            out.append(ClaimResult.measure(
                id=f"R6.{split}.{metric}", claim=suite.claims["R6"],
                metric=f"{metric} on {split}, GIM (others in details)", value=vals["GIM"],
                baseline=vals["FeatureMLP"], paper="same ordering as MMD²",
                details={"per_model": vals, "mmd_per_model": mmds,
                         "same_ordering_as_mmd": bool(same)}))
    return out


@suite.claim("R7", "At d = 20 the G1-G4 metrics keep their ordering.", gate=False,
             presets=("full",))
def _r7(ctx: Context):
    p = PRESETS[ctx.preset]
    runs = ctx.shared("d20_runs", lambda: _multi_seed_runs(  # distances on 40 contexts
        [ctx.seed + s for s in p["d_big_seeds"]], dict(p, n_ctx=40), d=p["d_big"]))
    metrics = {
        "G1.gim_vs_mlp": _ratio(runs, "partial_ood", "GIM", "FeatureMLP")[0],
        "G1.gim_vs_obs": _ratio(runs, "partial_ood", "GIM", "Observational")[0],
        "G2.gim_vs_mlp": _ratio(runs, "full_ood", "GIM", "FeatureMLP")[0],
        "G2.gim_vs_obs": _ratio(runs, "full_ood", "GIM", "Observational")[0],
        "G3.auroc": float(np.median(_per_seed(runs, "full_auroc", "GIM"))),
        "G3.margin": float(np.median(_per_seed(runs, "full_auroc", "GIM"))
                           - np.median(_per_seed(runs, "full_auroc", "MeanShiftTest-features"))),
        "G4.vs_percontext": float(np.median(_per_seed(runs, "low_dose_auroc", "GIM"))
                                  - np.median(_per_seed(runs, "low_dose_auroc",
                                                        "PerContextCausal"))),
        "G4.vs_meanshift": float(np.median(_per_seed(runs, "low_dose_auroc", "GIM"))
                                 - np.median(_per_seed(runs, "low_dose_auroc", "MeanShiftTest"))),
    }
    return [ClaimResult.measure(id=f"R7.{k}", claim=suite.claims["R7"],
                                metric=f"{k} metric at d = 20", value=v,
                                paper="expected the same ordering as at d = 10")
            for k, v in metrics.items()]


@suite.claim("T1", "Per-step time: a GIM step costs no more than 1.5x (PerContextCausal + "
             "FeatureMLP) steps.", gate=False, presets=("full",))
def _t1(ctx: Context):
    out = []
    cfg = GIMConfig()
    for d, drugs in ((10, 40), (20, 40), (50, 40), (10, 160)):
        bm = make_hill_benchmark(key=jax.random.key(ctx.seed), d=d, n_train_drugs=drugs,
                                 n_test_drugs=2, n_eval=2, n_evidence=2)
        steps = {k: make_train_step(k, bm.train, config=cfg, key=jax.random.key(0))
                 for k in ("gim", "percontext", "featuremlp")}
        sp = compare_speed(steps, repeats=7, warmup=1)
        ratio = sp.median("gim") / (sp.median("percontext") + sp.median("featuremlp"))
        k = bm.train.n_contexts + 1
        out.append(ClaimResult.measure(
            id=f"T1.d{d}.K{k}", claim=suite.claims["T1"],
            metric=f"GIM step / (PerContextCausal + FeatureMLP step), d = {d}, K = {k}",
            value=ratio, threshold=T1_RATIO, comparator="<=", gate=False,
            paper="target <= 1.5 (REPORTED: the margin is not 2x)",
            details={**sp.details(), "gim_step_s": sp.median("gim")}))
    return out


@suite.claim("T2", "Compile time: the first chunk of each stage (including compilation).",
             gate=False, presets=("quick", "full"))
def _t2(ctx: Context):
    runs = _runs(ctx)
    per = _per_seed(runs, "timing", "gim_first_chunks_s")
    return ClaimResult.measure(
        id="T2", claim=suite.claims["T2"],
        metric="seconds of the first chunks of stages 2 and 3 of the GIM fit, vmapped over all "
               "seeds (includes compilation)",
        value=per[0], paper="a few seconds per stage",
        details={"per_seed": per,
                 "featuremlp_first_chunk_s": _per_seed(runs, "timing", "mlp_first_chunk_s")})


@suite.claim("T3", "Steady-state fit: GIM's fit excluding first chunks takes at most 4x "
             "FeatureMLP's.", gate=False, presets=("quick", "full"))
def _t3(ctx: Context):
    runs = _runs(ctx)
    g = _per_seed(runs, "timing", "gim_steady_per_seed_s")
    m = _per_seed(runs, "timing", "mlp_steady_s")
    return ClaimResult.measure(
        id="T3", claim=suite.claims["T3"],
        metric="GIM steady-state fit per seed (init + stages 2-3 after their first chunk, "
               "vmapped over seeds, divided by the seeds) / FeatureMLP's (one fit)",
        value=float(np.median(g) / np.median(m)), threshold=T3_RATIO, comparator="<=",
        gate=False, paper="target <= 4 (REPORTED: sequential timings, not interleaved)",
        details={"gim_s_per_seed": g, "mlp_s_per_seed": m})


@suite.claim("T4", "Three-stage fit including compilation.", gate=False,
             presets=("quick", "full"))
def _t4(ctx: Context):
    runs = _runs(ctx)
    per = _per_seed(runs, "timing", "gim_fit_s")
    return ClaimResult.measure(
        id="T4", claim=suite.claims["T4"],
        metric="seconds of GIM.fit_many over all seeds (three stages with compilation)",
        value=per[0], paper="prototype about 20 s under contention", details={"per_seed": per})


@suite.claim("F1", "Figures: targets heatmap, graph, dose response, MMD² by dose.", gate=False,
             presets=("full",))
def _figures(ctx: Context):
    from ._plot import plot_dose_response, plot_graph, plot_mmd_by_dose, plot_targets_heatmap

    runs = _runs(ctx)
    fd = runs[0].get("figure_data")
    if fd is None:
        ctx.skip("no figure data (figures are drawn at the full preset)")
    bm, gim = fd["bm"], fd["gim"]
    made = [
        ctx.figure("targets_heatmap.png", lambda path: plot_targets_heatmap(gim, bm, path=path)),
        ctx.figure("graph.png", lambda path: plot_graph(gim, bm, path=path)),
        ctx.figure("dose_response.png", lambda path: plot_dose_response(gim, bm, path=path)),
        ctx.figure("mmd_by_dose.png", lambda path: plot_mmd_by_dose(runs, path=path)),
    ]
    return ClaimResult.measure(id="F1", claim=suite.claims["F1"], metric="figures written",
                               value=float(sum(m is not None for m in made)),
                               details={"notes": list(ctx.notes)})
