"""Check one installed member in the current interpreter (run from its fresh venv).

    /tmp/alone/bin/python tests/check_installed.py cmaxent --out DIR

- it imports, and brings no framework it does not declare (torch/JAX) and no matplotlib;
- for a paper package, `mpiis-bench NAME --preset smoke --out DIR` runs to the end, writes a
  JSON record with the current schema version, every declared claim appears in it, and no
  claim raised (smoke gates need not pass).

Used by CI's isolated-install matrix, the release workflow and tests/test_install.py.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path


def _declared(dist: str) -> set[str]:
    names = set()
    for req in metadata.requires(dist) or []:
        if "extra ==" in req:
            continue
        names.add(re.split(r"[<>=\[ ;~!(]", req, maxsplit=1)[0].lower())
    return names


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("member")
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)
    name = args.member
    importlib.import_module(f"mpiis.{name}")
    declared = _declared(f"mpiis-{name}")
    present = {m for m in ("torch", "jax", "matplotlib") if importlib.util.find_spec(m)}
    foreign = present - declared
    if foreign:
        print(f"mpiis-{name} alone brings {sorted(foreign)} (declares {sorted(declared)})")
        return 1
    print(f"mpiis-{name}: imports; frameworks present: {sorted(present)}")
    if name == "shared":
        return 0
    bench = Path(sys.executable).parent / "mpiis-bench"
    run = subprocess.run([str(bench), name, "--preset", "smoke", "--out", str(args.out)],
                         capture_output=True, text=True, check=False)
    record_path = args.out / f"{name}.json"
    if run.returncode not in (0, 1) or not record_path.exists():
        print(run.stdout, run.stderr)
        print(f"mpiis-bench {name} --preset smoke did not write a record (exit {run.returncode})")
        return 1
    record = json.loads(record_path.read_text())
    from mpiis.shared.bench import SCHEMA_VERSION, discover

    suite = discover()[name].load()
    ids = {c["id"] for c in record["claims"]}
    declared_ids = set(getattr(suite, "claims", {}) or {})
    # a claim may report sub-claims (`P1` -> `P1.200x768`); it is present when either is
    missing = {d for d in declared_ids
               if d not in ids and not any(i.startswith(d + ".") for i in ids)}
    errored = [f"{c['id']}: {c['error']}" for c in record["claims"] if c.get("error")]
    problems = []
    if record.get("schema_version") != SCHEMA_VERSION:
        problems.append(f"schema_version {record.get('schema_version')!r} != {SCHEMA_VERSION}")
    if record.get("error"):
        problems.append(f"the suite raised: {record['error']}")
    if missing:
        problems.append(f"claims missing from the record: {sorted(missing)}")
    if errored:
        problems.append("claims that raised: " + "; ".join(errored))
    if problems:
        print("\n".join(problems))
        return 1
    print(f"mpiis-bench {name} --preset smoke: {len(ids)} claims recorded, "
          f"schema {SCHEMA_VERSION}, verdict: {record['verdict']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
