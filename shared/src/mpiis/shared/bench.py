"""The benchmark protocol and the ``mpiis-bench`` command.

A package declares its suite under the entry-point group ``mpiis.benchmarks``: the name is the
package name (``cmaxent``) and the object is a callable

    run(preset: str, *, seed: int, out_dir: pathlib.Path | None) -> list[ClaimResult]

Its module may define ``CLAIMS: dict[str, str]`` (claim id -> one-sentence claim) so that
``mpiis-bench --list`` can show the ids without running anything (an attribute ``claims`` on
the callable works too). ``run`` writes its figures into ``out_dir`` when that is given.

A :class:`ClaimResult` records one claim: what is measured, the value and its spread over
seeds, the threshold and comparator, whether it is a GATE (must pass) or REPORTED (shown next to
the paper's figure), the baseline's value and the wall time. Build one with
:meth:`ClaimResult.measure`, which computes ``passed`` from the comparator.

    mpiis-bench                         # every installed package at the quick preset
    mpiis-bench cmaxent --preset full --out DIR
    mpiis-bench --list

Exit status: 0 when every GATE passed, 1 when one failed (or a suite raised), 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as _dt
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "COMPARATORS",
    "ENTRY_POINT_GROUP",
    "PRESETS",
    "ClaimResult",
    "SuiteReport",
    "check_preset",
    "discover",
    "machine_info",
    "main",
    "render_markdown",
    "run_suite",
    "timer",
]

ENTRY_POINT_GROUP = "mpiis.benchmarks"
PRESETS = ("smoke", "quick", "full")
Comparator = Literal["<=", "<", ">=", ">", "==", "in", "report"]
COMPARATORS: tuple[str, ...] = ("<=", "<", ">=", ">", "==", "in", "report")

Suite = Callable[..., "list[ClaimResult]"]


def check_preset(preset: str) -> str:
    """Raise ``ValueError`` unless ``preset`` is one of ``smoke``, ``quick``, ``full``."""
    if preset not in PRESETS:
        raise ValueError(f"`preset` must be one of {PRESETS}, got {preset!r}")
    return preset


def _compare(value: float, comparator: str, threshold: Any) -> bool | None:
    if comparator == "report":
        return None
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    if comparator == "in":
        lo, hi = threshold
        return bool(lo <= value <= hi)
    ops = {
        "<=": lambda a, b: a <= b,
        "<": lambda a, b: a < b,
        ">=": lambda a, b: a >= b,
        ">": lambda a, b: a > b,
        "==": lambda a, b: a == b,
    }
    return bool(ops[comparator](value, threshold))


@dataclass(frozen=True, kw_only=True)
class ClaimResult:
    """One claim of a paper, measured.

    Attributes:
        id: short id from the paper brief's claims table (``"G1"``).
        claim: the claim in one sentence.
        metric: what was measured, in words.
        value: the measured value (mean over seeds when there are several).
        spread: its standard deviation over seeds, or ``None`` with one seed.
        threshold: the number compared against (a ``(low, high)`` pair for ``"in"``);
            ``None`` for a purely reported claim.
        comparator: how ``value`` is compared with ``threshold``; ``"report"`` compares nothing.
        gate: ``True`` for a GATE claim (a failure makes the run fail), ``False`` for REPORTED.
        passed: the comparison's outcome; ``None`` for ``comparator="report"``.
        baseline: the baseline's value of the same metric, when there is one.
        paper: the paper's (or the brief's reference) figure, as text, for REPORTED claims.
        seconds: wall time spent on this claim.
        details: extra numbers (per-seed values, sub-metrics), JSON-serialisable.
    """

    id: str
    claim: str
    metric: str
    value: float | None
    spread: float | None = None
    threshold: Any = None
    comparator: Comparator = "report"
    gate: bool = False
    passed: bool | None = None
    baseline: float | None = None
    paper: str | None = None
    seconds: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("`id` must be a non-empty string")
        if self.comparator not in COMPARATORS:
            raise ValueError(f"`comparator` must be one of {COMPARATORS}, got {self.comparator!r}")
        if self.comparator == "in" and (
            not isinstance(self.threshold, tuple | list) or len(self.threshold) != 2
        ):
            raise ValueError(
                f"`threshold` must be a (low, high) pair for 'in', got {self.threshold!r}"
            )
        if self.gate and self.comparator == "report":
            raise ValueError(f"GATE claim {self.id!r} needs a comparator other than 'report'")

    @classmethod
    def measure(
        cls,
        *,
        id: str,
        claim: str,
        metric: str,
        value: float | Sequence[float] | None,
        threshold: Any = None,
        comparator: Comparator = "report",
        gate: bool = False,
        baseline: float | None = None,
        paper: str | None = None,
        seconds: float = 0.0,
        details: dict[str, Any] | None = None,
    ) -> ClaimResult:
        """Build a result and decide ``passed``.

        ``value`` may be a sequence of per-seed values: the mean is compared, the standard
        deviation becomes ``spread`` and the values are kept in ``details["per_seed"]``.
        A NaN value never passes.
        """
        details = dict(details or {})
        spread = None
        if value is not None and not isinstance(value, int | float | bool):
            vals = [float(v) for v in value]
            if not vals:
                raise ValueError(f"`value` of claim {id!r} is an empty sequence")
            details.setdefault("per_seed", vals)
            mean = sum(vals) / len(vals)
            if len(vals) > 1:
                spread = math.sqrt(sum((v - mean) ** 2 for v in vals) / (len(vals) - 1))
            value = mean
        elif value is not None:
            value = float(value)
        return cls(
            id=id,
            claim=claim,
            metric=metric,
            value=value,
            spread=spread,
            threshold=tuple(threshold) if isinstance(threshold, list) else threshold,
            comparator=comparator,
            gate=gate,
            passed=_compare(value, comparator, threshold),
            baseline=None if baseline is None else float(baseline),
            paper=paper,
            seconds=float(seconds),
            details=details,
        )

    @property
    def kind(self) -> str:
        return "GATE" if self.gate else "REPORTED"

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["kind"] = self.kind
        return _jsonable(d)


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if hasattr(x, "item") and callable(x.item) and getattr(x, "ndim", 1) == 0:
        return x.item()
    if hasattr(x, "tolist"):
        return x.tolist()
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    return x


class timer:
    """Context manager measuring wall time: ``with timer() as t: ...; t.seconds``."""

    def __enter__(self) -> timer:
        self._t0 = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._t0


# ------------------------------------------------------------------------------- discovery


def discover() -> dict[str, Any]:
    """The registered suites: ``{name: entry point}`` (not loaded), sorted by name."""
    eps = metadata.entry_points(group=ENTRY_POINT_GROUP)
    return {ep.name: ep for ep in sorted(eps, key=lambda e: e.name)}


def _claims_of(suite: Suite) -> dict[str, str]:
    claims = getattr(suite, "claims", None)
    if claims is None:
        module = sys.modules.get(getattr(suite, "__module__", ""), None)
        claims = getattr(module, "CLAIMS", None)
    return dict(claims or {})


def machine_info() -> dict[str, Any]:
    """CPU model, thread count, GPU (from ``nvidia-smi``) and framework versions."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    gpu = None
    if shutil.which("nvidia-smi"):
        try:
            out = subprocess.run(
                ["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
                capture_output=True, text=True, timeout=10, check=False,
            )
            gpu = ", ".join(s.strip() for s in out.stdout.splitlines() if s.strip()) or None
        except (OSError, subprocess.TimeoutExpired):
            gpu = None
    try:
        threads = len(os.sched_getaffinity(0))
    except AttributeError:
        threads = os.cpu_count()
    versions = {}
    for dist in ("numpy", "torch", "jax", "jaxlib", "scipy", "pandas"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    # Thread settings that change timings: the environment's caps and, when the suite imported
    # torch, the intra-op thread count it ran with.
    caps = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")
    thread_env = {k: os.environ[k] for k in caps if k in os.environ}
    torch_mod = sys.modules.get("torch")
    if torch_mod is not None and hasattr(torch_mod, "get_num_threads"):
        thread_env["torch_threads"] = str(torch_mod.get_num_threads())
    return {
        "cpu": cpu,
        "threads": threads,
        "thread_settings": thread_env,
        "gpu": gpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
    }


# ------------------------------------------------------------------------------ running


@dataclass(frozen=True)
class SuiteReport:
    """What one suite returned, or the error it raised."""

    package: str
    preset: str
    seed: int
    results: tuple[ClaimResult, ...]
    seconds: float
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and all(r.passed for r in self.results if r.gate)

    def to_dict(self) -> dict[str, Any]:
        return {
            "package": self.package,
            "preset": self.preset,
            "seed": self.seed,
            "passed": self.passed,
            "error": self.error,
            "seconds": round(self.seconds, 3),
            "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "machine": machine_info(),
            "claims": [r.to_dict() for r in self.results],
        }


def run_suite(
    package: str, suite: Suite, preset: str, *, seed: int = 0, out_dir: Path | None = None
) -> SuiteReport:
    """Run one suite, catching its exceptions into the report; write JSON/Markdown to
    ``out_dir/<package>.json`` and ``.md`` when ``out_dir`` is given."""
    check_preset(preset)
    if out_dir is not None:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    error = None
    results: list[ClaimResult] = []
    try:
        got = suite(preset, seed=seed, out_dir=out_dir)
        results = list(got)
        bad = [r for r in results if not isinstance(r, ClaimResult)]
        if bad:
            raise TypeError(f"suite returned {type(bad[0]).__name__}, expected ClaimResult")
    except Exception:
        error = traceback.format_exc()
    report = SuiteReport(package, preset, seed, tuple(results), time.perf_counter() - t0, error)
    if out_dir is not None:
        (out_dir / f"{package}.json").write_text(json.dumps(report.to_dict(), indent=2) + "\n")
        (out_dir / f"{package}.md").write_text(render_markdown(report))
    return report


def _fmt(x: Any) -> str:
    if x is None:
        return "—"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, tuple | list):
        return "[" + ", ".join(_fmt(v) for v in x) + "]"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        if x == 0:
            return "0"
        if abs(x) >= 1e4 or abs(x) < 1e-3:
            return f"{x:.3g}"
        return f"{x:.4g}"
    return str(x)


def _measured(r: ClaimResult) -> str:
    s = _fmt(r.value)
    if r.spread is not None:
        s += f" ± {_fmt(r.spread)}"
    return s


def _threshold(r: ClaimResult) -> str:
    if r.comparator == "report":
        return "—"
    return f"{r.comparator} {_fmt(r.threshold)}"


def _status(r: ClaimResult) -> str:
    if r.passed is None:
        return "reported"
    return "pass" if r.passed else ("FAIL" if r.gate else "miss")


def render_markdown(report: SuiteReport) -> str:
    """The report as a Markdown table (one row per claim)."""
    m = machine_info()
    lines = [
        f"# {report.package}: preset `{report.preset}`, seed {report.seed}",
        "",
        f"Machine: {m['cpu']}, {m['threads']} threads"
        + "".join(f", {k}={v}" for k, v in m["thread_settings"].items())
        + f", GPU: {m['gpu'] or 'none'}. "
        f"Wall time {report.seconds:.1f} s. Overall: {'pass' if report.passed else 'FAIL'}.",
        "",
        "| id | kind | claim | metric | measured | threshold | baseline | paper | result |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in report.results:
        cells = [r.id, r.kind, r.claim, r.metric, _measured(r), _threshold(r), _fmt(r.baseline),
                 r.paper or "—", _status(r)]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    if report.error:
        lines += ["", "The suite raised an error:", "", "```", report.error.rstrip(), "```"]
    return "\n".join(lines) + "\n"


def _print_table(reports: Sequence[SuiteReport], stream) -> None:
    rows = [("package", "claim", "kind", "measured", "threshold", "baseline", "pass")]
    for rep in reports:
        if rep.error:
            rows.append((rep.package, "(suite error)", "GATE", "—", "—", "—", "FAIL"))
        for r in rep.results:
            rows.append((rep.package, r.id, r.kind, _measured(r), _threshold(r), _fmt(r.baseline),
                         _status(r)))
    widths = [min(max(len(row[i]) for row in rows), 40) for i in range(len(rows[0]))]
    for k, row in enumerate(rows):
        print("  ".join(c[:40].ljust(w) for c, w in zip(row, widths, strict=True)), file=stream)
        if k == 0:
            print("  ".join("-" * w for w in widths), file=stream)


# --------------------------------------------------------------------------------- the CLI


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mpiis-bench",
        description="Reproduce the headline claims of the installed mpiis packages.",
    )
    p.add_argument("packages", nargs="*", help="packages to run (default: every installed one)")
    p.add_argument("--preset", default="quick", choices=PRESETS, help="budget (default: quick)")
    p.add_argument("--seed", type=int, default=0, help="base seed (default: 0)")
    p.add_argument("--out", type=Path, default=None, help="write NAME.json, NAME.md, figures here")
    p.add_argument("--list", action="store_true", help="list packages and their claim ids")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``mpiis-bench``; returns the exit status."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad arguments, 0 on --help
        return int(exc.code or 0)
    found = discover()
    names = list(args.packages) or list(found)
    unknown = [n for n in names if n not in found]
    if unknown:
        known = ", ".join(found) or "(none installed)"
        print(f"mpiis-bench: unknown package(s) {', '.join(unknown)}; known: {known}",
              file=sys.stderr)
        return 2
    if args.list:
        for name in names:
            suite = found[name].load()
            claims = _claims_of(suite)
            print(f"{name}: {', '.join(claims) if claims else '(claims not declared)'}")
        return 0
    reports = []
    for i, name in enumerate(names, 1):
        print(f"[{i}/{len(names)}] {name} ({args.preset}) ...", file=sys.stderr, flush=True)
        try:
            suite = found[name].load()
        except Exception:
            rep = SuiteReport(name, args.preset, args.seed, (), 0.0, traceback.format_exc())
        else:
            rep = run_suite(name, suite, args.preset, seed=args.seed, out_dir=args.out)
        n_gate = sum(r.gate for r in rep.results)
        n_ok = sum(bool(r.passed) for r in rep.results if r.gate)
        status = "error" if rep.error else f"{n_ok}/{n_gate} gates passed"
        print(f"[{i}/{len(names)}] {name}: {status} in {rep.seconds:.1f} s", file=sys.stderr,
              flush=True)
        if rep.error:
            print(rep.error, file=sys.stderr)
        reports.append(rep)
    _print_table(reports, sys.stdout)
    return 0 if all(r.passed for r in reports) else 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
