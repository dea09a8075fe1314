"""Our ``vendi_score`` (Jaccard kernel) against the reference ``vendi-score`` package on the same
selections (brief: agreement <= 1e-6).

    uv run --with vendi-score python benchmarks/peers/alien/vendi_peer.py

Without the package it compares against a plain numpy transcription of the reference formula
(``exp(-sum l log l)`` of the eigenvalues of K / n) and says so.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch

from mpiis.alien import (
    AlienSampler,
    SyntheticArtWorld,
    WorldConfig,
    train_art_model,
    train_availability_model,
    vendi_score,
)


def jaccard(sets: np.ndarray) -> np.ndarray:
    S = [set(r) for r in sets.tolist()]
    return np.array([[len(a & b) / len(a | b) for b in S] for a in S])


def main() -> None:
    world = SyntheticArtWorld(WorldConfig(seed=0))
    art = train_art_model(world.corpus)
    cog = train_availability_model(world.corpus)
    rows = []
    for i, seed in enumerate(world.seeds(20, generator=np.random.default_rng(0))):
        s = AlienSampler(art, cog, beta=0.5, temperature=2.0, n_candidates=100, top_k=5)
        rows.append(torch.tensor([c.concepts for c in s.sample(
            seed, 6, generator=torch.Generator().manual_seed(i))]))
    try:
        from vendi_score import vendi

        def ref(sets):
            return float(vendi.score_K(jaccard(sets.numpy())))
        peer = "vendi-score"
    except ImportError:
        def ref(sets):
            lam = np.linalg.eigvalsh(jaccard(sets.numpy()) / len(sets))
            lam = lam[lam > 1e-15]
            return float(np.exp(-(lam * np.log(lam)).sum()))
        peer = "numpy transcription (vendi-score not installed)"
    diffs = [abs(vendi_score(r) - ref(r)) for r in rows]
    all_sets = torch.cat(rows)
    diffs.append(abs(vendi_score(all_sets) - ref(all_sets)))
    out = {"peer": peer, "n_selections": len(rows), "max_abs_diff": max(diffs),
           "pass": max(diffs) <= 1e-6}
    print(json.dumps(out, indent=1))
    (Path(__file__).parent / "vendi_peer.json").write_text(json.dumps(out, indent=1) + "\n")
    sys.exit(0 if out["pass"] else 1)


if __name__ == "__main__":
    main()
