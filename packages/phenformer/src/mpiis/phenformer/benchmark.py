"""The Phenformer benchmark (brief, "Benchmark"): ``mpiis-bench phenformer --preset quick``.

Quick gates use the oracle backbone so that they test the Phenformer stage (the paper's backbone
being a well-trained Enformer); the learned encoder is gated on fidelity (G1) and reported end
to end (R6, full). Claim helpers (``g1_result`` ... ``g4_result``, ``run_seed``) are public to the
tests, whose negative controls feed broken variants through the same code.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch

from mpiis.shared.bench import ClaimResult, Context, Option, Suite
from mpiis.shared.metrics import auprc, auroc

from ._baselines import ldsc_seg_like, token_logistic, twas_like
from ._config import EncoderConfig, PhenformerConfig, SimConfig, TrainConfig
from ._encoders import (
    OracleEncoder,
    ToyExpressionCNN,
    encoder_throughput,
    haplotype_fidelity,
    pretrain_encoder,
    variant_fidelity,
)
from ._ensemble import EnrichedRiskPredictor
from ._interpret import context_scores, find_subtypes
from ._metrics import adjusted_rand_index, bootstrap_ci, context_rank, mrr, transfer_ratio
from ._model import Phenformer
from ._prs import ct_prs, genotype_pcs, ridge_prs
from ._sim import Cohort, simulate_cohort
from ._tokens import GeneTokens, TokenCache, precompute_tokens
from ._train import fit, predict_logits

TORCH_THREADS = 1  # intra-op threads pinned while the suite runs (budgets are one thread)

# Thresholds (brief, claims table): G1 r >= 0.80, G2/G3 rank 1, G4 AUROC >= 0.72.
G1_MIN_R = 0.80
G4_MIN_AUROC = 0.72
R0_MIN_GAIN_B = 0.02
R2_MIN_MRR_GAIN = 0.3
R4_MIN_GAIN_A = 0.01
CACHE_MAX_RATIO = 1 / 20
MIN_BPS = 3e5

PRESETS: dict[str, dict[str, Any]] = {
    "smoke": {"sim": SimConfig.tiny(), "enc": EncoderConfig.tiny(), "d": 16, "epochs": 2,
              "seeds": (0,), "boot": 50, "aux": False, "learned_e2e": False},
    "quick": {"sim": SimConfig.quick(), "enc": EncoderConfig.quick(), "d": 32, "epochs": 12,
              "seeds": (0,), "boot": 1000, "aux": False, "learned_e2e": False},
    # full: 3 seeds at the quick cohort size (the brief's 6,000 + 1,500 cohort and d = 64 are
    # set with --set full_size=true); one seed of each auxiliary run. R6 and R7 reuse / match
    # seed 0's cohort; the expression-mode (R3) and two-mechanism (R8) runs use a smaller
    # cohort (A 2,400 / B 600) to keep the full run within the monorepo's 12-minute budget
    # (the brief: "the auxiliary runs are the first thing to shorten").
    "full": {"sim": SimConfig.quick(), "enc": EncoderConfig.quick(), "d": 32, "epochs": 12,
             "seeds": (0, 1, 2), "boot": 1000, "aux": True, "learned_e2e": True,
             "aux_sim": SimConfig.quick().replace(n_a=2400, n_b=600)},
}

suite = Suite(
    "phenformer",
    description="Phenformer: sequence → expression tokens → Transformer + PMA → disease risk.",
    options=[
        Option("device", type=str, default=None, help="torch device (default: cuda if present)"),
        Option("full_size", type=bool, default=False,
               help="full preset on the brief's default cohort (6,000 + 1,500, d = 64)"),
    ],
    torch_threads=TORCH_THREADS,
)


def _device(ctx: Context | None) -> torch.device:
    want = None if ctx is None else ctx.options.get("device")
    if want:
        return torch.device(want)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _preset(ctx: Context) -> dict[str, Any]:
    p = dict(PRESETS[ctx.preset])
    if ctx.preset == "full" and ctx.options.get("full_size"):
        p.update(sim=SimConfig.default(), enc=EncoderConfig.default(), d=64,
                 aux_sim=SimConfig.quick())
    return p


@dataclass
class SeedRun:
    """Everything one seed of the pipeline produced."""

    cohort: Cohort
    tokens: GeneTokens
    model: Phenformer
    fit_seconds: float
    auroc_a: float
    auroc_b: float
    auprc_a: float
    ci_a: tuple[float, float]
    ci_b: tuple[float, float]
    logits: np.ndarray
    ctx_rank: int
    tissue_rank: int
    context_share: float
    scores: Any
    prs: dict[str, float]
    ldsc_rank: int
    twas_rank: int
    flat_auroc_a: float
    flagged: bool
    curves: dict[str, np.ndarray] = field(default_factory=dict)  # scores for the ROC figure


def run_seed(
    sim: SimConfig, seed: int, *, d_model: int, epochs: int, n_boot: int = 200,
    encoder=None, shuffle_labels: bool = False, device: torch.device | None = None,
    cohort: Cohort | None = None, with_prs: bool = True, token_noise: float = 0.0,
) -> SeedRun:
    """Simulate, tokenise (oracle backbone unless ``encoder``), train Phenformer, attribute, and
    run the baselines. ``shuffle_labels`` permutes training and validation labels (the negative
    control of G2-G4). ``token_noise`` > 0 is the noisy-backbone ablation: Gaussian noise at that
    fraction of Δ's variance, once per unique haplotype (:meth:`GeneTokens.with_noise`)."""
    rng = np.random.default_rng([seed, 11])
    if cohort is None:
        cohort = simulate_cohort(sim, rng=np.random.default_rng([seed, 1]))
    enc = OracleEncoder(cohort) if encoder is None else encoder
    tokens = precompute_tokens(cohort, enc)
    if token_noise > 0:
        tokens = tokens.with_noise(token_noise, rng=np.random.default_rng([seed, 13]))
    tr, va, te = cohort.indices("train"), cohort.indices("val"), cohort.indices("test")
    tb = cohort.indices("test", 1)
    y = cohort.y.copy()
    if shuffle_labels:
        trva = np.r_[tr, va]
        y[trva] = y[rng.permutation(trva)]
    x = tokens.features()
    dev = device or torch.device("cpu")
    g = torch.Generator().manual_seed(seed)
    model = Phenformer(PhenformerConfig(n_genes=cohort.n_genes,
                                        n_contexts=cohort.motifs.n_contexts, d_model=d_model),
                       generator=g).to(dev)
    res = fit(model, x[tr], y[tr], val=(x[va], y[va]),
              config=TrainConfig(epochs=epochs), generator=g)
    logits = predict_logits(model, x)[:, 0]
    yt = cohort.y
    ci_a = bootstrap_ci(yt[te], logits[te], n_boot=n_boot, rng=rng)
    ci_b = bootstrap_ci(yt[tb], logits[tb], n_boot=n_boot, rng=rng)
    cases = te[yt[te] == 1]
    t_of_c = cohort.motifs.tissue_of_context
    sc = context_scores(model, x, cases=cases, tissue_of_context=t_of_c)
    truth = cohort.truth
    # baselines on the same split
    flat = token_logistic(x[tr], y[tr], x[va], y[va])
    curves: dict[str, np.ndarray] = {"phenformer": logits}
    prs = (_prs_block(cohort, logits, y, rng=rng, n_boot=n_boot, curves=curves)
           if with_prs else {})
    dos = cohort.dosages()
    mu, sd = dos[tr].mean(0), dos[tr].std(0)
    sd = np.where(sd > 1e-12, sd, 1.0)
    from ._prs import gwas_marginal

    xs = (dos[tr] - mu) / sd
    _, z, _ = gwas_marginal(xs, y[tr], xs @ genotype_pcs(xs, 4))
    snp_gene = np.repeat(np.arange(cohort.n_genes), cohort.snv_pos.shape[1])
    ldsc = ldsc_seg_like(z, snp_gene, tokens.reference)
    diploid = tokens.delta.sum(2) + 2 * tokens.reference[None]
    twas = twas_like(diploid[tr], y[tr])
    return SeedRun(
        cohort=cohort, tokens=tokens, model=model, fit_seconds=res.seconds,
        auroc_a=auroc(yt[te], logits[te]), auroc_b=auroc(yt[tb], logits[tb]),
        auprc_a=auprc(yt[te], logits[te]), ci_a=ci_a, ci_b=ci_b, logits=logits,
        ctx_rank=context_rank(sc.context, truth.causal_context),
        tissue_rank=context_rank(sc.tissue, truth.causal_tissue),
        context_share=float(sc.context[truth.causal_context]), scores=sc, prs=prs,
        ldsc_rank=context_rank(ldsc, truth.causal_context),
        twas_rank=context_rank(twas, truth.causal_context),
        flat_auroc_a=auroc(yt[te], flat(x[te])), flagged=res.flagged, curves=curves,
    )


def _prs_block(cohort: Cohort, logits: np.ndarray, y: np.ndarray, *, rng, n_boot: int,
               curves: dict[str, np.ndarray] | None = None) -> dict[str, float]:
    """C+T and ridge PRS, best PRS by validation AUROC, and the enriched predictor (their
    scores go into ``curves`` for the ROC figure)."""
    tr, va, te = cohort.indices("train"), cohort.indices("val"), cohort.indices("test")
    tb = cohort.indices("test", 1)
    dos = cohort.dosages()
    groups = np.repeat(np.arange(cohort.n_genes), cohort.snv_pos.shape[1])
    ct = ct_prs(dos[tr], y[tr], dos[va], y[va], groups=groups)
    ridge = ridge_prs(dos[tr], y[tr], dos[va], y[va])
    best = ct if ct.val_auroc >= ridge.val_auroc else ridge
    s = best.score(dos)
    mu, sd = dos[tr].mean(0), dos[tr].std(0)
    sd = np.where(sd > 1e-12, sd, 1.0)
    load = genotype_pcs((dos[tr] - mu) / sd, 4)
    pcs = ((dos - mu) / sd) @ load
    X = EnrichedRiskPredictor.stack(s, logits, pcs)
    ens = EnrichedRiskPredictor().fit(X[va], y[va])
    e = ens.decision_function(X)
    if curves is not None:
        curves.update(best_prs=s, enriched=e)
    yt = cohort.y
    return {
        "ct_auroc_a": auroc(yt[te], ct.score(dos[te])),
        "ct_auroc_b": auroc(yt[tb], ct.score(dos[tb])),
        "ridge_auroc_a": auroc(yt[te], ridge.score(dos[te])),
        "ridge_auroc_b": auroc(yt[tb], ridge.score(dos[tb])),
        "best": best.kind, "best_auroc_a": auroc(yt[te], s[te]),
        "best_auroc_b": auroc(yt[tb], s[tb]),
        "best_auprc_a": auprc(yt[te], s[te]),
        "enriched_auroc_a": auroc(yt[te], e[te]), "enriched_auroc_b": auroc(yt[tb], e[tb]),
        "enriched_auprc_a": auprc(yt[te], e[te]), "enriched_auprc_b": auprc(yt[tb], e[tb]),
        "enriched_ci_b": bootstrap_ci(yt[tb], e[tb], n_boot=n_boot, rng=rng),
    }


# ------------------------------------------------------------------ claim evaluators (tested)


def g1_result(encoder, cohort: Cohort | list[Cohort], *, return_deltas: bool = False):
    """G1: Pearson r of encoder vs oracle single-variant Δ over all SNVs × contexts (with
    ``return_deltas`` also the first encoder's and the oracle's Δ, for the scatter figure).
    ``encoder`` and ``cohort`` may be lists (one pretrained encoder per seed and its cohort):
    the per-seed values are kept and their mean is compared."""
    encs = encoder if isinstance(encoder, list | tuple) else [encoder]
    cohorts = cohort if isinstance(cohort, list | tuple) else [cohort]
    rs, enc_d, ora_d = [], None, None
    for e, c in zip(encs, cohorts, strict=True):
        r, ed, od = variant_fidelity(e, c)
        rs.append(r)
        if enc_d is None:
            enc_d, ora_d = ed, od
    r = rs[0] if len(rs) == 1 else rs
    res = ClaimResult.measure(
        id="G1", claim="The frozen sequence encoder reproduces the oracle's variant effects.",
        metric="Pearson r, encoder vs oracle single-variant Δ (all SNVs × contexts)",
        value=r, threshold=G1_MIN_R, comparator=">=", gate=True,
        details={"held_out_window_r": [getattr(e, "fidelity", None) for e in encs]},
    )
    return (res, enc_d, ora_d) if return_deltas else res


def g2_result(runs: list[SeedRun]) -> ClaimResult:
    ranks = [r.ctx_rank for r in runs]
    return ClaimResult.measure(
        id="G2", claim="Phenformer's context attribution ranks the causal cell context first.",
        metric="rank of c* by integrated-gradient context score (oracle backbone; worst seed)",
        value=float(max(ranks)), threshold=1, comparator="<=", gate=True,
        baseline=float(max(r.ldsc_rank for r in runs)),
        details={"ranks": ranks, "c_star_share": [r.context_share for r in runs],
                 "ldsc_seg_like_ranks": [r.ldsc_rank for r in runs],
                 "twas_like_ranks": [r.twas_rank for r in runs],
                 "baseline_is": "LDSC-SEG-like rank of c*"},
    )


def g3_result(runs: list[SeedRun]) -> ClaimResult:
    ranks = [r.tissue_rank for r in runs]
    return ClaimResult.measure(
        id="G3", claim="Phenformer's tissue attribution ranks c*'s tissue first.",
        metric="rank of c*'s tissue by tissue score (oracle backbone; worst seed)",
        value=float(max(ranks)), threshold=1, comparator="<=", gate=True,
        details={"ranks": ranks},
    )


def g4_result(runs: list[SeedRun]) -> ClaimResult:
    return ClaimResult.measure(
        id="G4", claim="Phenformer predicts disease from personal sequence (ancestry A test).",
        metric="AUROC on A-test (oracle backbone)",
        value=[r.auroc_a for r in runs], threshold=G4_MIN_AUROC, comparator=">=", gate=True,
        baseline=float(np.mean([r.flat_auroc_a for r in runs])),
        paper="prototype 0.79-0.83; true genetic value ~0.87",
        details={"auprc_a": [r.auprc_a for r in runs], "ci95_a": [r.ci_a for r in runs],
                 "baseline_is": "L2 logistic regression on flattened tokens (G × 2C)",
                 "genetic_value_auroc_a": [
                     auroc(r.cohort.y[r.cohort.indices("test")],
                           r.cohort.truth.genetic_value[r.cohort.indices("test")]) for r in runs],
                 "flagged": [r.flagged for r in runs],
                 "fit_seconds": [r.fit_seconds for r in runs]},
    )


# ------------------------------------------------------------------------------ the claims


def _runs(ctx: Context) -> list[SeedRun]:
    p = _preset(ctx)

    def compute():
        return [run_seed(p["sim"], ctx.seed * 1000 + s, d_model=p["d"], epochs=p["epochs"],
                         n_boot=p["boot"], device=_device(ctx)) for s in p["seeds"]]

    return ctx.shared("runs", compute)


def _encoder(ctx: Context):
    p = _preset(ctx)

    def compute():
        cohort = _runs(ctx)[0].cohort
        g = torch.Generator().manual_seed(ctx.seed)
        enc_cfg = replace(p["enc"], n_contexts=cohort.motifs.n_contexts,
                          window=cohort.reference.shape[1])
        return pretrain_encoder(cohort, enc_cfg, rng=ctx.rng(7), generator=g,
                                device=_device(ctx))

    return ctx.shared("encoder", compute)


def _encoders_per_seed(ctx: Context) -> list:
    """Seed 0's encoder and, at full, one more pretraining per further seed on that seed's cohort
    (G1 over 3 seeds)."""
    p = _preset(ctx)
    runs = _runs(ctx)

    def compute():
        out = [_encoder(ctx)]
        if ctx.preset != "full":
            return out
        for s, run in list(enumerate(runs))[1:]:
            c = run.cohort
            g = torch.Generator().manual_seed(ctx.seed * 1000 + s)
            cfg = replace(p["enc"], n_contexts=c.motifs.n_contexts, window=c.reference.shape[1])
            out.append(pretrain_encoder(c, cfg, rng=ctx.rng(70 + s), generator=g,
                                        device=_device(ctx)))
        return out

    return ctx.shared("encoders", compute)


@suite.claim("G1", "The frozen sequence encoder reproduces the oracle's variant effects.",
             gate=True)
def _g1(ctx: Context) -> ClaimResult:
    pres = _encoders_per_seed(ctx)
    cohorts = [r.cohort for r in _runs(ctx)][: len(pres)]
    res, enc_d, ora_d = g1_result([q.encoder for q in pres], cohorts, return_deltas=True)
    pre = pres[0]
    ctx.figure("encoder_vs_oracle.png", lambda path: _scatter(enc_d, ora_d, path))
    return replace(res, details={**res.details, "pretrain_seconds": [q.seconds for q in pres],
                                 "pretrain_losses": list(pre.losses)})


@suite.claim("G2", "Phenformer's context attribution ranks the causal cell context first.",
             gate=True)
def _g2(ctx: Context) -> ClaimResult:
    runs = _runs(ctx)
    ctx.figure("context_scores.png", lambda path: _bars(runs[0], path))
    return g2_result(runs)


@suite.claim("G3", "Phenformer's tissue attribution ranks c*'s tissue first.", gate=True)
def _g3(ctx: Context) -> ClaimResult:
    return g3_result(_runs(ctx))


@suite.claim("G4", "Phenformer predicts disease from personal sequence (ancestry A test).",
             gate=True)
def _g4(ctx: Context) -> ClaimResult:
    return g4_result(_runs(ctx))


@suite.claim("R0", "Enriched predictors generalise better to the other ancestry than PRS.",
             gate=False)
def _r0(ctx: Context) -> ClaimResult:
    runs = _runs(ctx)
    ctx.figure("roc.png", lambda path: _roc(runs[0], path))
    gains = [r.prs["enriched_auroc_b"] - r.prs["best_auroc_b"] for r in runs]
    return ClaimResult.measure(
        id="R0", claim="Enriched predictors generalise better to the other ancestry than PRS.",
        metric="AUROC_B(enriched) − AUROC_B(best PRS), oracle backbone", value=gains,
        threshold=R0_MIN_GAIN_B, comparator=">=", gate=False,
        paper="better generalisation to non-European ancestries (no number)",
        details={"prs": [r.prs for r in runs], "phenformer_auroc_b": [r.auroc_b for r in runs]},
    )


@suite.claim("R1", "c* ranks first in every seed (MRR).", gate=False)
def _r1(ctx: Context) -> list[ClaimResult]:
    runs = _runs(ctx)
    ranks = [r.ctx_rank for r in runs]
    out = [ClaimResult.measure(
        id="R1.oracle", claim="c* ranks first in every seed (oracle backbone).",
        metric="MRR of c* over seeds", value=mrr(ranks), threshold=1.0, comparator=">=",
        paper="brief: 3/3 seeds", details={"ranks": ranks})]
    return out


@suite.claim("R2", "Phenformer names the causal context better than LDSC-SEG-like.", gate=False)
def _r2(ctx: Context) -> ClaimResult:
    runs = _runs(ctx)
    m_p = mrr([r.ctx_rank for r in runs])
    m_l = mrr([r.ldsc_rank for r in runs])
    return ClaimResult.measure(
        id="R2", claim="Phenformer names the causal context better than LDSC-SEG-like.",
        metric="MRR(Phenformer) − MRR(LDSC-SEG-like)", value=m_p - m_l,
        threshold=R2_MIN_MRR_GAIN, comparator=">=", baseline=m_l,
        paper="better literature match than SOTA (no number)",
        details={"mrr_phenformer": m_p, "mrr_ldsc_seg_like": m_l,
                 "mrr_twas_like": mrr([r.twas_rank for r in runs])},
    )


@suite.claim("R4", "Enriched predictors improve AUROC over PRS alone (ancestry A).", gate=False)
def _r4(ctx: Context) -> ClaimResult:
    runs = _runs(ctx)
    gains = [r.prs["enriched_auroc_a"] - r.prs["best_auroc_a"] for r in runs]
    return ClaimResult.measure(
        id="R4", claim="Enriched predictors improve AUROC over PRS alone (ancestry A).",
        metric="AUROC_A(enriched) − AUROC_A(best PRS)", value=gains, threshold=R4_MIN_GAIN_A,
        comparator=">=", baseline=float(np.mean([r.prs["best_auroc_a"] for r in runs])),
        paper='gains "up to 4.2–11.19%" (secondary summary, unverified)',
        details={"enriched_auroc_a": [r.prs["enriched_auroc_a"] for r in runs],
                 "best_prs_auroc_a": [r.prs["best_auroc_a"] for r in runs],
                 "best_prs": [r.prs["best"] for r in runs]},
    )


@suite.claim("R5", "Phenformer transfers across ancestries better than PRS.", gate=False)
def _r5(ctx: Context) -> list[ClaimResult]:
    runs = _runs(ctx)
    tp = [transfer_ratio(r.auroc_b, r.auroc_a) for r in runs]
    tb = [transfer_ratio(r.prs["best_auroc_b"], r.prs["best_auroc_a"]) for r in runs]
    return [
        ClaimResult.measure(id="R5.phenformer", claim="Phenformer keeps its signal in ancestry B.",
                            metric="(AUROC_B − 0.5)/(AUROC_A − 0.5), Phenformer", value=tp,
                            threshold=0.8, comparator=">=", paper="brief: >= 0.8"),
        ClaimResult.measure(id="R5.prs", claim="The best PRS loses signal in ancestry B.",
                            metric="(AUROC_B − 0.5)/(AUROC_A − 0.5), best PRS", value=tb,
                            threshold=0.7, comparator="<=", paper="brief: <= 0.7"),
    ]


@suite.claim("R6", "End to end with the learned encoder (G2, G4) and disease-gene fidelity.",
             gate=False, presets=("full",))
def _r6(ctx: Context) -> list[ClaimResult]:
    p = _preset(ctx)
    pre = _encoder(ctx)
    cohort = _runs(ctx)[0].cohort
    run = run_seed(p["sim"], ctx.seed * 1000, d_model=p["d"], epochs=p["epochs"],
                   n_boot=p["boot"], encoder=pre.encoder, cohort=cohort, with_prs=False,
                   device=_device(ctx))
    hf = haplotype_fidelity(pre.encoder, cohort, cohort.truth.disease_genes,
                            cohort.truth.causal_context)
    return [
        ClaimResult.measure(id="R6.rank", claim="Learned encoder: c* ranks first.",
                            metric="rank of c* (learned backbone)", value=run.ctx_rank,
                            threshold=1, comparator="<="),
        ClaimResult.measure(id="R6.auroc", claim="Learned encoder: AUROC on A-test.",
                            metric="AUROC A-test (learned backbone)", value=run.auroc_a,
                            threshold=G4_MIN_AUROC, comparator=">="),
        ClaimResult.measure(id="R6.fidelity", claim="Learned encoder: disease-gene fidelity.",
                            metric="min over D of haplotype-level r (c* expression)",
                            value=float(hf.min()), threshold=0.8, comparator=">=",
                            details={"per_gene_r": hf.tolist()}),
    ]


NOISE_FRACTION = 0.5  # brief: noisy-encoder ablation at 50% of Δ's variance


@suite.claim("A1", "Ablation: a noisy backbone (noise at 50% of Δ's variance).", gate=False,
             presets=("full",))
def _a1(ctx: Context) -> list[ClaimResult]:
    p = _preset(ctx)
    clean = _runs(ctx)[0]
    run = run_seed(p["sim"], ctx.seed * 1000, d_model=p["d"], epochs=p["epochs"],
                   n_boot=p["boot"], cohort=clean.cohort, with_prs=False,
                   token_noise=NOISE_FRACTION, device=_device(ctx))
    return [
        ClaimResult.measure(id="A1.auroc", claim="Noisy backbone: AUROC on A-test.",
                            metric="AUROC A-test, oracle Δ + noise (50% of Var Δ)",
                            value=run.auroc_a, comparator="report", baseline=clean.auroc_a,
                            details={"baseline_is": "same cohort and seed, oracle backbone",
                                     "ci95_a": run.ci_a}),
        ClaimResult.measure(id="A1.rank", claim="Noisy backbone: rank of c*.",
                            metric="rank of c* (oracle Δ + noise)", value=run.ctx_rank,
                            comparator="report", baseline=clean.ctx_rank,
                            details={"c_star_share": run.context_share}),
    ]


@suite.claim("R3", "Sanity: in expression mode both Phenformer and LDSC-SEG-like find c*.",
             gate=False, presets=("full",))
def _r3(ctx: Context) -> list[ClaimResult]:
    p = _preset(ctx)
    run = run_seed(replace(p.get("aux_sim", p["sim"]), mode="expression"), ctx.seed * 1000 + 7,
                   d_model=p["d"],
                   epochs=p["epochs"], with_prs=False, device=_device(ctx))
    return [ClaimResult.measure(id="R3.phenformer", claim="Expression mode: Phenformer MRR.",
                                metric="1/rank of c*", value=1 / run.ctx_rank, threshold=0.8,
                                comparator=">=", details=_cohort_note(run)),
            ClaimResult.measure(id="R3.ldsc", claim="Expression mode: LDSC-SEG-like MRR.",
                                metric="1/rank of c*", value=1 / run.ldsc_rank, threshold=0.8,
                                comparator=">=", details=_cohort_note(run))]


@suite.claim("R7", "Honesty: the B gain comes from ancestry-private functional variants.",
             gate=False, presets=("full",))
def _r7(ctx: Context) -> ClaimResult:
    p = _preset(ctx)
    on = _runs(ctx)[0]
    off = run_seed(replace(p["sim"], private_variants=False), ctx.seed * 1000, d_model=p["d"],
                   epochs=p["epochs"], device=_device(ctx))
    g_on = on.prs["enriched_auroc_b"] - on.prs["best_auroc_b"]
    g_off = off.prs["enriched_auroc_b"] - off.prs["best_auroc_b"]
    return ClaimResult.measure(
        id="R7", claim="Honesty: the B gain comes from ancestry-private functional variants.",
        metric="gain_B(private on) − gain_B(private off)", value=g_on - g_off, threshold=0.02,
        comparator=">=", details={"gain_on": g_on, "gain_off": g_off})


@suite.claim("R8", "Attribution profiles of cases reveal the two mechanisms (subtypes).",
             gate=False, presets=("full",))
def _r8(ctx: Context) -> ClaimResult:
    p = _preset(ctx)
    run = run_seed(replace(p.get("aux_sim", p["sim"]), mechanisms=2), ctx.seed * 1000 + 9,
                   d_model=p["d"],
                   epochs=p["epochs"], with_prs=False, device=_device(ctx))
    c = run.cohort
    te = c.indices("test")
    cases = te[c.y[te] == 1]
    labels, prof = find_subtypes(run.model, run.tokens.features(), cases=cases, k=2,
                                 tissue_of_context=c.motifs.tissue_of_context, rng=ctx.rng(9),
                                 return_profiles=True)
    mech = c.truth.mechanism[cases]
    ari = adjusted_rand_index(labels, mech)
    ctx.figure("subtypes.png", lambda path: _subtypes(prof, labels, mech, ari, path))
    signed = find_subtypes(run.model, run.tokens.features(), cases=cases, k=2,
                           tissue_of_context=c.motifs.tissue_of_context, rng=ctx.rng(9),
                           signed=True)
    ceiling = adjusted_rand_index(c.truth.genetic_values[cases].argmax(1), mech)
    return ClaimResult.measure(id="R8", claim="Attribution profiles reveal the two mechanisms.",
                               metric="ARI of case clusters vs mechanism", value=ari,
                               threshold=0.3, comparator=">=", paper="distinct subtypes",
                               details={**_cohort_note(run), "n_cases": len(cases),
                                        "phenformer_auroc_a": run.auroc_a,
                                        "ari_signed_attributions": adjusted_rand_index(signed,
                                                                                       mech),
                                        "ari_ceiling_true_genetic_values": ceiling,
                                        "ceiling_is": "each case assigned to the mechanism "
                                                      "with the larger true genetic value"})


def _cohort_note(run: SeedRun) -> dict[str, Any]:
    c = run.cohort.config
    return {"cohort": f"A {c.n_a} / B {c.n_b}", "c_star_rank": run.ctx_rank}


@suite.claim("P1", "Token caching: one encoder call per unique (gene, haplotype).", gate=False)
def _p1(ctx: Context) -> ClaimResult:
    run = _runs(ctx)[0]
    c = run.cohort
    naive = 2 * c.n * c.n_genes
    cache = TokenCache()
    first = precompute_tokens(c, OracleEncoder(c), cache=cache)
    second = precompute_tokens(c, OracleEncoder(c), cache=cache)
    return ClaimResult.measure(
        id="P1", claim="Token caching: one encoder call per unique (gene, haplotype).",
        metric="encoder calls with caching / 2 × individuals × genes",
        value=first.encoder_calls / naive, threshold=CACHE_MAX_RATIO, comparator="<=",
        paper="brief prototype: 7.9k of 960k (~1/120)",
        details={"calls": first.encoder_calls, "naive": naive,
                 "second_pass_calls": second.encoder_calls,
                 "unique_haplotypes_per_gene": float(first.n_unique.mean())},
    )


# Enformer's forward FLOP per 196,608-bp window (brief, "Scaling"), and the toy CNN's, counted.
ENFORMER_FLOP = 2.5e12


def _toy_flop(cfg: EncoderConfig) -> float:
    L, c, h, k, C = cfg.window, cfg.channels, cfg.hidden, cfg.kernel, cfg.n_contexts
    macs = L * (4 * c * k + c * h) + (L // 4) * (3 * h * h * 3 + h * C) + C * (L // 4)
    return 2.0 * macs


@suite.claim("P2", "Encoder throughput and the 88 Mbp × 150k genomes estimate.", gate=False)
def _p2(ctx: Context) -> ClaimResult:
    cfg = EncoderConfig(window=_runs(ctx)[0].cohort.reference.shape[1])
    enc = ToyExpressionCNN(cfg, generator=torch.Generator().manual_seed(0),
                           device=_device(ctx)).eval()
    bps = encoder_throughput(enc, batch=512 if ctx.preset != "smoke" else 64)
    windows = 150_000 * 2 * 448
    total_flop = windows * ENFORMER_FLOP
    gpu_hours = (total_flop / 2e14 / 3600, total_flop / 1e14 / 3600)
    token_bytes = 150_000 * 448 * 2 * 638 * 2
    return ClaimResult.measure(
        id="P2", claim="Encoder throughput and the 88 Mbp × 150k genomes estimate.",
        metric=f"toy encoder forward bp/s ({_device(ctx).type}, {torch.get_num_threads()} threads)",
        value=bps, threshold=MIN_BPS, comparator=">=", paper="brief prototype ~0.8 Mbp/s per core",
        details={"windows_without_dedup": windows, "bp_total": windows * 196_608,
                 "enformer_flop_per_window": ENFORMER_FLOP,
                 "toy_flop_per_window": _toy_flop(cfg),
                 "flop_ratio_enformer_over_toy": ENFORMER_FLOP / _toy_flop(cfg),
                 "total_flop": total_flop, "h100_gpu_hours_at_1_to_2e14": gpu_hours,
                 "cached_token_bytes_fp16_C638": token_bytes},
    )


@suite.claim("P3", "Phenformer epoch time does not depend on the window length.", gate=False,
             presets=("quick", "full"))
def _p3(ctx: Context) -> ClaimResult:
    run = _runs(ctx)[0]
    x = run.tokens.features()[: 512]
    y = run.cohort.y[: 512]
    times = {}
    for L in (256, 1024):  # tokens do not carry L: the same token tensor costs the same
        m = Phenformer(run.model.config, generator=torch.Generator().manual_seed(0))
        t = time.perf_counter()
        fit(m, x, y, val=(x, y), config=TrainConfig(epochs=1, patience=1),
            generator=torch.Generator().manual_seed(0))
        times[L] = time.perf_counter() - t
    return ClaimResult.measure(
        id="P3", claim="Phenformer epoch time does not depend on the window length.",
        metric="epoch seconds at L = 1,024 / at L = 256 (same cached tokens)",
        value=times[1024] / times[256], comparator="report", details={"seconds": times},
    )


# ---------------------------------------------------------------------------------- figures


def _scatter(enc_d: np.ndarray, ora_d: np.ndarray, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 4))
    ax.scatter(ora_d.ravel(), enc_d.ravel(), s=3, alpha=0.4)
    ax.set_xlabel("oracle Δ")
    ax.set_ylabel("encoder Δ")
    ax.set_title("single-variant effects")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _bars(run: SeedRun, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    c_star = run.cohort.truth.causal_context
    s = run.scores.context
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.bar(range(len(s)), s, color=["C3" if c == c_star else "C0" for c in range(len(s))])
    ax.set_xlabel("cell context (red: c*)")
    ax.set_ylabel("IG context score")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _roc_curve(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(-s, kind="stable")
    y = y[order]
    tpr = np.r_[0.0, np.cumsum(y) / max(y.sum(), 1)]
    fpr = np.r_[0.0, np.cumsum(1 - y) / max((1 - y).sum(), 1)]
    return fpr, tpr


def _roc(run: SeedRun, path) -> None:
    """ROC curves in ancestry A and B for the best PRS, Phenformer and the enriched predictor."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    c = run.cohort
    fig, axes = plt.subplots(1, 2, figsize=(8, 4))
    for ax, (name, rows) in zip(axes, (("A-test", c.indices("test")),
                                       ("B-test", c.indices("test", 1))), strict=True):
        for key, label in (("best_prs", f"best PRS ({run.prs.get('best', '?')})"),
                           ("phenformer", "Phenformer"), ("enriched", "enriched")):
            if key not in run.curves:
                continue
            y, sc = c.y[rows], run.curves[key][rows]
            fpr, tpr = _roc_curve(y, sc)
            ax.plot(fpr, tpr, label=f"{label}: {auroc(y, sc):.3f}")
        ax.plot([0, 1], [0, 1], "k:", lw=0.8)
        ax.set_title(f"ancestry {name}")
        ax.set_xlabel("false positive rate")
        ax.legend(loc="lower right", fontsize=8)
    axes[0].set_ylabel("true positive rate")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _subtypes(prof: np.ndarray, labels: np.ndarray, mechanism: np.ndarray, ari: float,
              path) -> None:
    """Cases' attribution profiles (first two principal components): colour = cluster,
    marker = the mechanism that made the case."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = prof - prof.mean(0)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    pc = x @ vt[:2].T
    fig, ax = plt.subplots(figsize=(5, 4))
    for m, marker in ((0, "o"), (1, "^")):
        sel = mechanism == m
        ax.scatter(pc[sel, 0], pc[sel, 1], c=[f"C{int(k)}" for k in labels[sel]], marker=marker,
                   s=14, alpha=0.7)
        ax.scatter([], [], c="gray", marker=marker, s=14, label=f"true mechanism {m}")
    ax.set_xlabel("PC1 of attribution profile")
    ax.set_ylabel("PC2")
    ax.set_title(f"case subtypes (colour: cluster), ARI {ari:.2f}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
