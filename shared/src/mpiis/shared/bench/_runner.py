"""Running suites: discovery, machine information, reports and their JSON/Markdown form."""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from ._claim import ClaimResult, _jsonable, check_preset
from ._speed import thread_settings
from ._suite import Suite

__all__ = [
    "ENTRY_POINT_GROUP",
    "SCHEMA_VERSION",
    "SuiteReport",
    "discover",
    "load_schema",
    "machine_info",
    "record_version",
    "render_markdown",
    "run_suite",
]

ENTRY_POINT_GROUP = "mpiis.benchmarks"
#: Version of the JSON record written by :func:`run_suite`; ``schema.json`` describes it.
SCHEMA_VERSION = 2


def load_schema(version: int = SCHEMA_VERSION) -> dict[str, Any]:
    """The JSON Schema of a recorded run of format ``version`` (default: the current one).

    Version 1 is the first format, written before records carried ``schema_version``; it is
    kept so that older recorded runs can still be checked.
    """
    files = {SCHEMA_VERSION: "schema.json", 1: "schema_v1.json"}
    if version not in files:
        raise ValueError(f"`version` must be one of {sorted(files)}, got {version!r}")
    text = resources.files("mpiis.shared.bench").joinpath(files[version]).read_text()
    return json.loads(text)


def record_version(record: dict[str, Any]) -> int:
    """The format version of a recorded run (1 when it carries no ``schema_version``)."""
    return int(record.get("schema_version", 1))


def discover() -> dict[str, Any]:
    """The registered suites: ``{name: entry point}`` (not loaded), sorted by name."""
    eps = metadata.entry_points(group=ENTRY_POINT_GROUP)
    return {ep.name: ep for ep in sorted(eps, key=lambda e: e.name)}


def claims_of(suite: Any) -> dict[str, str]:
    """``{id: sentence}`` of a suite (a :class:`Suite`, or a callable with ``claims`` or a
    module-level ``CLAIMS``)."""
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
    except AttributeError:  # pragma: no cover - not on Linux
        threads = os.cpu_count()
    versions = {}
    for dist in ("numpy", "torch", "jax", "jaxlib", "scipy", "pandas"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return {
        "cpu": cpu,
        "threads": threads,
        "thread_settings": thread_settings(),
        "gpu": gpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
    }


@dataclass(frozen=True)
class SuiteReport:
    """What one suite returned, the notes it left, or the error that stopped it."""

    package: str
    preset: str
    seed: int
    results: tuple[ClaimResult, ...]
    seconds: float
    error: str | None = None
    notes: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)
    threads: Mapping[str, str] = field(default_factory=dict)

    @property
    def n_gates(self) -> int:
        """GATE claims that were run (not skipped)."""
        return sum(1 for r in self.results if r.gate and r.skipped is None)

    @property
    def passed(self) -> bool:
        """No suite or claim error, at least one GATE run, and every GATE run passed."""
        if self.error is not None or any(r.error is not None for r in self.results):
            return False
        ran = [r for r in self.results if r.gate and r.skipped is None]
        return bool(ran) and all(r.passed for r in ran)

    def verdict(self) -> str:
        """One line: why the run passed or did not."""
        if self.error is not None:
            return "error: the suite could not run"
        errs = [r.id for r in self.results if r.error is not None]
        fails = [r.id for r in self.results if r.gate and r.passed is False and r.error is None]
        ok = sum(1 for r in self.results if r.gate and r.passed)
        parts = [f"{ok}/{self.n_gates} gates passed"]
        if fails:
            parts.append("failed: " + ", ".join(fails))
        if errs:
            parts.append("errored: " + ", ".join(errs))
        if self.n_gates == 0:
            parts.append("no GATE ran, so not a pass")
        return "; ".join(parts)

    def machine(self) -> dict[str, Any]:
        """:func:`machine_info` plus the thread settings the suite pinned while it ran."""
        m = machine_info()
        m["thread_settings"] = {**m["thread_settings"], **self.threads}
        return m

    def to_dict(self) -> dict[str, Any]:
        counts = {s: sum(1 for r in self.results if r.status == s)
                  for s in ("pass", "FAIL", "miss", "reported", "error", "skipped")}
        return _jsonable({
            "schema_version": SCHEMA_VERSION,
            "package": self.package,
            "preset": self.preset,
            "seed": self.seed,
            "passed": self.passed,
            "verdict": self.verdict(),
            "error": self.error,
            "seconds": round(self.seconds, 3),
            "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "machine": self.machine(),
            "options": {k: (str(v) if isinstance(v, Path) else v)
                        for k, v in self.options.items()},
            "counts": counts,
            "notes": list(self.notes),
            "claims": [r.to_dict() for r in self.results],
        })


def run_suite(
    package: str,
    suite: Any,
    preset: str,
    *,
    seed: int = 0,
    out_dir: Path | None = None,
    options: Mapping[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> SuiteReport:
    """Run one suite and write ``out_dir/<package>.json`` and ``.md`` when ``out_dir`` is given.

    A :class:`Suite` runs claim by claim (an error in one claim is recorded and the rest run);
    a plain callable ``run(preset, *, seed, out_dir)`` is run whole, and an error in it is the
    report's ``error``.
    """
    check_preset(preset)
    if out_dir is not None:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    error, notes, results, opts, threads = None, (), [], dict(options or {}), {}
    try:
        if isinstance(suite, Suite):
            run = suite.execute(preset, seed=seed, out_dir=out_dir, options=options,
                                progress=progress)
            results, notes, opts = list(run.results), run.notes, dict(run.options)
            threads = dict(run.threads)
        else:
            if options:
                raise ValueError(f"suite {package!r} declares no options; got {sorted(options)}")
            results = list(suite(preset, seed=seed, out_dir=out_dir))
            bad = [r for r in results if not isinstance(r, ClaimResult)]
            if bad:
                raise TypeError(f"suite returned {type(bad[0]).__name__}, expected ClaimResult")
    except Exception:
        error = traceback.format_exc()
    report = SuiteReport(package, preset, seed, tuple(results), time.perf_counter() - t0, error,
                         tuple(notes), opts, threads)
    if out_dir is not None:
        (out_dir / f"{package}.json").write_text(json.dumps(report.to_dict(), indent=2) + "\n")
        (out_dir / f"{package}.md").write_text(render_markdown(report))
    return report


# ------------------------------------------------------------------------------ formatting


def fmt(x: Any) -> str:
    if x is None:
        return "—"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, tuple | list):
        return "[" + ", ".join(fmt(v) for v in x) + "]"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        if x == 0:
            return "0"
        if abs(x) >= 1e4 or abs(x) < 1e-3:
            return f"{x:.3g}"
        return f"{x:.4g}"
    return str(x)


def measured(r: ClaimResult) -> str:
    if r.error is not None:
        return "error"
    if r.skipped is not None:
        return "skipped"
    s = fmt(r.value)
    if r.spread is not None:
        s += f" ± {fmt(r.spread)}"
    return s


def threshold_text(r: ClaimResult) -> str:
    if r.comparator == "report":
        return "—"
    return f"{r.comparator} {fmt(r.threshold)}"


def render_markdown(report: SuiteReport) -> str:
    """The report as a Markdown table (one row per claim), then errors and notes."""
    m = report.machine()
    lines = [
        f"# {report.package}: preset `{report.preset}`, seed {report.seed}",
        "",
        f"Machine: {m['cpu']}, {m['threads']} threads"
        + "".join(f", {k}={v}" for k, v in m["thread_settings"].items())
        + f", GPU: {m['gpu'] or 'none'}. "
        f"Wall time {report.seconds:.1f} s. Overall: {'pass' if report.passed else 'FAIL'} "
        f"({report.verdict()}).",
        "",
    ]
    if report.options:
        lines += ["Options: " + ", ".join(f"`{k}={v}`" for k, v in report.options.items()), ""]
    lines += [
        "| id | kind | claim | metric | measured | threshold | baseline | paper | result |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in report.results:
        cells = [r.id, r.kind, r.claim, r.metric, measured(r), threshold_text(r), fmt(r.baseline),
                 r.paper or "—", r.status]
        lines.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ")
                                        for c in cells) + " |")
    errored = [r for r in report.results if r.error is not None]
    skipped = [r for r in report.results if r.skipped is not None]
    if errored:
        lines += ["", "Claims that raised:", ""] + [f"- {r.id}: {r.error}" for r in errored]
    if skipped:
        lines += ["", "Claims not run:", ""] + [f"- {r.id}: {r.skipped}" for r in skipped]
    if report.notes:
        lines += ["", "Notes:", ""] + [f"- {n}" for n in report.notes]
    if report.error:
        lines += ["", "The suite raised an error:", "", "```", report.error.rstrip(), "```"]
    return "\n".join(lines) + "\n"
