"""Safe checkpoints: tensors and plain JSON metadata through ``torch.save``, read back with
``weights_only=True`` (no pickle of arbitrary objects)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch

__all__ = ["read_checkpoint", "write_checkpoint"]


def write_checkpoint(path: str | os.PathLike, tensors: dict[str, Any], meta: dict[str, Any]
                     ) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"meta": json.dumps(meta), **tensors}, path)
    return path


def read_checkpoint(path: str | os.PathLike) -> tuple[dict[str, Any], dict[str, Any]]:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"`path` does not name a file: {path}")
    blob = torch.load(path, map_location="cpu", weights_only=True)
    meta = json.loads(blob.pop("meta"))
    return blob, meta
