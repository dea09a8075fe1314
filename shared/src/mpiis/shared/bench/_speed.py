"""Timing for speed claims: both sides warm, interleaved repetitions, medians.

DESIGN.md, "What may be a GATE": a speed ratio compares warm code, with the same threads, over
interleaved repetitions (so a change in machine load hits both sides alike), taking the median of
at least five; the first call (which compiles, for JAX and ``torch.compile``) is reported on its
own.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["SpeedComparison", "compare_speed", "thread_settings"]


def thread_settings() -> dict[str, str]:
    """The environment's thread caps and, when torch is imported, its intra-op threads."""
    caps = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "XLA_FLAGS")
    out = {k: os.environ[k] for k in caps if k in os.environ}
    torch_mod = sys.modules.get("torch")
    if torch_mod is not None and hasattr(torch_mod, "get_num_threads"):
        out["torch_threads"] = str(torch_mod.get_num_threads())
    return out


def _block(x: Any) -> None:
    """Wait for asynchronous work (JAX arrays, CUDA kernels) behind a result."""
    if isinstance(x, list | tuple):
        for v in x:
            _block(v)
        return
    if isinstance(x, dict):
        for v in x.values():
            _block(v)
        return
    ready = getattr(x, "block_until_ready", None)
    if callable(ready):
        ready()
    torch_mod = sys.modules.get("torch")
    if torch_mod is not None and getattr(x, "is_cuda", False):
        torch_mod.cuda.synchronize(x.device)


@dataclass(frozen=True)
class SpeedComparison:
    """Warm timings of several candidates, in seconds per call.

    Attributes:
        times: per-repetition seconds per call, for each candidate.
        first_call: seconds of the very first call (compile included), per candidate.
        number: calls per repetition (fast functions are called several times a repetition).
        threads: thread settings during the measurement.
    """

    times: Mapping[str, tuple[float, ...]]
    first_call: Mapping[str, float]
    number: int
    threads: Mapping[str, str]

    def median(self, name: str) -> float:
        return statistics.median(self.times[name])

    def ratio(self, numerator: str, denominator: str) -> float:
        """``median(numerator) / median(denominator)``: with the baseline as numerator this
        is how many times faster the denominator is."""
        return self.median(numerator) / self.median(denominator)

    def compile_seconds(self, name: str) -> float:
        """First call minus a warm call: the one-off cost (compile, caches)."""
        return max(self.first_call[name] - self.median(name), 0.0)

    def details(self) -> dict[str, Any]:
        """JSON-ready numbers for a claim's ``details``."""
        return {
            "median_s": {k: self.median(k) for k in self.times},
            "per_repetition_s": {k: list(v) for k, v in self.times.items()},
            "first_call_s": dict(self.first_call),
            "calls_per_repetition": self.number,
            "repetitions": len(next(iter(self.times.values()))),
            "threads": dict(self.threads),
            "protocol": "warm, interleaved (rotating order), median of repetitions",
        }


def compare_speed(
    candidates: Mapping[str, Callable[[], Any]],
    *,
    repeats: int = 5,
    warmup: int = 1,
    number: int | None = None,
    min_rep_seconds: float = 0.005,
) -> SpeedComparison:
    """Time each zero-argument callable warm, interleaving the candidates.

    Args:
        candidates: ``{name: fn}``; each ``fn()`` does one unit of work. JAX results are
            blocked on (``block_until_ready``) and CUDA tensors synchronised.
        repeats: timed repetitions per candidate (at least 5; the median is reported).
        warmup: untimed calls after the first (timed) call, per candidate.
        number: calls per repetition; ``None`` picks, per run, enough calls that the fastest
            candidate's repetition lasts ``min_rep_seconds`` (at most 1000 calls).
        min_rep_seconds: target duration of one repetition when ``number`` is ``None``.

    Returns:
        A :class:`SpeedComparison`.

    Raises:
        ValueError: for fewer than 2 candidates, ``repeats < 5`` or ``warmup < 0``.
    """
    if len(candidates) < 2:
        raise ValueError(f"`candidates` needs at least 2 entries, got {len(candidates)}")
    if repeats < 5:
        raise ValueError(f"`repeats` must be at least 5 (median of >= 5), got {repeats}")
    if warmup < 0:
        raise ValueError(f"`warmup` must be >= 0, got {warmup}")
    names = list(candidates)
    first: dict[str, float] = {}
    for name in names:
        t0 = time.perf_counter()
        _block(candidates[name]())
        first[name] = time.perf_counter() - t0
        for _ in range(warmup):
            _block(candidates[name]())
    if number is None:
        warm = {}
        for name in names:
            t0 = time.perf_counter()
            _block(candidates[name]())
            warm[name] = time.perf_counter() - t0
        fastest = max(min(warm.values()), 1e-7)
        number = int(min(max(1, min_rep_seconds / fastest), 1000))
    if number < 1:
        raise ValueError(f"`number` must be >= 1, got {number}")
    times: dict[str, list[float]] = {n: [] for n in names}
    for rep in range(repeats):
        order = names[rep % len(names):] + names[: rep % len(names)]
        for name in order:
            fn = candidates[name]
            t0 = time.perf_counter()
            for _ in range(number):
                out = fn()
            _block(out)
            times[name].append((time.perf_counter() - t0) / number)
    return SpeedComparison({k: tuple(v) for k, v in times.items()}, first, number,
                           thread_settings())
