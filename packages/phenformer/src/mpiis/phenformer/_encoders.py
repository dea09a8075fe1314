"""Sequence-to-expression encoders in the Enformer role (brief, "Method 1").

``ToyExpressionCNN`` is pretrained on simulator windows without disease labels, then frozen;
``OracleEncoder`` is the simulator's exact map (a perfect backbone).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import torch
from torch import Tensor, nn

from mpiis.shared.progress import progress

from ._config import EncoderConfig
from ._sequence import one_hot
from ._sim import _BACKGROUND, Cohort

__all__ = [
    "OracleEncoder",
    "PretrainResult",
    "SequenceEncoder",
    "ToyExpressionCNN",
    "encoder_throughput",
    "haplotype_fidelity",
    "pretrain_encoder",
    "variant_fidelity",
]


@runtime_checkable
class SequenceEncoder(Protocol):
    """Anything mapping integer-coded windows ``(n, L)`` of one gene to expression ``(n, C)``."""

    n_contexts: int
    fidelity: float | None

    def encode(self, seqs: np.ndarray, *, gene: int) -> np.ndarray: ...


class OracleEncoder:
    """The simulator's exact sequence → expression map as an encoder (fidelity 1 by definition)."""

    def __init__(self, cohort: Cohort) -> None:
        self._cohort = cohort
        self._oracle = cohort.oracle
        self.n_contexts = cohort.motifs.n_contexts
        self.fidelity: float | None = 1.0

    def encode(self, seqs: np.ndarray, *, gene: int) -> np.ndarray:
        m, s = self._cohort.sites(gene)
        return self._oracle(np.asarray(seqs), m, s)[0]


def _init_(module: nn.Module, generator: torch.Generator | None) -> None:
    """PyTorch's default fan-in uniform initialisation, drawn from ``generator``."""
    for mod in module.modules():
        if isinstance(mod, nn.Conv1d | nn.Linear):
            w = mod.weight
            if w.is_meta:
                continue
            fan_in = w.shape[1] * (w.shape[2] if w.ndim == 3 else 1)
            bound = 1.0 / math.sqrt(fan_in)
            with torch.no_grad():
                w.copy_(torch.rand(w.shape, generator=generator, device="cpu").to(w) * 2 * bound
                        - bound)
                if mod.bias is not None:
                    mod.bias.copy_(
                        torch.rand(mod.bias.shape, generator=generator, device="cpu").to(mod.bias)
                        * 2 * bound - bound
                    )


class ToyExpressionCNN(nn.Module):
    """The brief's small Enformer stand-in (about 14.5k parameters at C = 12, L = 1,024).

    one-hot (4, L) → Conv1d(4→48, k=15) + ReLU → Conv1d(48→32, k=1) → MaxPool(4) → 3 residual
    blocks ``h ← h + GELU(Conv1d(32→32, k=3, dilation 2, 4, 8))`` → Conv1d(32→C) giving tracks
    ``y (C, L/4)``. Heads: 32-bp binned tracks ``(C, L/32)`` and expression
    ``ŷ_c = Σ_p w_p · y_{c,p}`` with a learned positional profile ``w (L/4)``.

    Outputs are standardised; :meth:`encode` maps them back to the oracle's units with the
    buffers set by :func:`pretrain_encoder`.
    """

    def __init__(
        self, config: EncoderConfig, *, generator: torch.Generator | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        c = config
        self.stem = nn.Sequential(
            nn.Conv1d(4, c.channels, c.kernel, padding=c.kernel // 2, device=device),
            nn.ReLU(),
            nn.Conv1d(c.channels, c.hidden, 1, device=device),
            nn.MaxPool1d(4),
        )
        self.tower = nn.ModuleList(
            nn.Conv1d(c.hidden, c.hidden, 3, dilation=d, padding=d, device=device)
            for d in (2, 4, 8)
        )
        self.head = nn.Conv1d(c.hidden, c.n_contexts, 1, device=device)
        self.profile = nn.Parameter(torch.full((c.window // 4,), 4.0 / c.window, device=device))
        self.register_buffer("expr_mean", torch.zeros(c.n_contexts, device=device))
        self.register_buffer("expr_sd", torch.ones(c.n_contexts, device=device))
        self.fidelity: float | None = None
        self.n_contexts = c.n_contexts
        _init_(self, generator)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``x (B, 4, L)`` → standardised expression ``(B, C)`` and tracks ``(B, C, L/32)``."""
        if x.ndim != 3 or x.shape[1] != 4 or x.shape[2] != self.config.window:
            raise ValueError(
                f"`x` must have shape (B, 4, {self.config.window}), got {tuple(x.shape)}"
            )
        h = self.stem(x)  # (B, hidden, L/4)
        for conv in self.tower:
            h = h + nn.functional.gelu(conv(h))
        y = self.head(h)  # (B, C, L/4)
        tracks = nn.functional.avg_pool1d(y, 8)  # (B, C, L/32)
        expr = torch.einsum("bcp,p->bc", y, self.profile)
        return expr, tracks

    @torch.no_grad()
    def encode(self, seqs: np.ndarray, *, gene: int | None = None, batch_size: int = 512
               ) -> np.ndarray:
        """Expression ``(n, C)`` in the oracle's units for integer-coded windows ``(n, L)``."""
        del gene  # the learned encoder reads sequence only
        seqs = np.asarray(seqs)
        if seqs.ndim != 2 or seqs.shape[1] != self.config.window:
            raise ValueError(
                f"`seqs` must have shape (n, {self.config.window}), got {seqs.shape}"
            )
        dev = self.profile.device
        was = self.training
        self.eval()
        out = []
        for i in range(0, len(seqs), batch_size):
            x = torch.from_numpy(one_hot(seqs[i:i + batch_size])).to(dev)
            e, _ = self(x)
            out.append((e * self.expr_sd + self.expr_mean).double().cpu().numpy())
        self.train(was)
        return np.concatenate(out) if out else np.zeros((0, self.n_contexts))

    def save(self, path) -> None:
        torch.save({"config": self.config.__dict__, "state": self.state_dict(),
                    "fidelity": self.fidelity}, path)

    @classmethod
    def load(cls, path, *, map_location=None) -> ToyExpressionCNN:
        blob = torch.load(path, map_location=map_location, weights_only=False)
        model = cls(EncoderConfig(**blob["config"]))
        model.load_state_dict(blob["state"])
        model.fidelity = blob["fidelity"]
        return model


@dataclass(frozen=True)
class PretrainResult:
    """A pretrained, frozen encoder and its held-out fidelity (Pearson r of expression)."""

    encoder: ToyExpressionCNN
    fidelity: float
    losses: tuple[float, ...]
    seconds: float


def pretraining_windows(
    cohort: Cohort, n: int, *, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The brief's label-free pretraining set: windows ``(n, L)``, expression, tracks.

    Half are fresh random sequences with 10 motif instances (every motif equally often, 0-2
    mismatches each); half are mutated reference windows (1% substitutions plus 1-4 hits inside
    planted sites, half to the consensus base, half random). Targets come from the oracle.
    """
    motifs, L = cohort.motifs, cohort.reference.shape[1]
    G, M = cohort.reference.shape[0], motifs.n_motifs
    n_rand = n // 2
    n_mut = n - n_rand
    seqs = np.empty((n, L), dtype=np.int8)
    seqs[:n_rand] = rng.choice(4, size=(n_rand, L), p=_BACKGROUND)
    motif_ids = rng.permutation(np.resize(np.arange(M), n_rand * 10)).reshape(n_rand, 10)
    rows, mids, starts = [], [], []
    for i in range(n_rand):
        for m in motif_ids[i]:
            cons = motifs.consensus(int(m)).copy()
            w = len(cons)
            for j in rng.choice(w, size=int(rng.integers(0, 3)), replace=False):
                cons[j] = (cons[j] + int(rng.integers(1, 4))) % 4
            st = int(rng.integers(0, L - w + 1))
            seqs[i, st:st + w] = cons
            rows.append(i)
            mids.append(int(m))
            starts.append(st)
    genes = rng.integers(0, G, size=n_mut)
    for k, g in enumerate(genes):
        i = n_rand + k
        s = cohort.reference[g].copy()
        hit = rng.random(L) < 0.01
        s[hit] = rng.integers(0, 4, size=int(hit.sum()))
        gm, gs = cohort.sites(int(g))
        for j in rng.choice(len(gm), size=int(rng.integers(1, 5))):
            m, st = int(gm[j]), int(gs[j])
            cons = motifs.consensus(m)
            p = int(rng.integers(len(cons)))
            s[st + p] = cons[p] if rng.random() < 0.5 else int(rng.integers(0, 4))
        seqs[i] = s
        rows.extend([i] * len(gm))
        mids.extend(gm.tolist())
        starts.extend(gs.tolist())
    expr, tracks = cohort.oracle(seqs, np.asarray(mids), np.asarray(starts),
                                 site_row=np.asarray(rows))
    return seqs, expr, tracks


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)
    a, b = a - a.mean(), b - b.mean()
    den = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / den) if den > 0 else 0.0


def pretrain_encoder(
    cohort: Cohort, config: EncoderConfig, *, rng: np.random.Generator,
    generator: torch.Generator | None = None, device: torch.device | str | None = None,
    progress_bar: bool | None = None,
) -> PretrainResult:
    """Pretrain :class:`ToyExpressionCNN` on oracle targets without disease labels, then freeze.

    Loss ``MSE(expression) + MSE(tracks)`` on standardised targets; AdamW (lr 2e-3, weight decay
    1e-4), batch 64. Fidelity is Pearson r of expression on held-out windows (pooled over
    contexts, standardised per context).

    Raises:
        FloatingPointError: when the loss becomes non-finite.
    """
    if config.window != cohort.reference.shape[1]:
        raise ValueError(
            f"`config.window` (={config.window}) must equal the cohort's window "
            f"(={cohort.reference.shape[1]})"
        )
    if config.n_contexts != cohort.motifs.n_contexts:
        raise ValueError(
            f"`config.n_contexts` (={config.n_contexts}) must equal the cohort's contexts "
            f"(={cohort.motifs.n_contexts})"
        )
    t0 = time.perf_counter()
    n_hold = max(128, config.n_windows // 10)
    seqs, expr, tracks = pretraining_windows(cohort, config.n_windows + n_hold, rng=rng)
    tr = slice(0, config.n_windows)
    ho = slice(config.n_windows, None)
    mu, sd = expr[tr].mean(0), expr[tr].std(0) + 1e-8
    tmu = tracks[tr].mean((0, 2))[None, :, None]
    tsd = tracks[tr].std((0, 2))[None, :, None] + 1e-8
    ez = torch.tensor((expr - mu) / sd, dtype=torch.float32)
    tz = torch.tensor((tracks - tmu) / tsd, dtype=torch.float32)
    model = ToyExpressionCNN(config, generator=generator, device=device)
    dev = model.profile.device
    model.expr_mean.copy_(torch.tensor(mu, dtype=torch.float32))
    model.expr_sd.copy_(torch.tensor(sd, dtype=torch.float32))
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    losses = []
    n = config.n_windows
    for _epoch in progress(range(config.epochs), desc="pretrain encoder", disable=progress_bar
                           if progress_bar is None else not progress_bar):
        perm = torch.randperm(n, generator=generator)
        total = 0.0
        for i in range(0, n, config.batch_size):
            idx = perm[i:i + config.batch_size].numpy()
            x = torch.from_numpy(one_hot(seqs[idx])).to(dev)
            pe, pt = model(x)
            loss = nn.functional.mse_loss(pe, ez[idx].to(dev)) + nn.functional.mse_loss(
                pt, tz[idx].to(dev))
            if not torch.isfinite(loss):
                raise FloatingPointError(f"encoder pretraining diverged (loss {loss.item()})")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        losses.append(total / n)
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    pred = model.encode(seqs[ho])
    fid = _pearson((pred - mu) / sd, (expr[ho] - mu) / sd)
    model.fidelity = fid
    return PretrainResult(model, fid, tuple(losses), time.perf_counter() - t0)


def variant_fidelity(encoder: SequenceEncoder, cohort: Cohort) -> tuple[float, np.ndarray,
                                                                        np.ndarray]:
    """Pearson r of encoder vs oracle single-variant Δ over all SNVs × contexts (claim G1).

    Returns ``(r, encoder Δ (G·S, C), oracle Δ (G·S, C))``.
    """
    oracle = OracleEncoder(cohort)
    G, S = cohort.snv_pos.shape
    enc_d, ora_d = [], []
    for g in range(G):
        alle = np.vstack([np.zeros((1, S), np.uint8), np.eye(S, dtype=np.uint8)])
        seqs = cohort.haplotype_sequences(g, alle)
        e = encoder.encode(seqs, gene=g)
        o = oracle.encode(seqs, gene=g)
        enc_d.append(e[1:] - e[:1])
        ora_d.append(o[1:] - o[:1])
    enc, ora = np.concatenate(enc_d), np.concatenate(ora_d)
    return _pearson(enc, ora), enc, ora


def haplotype_fidelity(encoder: SequenceEncoder, cohort: Cohort, genes: np.ndarray,
                       context: int) -> np.ndarray:
    """Per gene, Pearson r of encoder vs oracle expression in one context over the gene's unique
    haplotypes (claim R6's disease-gene fidelity)."""
    from ._sequence import unique_haplotypes

    oracle = OracleEncoder(cohort)
    out = []
    for g in np.asarray(genes):
        uniq, _ = unique_haplotypes(cohort.alleles[:, g].reshape(-1, cohort.snv_pos.shape[1]))
        seqs = cohort.haplotype_sequences(int(g), uniq)
        out.append(_pearson(encoder.encode(seqs, gene=int(g))[:, context],
                            oracle.encode(seqs, gene=int(g))[:, context]))
    return np.asarray(out)


@torch.no_grad()
def encoder_throughput(encoder: ToyExpressionCNN, *, batch: int = 512, repeats: int = 3,
                       generator: torch.Generator | None = None) -> float:
    """Forward throughput in bp/s of one batch of random windows on the encoder's device."""
    L = encoder.config.window
    dev = encoder.profile.device
    idx = torch.randint(0, 4, (batch, L), generator=generator)
    x = nn.functional.one_hot(idx, 4).permute(0, 2, 1).float().to(dev)
    encoder(x)  # warm-up
    times = []
    for _ in range(repeats):
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)
        t = time.perf_counter()
        encoder(x)
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)
        times.append(time.perf_counter() - t)
    return batch * L / float(np.median(times))
