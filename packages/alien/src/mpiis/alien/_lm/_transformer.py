"""The tiny concept transformer trained from scratch (brief, "Back ends"): decoder-only,
pre-norm, tokens = V concepts + BOS + PAD, learned positions, untied head over the V concepts;
logits of concepts already in the prefix are -inf in training, sampling and scoring."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from mpiis.alien._corpus import PAD
from mpiis.shared.progress import progress
from mpiis.shared.torch import DistInfo

from ._base import SamplingMixin, _check_finite_nll, check_fit_sets

__all__ = ["TinyConceptTransformer", "TransformerConfig"]


@dataclass(frozen=True, kw_only=True)
class TransformerConfig:
    """Architecture and training recipe (brief defaults, ≈ 0.13 M parameters at V = 240)."""

    d_model: int = 64  # width
    n_layers: int = 2  # decoder blocks
    n_heads: int = 4  # attention heads
    max_len: int = 12  # longest concept sequence
    dropout: float = 0.1  # dropout in attention output, MLP and embeddings
    lr: float = 3e-3  # AdamW peak learning rate (one-cycle schedule)
    weight_decay: float = 0.01  # AdamW weight decay (weight matrices only)
    batch_size: int = 256  # sequences per step
    epochs: int = 8  # passes over the training sequences
    grad_clip: float = 1.0  # gradient-norm clip (stability; not in the brief)

    def __post_init__(self) -> None:
        for name in ("d_model", "n_layers", "n_heads", "max_len", "batch_size", "epochs"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"`{name}` must be an int >= 1, got {v!r}")
        if self.d_model % self.n_heads:
            raise ValueError(f"`d_model` (={self.d_model}) must be divisible by `n_heads` "
                             f"(={self.n_heads})")
        if not (0.0 <= self.dropout < 1.0):
            raise ValueError(f"`dropout` must lie in [0, 1), got {self.dropout}")
        for name in ("lr", "grad_clip"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v > 0):
                raise ValueError(f"`{name}` must be > 0 and finite, got {v}")
        if not (math.isfinite(self.weight_decay) and self.weight_decay >= 0):
            raise ValueError(f"`weight_decay` must be >= 0 and finite, got {self.weight_decay}")

    @classmethod
    def tiny(cls, **overrides: Any) -> TransformerConfig:
        """A very small model for tests: d_model 16, 1 layer, 2 heads, batch 32, 2 epochs."""
        kw: dict[str, Any] = dict(d_model=16, n_layers=1, n_heads=2, max_len=8, batch_size=32,
                                  epochs=2)
        kw.update(overrides)
        return cls(**kw)


class _Block(nn.Module):
    def __init__(self, cfg: TransformerConfig) -> None:
        super().__init__()
        d = cfg.d_model
        self.n_heads = cfg.n_heads
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))
        self.drop = nn.Dropout(cfg.dropout)
        self.p_drop = cfg.dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, D = x.shape
        h = self.n_heads
        q, k, v = self.qkv(self.ln1(x)).split(D, dim=2)
        q, k, v = (t.view(B, T, h, D // h).transpose(1, 2) for t in (q, k, v))  # (B, h, T, hs)
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True,
                                           dropout_p=self.p_drop if self.training else 0.0)
        x = x + self.drop(self.proj(a.transpose(1, 2).reshape(B, T, D)))
        return x + self.drop(self.mlp(self.ln2(x)))


class TinyConceptTransformer(SamplingMixin, nn.Module):
    """A decoder-only concept language model (playing the fine-tuned GPT-2 role of the paper).

    Token ids: concepts ``0..V-1``, BOS = V, PAD = V + 1. Position t of the input
    ``[BOS, x_1, ..., x_{L-1}]`` predicts ``x_{t+1}`` over the V concepts, with the concepts of
    ``x_1..x_t`` masked to -inf. The model follows its parameters' device (``model.to(dev)``).

    Args:
        vocab_size: V.
        config: architecture and training recipe.
    """

    def __init__(self, vocab_size: int, config: TransformerConfig | None = None) -> None:
        super().__init__()
        if isinstance(vocab_size, bool) or not isinstance(vocab_size, int) or vocab_size < 2:
            raise ValueError(f"`vocab_size` must be an int >= 2, got {vocab_size!r}")
        cfg = config if config is not None else TransformerConfig()
        if not isinstance(cfg, TransformerConfig):
            raise TypeError(f"`config` must be a TransformerConfig, got {type(cfg).__name__}")
        self.vocab_size, self.config, self.max_len = vocab_size, cfg, cfg.max_len
        self.bos, self.pad = vocab_size, vocab_size + 1
        d = cfg.d_model
        self.tok = nn.Embedding(vocab_size + 2, d)
        self.pos = nn.Embedding(cfg.max_len, d)
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(_Block(cfg) for _ in range(cfg.n_layers))
        self.ln_f = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab_size)  # untied output head over the V concepts
        self.register_buffer("_fitted", torch.zeros((), dtype=torch.bool))
        #: per-epoch mean training loss of the last fit
        self.history: list[float] = []

    @property
    def device(self) -> torch.device:
        return self.head.weight.device

    @property
    def fitted(self) -> bool:
        return self.device.type == "meta" or bool(self._fitted)

    def _init_weights(self, generator: torch.Generator | None) -> None:
        for name, p in self.named_parameters():
            if p.ndim >= 2:
                with torch.no_grad():
                    p.copy_(torch.randn(p.shape, generator=generator).mul_(0.02))
            elif name.endswith("bias"):
                nn.init.zeros_(p)
            else:
                nn.init.ones_(p)

    # ------------------------------------------------------------------ forward
    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """``(B, T)`` token ids -> ``(B, T, V)`` masked logits (prefix concepts -inf)."""
        T = tokens.shape[1]
        if T > self.max_len:
            raise ValueError(f"input length {T} exceeds max_len = {self.max_len}")
        pos = torch.arange(T, device=tokens.device)
        x = self.drop(self.tok(tokens) + self.pos(pos))  # (B, T, D)
        for blk in self.blocks:
            x = blk(x)
        logits = self.head(self.ln_f(x))  # (B, T, V)
        concept = tokens.clamp(max=self.vocab_size)  # BOS/PAD -> V (an extra, dropped column)
        seen = F.one_hot(concept, self.vocab_size + 1)[..., : self.vocab_size].cumsum(dim=1)
        return logits.masked_fill(seen > 0, float("-inf"))

    def _inputs(self, seqs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(B, L)`` sequences (PAD = -1) -> inputs ``[BOS, x_1..x_{L-1}]`` and targets."""
        tok = torch.where(seqs == PAD, torch.full_like(seqs, self.pad), seqs)
        bos = torch.full_like(tok[:, :1], self.bos)
        inputs = torch.cat([bos, tok[:, :-1]], dim=1)
        targets = torch.where(seqs == PAD, torch.full_like(seqs, -100), seqs)
        return inputs, targets

    def loss(self, seqs: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy per concept over every position after BOS (PAD ignored)."""
        inputs, targets = self._inputs(seqs)
        logits = self(inputs)
        return F.cross_entropy(logits.reshape(-1, self.vocab_size), targets.reshape(-1),
                               ignore_index=-100)

    def _require_fitted(self) -> None:
        if not self.fitted:
            raise RuntimeError("this TinyConceptTransformer is not fitted; call fit() first")

    @torch.no_grad()
    def next_log_probs(self, prefixes: torch.Tensor) -> torch.Tensor:
        """``(b, s) -> (b, V)`` log P(v | prefix) over concepts not in the prefix."""
        self._require_fitted()
        prefixes = self._check_seqs(prefixes, "prefixes")
        if prefixes.shape[1] + 1 > self.max_len:
            raise ValueError(f"prefix length {prefixes.shape[1]} must be < max_len = "
                             f"{self.max_len}")
        was = self.training
        self.eval()
        bos = torch.full((prefixes.shape[0], 1), self.bos, dtype=torch.long,
                         device=prefixes.device)
        logits = self(torch.cat([bos, prefixes], dim=1))[:, -1]
        self.train(was)
        return torch.log_softmax(logits, dim=-1)

    @torch.no_grad()
    def sequence_nll(self, seqs: torch.Tensor, start: int) -> torch.Tensor:
        """One forward pass: ``sum_{t >= start} -log P(x_t | x_<t)``. ``(b, L) -> (b,)``."""
        self._require_fitted()
        seqs = self._check_seqs(seqs)
        L = seqs.shape[1]
        if isinstance(start, bool) or not isinstance(start, int) or not 0 <= start < L:
            raise ValueError(f"`start` must be an int in [0, {L}), got {start!r}")
        was = self.training
        self.eval()
        inputs, _ = self._inputs(seqs)
        lp = torch.log_softmax(self(inputs), dim=-1)  # (b, L, V)
        self.train(was)
        tok = lp.gather(2, seqs.clamp(min=0).unsqueeze(2)).squeeze(2)  # (b, L)
        nll = -tok[:, start:].sum(dim=1)
        _check_finite_nll(nll)
        return nll

    # ------------------------------------------------------------------ training
    def training_step_fn(self, seqs: torch.Tensor, *, generator: torch.Generator | None = None
                         ) -> Callable[[], float]:
        """A closure running one AdamW step on ``seqs`` (for timing; see benchmark P2)."""
        if not self.fitted:
            self._init_weights(generator)
        from mpiis.shared.torch import weight_decay_groups

        opt = torch.optim.AdamW(weight_decay_groups(self, self.config.weight_decay),
                                lr=self.config.lr)
        seqs = seqs.to(self.device)
        self.train()

        def step() -> float:
            loss = self.loss(seqs)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            return float(loss.detach())

        return step

    def fit(self, sets_or_sequences: Any, *, generator: torch.Generator | None = None,
            callback: Callable[[dict[str, float]], None] | None = None,
            checkpoint: str | Path | None = None, resume: bool = False,
            dist: DistInfo | None = None) -> TinyConceptTransformer:
        """Train from scratch: AdamW (decay on weight matrices), one-cycle schedule,
        cross-entropy on every position after BOS (PAD ignored); keeps the weights of the epoch
        with the lowest mean loss.

        Args:
            sets_or_sequences: ``(n, L)`` LongTensor of concept sequences (PAD = -1) or a list
                of sequences; rows need >= 2 distinct concepts.
            generator: a CPU ``torch.Generator`` for the initialisation, shuffling and dropout
                (dropout runs on a forked RNG seeded from it; the global RNG is left as it was).
            callback: called after every step with ``{"epoch", "step", "loss", "lr"}``.
            checkpoint: a file written (atomically) after every epoch: model, optimiser,
                schedule, generator, best weights and loss history.
            resume: continue from ``checkpoint`` when it exists.
            dist: a :class:`mpiis.shared.torch.DistInfo` from ``init_distributed()`` under
                ``torchrun``: the model is wrapped in DistributedDataParallel and a
                DistributedSampler gives each rank its share of every global batch of
                ``batch_size`` (which must be divisible by the world size), so the result
                matches one process on the same global batch. Give every rank the same
                generator seed.

        Raises:
            ValueError: a row with a repeated concept, fewer than 2 concepts, or too long.
            FloatingPointError: a non-finite loss (naming the epoch and step).
        """
        from mpiis.shared.torch import (
            distributed_sampler,
            load_checkpoint,
            save_checkpoint,
            weight_decay_groups,
            wrap_ddp,
        )

        rows = check_fit_sets(sets_or_sequences, self.vocab_size)
        width = max(len(r) for r in rows)
        if width > self.max_len:
            raise ValueError(f"`sets_or_sequences` rows must have <= max_len = {self.max_len} "
                             f"concepts, got {width}")
        data = torch.full((len(rows), width), PAD, dtype=torch.long)
        for i, r in enumerate(rows):
            data[i, : len(r)] = torch.as_tensor(r)
        cfg = self.config
        world = dist.world_size if dist is not None and dist.enabled else 1
        if cfg.batch_size % world:
            raise ValueError(f"`batch_size` ({cfg.batch_size}) must be divisible by the world "
                             f"size ({world})")
        local_bs = cfg.batch_size // world
        gen = generator if generator is not None else torch.Generator().manual_seed(
            int(torch.randint(0, 2**31 - 1, (1,))))
        dev = self.device
        n = data.shape[0]
        steps_per_epoch = math.ceil(n / cfg.batch_size)
        total = steps_per_epoch * cfg.epochs
        rng_seed, shuffle_seed = (int(x) for x in torch.randint(0, 2**31 - 1, (2,),
                                                                  generator=gen))
        sampler = distributed_sampler(range(n), dist, shuffle=True, seed=shuffle_seed) \
            if world > 1 else None
        devices = [dev.index or 0] if dev.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            torch.random.manual_seed(rng_seed)  # forked: dropout only, restored on exit
            self._init_weights(gen)
            opt = torch.optim.AdamW(weight_decay_groups(self, cfg.weight_decay), lr=cfg.lr)
            sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=total)
            start_epoch, best, best_state = 0, math.inf, None
            self.history = []
            if checkpoint is not None and resume and Path(checkpoint).exists():
                st = load_checkpoint(checkpoint, model=self, optimizer=opt, scheduler=sched,
                                     generator=gen)
                start_epoch = st["step"] + 1
                best, best_state = float(st["extra"]["best"]), st["extra"]["best_model"]
                self.history = [float(x) for x in st["extra"]["history"]]
            step_model = wrap_ddp(self, dist) if world > 1 else self
            self.train()
            for epoch in progress(range(start_epoch, cfg.epochs), desc="concept transformer"):
                if sampler is not None:
                    sampler.set_epoch(epoch)
                    order = torch.as_tensor(list(sampler))
                else:  # the same permutation a DistributedSampler draws for this epoch
                    order = torch.randperm(n, generator=torch.Generator().manual_seed(
                        shuffle_seed + epoch))
                tot, cnt = 0.0, 0
                for s in range(steps_per_epoch):
                    idx = order[s * local_bs: (s + 1) * local_bs]
                    if len(idx) == 0:
                        break
                    inputs, targets = self._inputs(data[idx].to(dev))
                    logits = step_model(inputs)
                    loss = F.cross_entropy(logits.reshape(-1, self.vocab_size),
                                           targets.reshape(-1), ignore_index=-100)
                    if not torch.isfinite(loss):
                        raise FloatingPointError(f"training diverged: loss "
                                                 f"{float(loss.detach())} at epoch {epoch}, "
                                                 f"step {s}")
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    nn.utils.clip_grad_norm_(self.parameters(), cfg.grad_clip)
                    opt.step()
                    sched.step()
                    lv = float(loss.detach())
                    tot, cnt = tot + lv, cnt + 1
                    if callback is not None:
                        callback({"epoch": float(epoch), "step": float(s), "loss": lv,
                                  "lr": float(sched.get_last_lr()[0])})
                mean = tot / max(cnt, 1)
                if world > 1:  # the epoch's loss over all ranks, so every rank keeps the same best
                    from mpiis.shared.torch import all_reduce_mean

                    mean = float(all_reduce_mean(torch.tensor(mean, device=dev), dist))
                self.history.append(mean)
                if mean < best:
                    best, best_state = mean, copy.deepcopy(self.state_dict())
                if checkpoint is not None and (dist is None or dist.is_main):
                    save_checkpoint(checkpoint, model=self, optimizer=opt, scheduler=sched,
                                    step=epoch, generator=gen,
                                    extra={"best": best, "best_model": best_state,
                                           "history": self.history})
            if best_state is not None:
                self.load_state_dict(best_state)
        self._fitted.fill_(True)
        self.eval()
        return self

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> None:
        """A state dict plus the config as JSON, in one file (loaded with weights_only=True)."""
        self._require_fitted()
        torch.save({"state_dict": {k: v.detach().cpu() for k, v in self.state_dict().items()},
                    "config": json.dumps(dataclasses.asdict(self.config)),
                    "vocab_size": self.vocab_size,
                    "history": [float(x) for x in self.history]}, path)

    @classmethod
    def load(cls, path: str | Path, *, map_location: Any = None) -> TinyConceptTransformer:
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"no such file: {path}")
        state = torch.load(path, map_location="cpu", weights_only=True)
        model = cls(int(state["vocab_size"]), TransformerConfig(**json.loads(state["config"])))
        model.load_state_dict(state["state_dict"])
        model.history = [float(x) for x in state.get("history", [])]
        model.eval()
        return model.to(map_location) if map_location is not None else model
