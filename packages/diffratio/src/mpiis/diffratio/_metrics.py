"""Evaluation: mode coverage on the 2-D toys, a digits classifier whose penultimate features
give a Fréchet distance (FD-digits), and class entropy (brief, "Metrics")."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from mpiis.shared.metrics import frechet_distance
from mpiis.shared.validation import check_array, check_fraction, check_int, check_positive

from ._checks import as_tensor, check_finite
from ._engine import adam
from ._io import read_checkpoint, write_checkpoint
from ._nets import reinit_

__all__ = ["DigitsFeatureNet", "ModeCoverage", "class_entropy", "mode_coverage", "sample_recall"]


@dataclass(frozen=True)
class ModeCoverage:
    """``modes_hit``: centres receiving at least ``min_share`` of the samples within 3·std;
    ``high_quality``: the fraction of samples within 3·std of some centre; ``counts`` per
    centre."""

    modes_hit: int
    high_quality: float
    counts: tuple[int, ...]


def _points(samples: Any, other: Any, name: str) -> tuple[np.ndarray, np.ndarray]:
    """``samples`` (array or tensor) and ``other`` as ``(n, d)`` arrays with the same ``d``."""
    x = check_array(samples.detach().cpu().numpy() if isinstance(samples, torch.Tensor)
                    else samples, "samples", ndim=2, min_rows=1)
    o = check_array(other, name, ndim=2, min_rows=1)
    if x.shape[1] != o.shape[1]:
        raise ValueError(f"`samples` must have {o.shape[1]} columns like `{name}`, got "
                         f"{x.shape[1]}")
    return x, o


def mode_coverage(samples: Any, centers: Any, *, std: float, min_share: float = 0.01
                  ) -> ModeCoverage:
    """Mode coverage of 2-D (or any-d) samples around known mixture centres.

    Args:
        samples: ``(n, d)``.
        centers: ``(k, d)``.
        std: the components' standard deviation.
        min_share: a centre counts as hit with at least this fraction of all samples.
    """
    x, c = _points(samples, centers, "centers")
    std = check_positive(std, "std")
    min_share = check_fraction(min_share, "min_share")
    d = np.sqrt(((x[:, None, :] - c[None, :, :]) ** 2).sum(-1))  # (n, k)
    near = d.argmin(1)
    close = d.min(1) <= 3.0 * std
    counts = np.bincount(near[close], minlength=len(c))
    hit = int((counts >= min_share * len(x)).sum())
    return ModeCoverage(hit, float(close.mean()), tuple(int(v) for v in counts))


def sample_recall(samples: Any, reference: Any, *, radius: float) -> float:
    """Share of ``reference`` points with at least one of ``samples`` within ``radius``
    (recall: which parts of the data the generator covers; a dropped mode of the 8-ring costs
    1/8). Both ``(n, d)``."""
    x, r = _points(samples, reference, "reference")
    radius = check_positive(radius, "radius")
    covered = np.zeros(len(r), dtype=bool)
    for i in range(0, len(r), 512):  # (512, n) distance blocks
        d2 = ((r[i:i + 512, None, :] - x[None, :, :]) ** 2).sum(-1)
        covered[i:i + 512] = d2.min(1) <= radius**2
    return float(covered.mean())


def class_entropy(probs: Any) -> float:
    """Entropy (nats) of the mean class distribution of ``(n, K)`` probabilities; ln K when
    the classes are balanced, 0 when every sample falls in one class."""
    p = check_array(probs.detach().cpu().numpy() if isinstance(probs, torch.Tensor) else probs,
                    "probs", ndim=2, min_rows=1)
    m = p.mean(0)
    m = m[m > 0]
    return float(-(m * np.log(m)).sum())


class DigitsFeatureNet(nn.Module):
    """MLP classifier in → 256 → 64 → K (ReLU); the 64-d penultimate layer gives FD-digits.

    Build and train with :meth:`fit`. Inputs are flattened and clamped to [−1, 1].
    """

    def __init__(self, in_dim: int = 64, num_classes: int = 10, *,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.in_dim = check_int(in_dim, "in_dim", minimum=1)
        self.num_classes = check_int(num_classes, "num_classes", minimum=2)
        self.fc1 = nn.Linear(in_dim, 256)
        self.fc2 = nn.Linear(256, 64)
        self.fc3 = nn.Linear(64, num_classes)
        if generator is not None:
            reinit_(self, generator=generator)

    def _x(self, x: Any) -> torch.Tensor:
        x = check_finite(as_tensor(x, "x"), "x")
        if x.ndim < 2 or math.prod(x.shape[1:]) != self.in_dim:
            raise ValueError(f"`x` must be (B, ...) with {self.in_dim} values per example, got "
                             f"shape {tuple(x.shape)}")
        dev = self.fc1.weight.device
        return x.reshape(x.shape[0], -1).to(dev).clamp(-1.0, 1.0)

    def _feat(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.fc2(F.relu(self.fc1(x))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits ``(B, K)``."""
        return self.fc3(self._feat(self._x(x)))

    @classmethod
    def fit(cls, images: Any, labels: Any, *, generator: torch.Generator | None = None,
            steps: int = 2000, lr: float = 1e-3, batch_size: int = 128, jitter: float = 0.05
            ) -> DigitsFeatureNet:
        """Train on ``(N, ...)`` images in [−1, 1] with labels ``(N,)`` (Adam, input jitter)."""
        x = check_finite(as_tensor(images, "images"), "images")
        y = torch.as_tensor(np.asarray(labels)).long()
        if y.shape != (x.shape[0],):
            raise ValueError(f"`labels` must have shape ({x.shape[0]},), got {tuple(y.shape)}")
        steps = check_int(steps, "steps", minimum=1)
        net = cls(math.prod(x.shape[1:]), int(y.max()) + 1, generator=generator)
        x = x.reshape(x.shape[0], -1)
        opt = adam(net.parameters(), lr=lr)
        for _ in range(steps):
            idx = torch.randint(0, x.shape[0], (batch_size,), generator=generator)
            xb = x[idx] + jitter * torch.randn(x[idx].shape, generator=generator)
            loss = F.cross_entropy(net.fc3(net._feat(xb)), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        return net.eval()

    @torch.no_grad()
    def features(self, x: Any) -> np.ndarray:
        """Penultimate features ``(B, 64)`` as float64 numpy."""
        return self._feat(self._x(x)).double().cpu().numpy()

    @torch.no_grad()
    def probs(self, x: Any) -> np.ndarray:
        """Class probabilities ``(B, K)``."""
        return torch.softmax(self.forward(x), dim=1).double().cpu().numpy()

    def accuracy(self, x: Any, y: Any) -> float:
        """Classification accuracy on labelled images."""
        pred = self.probs(x).argmax(1)
        return float((pred == np.asarray(y)).mean())

    def fd(self, samples: Any, reference: Any) -> float:
        """Fréchet distance between the features of ``samples`` and ``reference``."""
        return frechet_distance(self.features(samples), self.features(reference))

    def save(self, path: str | os.PathLike) -> None:
        meta = {"in_dim": self.in_dim, "num_classes": self.num_classes}
        write_checkpoint(path, {"state": self.state_dict()}, meta)

    @classmethod
    def load(cls, path: str | os.PathLike) -> DigitsFeatureNet:
        blob, meta = read_checkpoint(path)
        net = cls(meta["in_dim"], meta["num_classes"])
        net.load_state_dict(blob["state"])
        return net.eval()
