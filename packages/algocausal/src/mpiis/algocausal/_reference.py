"""Plain-numpy port of the official algorithm, for parity tests and as the speed baseline.

Slow by design: it loops over every k-vector and every tuple of codebook subsets with
``itertools.combinations``/``itertools.product`` and scores each environment by the full joint
Gaussian KL, exactly as the official scripts do (only the per-subset arithmetic over
environments and candidate tuples is vectorised with numpy). Expect seconds at ``N = 4,
M = 5`` and tens of seconds beyond.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from ._data import as_multienv
from ._penalty import codebook_cost_bits

__all__ = ["reference_codebook_search", "reference_covariate_shift"]


def _implied_cov(order: Sequence[int], coefs: np.ndarray, noise: np.ndarray, d: int) -> np.ndarray:
    """Covariances ``(C, d, d)`` of the complete DAG along ``order`` for candidate rows.

    ``coefs[c]`` lists the coefficients node by node in ``order`` (parents = predecessors),
    ``noise[c]`` the noise variances in ``order``."""
    c_count = coefs.shape[0]
    b = np.zeros((c_count, d, d))
    pos = 0
    for p, i in enumerate(order):
        for q in range(p):
            b[:, i, order[q]] = coefs[:, pos]
            pos += 1
    dmat = np.zeros((c_count, d, d))
    for p, i in enumerate(order):
        dmat[:, i, i] = noise[:, p]
    a = np.linalg.inv(np.eye(d)[None] - b)
    return a @ dmat @ np.swapaxes(a, 1, 2)


def _kl_joint(cov_p: np.ndarray, cov_q: np.ndarray) -> np.ndarray:
    """``KL(N(0, P_e) || N(0, Q_c))`` for ``P (N, d, d)``, ``Q (C, d, d)`` -> ``(N, C)``;
    +inf where ``Q`` is not positive definite."""
    d = cov_p.shape[-1]
    sign, logdet_q = np.linalg.slogdet(cov_q)
    ok = sign > 0
    q_safe = np.where(ok[:, None, None], cov_q, np.eye(d)[None])
    inv_q = np.linalg.inv(q_safe)
    _, logdet_p = np.linalg.slogdet(cov_p)
    trace = np.einsum("cab,eba->ec", inv_q, cov_p)
    kl = 0.5 * (np.where(ok, logdet_q, 0.0)[None, :] - logdet_p[:, None] - d + trace)
    return np.where(ok[None, :], kl, np.inf)


def reference_codebook_search(
    data: Any,
    order: Sequence[str],
    codebooks: Mapping[str, np.ndarray],
    *,
    k_max: int | None = None,
    center: bool = True,
) -> dict[str, Any]:
    """Official exhaustive codebook search for the complete DAG along ``order`` (slow).

    Args:
        data: ``MultiEnvData`` or a list of arrays.
        order: causal order of the column names (``("X1", "X2")`` is X1 -> X2).
        codebooks: per type name (``"v:X1"``, ``"b:X1->X2"``, ``"v:X2"``) its values.
        k_max: bound on ``sum_j k_j``.
        center: centre each environment before coding the data.

    Returns:
        ``{"types": [...], "table": {k_vector: {...}}, "curve": (K+1,) array}`` where each
        table entry holds ``kl`` (summed KL), ``data_bits``, ``model_bits``, ``total_bits``,
        ``subsets`` (per type, codebook indices) and ``assignment`` ``(N, n_types)`` indices.
    """
    data = as_multienv(data)
    cols = list(data.columns)
    idx = [cols.index(c) for c in order]
    d, n_env = len(cols), data.n_envs
    # types as coded: per node, its coefficients then its noise (official slot order)
    types: list[str] = []
    coef_slots, noise_slots = [], []
    for p, i in enumerate(idx):
        for q in range(p):
            coef_slots.append(len(types))
            types.append(f"b:{cols[idx[q]]}->{cols[i]}")
        noise_slots.append(len(types))
        types.append(f"v:{cols[i]}")
    books = [np.asarray(codebooks[t], dtype=np.float64) for t in types]
    cov_p = np.stack([np.atleast_2d(np.cov(x, rowvar=False, ddof=1)) for x in data.envs])
    xs = [x - x.mean(axis=0) if center else x for x in data.envs]
    n_total = sum(x.shape[0] for x in xs)
    label_bits = n_total * math.log2(n_env)
    ranges = [range(1, min(n_env, len(b)) + 1) for b in books]
    table: dict[tuple[int, ...], dict[str, Any]] = {}
    for kvec in itertools.product(*ranges):
        if k_max is not None and sum(kvec) > k_max:
            continue
        best = (math.inf, None, None)
        combos = [list(itertools.combinations(range(len(b)), k)) for b, k in
                  zip(books, kvec, strict=True)]
        for subsets in itertools.product(*combos):
            cand = np.array(list(itertools.product(*subsets)), dtype=np.int64)  # (C, T)
            vals = np.stack([books[t][cand[:, t]] for t in range(len(types))], axis=1)
            cov_q = _implied_cov(idx, vals[:, coef_slots], vals[:, noise_slots], d)
            kl = _kl_joint(cov_p, cov_q)
            total_kl = float(kl.min(axis=1).sum())
            if total_kl < best[0]:
                best = (total_kl, subsets, cand[np.argmin(kl, axis=1)])
        total_kl, subsets, assign = best
        if subsets is None:
            continue
        data_bits = 0.0
        for e, x in enumerate(xs):
            vals = np.array([[books[t][assign[e, t]] for t in range(len(types))]])
            cov = _implied_cov(idx, vals[:, coef_slots], vals[:, noise_slots], d)[0]
            _, logdet = np.linalg.slogdet(cov)
            quad = np.einsum("na,ab,nb->n", x, np.linalg.inv(cov), x)
            data_bits += float(np.sum(0.5 * (d * np.log(2 * np.pi) + logdet + quad))) / math.log(2)
        model_bits = sum(codebook_cost_bits(n_env, k, len(b)) for k, b in
                         zip(kvec, books, strict=True))
        table[kvec] = {
            "kl": total_kl, "data_bits": data_bits, "model_bits": model_bits,
            "total_bits": data_bits + model_bits + label_bits,
            "subsets": tuple(tuple(int(i) for i in s) for s in subsets), "assignment": assign,
        }
    k_top = sum(len(r) for r in ranges)
    curve = np.full(k_top + 1, np.inf)
    for kvec, entry in table.items():
        k = sum(kvec)
        curve[k] = min(curve[k], entry["total_bits"])
    return {"types": types, "table": table, "curve": curve, "label_bits": label_bits}


def _poisson_censored_bits(theta: float, m: int) -> np.ndarray:
    """``-log2 P(x1 = x | theta)`` for ``x = 0..m-1`` (censored Poisson, rate theta (m+2));
    zero probabilities are charged 1e6 bits."""
    lam = theta * (m + 2)
    logp = np.array([-lam + x * math.log(lam) - math.lgamma(x + 1) for x in range(m - 1)])
    head = float(np.exp(logp).sum())
    tail = max(1.0 - head, 0.0)
    p = np.concatenate([np.exp(logp), [tail]])
    with np.errstate(divide="ignore"):
        bits = -np.log2(p)
    return np.where(p > 0, bits, 1e6)


def reference_covariate_shift(
    x1: np.ndarray,
    x2: np.ndarray,
    env: np.ndarray,
    *,
    n_values: int = 20,
    k_values: Iterable[int] = range(1, 11),
    penalty_codebook_size: int | None = None,
) -> dict[str, Any]:
    """Official covariate-shift search (slow): for every ``k`` and every ``k``-subset of the
    21-value codebook, assign each environment to the nearest value and keep the subset with
    the smallest code length of ``x1``; the ``x2 | x1`` term is the same for every ``k``.

    Returns:
        ``{"k_values", "curve", "subsets", "theta_hat"}``.
    """
    m = n_values
    x1 = np.asarray(x1, dtype=np.int64)
    x2 = np.asarray(x2, dtype=np.int64)
    labels = np.unique(env)
    n_env = labels.size
    book = np.linspace(0.0, 1.0, m + 3)[1:-1]
    theta_hat = np.array([x1[env == lab].mean() / (m + 2) for lab in labels])
    per_val = np.stack([_poisson_censored_bits(t, m) for t in book])  # (V, m)
    counts = np.stack([np.bincount(x1[env == lab], minlength=m) for lab in labels])  # (N, m)
    tab = counts @ per_val.T  # (N, V)
    phi = np.vectorize(lambda z: 0.5 * (1.0 + math.erf(z / math.sqrt(2.0))))
    hi = np.where(x2 == m - 1, 1.0, phi(x2 + 0.5 - x1))
    lo = np.where(x2 == 0, 0.0, phi(x2 - 0.5 - x1))
    p2 = hi - lo
    with np.errstate(divide="ignore"):
        x2_bits = float(np.where(p2 > 0, -np.log2(np.where(p2 > 0, p2, 1.0)), 1e6).sum())
    label_bits = x1.size * math.log2(n_env)
    pm = m if penalty_codebook_size is None else penalty_codebook_size
    ks, curve, subsets = [], [], []
    for k in k_values:
        best, best_s = math.inf, None
        for s in itertools.combinations(range(book.size), k):
            s = np.array(s)
            near = s[np.argmin(np.abs(book[s][None, :] - theta_hat[:, None]), axis=1)]
            bits = float(tab[np.arange(n_env), near].sum())
            if bits < best:
                best, best_s = bits, tuple(int(i) for i in s)
        ks.append(k)
        curve.append(best + x2_bits + label_bits + codebook_cost_bits(n_env, k, pm))
        subsets.append(best_s)
    return {"k_values": np.array(ks), "curve": np.array(curve), "subsets": subsets,
            "theta_hat": theta_hat}
