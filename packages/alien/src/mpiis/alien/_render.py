"""Rendering: prompts, the concept-map PNG fallback (extra ``plot``) and a local diffusers hook
(extra ``diffusers``) (brief, "Rendering")."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

__all__ = ["DiffusersRenderer", "build_prompt", "render_concept_map"]

DEFAULT_TEMPLATE = "A painting that contains the concepts: {concepts}"
STYLE_TEMPLATE = "A {style} painting that contains the concepts: {concepts}"


def build_prompt(concepts: Sequence[str], *, style: str | None = None,
                 template: str | None = None) -> str:
    """"A painting that contains the concepts: c1, c2, ..." or, with a style, "A <style>
    painting that contains the concepts: ..." (the re-implementation's template). A custom
    ``template`` may use ``{concepts}`` and ``{style}``."""
    items = [str(c).strip() for c in concepts]
    if not items or any(not c for c in items):
        raise ValueError(f"`concepts` must be non-empty labels, got {list(concepts)}")
    tpl = template or (STYLE_TEMPLATE if style else DEFAULT_TEMPLATE)
    if "{concepts}" not in tpl:
        raise ValueError(f"`template` must contain '{{concepts}}', got {tpl!r}")
    return tpl.format(concepts=", ".join(items), style=style or "")


def _concepts_and_labels(combination: Any, world: Any, labels: Sequence[str] | None
                         ) -> tuple[list[int], list[str]]:
    concepts = list(getattr(combination, "concepts", combination))
    names = getattr(combination, "labels", None)
    if names is None:
        src = labels if labels is not None else getattr(world, "labels", None)
        names = [src[c] for c in concepts] if src is not None else [str(c) for c in concepts]
    return [int(c) for c in concepts], list(names)


def render_concept_map(combination: Any, path: str | Path, *, world: Any = None,
                       art_model: Any = None, labels: Sequence[str] | None = None) -> Path:
    """Draw a labelled concept map PNG: concepts on a circle, edges weighted by ground-truth
    compatibility (``world``) or else by Art-model PMI ``log P(b | a) - log P(b)``, the prompt as
    caption. Returns the path."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError('render_concept_map needs matplotlib: pip install '
                          '"mpiis-alien[plot]"') from exc
    concepts, names = _concepts_and_labels(combination, world, labels)
    n = len(concepts)
    if n < 2:
        raise ValueError(f"a concept map needs at least 2 concepts, got {concepts}")
    W = np.zeros((n, n))
    if world is not None:
        G = world.compatibility.cpu().numpy()
        W = G[np.ix_(concepts, concepts)]
        kind = "ground-truth compatibility"
    elif art_model is not None:
        dev = getattr(art_model, "device", torch.device("cpu"))
        base = art_model.next_log_probs(torch.zeros(1, 0, dtype=torch.long, device=dev))[0]
        cond = art_model.next_log_probs(torch.as_tensor(concepts, device=dev).unsqueeze(1))
        pmi = (cond - base).cpu().numpy()
        W = np.where(np.isfinite(pmi[:, concepts]), pmi[:, concepts], 0.0)
        W = (W + W.T) / 2
        kind = "Art-model PMI"
    else:
        kind = "no weights"
    ang = np.linspace(0, 2 * np.pi, n, endpoint=False)
    xy = np.c_[np.cos(ang), np.sin(ang)]
    fig, ax = plt.subplots(figsize=(6, 6.4))
    scale = np.abs(W).max() or 1.0
    for i in range(n):
        for j in range(i + 1, n):
            w = W[i, j] / scale
            ax.plot(*xy[[i, j]].T, color="tab:blue" if w >= 0 else "tab:red",
                    lw=0.5 + 4 * abs(w), alpha=0.3 + 0.6 * abs(w))
    ax.scatter(xy[:, 0], xy[:, 1], s=500, color="white", edgecolor="k", zorder=3)
    for (x, y), name in zip(xy, names, strict=True):
        ax.text(1.18 * x, 1.18 * y, name, ha="center", va="center", fontsize=9)
    ax.set_xlim(-1.6, 1.6)
    ax.set_ylim(-1.6, 1.6)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(f"edges: {kind}", fontsize=8)
    fig.text(0.5, 0.03, build_prompt(names), ha="center", wrap=True, fontsize=8)
    path = Path(path)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


class DiffusersRenderer:
    """A local diffusers text-to-image pipeline (``local_files_only=True``; never downloads).

    Args:
        model_path: a local pipeline folder.
        steps: inference steps.
        guidance_scale: classifier-free guidance.
        device: where to run (default: the pipeline's).
    """

    def __init__(self, model_path: str | Path, *, steps: int = 30, guidance_scale: float = 7.0,
                 device: torch.device | str | None = None) -> None:
        try:
            import diffusers
        except ImportError as exc:
            raise ImportError('DiffusersRenderer needs diffusers: pip install '
                              '"mpiis-alien[diffusers]"') from exc
        path = Path(model_path)
        if not path.exists():
            raise FileNotFoundError(f"no local diffusers pipeline at {path}")
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise ValueError(f"`steps` must be an int >= 1, got {steps!r}")
        self.steps, self.guidance_scale = steps, float(guidance_scale)
        self.pipeline = diffusers.DiffusionPipeline.from_pretrained(path, local_files_only=True)
        if device is not None:
            self.pipeline.to(device)

    def render(self, prompt: str, *, generator: torch.Generator | None = None) -> Any:
        """One image (a PIL image) for ``prompt``."""
        return self.pipeline(prompt, num_inference_steps=self.steps,
                             guidance_scale=self.guidance_scale, generator=generator).images[0]

    def __call__(self, prompt: str) -> Any:
        return self.render(prompt)
