"""The ``mpiis-bench`` command."""

from __future__ import annotations

import argparse
import shutil
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from . import _runner
from ._claim import PRESETS
from ._runner import (
    SuiteReport,
    claims_of,
    fmt,
    measured,
    run_suite,
    threshold_text,
)
from ._suite import Suite

__all__ = ["main"]

_EPILOG = """\
presets:
  smoke   seconds; proves the suite runs (gates need not pass; used by tests)
  quick   at most two minutes per package on an idle 2-core CPU (the default)
  full    the paper brief's full budget, several seeds (what benchmarks/results/ records)

examples:
  mpiis-bench                                  every installed package at quick
  mpiis-bench cmaxent --preset full --out results/
  mpiis-bench aisafety --set epoch_csv=notable_ai_models.csv
  mpiis-bench aisafety --help                  the options of one suite
  mpiis-bench --list                           packages, claim ids and sentences

exit status:
  0  every GATE that ran passed (and at least one GATE ran)
  1  a GATE failed, a claim or suite raised an error, or no GATE ran
  2  bad arguments (unknown package, preset or option)

A GATE claim must pass; a REPORTED claim is measured and shown beside the paper's figure.
"""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mpiis-bench",
        description="Reproduce the headline claims of the installed mpiis packages.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        add_help=False,
    )
    p.add_argument("packages", nargs="*", help="packages to run (default: every installed one)")
    p.add_argument("--preset", default="quick", choices=PRESETS, help="budget (default: quick)")
    p.add_argument("--seed", type=int, default=0, help="base seed (default: 0)")
    p.add_argument("--out", type=Path, default=None, help="write NAME.json, NAME.md, figures here")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                   help="a suite option (repeatable); `mpiis-bench NAME --help` lists them")
    p.add_argument("--list", action="store_true", help="list packages and their claims")
    p.add_argument("-h", "--help", action="store_true", help="show this help (and the options "
                   "of the named packages) and exit")
    return p


def _options_help(name: str, suite: Any) -> str:
    lines = [f"options of {name} (--set KEY=VALUE):"]
    opts = suite.options.values() if isinstance(suite, Suite) else ()
    lines += [f"  {o.describe()}" for o in opts] or ["  (none)"]
    return "\n".join(lines)


def _parse_sets(sets: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in sets:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--set expects KEY=VALUE, got {item!r}")
        out[key.strip()] = value
    return out


def _shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: max(width - 1, 1)] + "…"


def _print_table(reports: Sequence[SuiteReport], stream: TextIO) -> None:
    head = ("package", "id", "kind", "claim", "measured", "threshold", "baseline", "result")
    rows = []
    for rep in reports:
        if rep.error:
            rows.append((rep.package, "(suite)", "GATE", "the suite could not run", "error",
                         "—", "—", "error"))
        for r in rep.results:
            rows.append((rep.package, r.id, r.kind, r.claim, measured(r), threshold_text(r),
                         fmt(r.baseline), r.status))
    cols = list(zip(*([head, *rows]), strict=True))
    widths = [min(max(len(c) for c in col), 28) for col in cols]
    total = shutil.get_terminal_size((140, 24)).columns
    fixed = sum(w for i, w in enumerate(widths) if i != 3) + 2 * (len(widths) - 1)
    widths[3] = max(min(max(len(c) for c in cols[3]), total - fixed), 20)
    for k, row in enumerate([head, *rows]):
        cells = [_shorten(c, w).ljust(w) for c, w in zip(row, widths, strict=True)]
        print("  ".join(cells).rstrip(), file=stream)
        if k == 0:
            print("  ".join("-" * w for w in widths), file=stream)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``mpiis-bench``; returns the exit status."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad arguments
        return int(exc.code or 0)
    found = _runner.discover()
    names = list(args.packages) or list(found)
    unknown = [n for n in names if n not in found]
    if unknown:
        known = ", ".join(found) or "(none installed)"
        print(f"mpiis-bench: unknown package(s) {', '.join(unknown)}; known: {known}",
              file=sys.stderr)
        return 2
    if args.help:
        parser.print_help()
        for name in args.packages:
            print("\n" + _options_help(name, found[name].load()))
        if not args.packages:
            print("\n`mpiis-bench NAME --help` lists the options of one package's suite.")
        return 0
    if args.list:
        for name in names:
            suite = found[name].load()
            claims = claims_of(suite)
            gates = suite.gates if isinstance(suite, Suite) else {}
            print(f"{name}:" + ("" if claims else " (claims not declared)"))
            for cid, sentence in claims.items():
                kind = {True: "GATE", False: "REPORTED"}.get(gates.get(cid), "")
                print(f"  {cid:<14} {kind:<8} {sentence}".rstrip())
        return 0
    try:
        sets = _parse_sets(args.sets)
    except ValueError as exc:
        print(f"mpiis-bench: {exc}", file=sys.stderr)
        return 2
    suites, per_suite = {}, {}
    for name in names:
        try:
            suites[name] = found[name].load()
        except Exception:
            suites[name] = traceback.format_exc()
            continue
        s = suites[name]
        declared = set(s.options) if isinstance(s, Suite) else set()
        per_suite[name] = {k: v for k, v in sets.items() if k in declared}
    claimed = set().union(*per_suite.values()) if per_suite else set()
    stray = sorted(set(sets) - claimed)
    if stray:
        print(f"mpiis-bench: no selected suite has the option(s) {', '.join(stray)}; "
              f"`mpiis-bench NAME --help` lists a suite's options", file=sys.stderr)
        return 2
    for name, s in suites.items():
        if isinstance(s, Suite):
            try:
                s.resolve_options(per_suite[name])
            except ValueError as exc:
                print(f"mpiis-bench: {exc}", file=sys.stderr)
                return 2

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    reports = []
    for i, name in enumerate(names, 1):
        print(f"[{i}/{len(names)}] {name} ({args.preset}) ...", file=sys.stderr, flush=True)
        suite = suites[name]
        if isinstance(suite, str):
            rep = SuiteReport(name, args.preset, args.seed, (), 0.0, suite)
        else:
            rep = run_suite(name, suite, args.preset, seed=args.seed, out_dir=args.out,
                            options=per_suite.get(name), progress=progress)
        print(f"[{i}/{len(names)}] {name}: {rep.verdict()} in {rep.seconds:.1f} s",
              file=sys.stderr, flush=True)
        if rep.error:
            print(rep.error, file=sys.stderr)
        for note in rep.notes:
            print(f"  note: {note}", file=sys.stderr)
        reports.append(rep)
    _print_table(reports, sys.stdout)
    return 0 if all(r.passed for r in reports) else 1
