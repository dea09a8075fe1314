"""Train the concept transformer's Art model on a synthetic world under ``torchrun``
(DistributedDataParallel + DistributedSampler, via :mod:`mpiis.shared.torch`).

    torchrun --nproc_per_node 2 -m mpiis.alien.train_ddp --out model.pt --epochs 8

Every rank builds the same world and sequences and uses the same generator seed; each takes its
share of every global batch of ``--batch-size`` sequences. Rank 0 writes the model. Without
torchrun it trains in one process on the same global batches.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Sequence

import torch

from mpiis.alien import (
    SyntheticArtWorld,
    TinyConceptTransformer,
    TransformerConfig,
    WorldConfig,
)
from mpiis.shared.torch import DistInfo, cleanup_distributed, init_distributed


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mpiis.alien.train_ddp", description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True, help="where rank 0 saves the trained model")
    p.add_argument("--world-seed", type=int, default=0)
    p.add_argument("--seed", type=int, default=0, help="generator seed (same on every rank)")
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--dropout", type=float, default=None)
    p.add_argument("--n-permutations", type=int, default=10)
    p.add_argument("--tiny", action="store_true", help="tiny world and model (tests)")
    p.add_argument("--device", default=None, help="force a device, e.g. cpu")
    return p


def train(argv: Sequence[str] | None = None, *, dist: DistInfo | None = None
          ) -> TinyConceptTransformer:
    """Parse ``argv``, train, and return the model (rank 0 also saves it)."""
    args = _parser().parse_args(argv)
    world = SyntheticArtWorld(WorldConfig.tiny(seed=args.world_seed) if args.tiny
                              else WorldConfig(seed=args.world_seed))
    cfg = TransformerConfig.tiny() if args.tiny else TransformerConfig()
    over = {k: v for k, v in (("epochs", args.epochs), ("batch_size", args.batch_size),
                              ("dropout", args.dropout)) if v is not None}
    cfg = dataclasses.replace(cfg, **over)
    seqs = world.corpus.art_sequences(args.n_permutations,
                                      generator=torch.Generator().manual_seed(args.seed + 1))
    info = dist if dist is not None else DistInfo(device=torch.device(args.device or "cpu"))
    model = TinyConceptTransformer(world.vocab_size, cfg).to(info.device)
    model.fit(seqs, generator=torch.Generator().manual_seed(args.seed), dist=info)
    if info.is_main:
        model.save(args.out)
    return model


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    info = init_distributed(device=args.device)
    try:
        train(argv, dist=info)
    finally:
        cleanup_distributed()


if __name__ == "__main__":
    main()
