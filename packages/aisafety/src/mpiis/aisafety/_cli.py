"""The ``mpiis-aisafety`` command.

    mpiis-aisafety taxonomy show [--edition E]      the tree of one edition
    mpiis-aisafety taxonomy diff OLD NEW            added / removed / relabelled / moved
    mpiis-aisafety claims list [--reproducible]     the claims with their status
    mpiis-aisafety trends reproduce [--data CSV]    re-derive C1, C2, C3, C6, C7
    mpiis-aisafety coverage FILES...                lm-eval results / inspect logs -> coverage
    mpiis-aisafety validate                         check every shipped record
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import numpy as np
import pandas as pd


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mpiis-aisafety",
                                description="The International AI Safety Report as data.")
    sub = p.add_subparsers(dest="cmd", required=True)
    tx = sub.add_parser("taxonomy", help="show or diff taxonomy editions")
    txs = tx.add_subparsers(dest="action", required=True)
    show = txs.add_parser("show")
    show.add_argument("--edition", default="iasr-2025")
    diff = txs.add_parser("diff")
    diff.add_argument("old", nargs="?", default="iasr-2024-interim")
    diff.add_argument("new", nargs="?", default="iasr-2025")
    cl = sub.add_parser("claims", help="list the report's claims")
    cls = cl.add_subparsers(dest="action", required=True)
    lst = cls.add_parser("list")
    lst.add_argument("--reproducible", action="store_true")
    tr = sub.add_parser("trends", help="re-derive the quantitative claims")
    trs = tr.add_subparsers(dest="action", required=True)
    rep = trs.add_parser("reproduce")
    rep.add_argument("--data", default=None, help="an Epoch notable-models CSV")
    rep.add_argument("--seed", type=int, default=0)
    cov = sub.add_parser("coverage", help="map evaluation results to risks")
    cov.add_argument("files", nargs="+")
    sub.add_parser("validate", help="validate every shipped record")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (2 on bad arguments or input)."""
    from . import (
        RECIPES,
        coverage,
        diff_taxonomies,
        load_claims,
        load_notable_models,
        load_taxonomy,
        read_inspect_logs,
        read_lm_eval_results,
        reproduce,
        validate_records,
    )

    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    out = sys.stdout
    try:
        if args.cmd == "taxonomy" and args.action == "show":
            tax = load_taxonomy(args.edition)
            print(f"{tax.title} ({tax.edition}, {len(tax)} nodes)", file=out)
            for n in tax.nodes:
                depth = len(tax.ancestors(n.id))
                print(f"{'  ' * depth}{n.section or '-':7} {n.label}  [{n.id}, {n.kind}]",
                      file=out)
        elif args.cmd == "taxonomy":
            d = diff_taxonomies(args.old, args.new)
            print(d.summary(), file=out)
            for i in d.added:
                print(f"  + {i}", file=out)
            for i in d.removed:
                print(f"  - {i}", file=out)
            for i, a, b in d.relabelled:
                print(f"  ~ {i}: {a!r} -> {b!r}", file=out)
            for i, s0, s1, p0, p1 in d.moved:
                print(f"  > {i}: section {s0} -> {s1}" + (f", parent {p0} -> {p1}"
                                                          if p0 != p1 else ""), file=out)
        elif args.cmd == "claims":
            cs = load_claims()
            for c in cs.query(reproducible=True if args.reproducible else None):
                print(f"{c.id:4} {c.verification:10} repro={'yes' if c.reproducible else 'no ':3}"
                      f" {c.statement}", file=out)
        elif args.cmd == "trends":
            data = load_notable_models(args.data) if args.data else None
            for cid in RECIPES:
                try:
                    r = reproduce(cid, data, rng=np.random.default_rng(args.seed))
                except ValueError as exc:  # one recipe without enough rows: report, go on
                    print(f"{cid}: cannot fit: {exc}", file=out)
                    continue
                print(r.summary(), file=out)
        elif args.cmd == "coverage":
            frames = []
            lm = [f for f in args.files if f.endswith(".json") and "results" in f.split("/")[-1]]
            ins = [f for f in args.files if f not in lm]
            if lm:
                frames.append(read_lm_eval_results(lm))
            if ins:
                frames.append(read_inspect_logs(ins))
            print(coverage(pd.concat(frames, ignore_index=True)).to_markdown(), file=out)
        elif args.cmd == "validate":
            rep = validate_records()
            print(rep, file=out)
            return 0 if rep.ok else 1
    except (ValueError, KeyError, FileNotFoundError, ImportError) as exc:
        print(f"mpiis-aisafety: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
