"""Recipes that re-derive the report's reproducible claims from a model table (paper brief,
method step 8): C1 (compute growth), C2 (compute multipliers), C3 (language dataset size),
C6 (power) and C7 (cost)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Literal

import numpy as np
import pandas as pd

from ._claims import load_claims
from ._data import load_frontier_table
from ._forecast import extrapolate_ratio
from ._select import by_domain, frontier_flag
from ._trends import TrendConfig, TrendFit, fit_trend

__all__ = ["RECIPES", "Recipe", "Reproduction", "reproduce"]


@dataclass(frozen=True)
class Recipe:
    """How one claim is re-derived: a frontier rule, a quantity, a window and what is compared
    (``"growth"``: the growth CI overlaps the reported interval; ``"ratio"``: each multiplier's
    CI contains the reported multiplier)."""

    claim_id: str
    description: str
    y: str
    rule: Callable[[pd.DataFrame], pd.DataFrame]
    start: float
    end: float
    kind: Literal["growth", "ratio"] = "growth"
    horizons: tuple[tuple[float, float], ...] = ()


C2_FROM = 2024.0  # "2023's largest": the frontier at the end of 2023 (open point in the brief)
C2_TO = (2027.0, 2030.0)  # "by end-2026" and "by 2030"

RECIPES: MappingProxyType[str, Recipe] = MappingProxyType({
    "C1": Recipe("C1", "OLS growth of training compute, Epoch frontier flag, 2010-2024",
                 "training_compute_flop", frontier_flag, 2010.0, 2025.0),
    "C2": Recipe("C2", "C1's fit extrapolated from end-2023 to end-2026 and to 2030",
                 "training_compute_flop", frontier_flag, 2010.0, 2025.0, "ratio",
                 tuple((C2_FROM, to) for to in C2_TO)),
    "C3": Recipe("C3", "OLS growth of training dataset size, language domain, 2010-2024",
                 "dataset_size", lambda d: by_domain(d, "Language"), 2010.0, 2025.0),
    "C6": Recipe("C6", "OLS growth of training power draw, Epoch frontier flag, 2010-2024",
                 "training_power_w", frontier_flag, 2010.0, 2025.0),
    "C7": Recipe("C7", "OLS growth of training cost (2023 USD), Epoch frontier flag, 2016-2024",
                 "training_cost_usd2023", frontier_flag, 2016.0, 2025.0),
})


@dataclass(frozen=True, eq=False)
class Reproduction:
    """Outcome of :func:`reproduce`.

    Attributes:
        claim_id: the claim.
        reported: the reported figure(s) as intervals (approximate figures widened by +/-15%).
        estimate: our estimate(s): the growth per year, or C2's two multipliers.
        ci: the 95% interval of each estimate.
        consistent: True when the intervals agree as method step 8 defines; None without data.
        selection, window, n: which rows were fitted.
        status: ``"ok"`` or ``"no_data"`` (the table lacks the quantity).
        fit: the underlying :class:`TrendFit` (None without data).
    """

    claim_id: str
    reported: tuple[tuple[float, float], ...]
    estimate: tuple[float, ...]
    ci: tuple[tuple[float, float], ...]
    consistent: bool | None
    selection: str
    window: tuple[float, float]
    n: int
    status: Literal["ok", "no_data"]
    fit: TrendFit | None = field(default=None, repr=False)

    def summary(self) -> str:
        if self.status != "ok":
            return f"{self.claim_id}: no data for this recipe in the table ({self.selection})"
        parts = [f"{e:,.3g} [{lo:,.3g}, {hi:,.3g}]" for e, (lo, hi)
                 in zip(self.estimate, self.ci, strict=True)]
        rep = ", ".join(f"[{lo:,.3g}, {hi:,.3g}]" for lo, hi in self.reported)
        verdict = "consistent" if self.consistent else "NOT consistent"
        return (f"{self.claim_id}: {'; '.join(parts)} vs reported {rep}: {verdict} "
                f"(n={self.n}, {self.selection})")


def reproduce(claim_id: str, data: pd.DataFrame | None = None, *, rng: np.random.Generator,
              config: TrendConfig | None = None) -> Reproduction:
    """Run a claim's recipe on ``data`` (the bundled frontier table when None).

    Args:
        claim_id: one of :data:`RECIPES` (``"C1"``, ``"C2"``, ``"C3"``, ``"C6"``, ``"C7"``).
        data: a canonical model table, e.g. :func:`load_notable_models` of an Epoch CSV.
        rng: generator for the bootstrap.
        config: estimator and bootstrap settings; the window always comes from the recipe.

    Raises:
        ValueError: for a claim without a recipe (C4, C5, C8-C10 are third-party citations).
    """
    if claim_id not in RECIPES:
        raise ValueError(f"`claim_id` must be one of {tuple(RECIPES)} (claims with a recipe), "
                         f"got {claim_id!r}")
    recipe = RECIPES[claim_id]
    claim = load_claims().get(claim_id)
    df = load_frontier_table() if data is None else data
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"`data` must be a pandas DataFrame or None, got {type(df).__name__}")
    cfg = replace(config if config is not None else TrendConfig(), start=recipe.start,
                  end=recipe.end)
    reported = tuple(claim.reported_interval())
    window = (recipe.start, recipe.end)
    sub = recipe.rule(df) if recipe.y in df.columns else df
    selection = str(sub.attrs.get("selection", ""))
    if recipe.y not in sub.columns or pd.to_numeric(sub[recipe.y], errors="coerce").isna().all():
        return Reproduction(claim_id, reported, (), (), None, selection or recipe.description,
                            window, 0, "no_data")
    fit = fit_trend(sub, recipe.y, config=cfg, rng=rng)
    if recipe.kind == "ratio":
        ratios = [extrapolate_ratio(fit, a, b) for a, b in recipe.horizons]
        est = tuple(r.value for r in ratios)
        ci = tuple((r.low, r.high) for r in ratios)
        targets = claim.value if isinstance(claim.value, tuple) else (claim.value,)
        ok = all(r.contains(float(v)) for r, v in zip(ratios, targets, strict=True))
    else:
        est = (fit.growth,)
        ci = (fit.ci(),)
        lo, hi = ci[0]
        ok = any(lo <= rhi and rlo <= hi for rlo, rhi in reported)
    return Reproduction(claim_id, reported, est, ci, bool(ok), fit.selection, window, fit.n,
                        "ok", fit)

