"""Write the benchmark's simulated cohort as the files external tools read, and run the peers of
the brief that are installed (PRS-CS, MAGMA, S-LDSC). Not part of CI; nothing downloads.

    uv run python benchmarks/peers/phenformer/export_and_run.py [--out DIR] [--seed 0]

Files (one contig per gene window, named gene_<g>; the TSS at the window centre):
reference.fa, genes.bed, cohort.vcf (phased), phenotypes.tsv (sample, disease, ancestry, split),
gwas_A_train.tsv (SNP, A1, A2, BETA, SE, P from ancestry-A training rows, 4 PCs as covariates)
and snp_gene.tsv (SNP -> gene) for gene-level tools. A peer whose executable is not on PATH is
recorded as "not installed" in results.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np

from mpiis.phenformer import (
    PhasedVariants,
    SimConfig,
    genotype_pcs,
    gwas_marginal,
    simulate_cohort,
    write_bed,
    write_fasta,
    write_vcf,
)
from mpiis.phenformer._sequence import BASES


def export(out: Path, seed: int) -> dict:
    c = simulate_cohort(SimConfig.quick(), rng=np.random.default_rng([seed, 1]))
    out.mkdir(parents=True, exist_ok=True)
    G, S = c.snv_pos.shape
    names = [f"gene_{g}" for g in range(G)]
    write_fasta(out / "reference.fa", {n: c.reference[g] for g, n in enumerate(names)})
    L = c.reference.shape[1]
    write_bed(out / "genes.bed", [{"chrom": n, "start": L // 2, "end": L // 2 + 1, "name": n,
                                   "strand": "+"} for n in names])
    samples = tuple(f"ind{i}" for i in range(c.n))
    chrom = np.repeat(names, S)
    pos = (c.snv_pos + 1).ravel()  # VCF is 1-based
    ref = np.array([BASES[c.reference[g, p]] for g in range(G) for p in c.snv_pos[g]])
    alt = np.array([BASES[a] for a in c.snv_alt.ravel()])
    hap = c.alleles.transpose(1, 3, 0, 2).reshape(G * S, c.n, 2)  # (V, N, 2)
    write_vcf(out / "cohort.vcf", PhasedVariants(chrom=chrom, pos=pos, ref=ref, alt=alt,
                                                 samples=samples, haplotypes=hap))
    with open(out / "phenotypes.tsv", "w") as f:
        f.write("sample\tdisease\tancestry\tsplit\n")
        for i in range(c.n):
            f.write(f"{samples[i]}\t{c.y[i]}\t{'AB'[c.ancestry[i]]}\t{c.split[i]}\n")
    tr = c.indices("train")
    dos = c.dosages()[tr].astype(float)
    mu, sd = dos.mean(0), dos.std(0)
    xs = (dos - mu) / np.where(sd > 1e-12, sd, 1.0)
    beta, z, p = gwas_marginal(xs, c.y[tr].astype(float), xs @ genotype_pcs(xs, 4))
    snp = [f"{chrom[v]}:{pos[v]}" for v in range(G * S)]
    with open(out / "gwas_A_train.tsv", "w") as f:
        f.write("SNP\tA1\tA2\tBETA\tSE\tP\tN\n")
        for v in range(G * S):
            se = abs(beta[v] / z[v]) if z[v] else float("nan")
            f.write(f"{snp[v]}\t{alt[v]}\t{ref[v]}\t{beta[v]:.6g}\t{se:.6g}\t{p[v]:.6g}\t"
                    f"{len(tr)}\n")
    with open(out / "snp_gene.tsv", "w") as f:
        f.write("SNP\tgene\n")
        for v in range(G * S):
            f.write(f"{snp[v]}\t{chrom[v]}\n")
    return {"individuals": c.n, "genes": G, "snvs": G * S,
            "causal_context": c.truth.causal_context,
            "disease_genes": c.truth.disease_genes.tolist()}


PEERS = {
    # name: (executable, what it would be compared on)
    "PRS-CS": ("PRScs.py", "AUROC on A-test and B-test beside ct_prs / ridge_prs, fit time"),
    "LDpred2": ("Rscript", "AUROC beside ct_prs / ridge_prs (bigsnpr must be installed)"),
    "MAGMA gene-property": ("magma", "rank of c* from gene-level z against per-context expression"),
    "S-LDSC": ("ldsc.py", "rank of c* by partitioned heritability enrichment"),
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="benchmarks/peers/phenformer/cohort")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    t = time.perf_counter()
    info = export(Path(a.out), a.seed)
    res: dict = {"export": info, "export_seconds": time.perf_counter() - t, "peers": {}}
    for name, (exe, what) in PEERS.items():
        path = shutil.which(exe)
        if path is None:
            res["peers"][name] = {"status": f"not installed ({exe} not on PATH)", "compares": what}
            continue
        # Present: record the version line; the comparison itself needs the tool's reference
        # panels (LD matrices, annotations), which the simulator does not ship.
        v = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60)
        res["peers"][name] = {"status": "found", "path": path, "version": v.stdout[:200],
                              "compares": what}
    Path("benchmarks/peers/phenformer/results.json").write_text(json.dumps(res, indent=1))
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
