"""Position weight matrices, activities per cell context, occupancy (brief, "Data: Motifs")."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["MotifSet"]

_CONSENSUS_P = 0.85  # probability of the consensus base in a simulated PWM
_OTHER_P = 0.05  # probability of each other base


@dataclass(frozen=True, eq=False)
class MotifSet:
    """A set of PWMs with per-context activities.

    Attributes:
        pwms: list of ``(w_m, 4)`` base probabilities.
        activity: ``A[c, m]`` ``(C, M)``: how strongly motif ``m`` acts in context ``c``.
        names: motif names.
        tissue_of_context: tissue index of every context ``(C,)``.
    """

    pwms: tuple[np.ndarray, ...]
    activity: np.ndarray
    names: tuple[str, ...]
    tissue_of_context: np.ndarray

    def __post_init__(self) -> None:
        if self.activity.shape[1] != len(self.pwms):
            raise ValueError(
                f"`activity` must have {len(self.pwms)} columns (one per PWM), "
                f"got {self.activity.shape}"
            )

    @property
    def n_motifs(self) -> int:
        return len(self.pwms)

    @property
    def n_contexts(self) -> int:
        return int(self.activity.shape[0])

    def logodds(self, m: int) -> np.ndarray:
        """Log-odds ``(w, 4)`` of motif ``m`` against a uniform background."""
        return np.log(np.clip(self.pwms[m], 1e-6, None) / 0.25)

    def max_score(self, m: int) -> float:
        return float(self.logodds(m).max(1).sum())

    def consensus(self, m: int) -> np.ndarray:
        return self.pwms[m].argmax(1).astype(np.int8)

    def occupancy(self, m: int, windows: np.ndarray) -> np.ndarray:
        """σ(score − (max score − 2)) of motif ``m`` on sites ``(n, w)`` of integer codes.

        An N (code 4) scores 0 at its position.
        """
        lo = np.vstack([self.logodds(m).T, np.zeros((1, self.pwms[m].shape[0]))])  # (5, w)
        w = lo.shape[1]
        score = lo[windows, np.arange(w)[None, :]].sum(1)
        return 1.0 / (1.0 + np.exp(-(score - (self.max_score(m) - 2.0))))

    @classmethod
    def simulate(cls, n_contexts: int, n_tissues: int, *, rng: np.random.Generator) -> MotifSet:
        """2 ubiquitous + T tissue + C private TFs, widths 8-10, consensus probability 0.85.

        Activity: ubiquitous 1.0 everywhere; tissue TF 0.8 in its contexts; private TF 1.0 in its
        context; else 0.
        """
        per = n_contexts // n_tissues
        n_m = 2 + n_tissues + n_contexts
        pwms, names = [], []
        for m in range(n_m):
            w = int(rng.integers(8, 11))
            cons = rng.integers(0, 4, size=w)
            p = np.full((w, 4), _OTHER_P)
            p[np.arange(w), cons] = _CONSENSUS_P
            pwms.append(p)
            if m < 2:
                names.append(f"ubiq{m}")
            elif m < 2 + n_tissues:
                names.append(f"tissue{m - 2}")
            else:
                names.append(f"ctx{m - 2 - n_tissues}")
        act = np.zeros((n_contexts, n_m))
        act[:, :2] = 1.0
        tissue = np.arange(n_contexts) // per
        for c in range(n_contexts):
            act[c, 2 + tissue[c]] = 0.8
            act[c, 2 + n_tissues + c] = 1.0
        return cls(tuple(pwms), act, tuple(names), tissue)

    @classmethod
    def from_meme(
        cls, path: str | Path, *, activity: np.ndarray, tissue_of_context: np.ndarray
    ) -> MotifSet:
        """Read PWMs from a MEME minimal-format file (``letter-probability matrix`` blocks).

        Args:
            path: the MEME file.
            activity: ``(C, M)`` activities for the motifs in file order.
            tissue_of_context: ``(C,)`` tissue of every context.
        """
        pwms, names, cur, name, rows_left = [], [], [], None, 0
        for raw in Path(path).read_text().splitlines():
            line = raw.strip()
            if line.startswith("MOTIF"):
                parts = line.split()
                name = parts[1] if len(parts) > 1 else f"motif{len(names)}"
            elif line.startswith("letter-probability matrix"):
                fields = dict(
                    kv.split("=") for kv in line.split(":", 1)[1].replace("= ", "=").split()
                    if "=" in kv
                )
                rows_left, cur = int(fields.get("w", 0)), []
            elif rows_left and line:
                cur.append([float(v) for v in line.split()[:4]])
                rows_left -= 1
                if rows_left == 0:
                    p = np.asarray(cur)
                    pwms.append(p / p.sum(1, keepdims=True))
                    names.append(name or f"motif{len(names)}")
        if not pwms:
            raise ValueError(f"`path` {path} holds no 'letter-probability matrix' block")
        act = np.asarray(activity, dtype=np.float64)
        if act.ndim != 2 or act.shape[1] != len(pwms):
            raise ValueError(
                f"`activity` must have shape (C, {len(pwms)}) for the file's motifs, "
                f"got {act.shape}"
            )
        return cls(tuple(pwms), act, tuple(names), np.asarray(tissue_of_context))
