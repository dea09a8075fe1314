"""The plug-in for a locally stored Hugging Face causal LM (brief, "Back ends"; extra ``hf``).

A prefix is written as ``"c1, c2, c3"``; ``log P(a | S)`` is the sum of the token log-probs of
``", a"`` after it (of ``"a"`` for an empty prefix), renormalised over the concepts not in S; all V
continuations are scored in batches. Sampling draws from that concept-level distribution, so
outputs stay in the vocabulary. Nothing is ever downloaded: files load with
``local_files_only=True`` under ``HF_HUB_OFFLINE=1``.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import torch

from mpiis.alien._corpus import PAD

from ._base import SamplingMixin, check_fit_sets, masked_log_softmax

__all__ = ["HFCausalConceptLM"]


def _transformers() -> Any:
    try:
        import transformers
    except ImportError as exc:  # pragma: no cover - exercised without the extra
        raise ImportError('HFCausalConceptLM needs transformers: '
                          'pip install "mpiis-alien[hf]"') from exc
    return transformers


@contextlib.contextmanager
def _offline() -> Iterator[None]:
    keys = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    old = {k: os.environ.get(k) for k in keys}
    for k in keys:
        os.environ[k] = "1"
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class HFCausalConceptLM(SamplingMixin):
    """A local causal LM as a concept model (the paper's fine-tuned GPT-2 role).

    Args:
        path: folder of a causal LM and its tokenizer (``save_pretrained`` layout).
        vocab: the concept labels, in vocabulary order.
        batch_size: continuation sequences per forward pass.
        device: where to put the model (default: where it loads, the CPU).

    Raises:
        ImportError: transformers missing (names the extra).
        FileNotFoundError: ``path`` does not exist.
        ValueError: a concept that tokenises to zero tokens.
    """

    def __init__(self, path: str | Path, vocab: Sequence[str], *, batch_size: int = 64,
                 device: torch.device | str | None = None) -> None:
        tf = _transformers()
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"no local model at {path} (nothing is downloaded)")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"`batch_size` must be an int >= 1, got {batch_size!r}")
        self.path, self.vocab, self.batch_size = path, tuple(vocab), batch_size
        self.vocab_size = len(self.vocab)
        if self.vocab_size < 2:
            raise ValueError(f"`vocab` must hold at least 2 concepts, got {self.vocab_size}")
        with _offline():
            self.tokenizer = tf.AutoTokenizer.from_pretrained(path, local_files_only=True)
            self.model = tf.AutoModelForCausalLM.from_pretrained(path, local_files_only=True)
        if device is not None:
            self.model.to(device)
        self.model.eval()
        tok = self.tokenizer
        start = tok.bos_token_id if tok.bos_token_id is not None else tok.eos_token_id
        if start is None:
            raise ValueError("the tokenizer has neither a BOS nor an EOS token to start from")
        self.start_id = int(start)
        self.pad_id = int(tok.pad_token_id if tok.pad_token_id is not None else self.start_id)
        self.first_ids: list[list[int]] = []
        self.next_ids: list[list[int]] = []
        for i, c in enumerate(self.vocab):
            a = tok(c, add_special_tokens=False)["input_ids"]
            b = tok(", " + c, add_special_tokens=False)["input_ids"]
            if not a or (len(b) <= 1 and not c.strip()):
                raise ValueError(f"concept {i} ({c!r}) tokenises to zero tokens")
            self.first_ids.append(list(a))
            self.next_ids.append(list(b))

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def _prefix_ids(self, prefix: Sequence[int]) -> list[int]:
        if not prefix:
            return [self.start_id]
        text = ", ".join(self.vocab[c] for c in prefix)
        return [self.start_id, *self.tokenizer(text, add_special_tokens=False)["input_ids"]]

    @torch.no_grad()
    def _continuation_logprobs(self, ctx: list[int], conts: list[list[int]]) -> torch.Tensor:
        out = []
        dev = self.device
        for i in range(0, len(conts), self.batch_size):
            chunk = conts[i: i + self.batch_size]
            width = len(ctx) + max(len(c) for c in chunk)
            ids = torch.full((len(chunk), width), self.pad_id, dtype=torch.long, device=dev)
            mask = torch.zeros_like(ids)
            for j, c in enumerate(chunk):
                row = ctx + c
                ids[j, : len(row)] = torch.as_tensor(row, device=dev)
                mask[j, : len(row)] = 1
            logits = self.model(input_ids=ids, attention_mask=mask).logits.float()
            lp = torch.log_softmax(logits[:, :-1], dim=-1)  # predicts tokens 1..width-1
            tok_lp = lp.gather(2, ids[:, 1:].unsqueeze(2)).squeeze(2)  # (n, width-1)
            pos = torch.arange(1, width, device=dev)
            for j, c in enumerate(chunk):
                sel = (pos >= len(ctx)) & (pos < len(ctx) + len(c))
                out.append(tok_lp[j][sel].sum())
        return torch.stack(out)

    def next_log_probs(self, prefixes: torch.Tensor) -> torch.Tensor:
        """``(b, s) -> (b, V)``: log-probs of every concept's text after the prefix's text,
        renormalised over the concepts not in the prefix."""
        prefixes = self._check_seqs(prefixes, "prefixes")
        rows = []
        for p in prefixes.tolist():
            conts = self.next_ids if p else self.first_ids
            rows.append(self._continuation_logprobs(self._prefix_ids(p), conts))
        logits = torch.stack(rows) if rows else torch.zeros(0, self.vocab_size,
                                                            device=prefixes.device)
        return masked_log_softmax(logits.to(prefixes.device), prefixes)

    def fit(self, sets_or_sequences: Any, *, generator: torch.Generator | None = None,
            callback: Callable[[dict[str, float]], None] | None = None, epochs: int = 1,
            lr: float = 5e-5, batch_size: int = 16) -> HFCausalConceptLM:
        """Fine-tune the causal LM on concept text ``"c1, c2, ..."`` (causal-LM loss).

        Raises:
            FloatingPointError: a non-finite loss (naming the epoch and step).
        """
        rows = check_fit_sets(sets_or_sequences, self.vocab_size)
        texts = [[self.start_id, *self.tokenizer(", ".join(self.vocab[c] for c in r if c != PAD),
                                                 add_special_tokens=False)["input_ids"]]
                 for r in rows]
        opt = torch.optim.AdamW(self.model.parameters(), lr=lr)
        self.model.train()
        dev = self.device
        for epoch in range(epochs):
            perm = torch.randperm(len(texts), generator=generator).tolist()
            for s in range(0, len(perm), batch_size):
                batch = [texts[i] for i in perm[s: s + batch_size]]
                width = max(len(t) for t in batch)
                ids = torch.full((len(batch), width), self.pad_id, dtype=torch.long, device=dev)
                labels = torch.full_like(ids, -100)
                for j, t in enumerate(batch):
                    ids[j, : len(t)] = torch.as_tensor(t, device=dev)
                    labels[j, : len(t)] = ids[j, : len(t)]
                loss = self.model(input_ids=ids, attention_mask=(labels != -100).long(),
                                  labels=labels).loss
                if not torch.isfinite(loss):
                    raise FloatingPointError(f"training diverged: loss {float(loss.detach())} "
                                             f"at epoch {epoch}, step {s // batch_size}")
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                if callback is not None:
                    callback({"epoch": float(epoch), "step": float(s // batch_size),
                              "loss": float(loss.detach())})
        self.model.eval()
        return self

    def save(self, path: str | Path) -> None:
        """``save_pretrained`` of model and tokenizer plus ``concepts.json``."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(path)
        self.tokenizer.save_pretrained(path)
        (path / "concepts.json").write_text(json.dumps({"vocab": list(self.vocab),
                                                        "batch_size": self.batch_size}))

    @classmethod
    def load(cls, path: str | Path) -> HFCausalConceptLM:
        path = Path(path)
        if not (path / "concepts.json").exists():
            raise FileNotFoundError(f"no saved HFCausalConceptLM at {path}")
        meta = json.loads((path / "concepts.json").read_text())
        return cls(path, meta["vocab"], batch_size=int(meta["batch_size"]))
