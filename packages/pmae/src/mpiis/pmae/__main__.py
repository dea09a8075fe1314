"""Command-line pre-training: ``python -m mpiis.pmae --data train.npz --out model.pt``, and on
several GPUs ``torchrun --standalone --nproc_per_node=4 -m mpiis.pmae --data ...``.

Fits (or loads) the PCA basis, builds PMAE or patch-MAE, pre-trains with :func:`pretrain`
(DistributedDataParallel when ``torchrun`` started the process) and saves the model from rank 0.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from mpiis.shared.torch import cleanup_distributed, init_distributed

from ._basis import PCABasis
from ._dataset import ImageFolderDataset, ImageTensorDataset, RandomResizedCropFlip, npz_dataset
from ._model import mae, pmae
from ._train import PretrainConfig, pretrain

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m mpiis.pmae", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help=".npz file (images, labels) or image folder")
    p.add_argument("--size", type=int, default=None, help="resize folder images to SIZE x SIZE")
    p.add_argument("--grayscale", action="store_true", help="read folder images as one channel")
    p.add_argument("--basis", default=None, help="a saved PCABasis (.npz); default: fit it")
    p.add_argument("--method", choices=("pmae", "mae"), default="pmae")
    p.add_argument("--arch", choices=("vit", "mlp"), default="vit")
    p.add_argument("--ratio", type=float, default=None, help="r (PMAE, 0.2) or rho (MAE, 0.75)")
    p.add_argument("--patch-size", type=int, default=None)
    p.add_argument("--recipe", choices=("cpu", "paper"), default="cpu",
                   help="PretrainConfig.cpu() or .paper() (the options below override it)")
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--batch-size", type=int, default=None, help="global batch (all processes)")
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--augment", choices=("none", "crop-flip"), default=None)
    p.add_argument("--amp", choices=("off", "bf16", "fp16"), default=None)
    p.add_argument("--compile", choices=("on", "off"), default=None)
    p.add_argument("--num-workers", type=int, default=None)
    p.add_argument("--log-every", type=int, default=None)
    p.add_argument("--checkpoint", default=None, help="resumable checkpoint file")
    p.add_argument("--checkpoint-every", type=int, default=None)
    p.add_argument("--resume", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="where rank 0 saves the trained model")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    info = init_distributed()
    data_path = Path(args.data)
    if data_path.is_dir():
        dataset: torch.utils.data.Dataset = ImageFolderDataset(
            data_path, size=args.size, grayscale=args.grayscale)
    else:
        dataset = npz_dataset(data_path)
    if args.basis is not None:
        basis = PCABasis.load(args.basis, device=info.device)
    else:  # the basis needs every training image once (un-augmented, paper Sec. 3)
        imgs = (dataset.images if isinstance(dataset, ImageTensorDataset)
                else torch.stack([dataset[i][0] for i in range(len(dataset))]))
        basis = PCABasis.fit(imgs.to(info.device))
    g = torch.Generator().manual_seed(args.seed)
    if args.method == "pmae":
        model = pmae(basis, arch=args.arch, ratio=0.2 if args.ratio is None else args.ratio,
                     patch_size=args.patch_size, generator=g)
    else:
        model = mae(basis.image_shape, arch=args.arch,
                    ratio=0.75 if args.ratio is None else args.ratio,
                    patch_size=args.patch_size, mean=basis.mean, std=basis.std, generator=g)
    model.to(info.device)
    cfg = PretrainConfig.paper() if args.recipe == "paper" else PretrainConfig.cpu()
    given = {"epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr,
             "amp": args.amp, "num_workers": args.num_workers, "log_every": args.log_every,
             "checkpoint_every": args.checkpoint_every}
    over = {k: v for k, v in given.items() if v is not None}
    if args.augment is not None:
        over["augment"] = RandomResizedCropFlip() if args.augment == "crop-flip" else None
    if args.compile is not None:
        over["compile"] = args.compile == "on"
    cfg = dataclasses.replace(cfg, **over)
    gen = torch.Generator(device=info.device).manual_seed(args.seed + 1)
    hist = pretrain(model, dataset, cfg, generator=gen, checkpoint=args.checkpoint,
                    resume=args.resume, dist=info)
    if info.is_main:
        model.save(args.out)
        loss = np.round(hist.relative_loss[-1], 4)
        print(f"rank 0 of {info.world_size}: {cfg.epochs} epochs, relative loss {loss}, "
              f"saved {args.out}")
        for w in hist.warnings:
            print("warning:", w)
    cleanup_distributed()
    return 0


if __name__ == "__main__":
    sys.exit(main())
