"""Synthetic genome and population with a known causal cell context (brief, "Data: Simulator")."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._config import SimConfig
from ._motifs import MotifSet
from ._sequence import apply_variants, unique_haplotypes

__all__ = ["Cohort", "ExpressionOracle", "GroundTruth", "simulate_cohort"]

_BACKGROUND = np.array([0.295, 0.205, 0.205, 0.295])  # A/C/G/T background composition
_GAIN = 2.0  # log-expression per fully occupied, fully active site at the TSS
_DECAY = 300.0  # bp scale of the distance attenuation exp(-|centre - TSS| / 300)
_BIN = 32  # bp per track bin
_ENHANCER = 60  # bp per enhancer
_OFFSETS = (5, 23, 41)  # site offsets inside an enhancer


class ExpressionOracle:
    """The simulator's exact sequence → (expression, tracks) map (brief, "Data: Oracle").

    ``y_c = Σ_sites 2.0 · occ · A[c, m] · exp(−|centre − TSS| / 300)`` over planted sites, with
    occupancy read from the actual sequence; tracks: ``occ · A[c, m]`` summed per 32-bp bin.
    """

    def __init__(self, motifs: MotifSet, window: int) -> None:
        self.motifs = motifs
        self.window = int(window)

    def __call__(
        self, seqs: np.ndarray, site_motif: np.ndarray, site_start: np.ndarray,
        *, site_row: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Expression ``(n, C)`` and tracks ``(n, C, L/32)`` of integer-coded windows ``(n, L)``.

        ``site_row`` (one entry per site) assigns each site to one row of ``seqs``; ``None``
        applies every site to every row (all windows of one gene).
        """
        seqs = np.asarray(seqs)
        n, L = seqs.shape
        C = self.motifs.n_contexts
        expr = np.zeros((n, C))
        tracks = np.zeros((n, C, L // _BIN))
        tss = L // 2
        site_motif = np.asarray(site_motif, dtype=np.int64)
        site_start = np.asarray(site_start, dtype=np.int64)
        if site_row is None:  # every site on every row
            rows = np.repeat(np.arange(n), len(site_motif))
            motif = np.tile(site_motif, n)
            start = np.tile(site_start, n)
        else:
            rows = np.asarray(site_row, dtype=np.int64)
            motif, start = site_motif, site_start
        for m in np.unique(motif):
            sel = motif == m
            w = self.motifs.pwms[m].shape[0]
            r, st = rows[sel], start[sel]
            if st.size and (st.min() < 0 or st.max() + w > L):
                raise ValueError(f"a site of motif {m} runs off the window of length {L}")
            occ = self.motifs.occupancy(int(m), seqs[r[:, None], st[:, None] + np.arange(w)])
            centre = st + w / 2.0
            act = self.motifs.activity[:, m]  # (C,)
            contrib = (_GAIN * np.exp(-np.abs(centre - tss) / _DECAY) * occ)[:, None] * act[None]
            np.add.at(expr, r, contrib)
            b = np.minimum(centre.astype(np.int64) // _BIN, L // _BIN - 1)
            np.add.at(tracks, (r, slice(None), b), occ[:, None] * act[None])
        return expr, tracks


@dataclass(frozen=True, eq=False)
class GroundTruth:
    """What the simulator built in: causal context(s), tissue, genes, effects, labels."""

    causal_context: int  # c* of the first mechanism
    causal_tissue: int  # tissue of c*
    disease_genes: np.ndarray  # D (first mechanism)
    beta: np.ndarray  # effect per disease gene
    causal_snvs: np.ndarray  # (G, S) bool: SNVs that change c* expression of a disease gene
    private_snvs: np.ndarray  # (G, S) bool: ancestry-B-private gain-of-function SNVs
    liability: np.ndarray  # (N,)
    genetic_value: np.ndarray  # (N,)
    mechanism: np.ndarray  # (N,) mechanism that made a case, -1 for controls
    contexts: tuple[int, ...]  # causal context of every mechanism
    gene_sets: tuple[np.ndarray, ...]  # disease genes of every mechanism
    disease_gene_sets: tuple[np.ndarray, ...] = ()  # genes of every disease (n_diseases)
    epistatic_pair: tuple[int, int] | None = None  # the two genes of the epistasis term
    genetic_values: np.ndarray | None = None  # (N, mechanisms) genetic value per mechanism


@dataclass(frozen=True, eq=False)
class Cohort:
    """A simulated cohort: reference windows, phased SNVs, labels, splits and the truth.

    Shapes: ``reference (G, L)`` int8 codes; ``snv_pos/snv_alt (G, S)``; ``alleles (N, G, 2, S)``
    uint8; ``ancestry (N,)`` 0 = A, 1 = B; ``split (N,)`` in {"train", "val", "test"};
    ``y (N,)`` 0/1 (the first disease); ``labels (N, n_diseases)`` 0/1, all diseases.
    """

    config: SimConfig
    motifs: MotifSet
    reference: np.ndarray
    site_gene: np.ndarray
    site_motif: np.ndarray
    site_start: np.ndarray
    snv_pos: np.ndarray
    snv_alt: np.ndarray
    alleles: np.ndarray
    ancestry: np.ndarray
    split: np.ndarray
    y: np.ndarray
    truth: GroundTruth
    expression: np.ndarray = field(repr=False)  # (N, G, C) diploid oracle expression
    labels: np.ndarray | None = field(default=None, repr=False)  # (N, n_diseases)

    @property
    def n(self) -> int:
        return int(self.alleles.shape[0])

    @property
    def n_genes(self) -> int:
        return int(self.reference.shape[0])

    @property
    def oracle(self) -> ExpressionOracle:
        return ExpressionOracle(self.motifs, self.reference.shape[1])

    def indices(self, split: str, ancestry: int | None = 0) -> np.ndarray:
        """Row indices of one split (``"train"``, ``"val"``, ``"test"``) of one ancestry."""
        if split not in ("train", "val", "test"):
            raise ValueError(f"`split` must be 'train', 'val' or 'test', got {split!r}")
        mask = self.split == split
        if ancestry is not None:
            mask &= self.ancestry == ancestry
        return np.flatnonzero(mask)

    def sites(self, gene: int) -> tuple[np.ndarray, np.ndarray]:
        """Motif ids and start positions of the sites planted in one gene's window."""
        sel = self.site_gene == gene
        return self.site_motif[sel], self.site_start[sel]

    def haplotype_sequences(self, gene: int, alleles: np.ndarray) -> np.ndarray:
        """Integer-coded windows ``(n, L)`` of haplotypes ``(n, S)`` of one gene."""
        return apply_variants(self.reference[gene], self.snv_pos[gene], self.snv_alt[gene], alleles)

    def dosages(self) -> np.ndarray:
        """Alternative-allele dosages ``(N, G·S)`` in {0, 1, 2} (float64)."""
        d = self.alleles.sum(2, dtype=np.int16)  # (N, G, S)
        return d.reshape(self.n, -1).astype(np.float64)


def _plant(seq: np.ndarray, start: int, bases: np.ndarray) -> None:
    seq[start:start + len(bases)] = bases


def _enhancer_starts(rng, L: int, k: int) -> list[int]:
    tss = L // 2
    excl = min(100, L // 8)
    lo_max = tss - excl - _ENHANCER
    hi_min = tss + excl
    starts: list[int] = []
    for _ in range(k):
        for _try in range(50):
            if lo_max > 0 and (rng.random() < 0.5 or hi_min > L - _ENHANCER):
                s = int(rng.integers(0, lo_max + 1))
            else:
                s = int(rng.integers(hi_min, L - _ENHANCER + 1))
            if all(abs(s - t) >= _ENHANCER for t in starts):
                break
        starts.append(s)
    return starts


def simulate_cohort(config: SimConfig, *, rng: np.random.Generator) -> Cohort:
    """Simulate reference windows, motifs, SNVs, two ancestries, expression and disease.

    Implements the brief's "Data: Simulator" section; every number is a :class:`SimConfig` field
    or a module constant. Deterministic given ``rng``.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"`rng` must be a numpy.random.Generator, got {type(rng).__name__}")
    cfg = config
    G, L, C, T, S = cfg.n_genes, cfg.window, cfg.n_contexts, cfg.n_tissues, cfg.snvs_per_gene
    tss = L // 2
    motifs = MotifSet.simulate(C, T, rng=rng)
    M = motifs.n_motifs
    ref = rng.choice(4, size=(G, L), p=_BACKGROUND).astype(np.int8)

    # causal contexts and disease genes of every mechanism
    c_star = int(rng.integers(C))
    contexts = [c_star]
    if cfg.mechanisms == 2:
        t_of_c = motifs.tissue_of_context
        others = [c for c in range(C) if t_of_c[c] != t_of_c[c_star]]
        contexts.append(int(rng.choice(others)))
    genes = rng.permutation(G)
    gene_sets = [np.sort(genes[k * cfg.n_disease_genes:(k + 1) * cfg.n_disease_genes])
                 for k in range(cfg.mechanisms)]
    mech_of_gene = np.full(G, -1)
    for k, d in enumerate(gene_sets):
        mech_of_gene[d] = k
    D = cfg.n_disease_genes
    disease_sets = [gene_sets[0]]
    if cfg.n_diseases == 2:  # partly shared: half of D plus new genes, all acting in c*
        used = cfg.mechanisms * D
        new = genes[used:used + D - D // 2]
        mech_of_gene[new] = 0
        disease_sets.append(np.sort(np.r_[gene_sets[0][: D // 2], new]))

    site_gene, site_motif, site_start = [], [], []
    snv_pos = np.zeros((G, S), dtype=np.int64)
    snv_alt = np.zeros((G, S), dtype=np.int8)
    causal = np.zeros((G, S), dtype=bool)
    private = np.zeros((G, S), dtype=bool)

    def add_site(g: int, m: int, start: int, mismatches: int = 0) -> list[int]:
        cons = motifs.consensus(m).copy()
        mm = []
        if mismatches:
            mm = sorted(rng.choice(len(cons), size=mismatches, replace=False).tolist())
            for j in mm:
                cons[j] = (cons[j] + int(rng.integers(1, 4))) % 4
        _plant(ref[g], start, cons)
        site_gene.append(g)
        site_motif.append(m)
        site_start.append(start)
        return mm

    for g in range(G):
        covered = np.zeros(L, dtype=bool)
        snvs: list[tuple[int, int, bool, bool]] = []  # (pos, alt, causal, private)
        add_site(g, 0, tss - 60)
        add_site(g, 1, tss + 10)
        k = mech_of_gene[g]
        n_enh = 3 + (1 if k >= 0 and cfg.mode == "regulatory" else 0)
        starts = _enhancer_starts(rng, L, n_enh)
        for e in starts[:3]:
            for off in _OFFSETS[: int(rng.integers(1, 4))]:
                add_site(g, int(rng.integers(2, M)), e + off)
        if k >= 0:
            priv_m = 2 + T + contexts[k]
            w = motifs.pwms[priv_m].shape[0]
            if cfg.mode == "regulatory":
                e = starts[3]
                mms = [add_site(g, priv_m, e + off, mismatches=2) for off in _OFFSETS]
                cons = motifs.consensus(priv_m)
                for i in (0, 1):  # four common gain-of-function SNVs restore sites 1-2
                    for j in mms[i]:
                        snvs.append((e + _OFFSETS[i] + j, int(cons[j]), True, False))
                if cfg.private_variants:  # B-private gain of function in cryptic site 3
                    for j in mms[2][: int(rng.integers(1, 3))]:
                        snvs.append((e + _OFFSETS[2] + j, int(cons[j]), True, True))
                if rng.random() < 0.5:  # promoter loss of function
                    ms, ps = (0, tss - 60) if rng.random() < 0.5 else (1, tss + 10)
                    j = int(rng.integers(motifs.pwms[ms].shape[0]))
                    b = int(ref[g, ps + j])
                    snvs.append((ps + j, (b + int(rng.integers(1, 4))) % 4, True, False))
            else:  # expression mode: c*-private promoter sites with loss-of-function SNVs
                for ps in (tss - 40 - w, tss + 30):
                    add_site(g, priv_m, ps)
                    for j in rng.choice(w, size=2, replace=False):
                        b = int(ref[g, ps + j])
                        snvs.append((ps + int(j), (b + int(rng.integers(1, 4))) % 4, True, False))
                if cfg.private_variants:
                    ps = tss + 30
                    j = int(rng.integers(w))
                    if all(p != ps + j for p, *_ in snvs):
                        b = int(ref[g, ps + j])
                        snvs.append((ps + j, (b + int(rng.integers(1, 4))) % 4, True, True))
        sel = np.flatnonzero(np.asarray(site_gene) == g)
        for s in sel:
            m, st = site_motif[s], site_start[s]
            covered[st:st + motifs.pwms[m].shape[0]] = True
        if k < 0:  # four functional SNVs inside planted sites
            inside = np.flatnonzero(covered)
            for p in rng.choice(inside, size=min(4, len(inside)), replace=False):
                b = int(ref[g, p])
                snvs.append((int(p), (b + int(rng.integers(1, 4))) % 4, False, False))
        used = {p for p, *_ in snvs}
        outside = np.array([p for p in np.flatnonzero(~covered) if p not in used])
        n_neutral = S - len(snvs)
        for p in np.sort(rng.choice(outside, size=n_neutral, replace=False)):
            b = int(ref[g, p])
            snvs.append((int(p), (b + int(rng.integers(1, 4))) % 4, False, False))
        snvs = snvs[:S]
        order = np.argsort([p for p, *_ in snvs], kind="stable")
        for i, o in enumerate(order):
            p, a, c, pv = snvs[o]
            snv_pos[g, i], snv_alt[g, i], causal[g, i], private[g, i] = p, a, c, pv

    site_gene_a = np.asarray(site_gene)
    site_motif_a = np.asarray(site_motif)
    site_start_a = np.asarray(site_start)

    # population: Balding-Nichols frequencies, founder haplotypes, Dirichlet founder weights
    n = cfg.n_a + cfg.n_b
    ancestry = np.r_[np.zeros(cfg.n_a, np.int8), np.ones(cfg.n_b, np.int8)]
    alleles = np.zeros((n, G, 2, S), dtype=np.uint8)
    f = cfg.fst
    for g in range(G):
        p = rng.uniform(0.05, 0.5, size=S)
        for anc, (n_f, rows) in enumerate(((cfg.founders[0], slice(0, cfg.n_a)),
                                           (cfg.founders[1], slice(cfg.n_a, n)))):
            q = rng.beta(p * (1 - f) / f, (1 - p) * (1 - f) / f)
            q = np.where(private[g], 0.0 if anc == 0 else rng.uniform(0.05, 0.2, size=S), q)
            founders = (rng.random((n_f, S)) < q).astype(np.uint8)
            weights = rng.dirichlet(np.ones(n_f))
            m_rows = (cfg.n_a, cfg.n_b)[anc]
            pick = rng.choice(n_f, size=(m_rows, 2), p=weights)
            hap = founders[pick]  # (m, 2, S)
            flips = (rng.random(hap.shape) < cfg.flip_rate) & ~private[g][None, None, :]
            alleles[rows, g] = hap ^ flips.astype(np.uint8)

    # diploid oracle expression per person, gene, context (one oracle call per unique haplotype)
    oracle = ExpressionOracle(motifs, L)
    expression = np.zeros((n, G, C))
    for g in range(G):
        flat = alleles[:, g].reshape(2 * n, S)
        uniq, inv = unique_haplotypes(flat)
        sel = site_gene_a == g
        e, _ = oracle(apply_variants(ref[g], snv_pos[g], snv_alt[g], uniq),
                      site_motif_a[sel], site_start_a[sel])
        expression[:, g] = e[inv].reshape(n, 2, C).sum(1)

    # liability per mechanism; cases = top prevalence within each ancestry
    a = ancestry == 0
    liabs, gvals, betas = [], [], []
    pair = (int(gene_sets[0][0]), int(gene_sets[0][1])) if cfg.epistasis else None
    for k, d in enumerate(gene_sets):
        z = expression[:, d, contexts[k]]
        sd = z[a].std(0)
        z = (z - z[a].mean(0)) / np.where(sd > 1e-12, sd, 1.0)
        beta = rng.normal(size=len(d))
        gv = z @ beta
        if k == 0 and cfg.epistasis:
            gv = gv + cfg.epistasis * z[:, 0] * z[:, 1]
        gv = (gv - gv[a].mean()) / max(gv[a].std(), 1e-12) * np.sqrt(cfg.h2)
        noise = np.empty(n)
        noise[a] = rng.normal(scale=np.sqrt(1 - cfg.h2), size=a.sum())
        var_b = gv[~a].var() * (1 - cfg.h2) / cfg.h2 if (~a).sum() > 1 else 1 - cfg.h2
        noise[~a] = rng.normal(scale=np.sqrt(max(var_b, 1e-12)), size=(~a).sum())
        liabs.append(gv + noise)
        gvals.append(gv)
        betas.append(beta)
    lmat = np.stack(liabs, 1)
    liability = lmat.max(1)
    genetic_value = np.stack(gvals, 1).max(1)
    y = np.zeros(n, dtype=np.int64)
    for anc in (0, 1):
        rows = np.flatnonzero(ancestry == anc)
        cut = np.quantile(liability[rows], 1 - cfg.prevalence)
        y[rows] = liability[rows] > cut
    mechanism = np.where(y == 1, lmat.argmax(1), -1)
    labels = y[:, None]
    if cfg.n_diseases == 2:  # second disease: own effects and noise, same h2 and prevalence
        d2 = disease_sets[1]
        z = expression[:, d2, c_star]
        sd = z[a].std(0)
        z = (z - z[a].mean(0)) / np.where(sd > 1e-12, sd, 1.0)
        gv = z @ rng.normal(size=len(d2))
        gv = (gv - gv[a].mean()) / max(gv[a].std(), 1e-12) * np.sqrt(cfg.h2)
        liab2 = gv + rng.normal(scale=np.sqrt(1 - cfg.h2), size=n)
        y2 = np.zeros(n, dtype=np.int64)
        for anc in (0, 1):
            rows = np.flatnonzero(ancestry == anc)
            y2[rows] = liab2[rows] > np.quantile(liab2[rows], 1 - cfg.prevalence)
        labels = np.c_[y, y2]

    split = np.full(n, "test", dtype="<U5")
    perm = rng.permutation(cfg.n_a)
    n_tr = round(cfg.split[0] * cfg.n_a)
    n_va = round(cfg.split[1] * cfg.n_a)
    split[perm[:n_tr]] = "train"
    split[perm[n_tr:n_tr + n_va]] = "val"

    causal_first = causal & (mech_of_gene[:, None] == 0)
    truth = GroundTruth(
        causal_context=c_star,
        causal_tissue=int(motifs.tissue_of_context[c_star]),
        disease_genes=gene_sets[0],
        beta=betas[0],
        causal_snvs=causal_first,
        private_snvs=private,
        liability=liability,
        genetic_value=genetic_value,
        mechanism=mechanism,
        contexts=tuple(contexts),
        gene_sets=tuple(gene_sets),
        disease_gene_sets=tuple(disease_sets),
        epistatic_pair=pair,
        genetic_values=np.stack(gvals, 1),
    )
    return Cohort(
        config=cfg, motifs=motifs, reference=ref, site_gene=site_gene_a, site_motif=site_motif_a,
        site_start=site_start_a, snv_pos=snv_pos, snv_alt=snv_alt, alleles=alleles,
        ancestry=ancestry, split=split, y=y, truth=truth, expression=expression, labels=labels,
    )
