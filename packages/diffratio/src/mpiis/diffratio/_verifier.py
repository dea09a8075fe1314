"""The ratio as a verifier: best-of-N selection by the learned log ratio (brief, "Verifier")."""

from __future__ import annotations

import torch
from torch import nn

from mpiis.shared.validation import check_int, check_positive

from ._checks import check_labels
from ._generator import OneStepGenerator
from ._random import randn

__all__ = ["best_of_n"]


@torch.no_grad()
def best_of_n(
    one_step: OneStepGenerator,
    ratio_net: nn.Module,
    n: int,
    *,
    candidates: int = 8,
    sigma_verify: float | None = None,
    labels: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Draw ``candidates`` samples per output, score each by c_φ(x, σ_v) on the clean sample
    and keep the highest (highest estimated log p/q).

    Args:
        one_step: the generator.
        ratio_net: the learned ratio c_φ.
        n: number of outputs.
        candidates: N, candidates per output (1 = plain sampling).
        sigma_verify: σ_v; default 0.1·σ_d of the ratio net.
        labels: ``(n,)`` labels for a conditional model (each output's candidates share it).
        generator: draws the candidates.

    Returns:
        ``(n, *shape)`` selected samples.
    """
    n = check_int(n, "n", minimum=1)
    k = check_int(candidates, "candidates", minimum=1)
    sv = (0.1 * float(getattr(ratio_net, "sigma_data", 0.5)) if sigma_verify is None
          else check_positive(sigma_verify, "sigma_verify"))
    device = one_step._device()
    labels = check_labels(labels, n, one_step.num_classes, device=device)
    rep = None if labels is None else labels.repeat_interleave(k)
    z = randn((n * k, *one_step.shape), generator=generator, device=device)
    x = one_step(z, rep)  # (n·k, *shape)
    c = ratio_net(x, torch.full((n * k,), sv, device=device), rep).reshape(n, k)
    best = c.argmax(dim=1) + torch.arange(n, device=device) * k
    return x[best]
