"""``discover_direction``: the bivariate experiment (claims 1-2) and its two baselines."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import jax
import jax.numpy as jnp
import networkx as nx
import numpy as np
from jax.scipy.special import gammaincc

from mpiis.shared.validation import check_choice

from ._compress import CompressionResult, compress
from ._config import CompressionConfig
from ._data import MultiEnvData, as_multienv
from ._gaussian import env_stats

__all__ = ["DirectionResult", "discover_direction", "is_tie"]

LRT_ALPHA = 0.05  # family-wise level of the lrt_changes baseline (Bonferroni)


@dataclass(frozen=True, eq=False)
class DirectionResult:
    """Which of the two factorisations of ``(X1, X2)`` codes the data shorter.

    Attributes:
        cause / effect: column names, ``None`` on a tie (within ``tie_tol_bits``).
        bits: per direction (``"X1->X2"``, ``"X2->X1"``) the score: total bits of eq. (B), or
            for ``baseline="lrt_changes"`` the number of detected mechanism changes.
        gap_bits: ``|score difference|``.
        graph: ``nx.DiGraph`` with the winning edge (no edge on a tie).
        fits: per direction the :class:`CompressionResult` (empty for ``lrt_changes``).
        method: ``"compression"``, ``"independent"`` or ``"lrt_changes"``.
    """

    cause: str | None
    effect: str | None
    bits: dict[str, float]
    gap_bits: float
    graph: nx.DiGraph
    fits: dict[str, CompressionResult] = field(default_factory=dict)
    method: str = "compression"


def is_tie(a: float, b: float, config: CompressionConfig) -> bool:
    """Two scores tie within ``tie_tol_bits`` (relative ``1e-6 |L|`` when ``x64=False``)."""
    tol = config.tie_tol_bits if config.x64 else 1e-6 * max(abs(a), abs(b))
    return bool(abs(a - b) <= tol)


def _lrt_changes(data: MultiEnvData, cause: int, effect: int, center: bool) -> int:
    """Mechanism changes of the factorisation ``cause -> effect``: per mechanism and per
    environment ``e >= 1``, a likelihood-ratio test of equal parameters with environment 0
    (pooled vs separate zero-mean Gaussian regressions), Bonferroni over all tests."""
    stats = env_stats(data, center=center)
    s, n = stats.scatter, stats.n
    n_env = n.size
    tests = []  # (statistic, df)
    for node, parents in ((cause, ()), (effect, (cause,))):
        p = list(parents)

        def loglik(sc, nn, node=node, p=p):
            rss = sc[node, node]
            if p:
                beta = np.linalg.solve(sc[np.ix_(p, p)], sc[p, node])
                rss = rss - beta @ sc[p, node]
            return -0.5 * nn * (math.log(2 * math.pi * rss / nn) + 1.0)

        for e in range(1, n_env):
            sep = loglik(s[0], n[0]) + loglik(s[e], n[e])
            pooled = loglik(s[0] + s[e], n[0] + n[e])
            tests.append((max(2.0 * (sep - pooled), 0.0), len(p) + 1))
    if not tests:
        return 0
    stat = np.array([t for t, _ in tests])
    df = np.array([d for _, d in tests], dtype=np.float64)
    with jax.enable_x64(True):
        pval = np.asarray(gammaincc(jnp.asarray(df / 2), jnp.asarray(stat / 2)))
    return int((pval < LRT_ALPHA / len(tests)).sum())


def discover_direction(
    data: Any,
    *,
    config: CompressionConfig | None = None,
    codebooks: Mapping[str, Mapping[str, np.ndarray]] | None = None,
    baseline: Literal["independent", "lrt_changes"] | None = None,
) -> DirectionResult:
    """Compare the two factorisations of bivariate data by total code length (claims 1-2).

    Args:
        data: ``MultiEnvData`` or a list of ``(n_e, 2)`` arrays.
        config: the options of the code.
        codebooks: per direction (``"X1->X2"``) the per-type codebooks passed to
            :func:`compress`; ``None`` uses the recipe on the estimates.
        baseline: ``None`` (the method), ``"independent"`` (every environment its own
            mechanisms; must tie) or ``"lrt_changes"`` (fewer detected mechanism changes wins).

    Returns:
        A :class:`DirectionResult`; ``cause is None`` on a tie.

    Raises:
        ValueError: unless the data have exactly 2 columns.
    """
    config = CompressionConfig() if config is None else config
    data = as_multienv(data)
    if data.n_vars != 2:
        raise ValueError(f"`data` must have 2 columns for discover_direction, got {data.n_vars}")
    if baseline is not None:
        check_choice(baseline, "baseline", ("independent", "lrt_changes"))
    a, b = data.columns
    keys = {f"{a}->{b}": (a, b), f"{b}->{a}": (b, a)}
    fits: dict[str, CompressionResult] = {}
    if baseline == "lrt_changes":
        scores = {key: float(_lrt_changes(data, data.columns.index(c), data.columns.index(e),
                                          config.center)) for key, (c, e) in keys.items()}
        tie = scores[f"{a}->{b}"] == scores[f"{b}->{a}"]
    else:
        for key, order in keys.items():
            cb = None if codebooks is None else codebooks.get(key)
            fits[key] = compress(data, order, config=config, codebook=cb,
                                 independent=baseline == "independent")
        scores = {key: f.total_bits for key, f in fits.items()}
        tie = is_tie(scores[f"{a}->{b}"], scores[f"{b}->{a}"], config)
    g = nx.DiGraph()
    g.add_nodes_from(data.columns)
    cause = effect = None
    if not tie:
        best = min(scores, key=scores.__getitem__)
        cause, effect = keys[best]
        g.add_edge(cause, effect)
    vals = list(scores.values())
    return DirectionResult(
        cause=cause, effect=effect, bits=scores, gap_bits=float(abs(vals[0] - vals[1])),
        graph=g, fits=fits, method=baseline or "compression",
    )
