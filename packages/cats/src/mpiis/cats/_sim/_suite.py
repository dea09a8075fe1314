"""Named suites of simulated benchmarks: each scenario a (name, SimConfig) pair."""

from __future__ import annotations

from typing import Literal

from ._bypass import MediatorBypass
from ._contamination import Contamination
from ._filter import AdversarialFilter
from ._format import FormatSensitivity
from ._shortcut import Shortcut
from ._simulator import SimConfig
from ._spurious import SpuriousFeatures

__all__ = ["suite"]


def suite(name: str = "standard-v1", *, preset: Literal["smoke", "quick", "full"] = "quick",
          ) -> tuple[tuple[str, SimConfig], ...]:
    """The scenarios of a named suite at a preset (``"standard-v1"``: one per monster).

    ``smoke`` uses tiny benchmarks; ``quick`` and ``full`` the brief's sizes.
    """
    if name != "standard-v1":
        raise ValueError(f"`name` must be 'standard-v1', got {name!r}")
    if preset not in ("smoke", "quick", "full"):
        raise ValueError(f"`preset` must be 'smoke', 'quick' or 'full', got {preset!r}")
    small = preset == "smoke"
    n = 300 if small else 2000
    k = 5 if small else 20
    return (
        ("shortcut", SimConfig(n_items=n, n_models=1, n_reference=k,
                               monsters=(Shortcut(strength=0.3, confounding=1.0),))),
        ("bypass", SimConfig(n_items=300 if small else 3000, n_models=1, n_reference=k,
                             monsters=(MediatorBypass(direct=0.5),))),
        ("spurious", SimConfig(n_items=n, n_models=1, n_reference=k,
                               monsters=(SpuriousFeatures(),))),
        ("selection", SimConfig(n_models=1, n_reference=k,
                                monsters=(AdversarialFilter(pool=600 if small else 6000),))),
        ("contamination", SimConfig(n_items=n, n_models=10, n_reference=k,
                                    monsters=(Contamination(),))),
        ("format", SimConfig(n_items=n, n_models=4, n_reference=k,
                             monsters=(FormatSensitivity(),))),
    )
