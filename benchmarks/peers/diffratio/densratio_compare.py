"""Peer: densratio (uLSIF / RuLSIF) vs DensityRatioNet on a known log ratio.

Two 2-D Gaussians, p = N(0, I) and q = N((1, 0), 0.5² I), both noised at σ = 0.5, so that
log p_σ(x) − log q_σ(x) is known in closed form. Each estimator sees 2,000 samples per side;
we report the mean absolute error of the log ratio on 2,000 points drawn from q_σ and p_σ,
and the fit time.

    uv run --no-sync --with densratio python benchmarks/peers/diffratio/densratio_compare.py
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import torch

from mpiis.diffratio import DensityRatioNet, ratio_loss

SIGMA, MU, S = 0.5, np.array([1.0, 0.0]), 0.5
N = 2000


def exact_log_ratio(x: np.ndarray) -> np.ndarray:
    vp, vq = 1.0 + SIGMA**2, S**2 + SIGMA**2
    lp = -0.5 * (x**2).sum(1) / vp - math.log(2 * math.pi * vp)
    lq = -0.5 * ((x - MU) ** 2).sum(1) / vq - math.log(2 * math.pi * vq)
    return lp - lq


def main() -> dict:
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    p_clean = rng.standard_normal((N, 2))
    q_clean = MU + S * rng.standard_normal((N, 2))
    p_noisy = p_clean + SIGMA * rng.standard_normal((N, 2))
    q_noisy = q_clean + SIGMA * rng.standard_normal((N, 2))
    test = np.concatenate([MU + math.sqrt(S**2 + SIGMA**2) * rng.standard_normal((N // 2, 2)),
                           math.sqrt(1 + SIGMA**2) * rng.standard_normal((N // 2, 2))])
    truth = exact_log_ratio(test)
    out: dict = {"n_per_side": N, "sigma": SIGMA}

    # ours: noise-conditional classifier, trained at the single level σ (noise drawn in the loss)
    g = torch.Generator().manual_seed(0)
    net = DensityRatioNet.standalone((2,), hidden=64, depth=2, sigma_data=1.0, generator=g)
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    real, fake = torch.tensor(p_clean, dtype=torch.float32), torch.tensor(q_clean,
                                                                         dtype=torch.float32)
    t0 = time.perf_counter()
    for _ in range(1500):
        i = torch.randint(0, N, (256,), generator=g)
        j = torch.randint(0, N, (256,), generator=g)
        loss = ratio_loss(net, real[i], fake[j], torch.full((256,), SIGMA), generator=g).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    t_ours = time.perf_counter() - t0
    with torch.no_grad():
        est = net(torch.tensor(test, dtype=torch.float32), torch.full((N,), SIGMA)).numpy()
    out["DensityRatioNet"] = {"mae_log_ratio": float(np.abs(est - truth).mean()),
                              "fit_seconds": t_ours}

    try:
        from densratio import densratio
    except ImportError:
        out["densratio"] = "not installed (run with `uv run --with densratio`)"
        return out
    for name, alpha in (("uLSIF", 0.0), ("RuLSIF(0.1)", 0.1)):
        t0 = time.perf_counter()
        res = densratio(p_noisy, q_noisy, alpha=alpha, verbose=False)
        t = time.perf_counter() - t0
        r = np.asarray(res.compute_density_ratio(test), dtype=float)
        if alpha > 0:  # RuLSIF estimates p/(α p + (1 − α) q): invert to p/q
            r = np.clip(r, 1e-6, 1 / alpha - 1e-6)
            r = (1 - alpha) * r / (1 - alpha * r)
        est = np.log(np.clip(r, 1e-6, None))
        out[name] = {"mae_log_ratio": float(np.abs(est - truth).mean()), "fit_seconds": t,
                     "share_clipped": float((r <= 1e-6).mean())}
    return out


if __name__ == "__main__":
    res = main()
    Path(__file__).with_name("densratio_results.json").write_text(json.dumps(res, indent=2))
    print(json.dumps(res, indent=2))
