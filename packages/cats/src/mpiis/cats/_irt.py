"""Item response theory for difficulty proxies (brief: "IRT and proxies").

``fit_irt`` fits a Rasch (or 2PL) model to the responses of reference models:

1. joint maximum likelihood (JML) for abilities and difficulties (items answered all-right or
   all-wrong are left out of JML), abilities multiplied by the bias correction ``(K-1)/K``;
2. with the abilities fixed, EM over items for the prior ``D_i | W_i ~ N(gamma' W_i, tau^2)``
   using 31-node Gauss-Hermite quadrature centred on each item's prior;
3. output: EAP difficulties, posterior SDs and the marginal reliability
   ``rho = 1 - mean(posterior var) / tau^2`` of the fit without covariates.

``IRTFit.eap(covariates)`` refits the prior on other regressors ``W`` and returns
``E[D | responses, W]``: the regression calibration that the estimators use.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Literal

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from ._glm import x64

__all__ = ["IRTFit", "fit_irt", "plugin_difficulty"]

N_JML = 40  # alternating Newton sweeps of JML
N_EM = 18  # EM evaluations for (gamma, tau^2): 6 SQUAREM cycles of 3 (converged to ~1e-6)
GRID = np.linspace(-25.0, 25.0, 5001)  # Rasch log-partition table, step 0.01


def plugin_difficulty(n_correct, n_models: int) -> np.ndarray:
    """The plug-in proxy ``-logit((s + 1/2) / (K + 1))`` of each item's difficulty."""
    s = np.asarray(n_correct, dtype=np.float64)
    p = (s + 0.5) / (n_models + 1.0)
    return -np.log(p / (1.0 - p))


@jax.jit
def _jml(Y, mask_items):
    """Rasch JML by alternating diagonal Newton steps. ``Y`` (n_items, K); extreme items masked
    out. Returns abilities (K,), difficulties (n_items,)."""
    m = mask_items.astype(Y.dtype)[:, None]

    def sweep(carry, _):
        th, d = carry
        p = jax.nn.sigmoid(th[None, :] - d[:, None])
        r = (Y - p) * m
        info = p * (1 - p) * m
        th = th + jnp.clip(r.sum(0) / jnp.maximum(info.sum(0), 1e-9), -2, 2)
        p = jax.nn.sigmoid(th[None, :] - d[:, None])
        r = (Y - p) * m
        info = p * (1 - p)
        d = d - jnp.clip(r.sum(1) / jnp.maximum(info.sum(1), 1e-9), -2, 2)
        d = d - jnp.sum(d * m[:, 0]) / jnp.maximum(m.sum(), 1.0)
        return (th, d), None

    K = Y.shape[1]
    (th, d), _ = jax.lax.scan(sweep, (jnp.zeros(K), jnp.zeros(Y.shape[0])), None, length=N_JML)
    return th, d


@jax.jit
def _jml_2pl(Y, mask_items):
    """2PL JML: logit P = a_i (theta_m - d_i), log a_i with a weak N(0, 0.5^2) penalty."""
    m = mask_items.astype(Y.dtype)[:, None]

    def sweep(carry, _):
        th, d, la = carry
        a = jnp.exp(la)[:, None]
        p = jax.nn.sigmoid(a * (th[None, :] - d[:, None]))
        r, info = (Y - p) * m, p * (1 - p) * m
        th = th + jnp.clip((a * r).sum(0) / jnp.maximum((a**2 * info).sum(0), 1e-9), -2, 2)
        th = (th - th.mean()) / jnp.maximum(th.std(), 1e-6)
        p = jax.nn.sigmoid(a * (th[None, :] - d[:, None]))
        r, info = (Y - p) * m, p * (1 - p)
        d = d - jnp.clip((a * r).sum(1) / jnp.maximum((a**2 * info).sum(1), 1e-9), -2, 2)
        p = jax.nn.sigmoid(a * (th[None, :] - d[:, None]))
        x = th[None, :] - d[:, None]
        r, info = (Y - p), p * (1 - p)
        g = (a * x * r).sum(1) - la / 0.25
        h = (a**2 * x**2 * info).sum(1) + 1 / 0.25
        la = la + jnp.clip(g / h, -0.5, 0.5)
        return (th, d, la), None

    K, n = Y.shape[1], Y.shape[0]
    (th, d, la), _ = jax.lax.scan(sweep, (jnp.zeros(K), jnp.zeros(n), jnp.zeros(n)), None,
                                  length=N_JML)
    return th, d, jnp.exp(la)


def _gh(n_quad):
    x, w = np.polynomial.hermite.hermgauss(n_quad)
    return jnp.asarray(np.sqrt(2.0) * x), jnp.asarray(w / np.sqrt(np.pi))


@partial(jax.jit, static_argnames=("n_quad", "rasch", "n_iter"))
def _em(rows_item, W, s, Y, a, theta, grid, n_quad, rasch, n_iter=N_EM):
    """EM for the prior ``D | W ~ N(W gamma, tau^2)`` with the item likelihoods fixed.

    Args:
        rows_item: item index of each row (R,); W: (R, p) regressors (with intercept);
        s: item sum scores (n_items,); Y: responses (n_items, K) (2PL only);
        a: discriminations (n_items,); theta: abilities (K,);
        grid, table: the Rasch log-partition ``A(d) = sum_m softplus(theta_m - d)`` tabulated.
    Returns:
        gamma (p,), tau2, posterior means (R,), posterior variances (R,).
    """
    x, wq = _gh(n_quad)
    s_r = s[rows_item]
    table = jnp.sum(jax.nn.softplus(theta[None, :] - grid[:, None]), axis=1)

    def loglik(d):  # d (R, Q)
        if rasch:
            lo, h = grid[0], grid[1] - grid[0]
            t = jnp.clip((d - lo) / h, 0.0, grid.shape[0] - 1.000001)
            i = jnp.floor(t).astype(jnp.int32)
            f = t - i
            return -s_r[:, None] * d - (table[i] * (1 - f) + table[i + 1] * f)
        yr, ar = Y[rows_item], a[rows_item]
        eta = ar[:, None, None] * (theta[None, None, :] - d[:, :, None])
        return jnp.sum(yr[:, None, :] * eta - jax.nn.softplus(eta), axis=-1)

    def posterior(gamma, tau2):
        mu = W @ gamma
        d = mu[:, None] + jnp.sqrt(tau2) * x[None, :]
        lw = jnp.log(wq)[None, :] + loglik(d)
        lw = lw - jax.scipy.special.logsumexp(lw, axis=1, keepdims=True)
        pw = jnp.exp(lw)
        m1 = jnp.sum(pw * d, axis=1)
        v = jnp.maximum(jnp.sum(pw * d**2, axis=1) - m1**2, 1e-12)
        return m1, v

    # start from the plug-in proxy regressed on W
    K = theta.shape[0]
    plug = -jnp.log((s_r + 0.5) / (K + 0.5 - s_r))
    gram = W.T @ W + 1e-9 * jnp.eye(W.shape[1])
    g0 = jnp.linalg.solve(gram, W.T @ plug)
    t0 = jnp.var(plug - W @ g0)

    def em(theta):  # theta = (gamma..., log tau^2)
        gamma, tau2 = theta[:-1], jnp.exp(theta[-1])
        m1, v = posterior(gamma, tau2)
        gamma = jnp.linalg.solve(gram, W.T @ m1)
        tau2 = jnp.maximum(jnp.mean(v + (m1 - W @ gamma) ** 2), 1e-6)
        return jnp.concatenate([gamma, jnp.log(tau2)[None]])

    def squarem(_, th0):
        # SQUAREM (Varadhan & Roland 2008): two EM steps, an extrapolation, one EM step.
        th1 = em(th0)
        th2 = em(th1)
        r, v = th1 - th0, th2 - 2 * th1 + th0
        alpha = -jnp.sqrt(jnp.sum(r**2)) / jnp.maximum(jnp.sqrt(jnp.sum(v**2)), 1e-12)
        alpha = jnp.clip(alpha, -8.0, -1.0)
        th = th0 - 2 * alpha * r + alpha**2 * v
        th = jnp.where(jnp.all(jnp.isfinite(th)), th, th2)
        return em(th)

    par = jax.lax.fori_loop(0, n_iter // 3, squarem, jnp.concatenate([g0, jnp.log(t0)[None]]))
    gamma, tau2 = par[:-1], jnp.exp(par[-1])
    m1, v = posterior(gamma, tau2)
    return gamma, tau2, m1, v


@dataclass(frozen=True, eq=False)
class IRTFit:
    """A fitted Rasch/2PL model of the reference models' responses.

    Attributes:
        kind: ``"rasch"`` or ``"2pl"``.
        items: item ids ``(n_items,)``; models: reference model ids ``(K,)``.
        ability: bias-corrected JML abilities ``(K,)``.
        discrimination: ``(n_items,)`` (ones for Rasch).
        responses: the 0/1 response matrix ``(n_items, K)``.
        difficulty: EAP difficulties ``(n_items,)`` (prior fitted without covariates unless
            ``covariates`` were given); difficulty_sd: posterior SDs.
        gamma, tau2: the fitted prior ``D | W ~ N(gamma' W, tau2)``.
        reliability: ``1 - mean(posterior var) / tau2`` of the fit without covariates.
        n_quad: Gauss-Hermite nodes.
    """

    kind: str
    items: np.ndarray
    models: np.ndarray
    ability: np.ndarray
    discrimination: np.ndarray
    responses: np.ndarray
    difficulty: np.ndarray
    difficulty_sd: np.ndarray
    gamma: np.ndarray
    tau2: float
    reliability: float
    n_quad: int = 31

    @property
    def n_models(self) -> int:
        return len(self.models)

    @property
    def plugin(self) -> np.ndarray:
        """The plug-in proxy ``-logit((s + 1/2)/(K + 1))`` per item."""
        return plugin_difficulty(self.responses.sum(1), self.n_models)

    def eap(self, covariates=None, *, rows_item=None) -> tuple[np.ndarray, np.ndarray]:
        """Posterior means and SDs of difficulty given the responses and regressors ``W``.

        Args:
            covariates: ``(R, p)`` regressors without intercept (one row per item, or per
                ``rows_item`` entry); ``None`` for the intercept-only prior.
            rows_item: item index (0..n_items-1) of each row, when rows are not the items.

        Returns:
            ``(mean (R,), sd (R,))``: the regression-calibrated difficulty.
        """
        n = len(self.items)
        ri = np.arange(n) if rows_item is None else np.asarray(rows_item, dtype=np.int64)
        R = len(ri)
        if covariates is None:
            W = np.ones((R, 1))
        else:
            C = np.asarray(covariates, dtype=np.float64).reshape(R, -1)
            if not np.isfinite(C).all():
                raise ValueError("`covariates` must be finite")
            W = np.column_stack([np.ones(R), C])
        _, _, m, v = self._em(ri, W)
        return m, np.sqrt(v)

    def _em(self, rows_item, W, n_iter=N_EM):
        with x64():
            th = jnp.asarray(self.ability, dtype=jnp.float64)
            grid = jnp.asarray(GRID)
            out = _em(jnp.asarray(rows_item), jnp.asarray(W), jnp.asarray(
                self.responses.sum(1), dtype=jnp.float64),
                jnp.asarray(self.responses, dtype=jnp.float64),
                jnp.asarray(self.discrimination, dtype=jnp.float64), th, grid,
                self.n_quad, self.kind == "rasch", n_iter)
            return tuple(np.asarray(o) for o in out)

    def save(self, path: str | Path) -> None:
        """Save as ``path`` (npz arrays) plus ``path.json`` (metadata)."""
        p = Path(path)
        with open(p, "wb") as f:
            np.savez(f, ability=self.ability, discrimination=self.discrimination,
                     responses=self.responses, difficulty=self.difficulty,
                     difficulty_sd=self.difficulty_sd, gamma=self.gamma,
                     items=np.asarray(self.items, dtype=str),
                     models=np.asarray(self.models, dtype=str))
        Path(str(p) + ".json").write_text(json.dumps(
            {"kind": self.kind, "tau2": self.tau2, "reliability": self.reliability,
             "n_quad": self.n_quad}))

    @classmethod
    def load(cls, path: str | Path) -> IRTFit:
        """Load a fit written by :meth:`save`."""
        p = Path(path)
        if not p.is_file():
            raise ValueError(f"`path` {str(p)!r} does not exist")
        meta = json.loads(Path(str(p) + ".json").read_text())
        with np.load(p) as z:
            arrs = {k: z[k] for k in z.files}
        return cls(kind=meta["kind"], items=arrs["items"], models=arrs["models"],
                   ability=arrs["ability"], discrimination=arrs["discrimination"],
                   responses=arrs["responses"], difficulty=arrs["difficulty"],
                   difficulty_sd=arrs["difficulty_sd"], gamma=arrs["gamma"],
                   tau2=float(meta["tau2"]), reliability=float(meta["reliability"]),
                   n_quad=int(meta["n_quad"]))


def fit_irt(responses: pd.DataFrame, *, item: str = "item_id", model: str = "model",
            correct: str = "correct", kind: Literal["rasch", "2pl"] = "rasch",
            covariates: tuple[str, ...] = (), n_quad: int = 31) -> IRTFit:
    """Fit a Rasch (or 2PL) model to the long responses of reference models.

    Args:
        responses: long table with one row per (item, reference model).
        item, model, correct: column names (``correct`` is 0/1).
        kind: ``"rasch"`` or ``"2pl"``.
        covariates: item-level columns ``W`` for the prior of the reported EAP difficulties.
        n_quad: Gauss-Hermite nodes (31).

    Raises:
        ValueError: missing columns, non-binary responses, fewer than 5 reference models.
    """
    if not isinstance(responses, pd.DataFrame):
        raise TypeError(f"`responses` must be a pandas.DataFrame, got {type(responses).__name__}")
    miss = [c for c in (item, model, correct, *covariates) if c not in responses.columns]
    if miss:
        raise ValueError(f"`responses` misses the columns {miss}; it has "
                         f"{list(responses.columns)}")
    if kind not in ("rasch", "2pl"):
        raise ValueError(f"`kind` must be 'rasch' or '2pl', got {kind!r}")
    if not isinstance(n_quad, int) or n_quad < 5:
        raise ValueError(f"`n_quad` must be an int >= 5, got {n_quad!r}")
    y = pd.to_numeric(responses[correct], errors="coerce").to_numpy(float)
    if (~np.isin(y, (0.0, 1.0))).any():
        raise ValueError(f"column {correct!r} must be 0/1; {int((~np.isin(y, (0., 1.))).sum())} "
                         "row(s) are not")
    wide = responses.pivot_table(index=item, columns=model, values=correct, aggfunc="mean",
                                 sort=True)
    K = wide.shape[1]
    if K < 5:
        raise ValueError(f"`responses` must hold at least 5 reference models, got {K}")
    incomplete = wide.isna().any(axis=1)
    if incomplete.any():
        warnings.warn(f"fit_irt: dropped {int(incomplete.sum())} item(s) not answered by every "
                      f"reference model, e.g. {list(wide.index[incomplete][:3])}", stacklevel=2)
        wide = wide[~incomplete]
    Y = np.rint(wide.to_numpy(float))
    s = Y.sum(1)
    mask = (s > 0) & (s < K)
    with x64():
        if kind == "rasch":
            th, _ = _jml(jnp.asarray(Y), jnp.asarray(mask))
            a = np.ones(len(Y))
        else:
            th, _, a = _jml_2pl(jnp.asarray(Y), jnp.asarray(mask))
            a = np.asarray(a)
        th = np.asarray(th) * (K - 1) / K  # JML bias correction (brief)
    fit = IRTFit(kind=kind, items=wide.index.to_numpy(), models=wide.columns.to_numpy(),
                 ability=th, discrimination=a, responses=Y.astype(np.int8),
                 difficulty=np.zeros(len(Y)), difficulty_sd=np.zeros(len(Y)),
                 gamma=np.zeros(1), tau2=1.0, reliability=float("nan"), n_quad=n_quad)
    n = len(Y)
    g0, t0, m0, v0 = fit._em(np.arange(n), np.ones((n, 1)))
    rho = float(1.0 - np.mean(v0) / t0)
    if covariates:
        first = responses.groupby(item, sort=True)[list(covariates)].first().loc[wide.index]
        W = np.column_stack([np.ones(n), first.to_numpy(float)])
        g0, t0, m0, v0 = fit._em(np.arange(n), W)
    return IRTFit(kind=kind, items=fit.items, models=fit.models, ability=th, discrimination=a,
                  responses=fit.responses, difficulty=m0, difficulty_sd=np.sqrt(v0),
                  gamma=g0, tau2=float(t0), reliability=rho, n_quad=n_quad)
