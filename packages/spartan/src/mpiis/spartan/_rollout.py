"""Autoregressive multi-step rollouts (brief, Method 9)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ._model import _WorldModel

__all__ = ["RolloutResult", "rollout"]


@dataclass(frozen=True, eq=False)
class RolloutResult:
    """``states (B, steps + 1, N, D)`` (the first is ``objects0``) and the per-step local
    graphs ``graphs (B, steps, N, T)``."""

    states: torch.Tensor
    graphs: torch.Tensor


@torch.no_grad()
def rollout(
    model: _WorldModel,
    objects0: torch.Tensor,
    *,
    steps: int,
    actions: torch.Tensor | None = None,
    regime: torch.Tensor | int | None = None,
    token: torch.Tensor | None = None,
) -> RolloutResult:
    """``s_{t+1} = s_t + sigma * delta_hat + mu`` with evaluation-mode gates and a fixed regime
    token.

    Args:
        model: a trained world model (its residual standardiser is used).
        objects0: ``(B, N, D)`` initial states.
        steps: number of predicted steps.
        actions: ``(B, steps, action_dim)`` when the model takes actions.
        regime / token: the intervention token, fixed over the rollout.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"`steps` must be an int >= 1, got {steps!r}")
    if model.config.action_dim and (actions is None or actions.ndim != 3
                                    or actions.shape[1] < steps):
        raise ValueError(f"`actions` must have shape (B, >= {steps}, {model.config.action_dim})")
    was = model.training
    model.eval()
    try:
        s = objects0
        states, graphs = [s], []
        mu, sd = model.delta_mu.to(s.dtype), model.delta_sigma.to(s.dtype)
        for t in range(steps):
            a = None if actions is None else actions[:, t]
            out = model(s, actions=a, regime=regime, token=token, sample=False)
            graphs.append(model._graph_from_output(out)[:, : s.shape[1]])
            s = s + out.delta * sd + mu
            states.append(s)
    finally:
        model.train(was)
    return RolloutResult(torch.stack(states, 1), torch.stack(graphs, 1))
