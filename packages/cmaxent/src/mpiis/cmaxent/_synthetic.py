"""Synthetic data and population moments for the benchmark families (brief, "Data").

Every generator is numpy and takes ``rng: numpy.random.Generator`` keyword-only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import jax.numpy as jnp
import numpy as np
from scipy import stats

from mpiis.shared.validation import check_array, check_fraction, check_int

from ._moments import MomentTable
from ._newton import x64
from ._quadrature import gauss_expect

__all__ = ["SyntheticInstance", "anticausal_moments", "causal_moments",
           "make_anticausal_gaussian", "make_causal_logistic", "random_instance"]

Kind = Literal["emp", "lda", "full", "p1", "p1-equal", "p2", "inf", "oov-anticausal",
               "oov-causal"]
KINDS: tuple[str, ...] = ("emp", "lda", "full", "p1", "p1-equal", "p2", "inf",
                          "oov-anticausal", "oov-causal")


def _rng(rng: Any) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"`rng` must be a numpy.random.Generator, got {type(rng).__name__}")
    return rng


def _names(k: int) -> tuple[str, ...]:
    return tuple(f"X{i + 1}" for i in range(k))


def make_anticausal_gaussian(*, pi1: float, mu0: Any, mu1: Any, cov_within: Any, n: int,
                             rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Y ~ Bernoulli(pi1), X | Y=y ~ N(mu_y, cov_within). Returns X (n, k), y (n,) in {0, 1}."""
    check_fraction(pi1, "pi1", low_open=True, high_open=True)
    mu0 = check_array(mu0, "mu0", ndim=1)
    k = mu0.shape[0]
    mu1 = check_array(mu1, "mu1", ndim=1, shape=(k,))
    cov = check_array(cov_within, "cov_within", ndim=2, shape=(k, k))
    n = check_int(n, "n", minimum=1)
    rng = _rng(rng)
    y = (rng.random(n) < pi1).astype(np.int64)
    chol = np.linalg.cholesky(cov)
    x = rng.standard_normal((n, k)) @ chol.T + np.where(y[:, None] == 1, mu1, mu0)
    return x, y


def make_causal_logistic(*, mean: Any, cov: Any, beta0: float, beta: Any, n: int,
                         rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """X ~ N(mean, cov), Y | X ~ Bernoulli(sigma(beta0 + beta^T X)). Returns X (n, k), y (n,)."""
    mean = check_array(mean, "mean", ndim=1)
    k = mean.shape[0]
    cov = check_array(cov, "cov", ndim=2, shape=(k, k))
    beta = check_array(beta, "beta", ndim=1, shape=(k,))
    n = check_int(n, "n", minimum=1)
    rng = _rng(rng)
    x = rng.standard_normal((n, k)) @ np.linalg.cholesky(cov).T + mean
    p = 1.0 / (1.0 + np.exp(-(beta0 + x @ beta)))
    return x, (rng.random(n) < p).astype(np.int64)


def anticausal_moments(*, pi1: float, mu0: Any, mu1: Any, cov_within: Any,
                       observed: Sequence[tuple[str, ...]] | None = None) -> MomentTable:
    """Exact moments of the anticausal Gaussian model, as a :class:`MomentTable` over
    X1..Xk and Y (``observed`` defaults to one dataset with everything)."""
    mu0, mu1 = np.asarray(mu0, float), np.asarray(mu1, float)
    cov = np.asarray(cov_within, float)
    k = len(mu0)
    p0 = 1.0 - pi1
    mean = np.append(p0 * mu0 + pi1 * mu1, pi1)
    sxx = cov + p0 * np.outer(mu0, mu0) + pi1 * np.outer(mu1, mu1)
    second = np.zeros((k + 1, k + 1))
    second[:k, :k] = sxx
    second[:k, k] = second[k, :k] = pi1 * mu1
    second[k, k] = pi1
    names = (*_names(k), "Y")
    return MomentTable.from_population(mean=mean, second_moment=second,
                                       observed=observed or [names], names=names)


def causal_moments(*, mean: Any, cov: Any, beta0: float, beta: Any,
                   observed: Sequence[tuple[str, ...]] | None = None) -> MomentTable:
    """Exact moments of X ~ N(mean, cov), Y | X logistic, by Stein's lemma:
    E[Y] = E[sigma(t)], E[X Y] = mean E[sigma(t)] + cov beta E[sigma'(t)]."""
    mu, cov, beta = np.asarray(mean, float), np.asarray(cov, float), np.asarray(beta, float)
    k = len(mu)
    m, v = beta0 + beta @ mu, beta @ cov @ beta
    with x64():
        g0 = float(gauss_expect(0, jnp.float64(m), jnp.float64(v)))
        g1 = float(gauss_expect(1, jnp.float64(m), jnp.float64(v)))
    second = np.zeros((k + 1, k + 1))
    second[:k, :k] = cov + np.outer(mu, mu)
    second[:k, k] = second[k, :k] = mu * g0 + cov @ beta * g1
    second[k, k] = g0
    names = (*_names(k), "Y")
    return MomentTable.from_population(mean=np.append(mu, g0), second_moment=second,
                                       observed=observed or [names], names=names)


@dataclass(frozen=True)
class SyntheticInstance:
    """One benchmark instance.

    Attributes:
        kind: the family (``"emp"``, ``"lda"``, ``"p1"``, ...).
        table: the moments the merge sees.
        X: (n, k) sample (data families) or None (population families).
        y: (n,) labels or None.
        truth: the generating parameters (``"anticausal"`` truth: pi1, mu0, mu1, cov_within;
            ``"causal"`` truth: mean, cov, beta0, beta).
    """

    kind: str
    table: MomentTable
    X: np.ndarray | None = None
    y: np.ndarray | None = None
    truth: dict[str, Any] = field(default_factory=dict)

    def sample(self, n: int, *, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Draw a fresh joint test sample (n, k), (n,) from the truth."""
        t = self.truth
        if t.get("model") == "anticausal":
            return make_anticausal_gaussian(pi1=t["pi1"], mu0=t["mu0"], mu1=t["mu1"],
                                            cov_within=t["cov_within"], n=n, rng=rng)
        if t.get("model") == "causal":
            return make_causal_logistic(mean=t["mean"], cov=t["cov"], beta0=t["beta0"],
                                        beta=t["beta"], n=n, rng=rng)
        raise ValueError(f"instances of kind {self.kind!r} have no sampling truth")

    def bayes_log_odds(self, X: np.ndarray) -> np.ndarray:
        """(n,) the Bayes-optimal log-odds from the true parameters."""
        t = self.truth
        x = np.asarray(X, float)
        if t.get("model") == "causal":
            return t["beta0"] + x @ t["beta"]
        if t.get("model") == "anticausal":
            lam = np.linalg.inv(t["cov_within"])
            mu0, mu1, p1 = t["mu0"], t["mu1"], t["pi1"]
            w = lam @ (mu1 - mu0)
            w0 = -0.5 * (mu1 @ lam @ mu1 - mu0 @ lam @ mu0) + np.log(p1 / (1 - p1))
            return x @ w + w0
        raise ValueError(f"instances of kind {self.kind!r} have no Bayes predictor")


def _mixing(k: int, rng: np.random.Generator) -> np.ndarray:
    while True:
        a = np.eye(k) + 0.4 / np.sqrt(k) * rng.standard_normal((k, k))
        if np.linalg.cond(a) < 5:
            return a


def _signed(lo: float, hi: float, k: int, rng: np.random.Generator) -> np.ndarray:
    return rng.choice([-1.0, 1.0], size=k) * rng.uniform(lo, hi, size=k)


def _p1(k: int, rng: np.random.Generator, *, pi=(0.2, 0.8)) -> dict[str, Any]:
    pi1 = float(rng.uniform(*pi))
    delta = _signed(0.3, 1.2, k, rng)
    v = rng.uniform(0.5, 2.0, size=k)
    return {"model": "anticausal", "pi1": pi1, "mu0": np.zeros(k), "mu1": delta,
            "cov_within": np.diag(v)}


def _equalise(t: dict[str, Any]) -> dict[str, Any]:
    p1 = t["pi1"]
    pp = p1 * (1 - p1)
    delta, v = t["mu1"].copy(), np.diag(t["cov_within"])
    rho2 = pp * delta[0] ** 2 / (v[0] + pp * delta[0] ** 2)
    delta[1:] = np.sign(delta[1:]) * np.sqrt(rho2 * v[1:] / (pp * (1 - rho2)))
    return {**t, "mu1": delta}


def random_instance(kind: Kind, *, k: int, rng: np.random.Generator,
                    r: float | None = None, n: int = 4000) -> SyntheticInstance:
    """One random instance of a benchmark family.

    Args:
        kind: ``"emp"`` (non-Gaussian data, causal claim 1), ``"lda"`` (Gamma data, claim 1
            anticausal), ``"full"`` (population, all moments), ``"p1"`` / ``"p1-equal"``
            (only the (X_i, Y) observed; equal |Corr(X_i, Y)|), ``"p2"`` ((X1, Y) and (X1, X2)
            observed, k = 2), ``"inf"`` (P1 moments rescaled to the Gaussian ratio ``r``),
            ``"oov-anticausal"`` / ``"oov-causal"`` (P1 moments of a known truth).
        k: number of predictors.
        rng: the random generator.
        r: target feasibility ratio for ``"inf"``.
        n: sample size of the data families.
    """
    rng = _rng(rng)
    k = check_int(k, "k", minimum=1)
    names = _names(k)
    p1_obs = [(nm, "Y") for nm in names]
    if kind in ("emp", "lda"):
        pi1 = rng.uniform(0.25, 0.75)
        a = _mixing(k, rng)
        delta = rng.uniform(-0.8, 0.8, size=k)
        y = (rng.random(n) < pi1).astype(np.int64)
        if kind == "emp":
            z = np.empty((n, k))
            for j in range(k):
                if j % 2 == 0:
                    z[:, j] = (rng.gamma(2.0, 1.0, n) - 2.0) / np.sqrt(2.0)
                else:
                    z[:, j] = rng.standard_t(5, n) / np.sqrt(5.0 / 3.0)
            x = z @ a.T + y[:, None] * delta + rng.standard_normal(k)
        else:
            x = rng.gamma(2.0, 1.0, (n, k)) @ a.T + y[:, None] * delta
        table = MomentTable.from_datasets({(*names, "Y"): np.column_stack([x, y])})
        return SyntheticInstance(kind, table, x, y, {"pi1": pi1, "A": a, "delta": delta})
    if kind == "full":
        t = _p1(k, rng)
        b = rng.standard_normal((k, k)) * 0.4
        t["cov_within"] = t["cov_within"] + b @ b.T
        tab = anticausal_moments(pi1=t["pi1"], mu0=t["mu0"], mu1=t["mu1"],
                                 cov_within=t["cov_within"])
        return SyntheticInstance(kind, tab, truth=t)
    if kind in ("p1", "p1-equal", "oov-anticausal"):
        t = _p1(k, rng, pi=(0.3, 0.7) if kind == "oov-anticausal" else (0.2, 0.8))
        if kind == "p1-equal":
            t = _equalise(t)
        tab = anticausal_moments(pi1=t["pi1"], mu0=t["mu0"], mu1=t["mu1"],
                                 cov_within=t["cov_within"], observed=p1_obs)
        return SyntheticInstance(kind, tab, truth=t)
    if kind == "p2":
        if k != 2:
            raise ValueError(f"`k` must be 2 for kind='p2', got {k}")
        t = _p1(2, rng)
        v = np.diag(t["cov_within"])
        rho = float(_signed(0.2, 0.8, 1, rng)[0])
        t["cov_within"] = np.array([[v[0], rho * np.sqrt(v[0] * v[1])],
                                    [rho * np.sqrt(v[0] * v[1]), v[1]]])
        tab = anticausal_moments(pi1=t["pi1"], mu0=t["mu0"], mu1=t["mu1"],
                                 cov_within=t["cov_within"], observed=[("X1", "Y"), ("X1", "X2")])
        return SyntheticInstance(kind, tab, truth=t)
    if kind == "oov-causal":
        mean = 0.5 * rng.standard_normal(k)
        cov = np.diag(rng.uniform(0.5, 2.0, size=k))
        beta = _signed(0.3, 1.5, k, rng)
        beta0 = float(0.5 * rng.standard_normal())
        t = {"model": "causal", "mean": mean, "cov": cov, "beta0": beta0, "beta": beta}
        tab = causal_moments(mean=mean, cov=cov, beta0=beta0, beta=beta, observed=p1_obs)
        return SyntheticInstance(kind, tab, truth=t)
    if kind == "inf":
        if r is None or not r > 0:
            raise ValueError(f"`r` must be a positive ratio for kind='inf', got {r}")
        pi1 = float(rng.uniform(0.3, 0.7))
        v = rng.uniform(0.5, 2.0, size=k)
        c = _signed(0.3, 1.0, k, rng)
        phi2 = stats.norm.pdf(stats.norm.ppf(pi1)) ** 2
        c = c * np.sqrt(r * phi2 / np.sum(c**2 / v))
        mu = np.zeros(k)
        mean = np.append(mu, pi1)
        second = np.zeros((k + 1, k + 1))
        second[:k, :k] = np.diag(v)
        second[:k, k] = second[k, :k] = c  # E[X_i Y] = Cov + 0
        second[k, k] = pi1
        tab = MomentTable.from_population(mean=mean, second_moment=second, observed=p1_obs,
                                          names=(*names, "Y"))
        return SyntheticInstance(kind, tab, truth={"r": r, "pi1": pi1, "c": c, "var": v})
    raise ValueError(f"`kind` must be one of {KINDS}, got {kind!r}")
