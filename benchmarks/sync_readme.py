"""Copy a package's recorded full run into its README (the table is never typed by hand).

    uv run python benchmarks/sync_readme.py cmaxent [more names]

Reads benchmarks/results/NAME/NAME.md (written by `mpiis-bench NAME --preset full --out
benchmarks/results/NAME`) and replaces, in packages/NAME/README.md, the block between
`<!-- results-table:start -->` and `<!-- results-table:end -->` with the recorded run's summary
line and table. Without the markers, the first Markdown table under "## Results" is replaced
and the markers are added around it.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- results-table:start -->", "<!-- results-table:end -->"


def recorded_block(name: str) -> str:
    md = (ROOT / "benchmarks" / "results" / name / f"{name}.md").read_text().splitlines()
    body = [ln for ln in md if not ln.startswith("# ")]
    while body and not body[0].strip():
        body.pop(0)
    text = "\n".join(body).rstrip()
    link = f"../../benchmarks/results/{name}/{name}.md"
    return (f"{START}\nCopied from the recorded full run [`{name}.md`]({link}) by "
            f"`benchmarks/sync_readme.py`:\n\n{text}\n{END}")


def sync(name: str) -> None:
    path = ROOT / "packages" / name / "README.md"
    text = path.read_text()
    block = recorded_block(name)
    if START in text and END in text:
        a, b = text.index(START), text.index(END) + len(END)
        text = text[:a] + block + text[b:]
    else:
        m = re.search(r"^## Results.*?$", text, re.M)
        if m is None:
            raise SystemExit(f"{path}: no '## Results' section to put the table in")
        rest = text[m.end():]
        t = re.search(r"(^\|.*\|\n)+", rest, re.M)
        nxt = re.search(r"^## ", rest, re.M)
        if t is None or (nxt is not None and t.start() > nxt.start()):
            insert_at = m.end() + (nxt.start() if nxt else len(rest))
            text = text[:insert_at].rstrip() + "\n\n" + block + "\n\n" + text[insert_at:]
        else:
            a, b = m.end() + t.start(), m.end() + t.end()
            text = text[:a] + block + "\n" + text[b:]
    path.write_text(text)
    print(f"{path.relative_to(ROOT)}: results table synced")


if __name__ == "__main__":
    for arg in sys.argv[1:] or sys.exit("usage: sync_readme.py NAME [NAME ...]"):
        sync(arg)
