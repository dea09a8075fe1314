"""Peers of mpiis.spartan that run here: the data export for the graph peers and the
global-graph reference that CDL stands for in the brief.

CDL (wangzizhao/CausalDynamicsLearning) learns one causal graph for the whole environment; the
brief scores "its single graph per transition". No pip package ships CDL, FCDL/NCD
(iwhwang/Fine-Grained-Causal-RL) or SlotFormer (pairlab/SlotFormer), and nothing may download
here, so this script:

1. writes the quick study's data (seed 0: 600 / 150 / 150 episodes of 40 steps, 4 balls and 2
   ghosts) as ``.npz`` files in the layout of ``mpiis.spartan.load_trajectories`` (``states``
   (n, T+1, N, D), ``graphs`` (n, T, N, N), ``regime``), which a user converts to a peer's input;
2. scores the two best single graphs a global-graph method could return, each applied to every
   test transition: the *union* graph (j -> i iff the pair ever interacts in training, what a
   global causal-discovery method recovers with enough data) and the *majority* graph (j -> i iff
   the pair interacts in more than half of the training transitions, the single graph with the
   lowest expected SHD);
3. records which peer packages import.

    uv run --no-sync python benchmarks/peers/spartan/global_graph_reference.py [--out DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import tempfile
from pathlib import Path

import numpy as np

from mpiis.spartan import ContactBalls2D, edge_scores, load_trajectories

PEERS = {
    "SlotFormer": "slotformer",
    "FCDL / NCD (Fine-Grained-Causal-RL)": "fcdl",
    "CDL (CausalDynamicsLearning)": "cdl",
}


def _save(path: Path, traj) -> None:
    np.savez_compressed(path, states=traj.states, graphs=traj.graphs, regime=traj.regime)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=None, help="folder for the .npz export")
    args = ap.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="spartan_peers_"))
    out.mkdir(parents=True, exist_ok=True)

    env = ContactBalls2D()
    rng = np.random.default_rng(0)
    splits = {"train": env.simulate(600, 40, rng=rng), "val": env.simulate(150, 40, rng=rng),
              "test": env.simulate(150, 40, rng=rng)}
    for name, traj in splits.items():
        _save(out / f"contactballs_{name}.npz", traj)
    # the export reads back through the package's loader (the layout a user converts from)
    back = load_trajectories(out / "contactballs_test.npz")
    assert np.array_equal(back.graphs, splits["test"].graphs)

    tr = splits["train"].transitions()
    te = splits["test"].transitions()
    freq = tr.graphs.mean(axis=0)  # (N, N) share of training transitions with j -> i
    rows = {}
    for name, single in {"union": freq > 0, "majority": freq > 0.5}.items():
        pred = np.broadcast_to(single, te.graphs.shape)
        s = edge_scores(pred, te.graphs)
        rows[name] = {"edges": int(single.sum()), "f1": s.f1, "fpr": s.fpr, "shd": s.shd}
    result = {
        "data": {"train_transitions": len(tr), "test_transitions": len(te),
                 "contact_share_test": float(te.contact.mean()), "export": str(out)},
        "global_graph_reference": rows,
        "max_pair_frequency": float(freq.max()),
        "peers": {k: ("importable" if importlib.util.find_spec(v) else
                      "not installed (no pip package; nothing may download here)")
                  for k, v in PEERS.items()},
    }
    text = json.dumps(result, indent=1)
    print(text)
    (Path(__file__).with_name("results.json")).write_text(text + "\n")


if __name__ == "__main__":
    main()
