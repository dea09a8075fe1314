"""Side-by-side: compression (mpiis.algocausal) vs causal-learn CD-NOD on sparse-shift data.

Run from the repository root (causal-learn is a peer, never a package dependency):

    uv run --with causal-learn python benchmarks/peers/algocausal/cdnod_compare.py

Settings (paper brief, "Baselines and peers"): bivariate N = 6 environments with n = 100 and
n = 300 samples each, and d = 3 (N = 6, n = 200), on the same `simulate_sparse_shift`
instances for every method. CD-NOD gets the environment index as its context variable and runs
with `indep_test="fisherz"` and `"kci"` (alpha = 0.05). Reported: orientation of the bivariate
edge (correct / wrong / unoriented / missing), exact DAG recovery and SHD for d = 3 (an
undirected edge counts as one mismatch), and wall time per instance. Writes `results.json`
and `results.md` next to this script.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from causallearn.search.ConstraintBased.CDNOD import cdnod

from mpiis.algocausal import (
    CompressionConfig,
    discover_dag,
    discover_direction,
    simulate_sparse_shift,
)
from mpiis.shared.metrics import shd

HERE = Path(__file__).resolve().parent


def cdnod_adjacency(X: np.ndarray, env: np.ndarray, test: str) -> np.ndarray:
    """CD-NOD's graph over the d data columns as a 0/1 matrix; an undirected edge sets both
    directions (causal-learn: G[j, i] = 1 and G[i, j] = -1 means i -> j)."""
    cg = cdnod(X, env[:, None].astype(float), alpha=0.05, indep_test=test, show_progress=False)
    g = cg.G.graph
    d = X.shape[1]
    adj = np.zeros((d, d), dtype=int)
    for i in range(d):
        for j in range(d):
            if i == j:
                continue
            if g[j, i] == 1 and g[i, j] == -1:
                adj[i, j] = 1
            elif g[i, j] == -1 and g[j, i] == -1:
                adj[i, j] = adj[j, i] = 1
    return adj


def truth_adjacency(data) -> np.ndarray:
    cols = list(data.columns)
    return np.array([[int(data.truth.graph.has_edge(a, b)) for b in cols] for a in cols])


def orientation(adj: np.ndarray, truth: np.ndarray) -> str:
    (c, e), = zip(*np.nonzero(truth), strict=True)
    if adj[c, e] and adj[e, c]:
        return "unoriented"
    if adj[c, e]:
        return "correct"
    if adj[e, c]:
        return "wrong"
    return "missing"


def run_bivariate(n: int, reps: int, methods: list[str], seed: int) -> dict:
    out = {m: {"correct": 0, "wrong": 0, "unoriented": 0, "missing": 0, "seconds": 0.0}
           for m in methods}
    for r in range(reps):
        data = simulate_sparse_shift(rng=np.random.default_rng([seed, 1000 * n + r]),
                                     n_envs=6, n_per_env=n)
        truth = truth_adjacency(data)
        X = np.concatenate(data.envs)
        env = np.repeat(np.arange(data.n_envs), n)
        for m in methods:
            t0 = time.perf_counter()
            if m.startswith("cdnod"):
                adj = cdnod_adjacency(X, env, m.split("-")[1])
            else:
                res = discover_direction(data, config=CompressionConfig(cost=m.split("-")[1]))
                adj = np.zeros((2, 2), dtype=int)
                if res.cause is not None:
                    adj[data.columns.index(res.cause), data.columns.index(res.effect)] = 1
                else:
                    adj[0, 1] = adj[1, 0] = 1
            out[m]["seconds"] += time.perf_counter() - t0
            out[m][orientation(adj, truth)] += 1
    for m in methods:
        out[m]["seconds"] /= reps
        out[m]["reps"] = reps
    return out


def run_dag3(reps: int, methods: list[str], seed: int) -> dict:
    out = {m: {"exact": 0, "shd": 0.0, "seconds": 0.0} for m in methods}
    for r in range(reps):
        data = simulate_sparse_shift(rng=np.random.default_rng([seed + 1, r]),
                                     n_envs=6, n_per_env=200, n_vars=3)
        truth = truth_adjacency(data)
        X = np.concatenate(data.envs)
        env = np.repeat(np.arange(data.n_envs), 200)
        for m in methods:
            t0 = time.perf_counter()
            if m.startswith("cdnod"):
                adj = cdnod_adjacency(X, env, m.split("-")[1])
            else:
                adj = discover_dag(data, config=CompressionConfig(cost=m.split("-")[1])).adjacency
            out[m]["seconds"] += time.perf_counter() - t0
            out[m]["exact"] += int((adj == truth).all())
            out[m]["shd"] += shd(truth, adj)
    for m in methods:
        out[m]["seconds"] /= reps
        out[m]["shd"] /= reps
        out[m]["exact"] /= reps
        out[m]["reps"] = reps
    return out


def write(results: dict, args: argparse.Namespace) -> None:
    (HERE / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = ["# Compression vs CD-NOD on sparse-shift instances", "",
             "Produced by `cdnod_compare.py` (causal-learn CD-NOD, alpha = 0.05, context = "
             "environment index). KCI runs on the first instances only (`--kci-reps`, "
             f"{args.kci_reps}), as it is slow: its rows are anecdotal, too few instances for an "
             "interval. Times are per instance on a shared 2-core CPU.",
             "",
             "| setting | method | R | correct | wrong | unoriented | missing | s / instance |",
             "|---|---|---|---|---|---|---|---|"]
    for setting, res in results.items():
        if setting.startswith("bivariate"):
            for m, v in res.items():
                r = v["reps"]
                lines.append(f"| {setting} | {m} | {r} | {v['correct'] / r:.2f} | "
                             f"{v['wrong'] / r:.2f} | {v['unoriented'] / r:.2f} | "
                             f"{v['missing'] / r:.2f} | {v['seconds']:.3f} |")
    if "d=3 N=6 n=200" in results:
        lines += ["", "| setting | method | R | exact DAG | mean SHD | s / instance |",
                  "|---|---|---|---|---|---|"]
        for m, v in results["d=3 N=6 n=200"].items():
            lines.append(f"| d=3 N=6 n=200 | {m} | {v['reps']} | {v['exact']:.2f} | "
                         f"{v['shd']:.2f} | {v['seconds']:.3f} |")
    (HERE / "results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=100, help="instances per setting (Fisher-z, ours)")
    ap.add_argument("--kci-reps", type=int, default=5, help="instances per setting for KCI")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    fast = ["ours-codebook", "ours-partition", "cdnod-fisherz"]
    results: dict[str, dict] = {}
    for n in (100, 300):
        results[f"bivariate N=6 n={n}"] = run_bivariate(n, args.reps, fast, args.seed)
        write(results, args)
    results["d=3 N=6 n=200"] = run_dag3(args.reps, ["ours-partition", "cdnod-fisherz"],
                                        args.seed)
    write(results, args)
    for n in (100, 300):
        results[f"bivariate N=6 n={n}"].update(
            run_bivariate(n, args.kci_reps, ["cdnod-kci"], args.seed))
        write(results, args)
    results["d=3 N=6 n=200"].update(run_dag3(args.kci_reps, ["cdnod-kci"], args.seed))
    write(results, args)


if __name__ == "__main__":
    main()
