"""Benchmark suite of mpiis.cats: planted monsters that naive accuracy comparison misses or
misreads, and the analyses a CAT prescribes (brief: "Benchmark").

Presets: ``smoke`` (3 replicates, small benchmarks), ``quick`` (the brief's R per cell for the
GATEs B1, B2, B4, B5, B6 and the graph-logic check B8), ``full`` (more replicates, bootstrap
500 and the REPORTED claims B2b, B3, B7, B9, B10 with figures; sized to about 4 minutes, see
PRESETS). A detection counts when the test rejects at
alpha = 0.05 *with the true sign*. Thresholds are the brief's; "proto" is what a numpy
prototype of the same setup measured. Each noisy rate is reported over 3 seed blocks.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Any

import jax
import networkx as nx
import numpy as np
import pandas as pd

from mpiis.shared.bench import ClaimResult, Context, Suite, compare_speed
from mpiis.shared.data import random_dag

from . import (
    AdversarialFilter,
    CausalGraph,
    Contamination,
    EvalSpec,
    FormatSensitivity,
    MediatorBypass,
    Shortcut,
    SimConfig,
    SpuriousFeatures,
    adjustment_sets,
    check,
    check_many,
    compare_models,
    estimate_effect,
    estimate_mediation,
    fit_glm,
    fit_glm_batch,
    fit_irt,
    implied_independencies,
    label_bias_test,
    mediation_truth,
    simulate,
    slice_accuracy_test,
    spurious_features,
)

ALPHA = 0.05
N_BLOCKS = 3  # seed blocks of every noisy rate


@dataclass(frozen=True)
class Preset:
    b1_reps: int  # replicates per (beta, c) cell
    b1_items: int
    b4_reps: int  # per gamma
    b4_items: int
    b4_boot: int
    b5_reps: int
    b5_items: int
    b6_reps: int
    b6_pool: int
    b8_dags: int
    p1_fits: int
    full_reps: int  # replicates of the full-only claims


PRESETS = {
    "smoke": Preset(3, 300, 3, 300, 20, 3, 300, 3, 1000, 6, 50, 3),
    "quick": Preset(50, 2000, 40, 3000, 200, 20, 2000, 200, 6000, 200, 300, 0),
    # full: the brief asks 3x R and bootstrap 500 (about 9 min idle on 2 cores); the lead's
    # budget is 4 min per package, so R is 1.4x (B1), 1.25x (B4), 2x (B5, B6) with bootstrap
    # 500, and the REPORTED full-only claims run 10 replicates each.
    "full": Preset(70, 2000, 50, 3000, 500, 40, 2000, 400, 6000, 200, 1000, 10),
}

suite = Suite("cats", description="Causal evaluation with CATs: planted monsters found by the "
                                  "analysis a CAT prescribes, missed or misread by naive "
                                  "accuracy comparison.")


def _key(ctx_seed: int, *stream: int):
    k = jax.random.key(ctx_seed)
    for s in stream:
        k = jax.random.fold_in(k, s)
    return k


def _blocks(flags: np.ndarray) -> list[float]:
    """A rate per seed block (replicates split into ``N_BLOCKS`` interleaved blocks)."""
    flags = np.asarray(flags, dtype=float)
    if flags.size == 0:
        return [float("nan")]  # a cell that was not run never passes
    return [float(flags[i::N_BLOCKS].mean()) for i in range(N_BLOCKS) if len(flags[i::N_BLOCKS])]


def _rate(values: list[float]) -> float:
    return float(np.mean(values))


# --------------------------------------------------------------------------------------------
# B1 / B2: confounded shortcut (CAT-1) and the weak-proxy warning
# --------------------------------------------------------------------------------------------
B1_BETAS = (0.0, 0.2, 0.3)
B1_CS = (0.5, 1.0, 2.0)


def b1_runs(p: Preset, seed: int, *, n_reference: int = 20, method: str = "gcomp",
            betas=B1_BETAS, cs=B1_CS) -> pd.DataFrame:
    """One row per replicate: cats (calibrated, or ``method``), plug-in and naive thirds."""
    rows = []
    for (bi, beta), (ci, c) in itertools.product(enumerate(betas), enumerate(cs)):
        for r in range(p.b1_reps):
            k = _key(seed, 1, bi, ci, r)
            bench = simulate(SimConfig(n_items=p.b1_items, n_models=1, n_reference=n_reference,
                                       monsters=(Shortcut(strength=beta, confounding=c),)),
                             key=k)
            e = estimate_effect(bench.responses, bench.spec, "F", "Y", method=method, n_boot=0,
                                key=k)
            nv = estimate_effect(bench.responses, bench.spec, "F", "Y", method="naive_thirds",
                                 n_boot=0, key=k)
            px = e.proxy
            rows.append({
                "beta": beta, "c": c, "rep": r,
                "cats_coef": e.coef, "cats_p": e.p_value, "cats_lo": e.coef - 1.96 * e.se,
                "cats_hi": e.coef + 1.96 * e.se,
                "plugin_coef": px.plugin_estimate if px else np.nan,
                "plugin_p": px.plugin_p_value if px else np.nan,
                "warning": bool(px.warning) if px else False,
                "reliability": px.reliability if px else np.nan,
                "naive_diff": nv.estimate, "naive_p": nv.p_value})
    return pd.DataFrame(rows)


def _detect(p, coef, sign=1):
    return (np.asarray(p) < ALPHA) & (np.sign(np.asarray(coef)) == sign)


def b1_claims(df: pd.DataFrame) -> list[ClaimResult]:
    null, alt2, alt3 = df[df.beta == 0], df[df.beta == 0.2], df[df.beta == 0.3]
    cats_fpr = _blocks(null.cats_p < ALPHA)
    tpr3 = _blocks(_detect(alt3.cats_p, alt3.cats_coef))
    tpr2 = _blocks(_detect(alt2.cats_p, alt2.cats_coef))
    naive_fpr = _blocks(null.naive_p < ALPHA)
    alt = df[df.beta > 0]
    bal_c = [(t + 1 - f) / 2 for t, f in zip(_blocks(_detect(alt.cats_p, alt.cats_coef)),
                                             cats_fpr, strict=True)]
    bal_n = [(t + 1 - f) / 2 for t, f in zip(_blocks(_detect(alt.naive_p, alt.naive_diff)),
                                             naive_fpr, strict=True)]
    per_cell = {f"beta={b},c={c}": {"cats": float(_detect(g.cats_p, g.cats_coef).mean())
                                    if b else float((g.cats_p < ALPHA).mean()),
                                    "naive_any_sign": float((g.naive_p < ALPHA).mean()),
                                    "naive_true_sign": float(_detect(g.naive_p,
                                                                     g.naive_diff).mean())}
                for (b, c), g in df.groupby(["beta", "c"])}
    claim = "A confounded shortcut is found by calibrated adjustment; naive thirds misread it."
    n = len(null)
    return [
        ClaimResult.measure(id="B1.fpr", claim=claim, gate=True, metric=f"cats false-positive "
                            f"rate at beta=0 ({n} runs over c in {B1_CS})", value=cats_fpr,
                            threshold=0.10, comparator="<=", baseline=_rate(naive_fpr),
                            paper="proto 0.05-0.07", details={"per_cell": per_cell}),
        ClaimResult.measure(id="B1.tpr03", claim=claim, gate=True,
                            metric="cats detection rate (true sign) at beta=0.3", value=tpr3,
                            threshold=0.90, comparator=">=", paper="proto 1.00"),
        # REPORTED, not a GATE: at R=50/cell the seed blocks straddle 0.80 (0.88, 0.78, 0.80
        # in the first quick run), so DESIGN.md's rule keeps it out of the gates.
        ClaimResult.measure(id="B1.tpr02", claim=claim, gate=False,
                            metric="cats detection rate (true sign) at beta=0.2 (REPORTED: "
                                   "seed blocks straddle the threshold)", value=tpr2,
                            threshold=0.80, comparator=">=", paper="proto 0.93"),
        ClaimResult.measure(id="B1.naive_fpr", claim=claim, gate=True,
                            metric="naive top-vs-bottom-third rejection rate at beta=0",
                            value=naive_fpr, threshold=0.90, comparator=">=",
                            paper="proto 1.00"),
        ClaimResult.measure(id="B1.balanced", claim=claim, gate=True,
                            metric="balanced accuracy cats - naive (detections need the true "
                                   "sign)", value=[a - b for a, b in zip(bal_c, bal_n,
                                                                         strict=True)],
                            threshold=0.40, comparator=">=", baseline=_rate(bal_n),
                            details={"cats": bal_c, "naive": bal_n}),
    ]


def b2_claims(df: pd.DataFrame, *, prefix: str = "B2", gate: bool = True) -> list[ClaimResult]:
    null = df[df.beta == 0]
    claim = "A weak difficulty proxy is flagged, not trusted."
    cover = _blocks((null.cats_lo <= 0) & (null.cats_hi >= 0))
    cmp_ = (lambda c: c) if gate else (lambda c: "report")
    return [
        ClaimResult.measure(id=f"{prefix}.warning", claim=claim, gate=gate,
                            metric="share of runs with the weak-proxy warning",
                            value=_blocks(df.warning), threshold=1.0, comparator=cmp_(">="),
                            paper="proto: warning in 100%, rho 0.77-0.79",
                            details={"reliability_mean": float(df.reliability.mean())}),
        ClaimResult.measure(id=f"{prefix}.plugin_fpr", claim=claim, gate=gate,
                            metric="plug-in proxy false-positive rate at beta=0",
                            value=_blocks(null.plugin_p < ALPHA), threshold=0.50,
                            comparator=cmp_(">="), paper="proto 0.78-1.00"),
        ClaimResult.measure(id=f"{prefix}.coverage", claim=claim, gate=gate,
                            metric="calibrated Wald CI covers 0 at beta=0", value=cover,
                            threshold=0.88, comparator=cmp_(">="), paper="proto 0.93-0.95"),
    ]


@suite.claim("B1", "A confounded shortcut is found; naive accuracy thirds misread it (CAT-1).",
             gate=True)
def _b1(ctx: Context):
    p = PRESETS[ctx.preset]
    df = ctx.shared("b1", lambda: b1_runs(p, ctx.seed))
    ctx.figure("b1_rejection.png", lambda path: _plot_b1(df, path))
    return b1_claims(df)


@suite.claim("B2", "A weak proxy (K=20 reference models) is flagged, not trusted.", gate=True)
def _b2(ctx: Context):
    p = PRESETS[ctx.preset]
    df = ctx.shared("b1", lambda: b1_runs(p, ctx.seed))
    ctx.figure("b2_reliability.png", lambda path: _plot_b2(ctx.seed, path))
    return b2_claims(df)


@suite.claim("B2b", "With a strong proxy (K=200) the warning rate falls (shown).", gate=False,
             presets=("full",))
def _b2b(ctx: Context):
    p = PRESETS[ctx.preset]
    q = Preset(**{**p.__dict__, "b1_reps": max(p.full_reps, 2)})
    df = b1_runs(q, ctx.seed + 7, n_reference=200, betas=(0.0,), cs=(1.0,))
    return b2_claims(df, prefix="B2b", gate=False)


# --------------------------------------------------------------------------------------------
# B4: mediator bypass (CAT-2)
# --------------------------------------------------------------------------------------------
def b4_runs(p: Preset, seed: int, *, adjust: Any = "minimal") -> pd.DataFrame:
    rows = []
    for gi, gamma in enumerate((0.0, 0.5)):
        for r in range(p.b4_reps):
            k = _key(seed, 4, gi, r)
            bench = simulate(SimConfig(n_items=p.b4_items, n_models=1, n_reference=20,
                                       monsters=(MediatorBypass(direct=gamma, mc_draws=1000),)),
                             key=k)
            m = estimate_mediation(bench.responses, bench.spec, "X", "M", "Y", adjust=adjust,
                                   n_boot=p.b4_boot, key=k)
            s = estimate_mediation(bench.responses, bench.spec, "X", "M", "Y",
                                   method="stratified", n_boot=0, key=k)
            rows.append({"gamma": gamma, "nde": m.nde, "lo": m.nde_ci[0], "hi": m.nde_ci[1],
                         "bypass": m.bypass, "naive_nde": s.nde, "naive_p": s.nde_p,
                         "pm": m.pm, "warning": m.proxy_warning})
    return pd.DataFrame(rows)


def b4_claims(df: pd.DataFrame) -> list[ClaimResult]:
    null, alt = df[df.gamma == 0], df[df.gamma > 0]
    fpr = _blocks(null.bypass)
    power = _blocks(alt.bypass & (alt.nde > 0))
    nfpr = _blocks(null.naive_p < ALPHA)
    npow = _blocks(_detect(alt.naive_p, alt.naive_nde))
    bal = [((pw + 1 - f) - (q + 1 - g)) / 2 for pw, f, q, g in zip(power, fpr, npow, nfpr,
                                                                   strict=True)]
    claim = "A bypass of the mediator is found despite M-Y confounding by difficulty."
    wrong = float((null.naive_nde[null.naive_p < ALPHA] < 0).mean()) if (
        null.naive_p < ALPHA).any() else float("nan")
    return [
        ClaimResult.measure(id="B4.fpr", claim=claim, gate=True,
                            metric="cats NDE-CI false-positive rate at gamma_X=0", value=fpr,
                            threshold=0.10, comparator="<=", baseline=_rate(nfpr),
                            paper="proto 0.04"),
        ClaimResult.measure(id="B4.power", claim=claim, gate=True,
                            metric="cats NDE-CI detection rate (true sign) at gamma_X=0.5",
                            value=power, threshold=0.85, comparator=">=", paper="proto 1.00"),
        ClaimResult.measure(id="B4.naive_fpr", claim=claim, gate=True,
                            metric="stratified naive (X in Y ~ X + M) rejection rate at "
                                   "gamma_X=0", value=nfpr, threshold=0.80, comparator=">=",
                            paper="proto 1.00, wrong sign",
                            details={"share_of_naive_rejections_with_wrong_sign": wrong}),
        ClaimResult.measure(id="B4.balanced", claim=claim, gate=True,
                            metric="balanced accuracy cats - naive", value=bal,
                            threshold=0.40, comparator=">="),
    ]


@suite.claim("B4", "A mediator bypass is found despite M-Y confounding (CAT-2).", gate=True)
def _b4(ctx: Context):
    return b4_claims(b4_runs(PRESETS[ctx.preset], ctx.seed))


# --------------------------------------------------------------------------------------------
# B5: spurious features (CAT-3)
# --------------------------------------------------------------------------------------------
def _f1(found: set, truth: set) -> tuple[float, float, float]:
    tp = len(found & truth)
    prec = tp / len(found) if found else 1.0
    rec = tp / len(truth) if truth else 1.0
    return prec, rec, (2 * prec * rec / (prec + rec) if prec + rec else 0.0)


def b5_runs(p: Preset, seed: int, *, shuffle_label: bool = False) -> pd.DataFrame:
    rows = []
    for r in range(p.b5_reps):
        k = _key(seed, 5, r)
        bench = simulate(SimConfig(n_items=p.b5_items, n_models=1, n_reference=5,
                                   monsters=(SpuriousFeatures(),)), key=k)
        ev = bench.responses[~bench.responses.is_reference].reset_index(drop=True)
        if shuffle_label:
            ev["L"] = np.random.default_rng(r).permutation(ev["L"].to_numpy())
        feats = [c for c in bench.items.columns if c.startswith("S")]
        truth = set(bench.truth["spurious_monsters"])
        cats = spurious_features(ev, bench.edits, feats, label="L")
        naive = slice_accuracy_test(ev, feats, "correct")
        label = label_bias_test(ev, feats, "L")
        res = {}
        for name, found in (("cats", set(cats.feature[cats.monster])),
                            ("naive", set(naive.feature[naive.reject])),
                            ("label_only", set(label.feature[label.reject]))):
            res.update(dict(zip([f"{name}_precision", f"{name}_recall", f"{name}_f1"],
                                _f1(found, truth), strict=True)))
        if r == 0:
            res["pvalues"] = cats[["feature", "p_value_label", "p_value_flip"]].assign(
                role=cats.feature.map(bench.truth["feature_roles"]))
        rows.append(res)
    return pd.DataFrame(rows)


def b5_claims(df: pd.DataFrame) -> list[ClaimResult]:
    claim = "Spurious artifacts (label-correlated and used) are found by label-bias + flip tests."
    blk = lambda col: _blocks(df[col].to_numpy())  # noqa: E731
    f1c, f1n, f1l = blk("cats_f1"), blk("naive_f1"), blk("label_only_f1")
    return [
        ClaimResult.measure(id="B5.precision", claim=claim, gate=True, metric="cats precision",
                            value=blk("cats_precision"), threshold=0.90, comparator=">=",
                            paper="proto 0.99"),
        ClaimResult.measure(id="B5.recall", claim=claim, gate=True, metric="cats recall",
                            value=blk("cats_recall"), threshold=0.90, comparator=">=",
                            paper="proto 1.00"),
        ClaimResult.measure(id="B5.f1_vs_naive", claim=claim, gate=True,
                            metric="F1 cats - naive per-feature slice accuracy (Holm)",
                            value=[a - b for a, b in zip(f1c, f1n, strict=True)],
                            threshold=0.60, comparator=">=", baseline=_rate(f1n),
                            paper="proto naive F1 0.07"),
        ClaimResult.measure(id="B5.f1_vs_label_only", claim=claim, gate=True,
                            metric="F1 cats - label-only (Gardner-style competency test)",
                            value=[a - b for a, b in zip(f1c, f1l, strict=True)],
                            threshold=0.20, comparator=">=", baseline=_rate(f1l),
                            paper="proto label-only F1 0.66"),
    ]


@suite.claim("B5", "Spurious artifacts are found; slice accuracy and label-only tests are not "
                   "enough (CAT-3).", gate=True)
def _b5(ctx: Context):
    df = b5_runs(PRESETS[ctx.preset], ctx.seed)
    ctx.figure("b5_features.png", lambda path: _plot_b5(df.pvalues.iloc[0], path))
    return b5_claims(df.drop(columns=["pvalues"]))


# --------------------------------------------------------------------------------------------
# B6: selection-induced dependence (CAT-E1)
# --------------------------------------------------------------------------------------------
def b6_runs(p: Preset, seed: int, *, ipw_weights: str | None = "selection_prob",
            ) -> pd.DataFrame:
    rows = []
    for r in range(p.b6_reps):
        k = _key(seed, 6, r)
        bench = simulate(SimConfig(n_models=1, n_reference=5,
                                   monsters=(AdversarialFilter(pool=p.b6_pool),)), key=k)
        ev = bench.responses[~bench.responses.is_reference].reset_index(drop=True)
        g = bench.spec.graph
        # the analyst's spec: difficulty latent without a proxy, selection weights declared
        spec = EvalSpec(g, columns=bench.spec.columns, types=bench.spec.types, unit="item",
                        selection_weights="selection_prob")
        nv = estimate_effect(ev, spec, "S", "Y", n_boot=0, key=k)
        ipw = estimate_effect(ev, spec, "S", "Y", weights=ipw_weights, n_boot=0, key=k)
        rep = check(spec, ev, n_perm=0, key=k)
        rows.append({"naive": nv.estimate, "naive_p": nv.p_value, "ipw": ipw.estimate,
                     "ipw_p": ipw.p_value, "flagged": bool(rep.rows.selection_induced.any()),
                     "n_items": len(ev)})
    return pd.DataFrame(rows)


def b6_claims(df: pd.DataFrame) -> list[ClaimResult]:
    claim = "Adversarial filtering makes a harmless feature look predictive; 1/pi weights undo it."
    nb, ib = float(df.naive.mean()), float(df.ipw.mean())
    ratio = [abs(float(df.ipw[i::N_BLOCKS].mean())) / max(abs(float(df.naive[i::N_BLOCKS].mean())),
                                                           1e-12) for i in range(N_BLOCKS)]
    return [
        ClaimResult.measure(id="B6.naive_fpr", claim=claim, gate=True,
                            metric="unweighted regression rejection rate (truth: no effect)",
                            value=_blocks(df.naive_p < ALPHA), threshold=0.80, comparator=">=",
                            paper="proto 0.94"),
        ClaimResult.measure(id="B6.ipw_fpr", claim=claim, gate=True,
                            metric="1/pi-weighted (Hajek) rejection rate",
                            value=_blocks(df.ipw_p < ALPHA), threshold=0.10, comparator="<=",
                            paper="proto 0.06"),
        ClaimResult.measure(id="B6.bias_ratio", claim=claim, gate=True,
                            metric="|IPW bias| / |naive bias| (average marginal effect per SD)",
                            value=ratio, threshold=0.20, comparator="<=", paper="proto ~0",
                            details={"naive_bias": nb, "ipw_bias": ib}),
        ClaimResult.measure(id="B6.check_flags", claim=claim, gate=True,
                            metric="share of runs where check marks S ⊥ Y selection-induced",
                            value=_blocks(df.flagged), threshold=0.80, comparator=">="),
    ]


@suite.claim("B6", "Selection-induced dependence is exposed by 1/pi weights (CAT-E1).",
             gate=True)
def _b6(ctx: Context):
    df = b6_runs(PRESETS[ctx.preset], ctx.seed)
    ctx.figure("b6_selection.png", lambda path: _plot_b6(df, path))
    return b6_claims(df)


# --------------------------------------------------------------------------------------------
# B8: graph logic against independent brute-force references
# --------------------------------------------------------------------------------------------
def _dsep_reference(g: nx.DiGraph, x: str, y: str, z: set) -> bool:
    """d-separation by the moralised ancestral graph (independent of networkx's algorithm)."""
    anc = set(z) | {x, y}
    for v in list(anc):
        anc |= nx.ancestors(g, v)
    sub = g.subgraph(anc)
    moral = nx.Graph(sub.to_undirected())
    for v in sub:
        for a, b in itertools.combinations(list(sub.predecessors(v)), 2):
            moral.add_edge(a, b)
    moral.remove_nodes_from(z)
    return not nx.has_path(moral, x, y)


def _random_graph(rng, n: int) -> CausalGraph:
    adj = random_dag(n, edge_prob=0.3, rng=rng)
    names = [f"V{i}" for i in range(n)]
    return CausalGraph([(names[i], names[j]) for i, j in zip(*np.nonzero(adj), strict=True)],
                       nodes=names)


def b8_run(p: Preset, seed: int, *, corrupt: bool = False) -> dict[str, Any]:
    rng = np.random.default_rng([seed, 8])
    agree = {"dsep": [], "implications": [], "adjustment": []}
    for d in range(p.b8_dags):
        n = (6, 9, 12)[d % 3]
        g = _random_graph(rng, n)
        G = g.to_networkx()
        nodes = list(g.nodes)
        for _ in range(5):
            x, y = rng.choice(nodes, 2, replace=False)
            rest = [v for v in nodes if v not in (x, y)]
            z = set(rng.choice(rest, rng.integers(0, min(3, len(rest)) + 1), replace=False))
            ours = nx.is_d_separator(G, {x}, {y}, z)
            ref = _dsep_reference(G, x, y, z)
            agree["dsep"].append(ours == (ref if not corrupt else not ref))
        for ind in implied_independencies(g, max_cond=n):
            agree["implications"].append(_dsep_reference(G, ind.x, ind.y, set(ind.given)))
        order = list(nx.topological_sort(G))
        x = order[rng.integers(0, n // 2)]
        desc = sorted(nx.descendants(G, x))
        if desc:
            y = desc[rng.integers(0, len(desc))]
            sets = adjustment_sets(g, x, y, which="all", max_size=3)
            gb = G.copy()
            gb.remove_edges_from(list(G.out_edges(x)))
            cand = [v for v in nodes if v not in nx.descendants(G, x) and v not in (x, y)]
            brute = {frozenset(c) for k in range(4) for c in itertools.combinations(cand, k)
                     if _dsep_reference(gb, x, y, set(c))}
            agree["adjustment"].append(set(sets) == brute)
    # timing of implied_independencies on a 12-node DAG
    g12 = _random_graph(rng, 12)
    t = []
    for _ in range(5):
        t0 = time.perf_counter()
        implied_independencies(g12)
        t.append(time.perf_counter() - t0)
    return {k: float(np.mean(v)) for k, v in agree.items()} | {
        "n": {k: len(v) for k, v in agree.items()}, "implied_12_ms": 1000 * float(np.median(t))}


@suite.claim("B8", "Graph logic agrees with brute-force references on random DAGs "
                   "(unit tests enforce 100%).", gate=False)
def _b8(ctx: Context):
    ctx.figure("catalogue.png", plot_catalogue)
    r = b8_run(PRESETS[ctx.preset], ctx.seed)
    claim = "d-separation, implications and adjustment sets agree with references."
    agree = min(r["dsep"], r["implications"], r["adjustment"])
    return [ClaimResult.measure(id="B8", claim=claim, metric="lowest agreement of d-separation "
                                "queries, implied statements and back-door families with a "
                                "moralisation/brute-force reference", value=agree,
                                paper="expect 100%", details=r),
            ClaimResult.measure(id="B8.time", claim=claim, metric="implied_independencies on a "
                                "12-node DAG, ms (median of 5)", value=r["implied_12_ms"],
                                paper="target <= 50 ms")]


# --------------------------------------------------------------------------------------------
# P1 / P2: speed (REPORTED)
# --------------------------------------------------------------------------------------------
def _numpy_newton(X, y, W, iters=8):
    """The fair baseline: the same batched Newton in vectorised numpy (einsum over replicates)."""
    beta = np.zeros((W.shape[0], X.shape[1]))
    for _ in range(iters):
        p = 1 / (1 + np.exp(-(beta @ X.T)))
        g = np.einsum("bn,nk->bk", W * (y - p), X)
        H = np.einsum("bn,nk,nl->bkl", W * p * (1 - p), X, X) + 1e-6 * np.eye(X.shape[1])
        beta = beta + np.linalg.solve(H, g[..., None])[..., 0]
    return beta


@suite.claim("P1", "Batched bootstrap logistic fits in JAX are at least as fast as the same "
                   "Newton in vectorised numpy.", gate=False, presets=("quick", "full"))
def _p1(ctx: Context):
    p = PRESETS[ctx.preset]
    rng = ctx.rng(11)
    n, B = 2000, p.p1_fits
    X = np.column_stack([np.ones(n), rng.standard_normal((n, 3))])
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ np.array([0.2, 0.5, -0.5, 0.3]))))).astype(float)
    W = rng.multinomial(n, np.full(n, 1 / n), size=B).astype(float)
    init = fit_glm(X, y).beta
    sp = compare_speed({"jax": lambda: fit_glm_batch(X, y, W, init=init),
                        "numpy": lambda: _numpy_newton(X, y, W)}, repeats=5, warmup=1)
    err = float(np.max(np.abs(fit_glm_batch(X, y, W) - _numpy_newton(X, y, W, 25))))
    claim = "Vmapped JAX Newton vs the same batched Newton in numpy."
    return [ClaimResult.measure(id="P1", claim=claim, metric=f"speed-up numpy/JAX, {B} "
                                f"bootstrap fits (n={n}, p=4), warm medians",
                                value=sp.ratio("numpy", "jax"), paper="target >= 1",
                                details={**sp.details(), "max_abs_coef_diff": err}),
            ClaimResult.measure(id="P1.time", claim=claim, metric=f"JAX seconds for {B} fits",
                                value=sp.median("jax"), paper="target <= 2 s warm"),
            ClaimResult.measure(id="P1.compile", claim=claim, metric="JAX compile seconds",
                                value=sp.compile_seconds("jax"))]


@suite.claim("P2", "IRT with EM on 2000 items x 20 reference models runs in under a second.",
             gate=False, presets=("quick", "full"))
def _p2(ctx: Context):
    bench = simulate(SimConfig(n_items=2000, n_models=1, n_reference=20), key=_key(ctx.seed, 12))
    ref = bench.responses[bench.responses.is_reference]
    fit_irt(ref)
    t = []
    for _ in range(5):
        t0 = time.perf_counter()
        fit_irt(ref)
        t.append(time.perf_counter() - t0)
    return ClaimResult.measure(id="P2", claim="IRT fit speed.", metric="fit_irt seconds "
                               "(2000 x 20, warm median of 5)", value=float(np.median(t)),
                               paper="target <= 1 s warm", details={"times": t})


# --------------------------------------------------------------------------------------------
# Full-only REPORTED claims: B3, B7, B9, B10
# --------------------------------------------------------------------------------------------
def _kendall(a, b) -> float:
    from scipy.stats import kendalltau

    return float(kendalltau(a, b).statistic)


@suite.claim("B3", "Contamination: adjusting for an overlap proxy restores ability ranks and "
                   "flags leaked models (CAT-E2).", gate=False, presets=("full",))
def _b3(ctx: Context):
    p = PRESETS[ctx.preset]
    from mpiis.shared.metrics import auroc

    tn, ta, au = [], [], []
    for r in range(p.full_reps):
        k = _key(ctx.seed, 3, r)
        bench = simulate(SimConfig(n_items=1000, n_models=10, n_reference=20,
                                   monsters=(Contamination(),)), key=k)
        spec = bench.spec
        res = compare_models(bench.responses, spec, key=k, adjust=["Overlap"], n_boot=20)
        truth = np.array([bench.truth["abilities"][m] for m in res.model])
        naive = compare_models(bench.responses, spec, key=k, n_boot=20)
        tn.append(_kendall(naive.accuracy, truth))
        ta.append(_kendall(res.ability, truth))
        leaked = np.isin(res.model, bench.truth["leaked_models"]).astype(int)
        au.append(auroc(leaked, res.adjust_slope.to_numpy()))
    claim = "Contamination is exposed by adjusting for overlap."
    return [ClaimResult.measure(id="B3.tau_adj", claim=claim, metric="Kendall tau of adjusted "
                                "ability ranks vs truth", value=ta, baseline=float(np.mean(tn)),
                                paper="expect >= 0.80 and >= tau_naive + 0.15",
                                details={"tau_naive": tn}),
            ClaimResult.measure(id="B3.auroc", claim=claim, metric="AUROC of the per-model "
                                "overlap slope for leaked models", value=au,
                                paper="expect >= 0.90")]


def _b7_table(rng, n: int) -> pd.DataFrame:
    W = rng.standard_normal(n)
    Z = rng.standard_normal(n)
    X = 0.8 * W + 0.8 * Z + rng.standard_normal(n)
    M = 0.8 * X + rng.standard_normal(n)
    Y = (rng.random(n) < 1 / (1 + np.exp(-(0.8 * M + 0.8 * Z)))).astype(float)
    return pd.DataFrame({"W": W, "Z": Z, "X": X, "M": M, "Y": Y})


B7_GRAPHS = {
    "true": [("W", "X"), ("Z", "X"), ("Z", "Y"), ("X", "M"), ("M", "Y")],
    "missing_confounder": [("W", "X"), ("Z", "X"), ("X", "M"), ("M", "Y")],
    "reversed_edge": [("W", "X"), ("Z", "X"), ("Z", "Y"), ("M", "X"), ("M", "Y")],
    "missing_mediator": [("W", "X"), ("Z", "X"), ("Z", "Y"), ("X", "Y"), ("M", "Y")],
}


@suite.claim("B7", "Graph ranking: the true graph is rarely contradicted, wrong graphs often, "
                   "and the true graph ranks first (claim 4).", gate=False, presets=("full",))
def _b7(ctx: Context):
    p = PRESETS[ctx.preset]
    types = {"W": "continuous", "Z": "continuous", "X": "continuous", "M": "continuous",
             "Y": "binary"}
    specs = {k: EvalSpec(CausalGraph(v), columns={c: c for c in types}, types=types)
             for k, v in B7_GRAPHS.items()}
    rej = {k: [] for k in specs}
    first = []
    for r in range(p.full_reps):
        df = _b7_table(np.random.default_rng([ctx.seed, 7, r]), 2000)
        ranking = check_many(specs, df, key=_key(ctx.seed, 7, r), n_perm=20)  # 20 relabellings
        for _, row in ranking.iterrows():
            rej[row["name"]].append(row["contradicted"] > 0)
        first.append(ranking.iloc[0]["name"] == "true")
    wrong = [float(np.mean(rej[k])) for k in specs if k != "true"]
    claim = "check_many ranks the true graph first; wrong graphs are contradicted."
    return [ClaimResult.measure(id="B7.true_rejected", claim=claim, metric="share of runs with "
                                "the true graph contradicted", value=_blocks(rej["true"]),
                                paper="expect <= 0.07"),
            ClaimResult.measure(id="B7.wrong_rejected", claim=claim, metric="share of runs with "
                                "a wrong graph contradicted (min over the 3 wrong graphs)",
                                value=min(wrong), paper="expect >= 0.80",
                                details=dict(zip([k for k in specs if k != "true"], wrong,
                                                 strict=True))),
            ClaimResult.measure(id="B7.true_first", claim=claim, metric="share of runs with the "
                                "true graph ranked first", value=_blocks(first),
                                paper="expect >= 0.85")]


def _gamma_for_pm(pm: float) -> float:
    lo, hi = -0.5, 4.0
    rng = np.random.default_rng(0)
    for _ in range(20):
        mid = (lo + hi) / 2
        t = mediation_truth(mid, rng, 100_000)
        lo, hi = (mid, hi) if t["pm"] > pm else (lo, mid)
    return (lo + hi) / 2


@suite.claim("B9", "The mediation formula recovers the proportion mediated.", gate=False,
             presets=("full",))
def _b9(ctx: Context):
    p = PRESETS[ctx.preset]
    out = []
    for i, pm in enumerate((0.2, 0.5, 0.8)):
        gamma = _gamma_for_pm(pm)
        truth = mediation_truth(gamma, np.random.default_rng(1), 1_000_000)
        err, cover = [], []
        for r in range(p.full_reps):
            k = _key(ctx.seed, 9, i, r)
            bench = simulate(SimConfig(n_items=5000, n_models=1, n_reference=20,
                                       monsters=(MediatorBypass(direct=gamma, mc_draws=1000),)),
                             key=k)
            m = estimate_mediation(bench.responses, bench.spec, "X", "M", "Y", n_boot=200,
                                   key=k)
            err.append(m.pm - truth["pm"])
            cover.append(m.pm_ci[0] <= truth["pm"] <= m.pm_ci[1])
        out += [ClaimResult.measure(id=f"B9.pm{pm}.error", claim="PM recovered.",
                                    metric=f"mean |PM error| at PM={pm} (gamma_X={gamma:.3f})",
                                    value=[abs(e) for e in err], paper="expect <= 0.05",
                                    details={"signed": err, "truth": truth}),
                ClaimResult.measure(id=f"B9.pm{pm}.coverage", claim="PM CI covers the truth.",
                                    metric=f"95% CI coverage of PM at PM={pm}",
                                    value=float(np.mean(cover)), paper="expect in [0.90, 0.98]")]
    return out


@suite.claim("B10", "A format effect (DIF) is detected by a clustered Wald test (CAT-E3).",
             gate=False, presets=("full",))
def _b10(ctx: Context):
    p = PRESETS[ctx.preset]
    res = {}
    for label, eff in (("fpr", 0.0), ("power", 0.5)):
        rej = []
        for r in range(p.full_reps):
            k = _key(ctx.seed, 10, int(eff * 10), r)
            bench = simulate(SimConfig(n_items=2000, n_models=4, n_reference=20,
                                       monsters=(FormatSensitivity(effect=eff),)), key=k)
            ev = bench.responses
            ref = ev[ev.is_reference]
            fit = fit_irt(ref)
            idx = {i: j for j, i in enumerate(fit.items)}
            ev = ev[~ev.is_reference]
            D = fit.difficulty[[idx[i] for i in ev.item_id]]
            X = np.column_stack([pd.get_dummies(ev.model, dtype=float).to_numpy(), D,
                                 pd.get_dummies(ev.format, drop_first=True,
                                                dtype=float).to_numpy()])
            g = fit_glm(X, ev.correct.to_numpy(float), clusters=ev.item_id.to_numpy())
            b, V = g.beta[-3:], g.cov[-3:, -3:]
            from scipy.stats import chi2

            rej.append(chi2.sf(float(b @ np.linalg.solve(V, b)), 3) < ALPHA)
        res[label] = rej
    return [ClaimResult.measure(id="B10.fpr", claim="Format DIF test.", metric="rejection rate "
                                "without a format effect", value=_blocks(res["fpr"]),
                                paper="expect <= 0.07"),
            ClaimResult.measure(id="B10.power", claim="Format DIF test.", metric="rejection "
                                "rate with a +0.5 logit format effect",
                                value=_blocks(res["power"]), paper="expect >= 0.80")]


# --------------------------------------------------------------------------------------------
# Figures (matplotlib extra)
# --------------------------------------------------------------------------------------------
def _plot_b1(df: pd.DataFrame, path) -> None:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.5))
    g = df.groupby("beta")
    ax.plot(g.size().index, g.apply(lambda d: (d.cats_p < ALPHA).mean()), "o-", label="cats")
    ax.plot(g.size().index, g.apply(lambda d: (d.plugin_p < ALPHA).mean()), "s--",
            label="plug-in proxy")
    ax.plot(g.size().index, g.apply(lambda d: (d.naive_p < ALPHA).mean()), "^:",
            label="naive thirds (any sign)")
    ax.axhline(ALPHA, color="grey", lw=0.5)
    ax.set(xlabel="true shortcut effect beta", ylabel="rejection rate", ylim=(0, 1.05))
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def _plot_b2(seed: int, path) -> None:
    import matplotlib.pyplot as plt

    ks = (5, 10, 20, 50, 100, 200)
    rho = []
    for K in ks:
        b = simulate(SimConfig(n_items=2000, n_models=1, n_reference=K), key=_key(seed, 22, K))
        rho.append(fit_irt(b.responses[b.responses.is_reference]).reliability)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot(ks, rho, "o-")
    ax.axhline(0.9, color="red", lw=0.8, ls="--", label="warning threshold 0.90")
    ax.set(xscale="log", xlabel="reference models K", ylabel="marginal reliability")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def _plot_b5(pv: pd.DataFrame, path) -> None:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 4))
    for role, d in pv.groupby("role"):
        ax.scatter(-np.log10(d.p_value_label.clip(1e-300)),
                   -np.log10(d.p_value_flip.clip(1e-300)), label=role, s=18)
    ax.set(xlabel="-log10 p (label bias)", ylabel="-log10 p (flip test)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def _plot_b6(df: pd.DataFrame, path) -> None:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.hist(df.naive, bins=30, alpha=0.6, label="unweighted")
    ax.hist(df.ipw, bins=30, alpha=0.6, label="1/pi weighted")
    ax.axvline(0, color="k", lw=0.8)
    ax.set(xlabel="effect of S on success (per SD)", ylabel="runs")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def plot_catalogue(path) -> None:
    """The six CAT graphs, extensions shaded."""
    import matplotlib.pyplot as plt

    from . import catalogue

    cats = catalogue()
    fig, axes = plt.subplots(2, 3, figsize=(11, 6.5))
    for ax, c in zip(axes.ravel(), cats, strict=True):
        G = c.graph.to_networkx()
        pos = nx.spring_layout(G, seed=1)
        colors = ["#dddddd" if v in c.graph.latent else "#ffcc99" if v in c.graph.selection
                  else "#99ccff" for v in G]
        nx.draw_networkx(G, pos, ax=ax, node_color=colors, node_size=600, font_size=7,
                         arrowsize=12)
        ax.set_title(f"{c.name} ({c.origin})", fontsize=9)
        if c.origin == "extension":
            ax.set_facecolor("#f3f3f3")
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    fig.savefig(path, dpi=120)
