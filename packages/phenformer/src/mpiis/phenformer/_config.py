"""Configurations (brief, "Public API" and "Data"): frozen keyword-only dataclasses with presets."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

__all__ = ["EncoderConfig", "PhenformerConfig", "SimConfig", "TrainConfig"]


def _pos_int(name: str, value: object, minimum: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"`{name}` must be an integer >= {minimum}, got {value!r}")


@dataclass(frozen=True, kw_only=True)
class SimConfig:
    """Synthetic genome and population (brief, "Data: Simulator"). Defaults are the full cohort."""

    n_genes: int = 64  # G windows, one per gene, TSS at the centre
    window: int = 1024  # L bp per window (Enformer's 196,608 bp scaled down ~190x)
    n_contexts: int = 12  # C cell contexts
    n_tissues: int = 4  # T tissues of C/T contexts each
    n_disease_genes: int = 10  # D disease genes
    snvs_per_gene: int = 16  # SNVs per gene window
    n_a: int = 6000  # individuals of ancestry A (train/val/test)
    n_b: int = 1500  # individuals of ancestry B (test only)
    fst: float = 0.12  # Balding-Nichols F_ST of each ancestry
    founders: tuple[int, int] = (24, 32)  # founder haplotypes per gene in A and B
    flip_rate: float = 3e-4  # per-site allele flip after founder copying
    private_variants: bool = True  # ancestry-B-private gain-of-function SNVs
    mode: Literal["regulatory", "expression"] = "regulatory"  # disease mechanism
    h2: float = 0.5  # heritability of the liability within each ancestry
    prevalence: float = 0.15  # fraction of cases within each ancestry
    mechanisms: int = 1  # 2: a second causal context and gene set
    n_diseases: int = 1  # 2: a second disease in c* sharing half of D (labels (N, 2))
    epistasis: float = 0.0  # weight of the product z_{g1} z_{g2} of two disease genes
    split: tuple[float, float] = (2 / 3, 1 / 6)  # train and val fractions of A (rest test)

    def __post_init__(self) -> None:
        for name in ("n_genes", "window", "n_contexts", "n_tissues", "snvs_per_gene", "n_a", "n_b"):
            _pos_int(name, getattr(self, name))
        _pos_int("n_disease_genes", self.n_disease_genes)
        _pos_int("mechanisms", self.mechanisms)
        if self.mechanisms > 2:
            raise ValueError(f"`mechanisms` must be 1 or 2, got {self.mechanisms}")
        if self.n_disease_genes * self.mechanisms > self.n_genes:
            raise ValueError(
                f"`n_disease_genes` (={self.n_disease_genes}) x mechanisms must not exceed "
                f"`n_genes` (={self.n_genes})"
            )
        _pos_int("n_diseases", self.n_diseases)
        if self.n_diseases > 2:
            raise ValueError(f"`n_diseases` must be 1 or 2, got {self.n_diseases}")
        if self.n_diseases == 2 and self.n_disease_genes < 2:
            raise ValueError(
                f"`n_disease_genes` must be >= 2 when n_diseases=2, got {self.n_disease_genes}")
        extra = (self.n_disease_genes - self.n_disease_genes // 2) * (self.n_diseases - 1)
        if self.n_disease_genes * self.mechanisms + extra > self.n_genes:
            raise ValueError(
                f"`n_genes` (={self.n_genes}) is too small for {self.mechanisms} mechanism(s) "
                f"and {self.n_diseases} disease(s) of {self.n_disease_genes} genes each")
        import math

        if not math.isfinite(self.epistasis):
            raise ValueError(f"`epistasis` must be finite, got {self.epistasis}")
        if self.epistasis and self.n_disease_genes < 2:
            raise ValueError(
                f"`epistasis` needs n_disease_genes >= 2, got {self.n_disease_genes}")
        if self.n_contexts % self.n_tissues:
            raise ValueError(
                f"`n_contexts` (={self.n_contexts}) must be divisible by `n_tissues` "
                f"(={self.n_tissues})"
            )
        if not 0.0 < self.h2 < 1.0:
            raise ValueError(f"`h2` must lie in (0, 1), got {self.h2}")
        if not 0.0 < self.prevalence <= 0.5:
            raise ValueError(f"`prevalence` must lie in (0, 0.5], got {self.prevalence}")
        if not 0.0 < self.fst < 1.0:
            raise ValueError(f"`fst` must lie in (0, 1), got {self.fst}")
        if self.window < 256 or self.window % 32:
            raise ValueError(f"`window` must be a multiple of 32 and >= 256, got {self.window}")
        if self.snvs_per_gene < 8:
            raise ValueError(f"`snvs_per_gene` must be >= 8, got {self.snvs_per_gene}")
        if self.mode not in ("regulatory", "expression"):
            raise ValueError(f"`mode` must be 'regulatory' or 'expression', got {self.mode!r}")
        if len(self.founders) != 2 or min(self.founders) < 2:
            raise ValueError(f"`founders` must be two integers >= 2, got {self.founders!r}")
        if not 0.0 <= self.flip_rate < 0.5:
            raise ValueError(f"`flip_rate` must lie in [0, 0.5), got {self.flip_rate}")
        tr, va = self.split
        if tr <= 0 or va <= 0 or tr + va >= 1:
            raise ValueError(
                f"`split` must be two positive fractions summing below 1, got {self.split}"
            )

    @property
    def n_motifs(self) -> int:
        """M = 2 ubiquitous + T tissue + C private transcription factors."""
        return 2 + self.n_tissues + self.n_contexts

    @classmethod
    def tiny(cls) -> SimConfig:
        """Unit-test size: G = 16, L = 256, 800 individuals."""
        return cls(n_genes=16, window=256, n_disease_genes=4, n_a=640, n_b=160)

    @classmethod
    def quick(cls) -> SimConfig:
        """The quick benchmark cohort: A 4,000 (2,600 / 700 / 700), B 1,000."""
        return cls(n_a=4000, n_b=1000, split=(0.65, 0.175))

    @classmethod
    def default(cls) -> SimConfig:
        """The full cohort: A 6,000 (4,000 / 1,000 / 1,000), B 1,500."""
        return cls()

    def replace(self, **kw: object) -> SimConfig:
        return replace(self, **kw)


@dataclass(frozen=True, kw_only=True)
class EncoderConfig:
    """`ToyExpressionCNN` and its pretraining (brief, "Method 1")."""

    n_contexts: int = 12  # C output tracks
    window: int = 1024  # input length L
    channels: int = 48  # first conv width
    hidden: int = 32  # residual tower width
    kernel: int = 15  # first conv kernel
    n_windows: int = 8000  # pretraining windows (half random-motif, half mutated reference)
    epochs: int = 5  # pretraining epochs
    batch_size: int = 64  # pretraining batch
    lr: float = 2e-3  # AdamW learning rate
    weight_decay: float = 1e-4  # AdamW weight decay

    def __post_init__(self) -> None:
        for name in ("n_contexts", "channels", "hidden", "kernel", "n_windows", "epochs",
                     "batch_size"):
            _pos_int(name, getattr(self, name))
        if self.window < 128 or self.window % 32:
            raise ValueError(f"`window` must be a multiple of 32 and >= 128, got {self.window}")
        if self.lr <= 0:
            raise ValueError(f"`lr` must be > 0, got {self.lr}")

    @classmethod
    def tiny(cls) -> EncoderConfig:
        return cls(window=256, n_windows=256, epochs=1)

    @classmethod
    def quick(cls) -> EncoderConfig:
        return cls(n_windows=4000, epochs=4)

    @classmethod
    def default(cls) -> EncoderConfig:
        return cls()


@dataclass(frozen=True, kw_only=True)
class PhenformerConfig:
    """The genome aggregator (brief, "Method 3-4")."""

    n_genes: int  # G gene tokens
    n_contexts: int  # C contexts per haplotype delta
    d_model: int = 64  # token width d
    n_layers: int = 2  # Transformer encoder layers
    n_heads: int = 4  # attention heads
    n_seeds: int = 1  # PMA seeds k; k > 1 concatenates the seed outputs
    dropout: float = 0.1  # dropout in the Transformer
    haplotype_features: Literal["sum_absdiff", "consensus"] = "sum_absdiff"  # [D1+D2, |D1-D2|]
    n_tasks: int = 1  # one logit per disease

    def __post_init__(self) -> None:
        for name in ("n_genes", "n_contexts", "d_model", "n_layers", "n_heads", "n_seeds",
                     "n_tasks"):
            _pos_int(name, getattr(self, name))
        if self.d_model % self.n_heads:
            raise ValueError(
                f"`d_model` (={self.d_model}) must be divisible by `n_heads` (={self.n_heads})"
            )
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"`dropout` must lie in [0, 1), got {self.dropout}")
        if self.haplotype_features not in ("sum_absdiff", "consensus"):
            raise ValueError(
                "`haplotype_features` must be 'sum_absdiff' or 'consensus', "
                f"got {self.haplotype_features!r}"
            )

    @property
    def n_features(self) -> int:
        """Per-token feature width: 2C for sum_absdiff, C for consensus."""
        return 2 * self.n_contexts if self.haplotype_features == "sum_absdiff" else self.n_contexts

    @classmethod
    def tiny(cls, n_genes: int = 16, n_contexts: int = 12) -> PhenformerConfig:
        return cls(n_genes=n_genes, n_contexts=n_contexts, d_model=16, n_heads=2)


@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """Supervised training of Phenformer (brief, "Method 5")."""

    lr: float = 1e-3  # AdamW learning rate
    weight_decay: float = 1e-2  # AdamW weight decay
    batch_size: int = 64  # not 256: a few thousand individuals need enough updates
    epochs: int = 20  # at most
    patience: int = 4  # early stopping on validation AUROC, best state restored
    flag_auroc: float = 0.55  # best validation AUROC at or below this is flagged
    progress: bool | None = None  # tqdm bar; None = only on a terminal

    def __post_init__(self) -> None:
        for name in ("batch_size", "epochs", "patience"):
            _pos_int(name, getattr(self, name))
        if self.lr <= 0:
            raise ValueError(f"`lr` must be > 0, got {self.lr}")
        if self.weight_decay < 0:
            raise ValueError(f"`weight_decay` must be >= 0, got {self.weight_decay}")

    @classmethod
    def tiny(cls) -> TrainConfig:
        return cls(epochs=2, batch_size=32)
