"""Peer: diffusers' EDMEulerScheduler (Karras sigmas) vs our schedule and one-step generator.

1. Its 18-level Karras grid must equal ours (allclose).
2. On the 8×8 digits, the same teacher sampled by diffusers' 18-step Euler loop vs our
   one-step generator (score-free, quick budget): samples/s (batch 1,000, best of 5) and
   FD-digits of 2,000 samples.

    uv run --no-sync --with diffusers python benchmarks/peers/diffratio/diffusers_compare.py
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import torch

from mpiis.diffratio import (
    DigitsFeatureNet,
    DistillConfig,
    EDMPrecond,
    MLPBackbone,
    TeacherConfig,
    distill,
    heun_sample,
    karras_sigmas,
    load_digits_split,
    train_teacher,
)


def best_of_5(fn) -> float:
    fn()
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> dict:
    torch.set_num_threads(1)
    from diffusers import EDMEulerScheduler

    sched = EDMEulerScheduler(sigma_min=0.002, sigma_max=80.0, sigma_data=0.5,
                              sigma_schedule="karras", rho=7.0)
    sched.set_timesteps(18)
    theirs = sched.sigmas.float()[:18]
    ours = karras_sigmas(18)
    out: dict = {"karras_grid_allclose": bool(torch.allclose(theirs, ours, rtol=1e-5)),
                 "max_abs_diff": float((theirs - ours).abs().max())}

    d = load_digits_split()
    g = torch.Generator().manual_seed(0)
    teacher = train_teacher(EDMPrecond(MLPBackbone(64, hidden=256, generator=g)), d.train,
                            TeacherConfig.digits(), generator=g)
    res = distill(teacher, d.train, config=DistillConfig.digits(), generator=g)
    fnet = DigitsFeatureNet.fit(d.train, d.y_train, generator=torch.Generator().manual_seed(1234))

    @torch.no_grad()
    def diffusers_sample(z: torch.Tensor) -> torch.Tensor:
        s = EDMEulerScheduler(sigma_min=0.002, sigma_max=80.0, sigma_data=0.5,
                              sigma_schedule="karras", rho=7.0)
        s.set_timesteps(18)
        x = z * s.init_noise_sigma
        for t in s.timesteps:
            sigma = float(s.sigmas[s.index_for_timestep(t)]) if s.step_index is None else \
                float(s.sigmas[s.step_index])
            sig = torch.full((x.shape[0],), sigma)
            dn = teacher(x, sig)  # our x0 prediction D(x, σ)
            c_skip = 0.25 / (sigma**2 + 0.25)
            c_out = sigma * 0.5 / (sigma**2 + 0.25) ** 0.5
            model_output = (dn - c_skip * x) / c_out  # the raw network output F they expect
            x = s.step(model_output, t, x).prev_sample
        return x

    n = 1000
    z = torch.randn(n, 64, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        t_one = best_of_5(lambda: res.generator(z))
        t_diff = best_of_5(lambda: diffusers_sample(z))
        t_heun = best_of_5(lambda: heun_sample(teacher, (n, 64), noise=z))
    z2 = torch.randn(2000, 64, generator=torch.Generator().manual_seed(6))
    with torch.no_grad():
        fd_one = fnet.fd(res.generator(z2), d.train)
        fd_diff = fnet.fd(diffusers_sample(z2), d.train)
        fd_heun = fnet.fd(heun_sample(teacher, (2000, 64), noise=z2), d.train)
    out.update({
        "samples_per_s": {"one_step_sf_kl": n / t_one, "diffusers_euler18": n / t_diff,
                          "ours_heun35": n / t_heun},
        "speedup_one_step_vs_diffusers_euler18": t_diff / t_one,
        "fd_digits": {"one_step_sf_kl": fd_one, "diffusers_euler18": fd_diff,
                      "ours_heun35": fd_heun},
    })
    return out


if __name__ == "__main__":
    res = main()
    Path(__file__).with_name("diffusers_results.json").write_text(json.dumps(res, indent=2))
    print(json.dumps(res, indent=2))
