"""A synthetic table in Epoch AI's notable-models layout with the quirks of the real one
(issue #15), for tests and for running the R claims without Epoch's file.

The numbers are simulated (trends near the brief's pilot figures), not Epoch's data. What is
realistic is the mess: models announced but not released (no date), empty estimates, zeros
where a logarithm is taken, a cell that is not a number, notes and abstracts quoted across
several lines, extra and renamed columns, several domains in one cell, a byte-order mark and
padded headers, a record with a stray unquoted comma, and the newer column layout
(``Training dataset size (total)``, ``Country (of organization)``, ``Open model weights?``).
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any, Literal

import numpy as np

__all__ = ["write_epoch_fixture"]

_HEADER_2025 = [
    "Model", "Domain", "Organization", "Country (from Organization)", "Publication date",
    "Parameters", "Training compute (FLOP)", "Training dataset size (datapoints)",
    "Training compute cost (2023 USD)", "Training power draw (W)", "Frontier model",
    "Confidence", "Model accessibility", "Notability criteria", "Training compute notes",
    "Abstract", "Link",
]
_HEADER_NEWER = [
    "Model", "Domain", "Task", "Organization", "Authors", "Publication date", "Reference",
    "Link", "Citations", "Notability criteria", "Parameters", "Parameters notes",
    "Training compute (FLOP)", "Training compute notes", "Training dataset size (total)",
    "Dataset size notes", "Confidence", "Abstract", "Model accessibility",
    "Country (of organization)", "Frontier model", "Training power draw (W)",
    "Training compute cost (2023 USD)", "Open model weights?", "Training compute cost (cloud)",
]
_DOMAINS = ["Language", "Language", "Language", "Vision", "Games", "Language,Vision",
            "Multimodal,Language,Vision", "Speech", "Biology", "Language, Multimodal",
            "Robotics", "Vision,Video"]
_ORGS = [("Google", "United States of America"), ("OpenAI", "United States of America"),
         ("Meta AI", "United States of America"), ("DeepMind", "United Kingdom"),
         ("Baidu", "China"), ("Mistral AI", "France"), ("Univ. of Toronto", "Canada"),
         ("Tsinghua University", "China"), ("Microsoft,NVIDIA", "United States of America")]


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _note(rng: np.random.Generator, i: int) -> str:
    """A cell in the style of Epoch's notes: several lines, commas and quotes."""
    k = int(rng.integers(2, 6))
    lines = [f"Estimate {j + 1}: 6 * N * D, with N = {10 ** (7 + j):.0e}, \"tokens\" ~ "
             f"{(j + 2) * 1.5:.1f}e9" for j in range(k)]
    return "\n".join(lines) + f"\nSee the paper's appendix ({i})."


def write_epoch_fixture(path: str | Path, *, layout: Literal["2025", "newer"] = "2025",
                        seed: int = 0, n: int = 420) -> dict[str, Any]:
    """Write a quirky notable-models CSV to ``path`` and say what was planted.

    Args:
        path: the CSV to write.
        layout: ``"2025"`` (the headers of the brief's snapshot, with a byte-order mark and a
            padded header) or ``"newer"`` (renamed and reordered columns).
        seed: seed of the simulated values.
        n: dated, well-formed records (about 15% before 2010).

    Returns:
        ``{"path", "layout", "n_records", "planted"}``; ``planted`` maps each quirk to the model
        names (or line numbers) carrying it, so tests can check the drop counts.
    """
    if layout not in ("2025", "newer"):
        raise ValueError(f"`layout` must be '2025' or 'newer', got {layout!r}")
    rng = np.random.default_rng(seed)
    header = _HEADER_2025 if layout == "2025" else _HEADER_NEWER
    n_old = n * 15 // 100
    t = np.concatenate([np.sort(rng.uniform(1952, 2010, n_old)),
                        2010 + 15 * np.sqrt(rng.uniform(0, 1, n - n_old))])
    t = np.minimum(t, 2024.99)
    tau, b1, b2 = 2010.5, math.log10(1.5), math.log10(4.5)
    lc = 17.0 + b1 * (t - tau) + (b2 - b1) * np.maximum(0.0, t - tau) + rng.normal(0, 0.6, n)
    has_c = rng.uniform(size=n) < 0.62
    resid = lc - (17.0 + b1 * (t - tau) + (b2 - b1) * np.maximum(0.0, t - tau))
    frontier = has_c & (t >= 2010) & (resid > 0.25)
    domains = [str(rng.choice(_DOMAINS)) for _ in range(n)]
    language = np.array(["language" in [p.strip().lower() for p in d.split(",")]
                         for d in domains])
    planted: dict[str, list] = {k: [] for k in (
        "no publication date", "unparseable publication date",
        "value <= 0 (training_compute_flop)", "value <= 0 (dataset_size)",
        "unparseable value (training_compute_flop)", "ragged record (lines)",
        "multi-line records", "multi-domain cells")}
    rows: list[dict[str, str]] = []
    for i in range(n):
        year = int(t[i])
        frac = t[i] - year
        days = 366 if (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)) else 365
        date = np.datetime64(f"{year}-01-01") + np.timedelta64(int(frac * days), "D")
        org, country = _ORGS[int(rng.integers(len(_ORGS)))]
        name = f"{org.split(',')[0].split()[0]}-{year}-{i:03d}"
        dsz = (9.0 + math.log10(2.81) * (t[i] - 2010) + rng.normal(0, 0.5)
               if language[i] and rng.uniform() < 0.75 else None)
        cost = (5.5 + math.log10(2.4) * (t[i] - 2016) + rng.normal(0, 0.35)
                if frontier[i] and t[i] >= 2016 and rng.uniform() < 0.7 else None)
        power = (4.0 + math.log10(2.09) * (t[i] - 2010) + rng.normal(0, 0.3)
                 if frontier[i] and rng.uniform() < 0.6 else None)
        multi = rng.uniform() < 0.35
        row = {
            "Model": name, "Domain": domains[i], "Organization": org,
            "Country (from Organization)": country, "Country (of organization)": country,
            "Publication date": str(date),
            "Parameters": _fmt(10 ** (6 + 0.3 * (t[i] - 1990) + rng.normal(0, 0.5))),
            "Training compute (FLOP)": _fmt(10 ** lc[i]) if has_c[i] else "",
            "Training dataset size (datapoints)": "" if dsz is None else _fmt(10 ** dsz),
            "Training dataset size (total)": "" if dsz is None else _fmt(10 ** dsz),
            "Training compute cost (2023 USD)": "" if cost is None else _fmt(10 ** cost),
            "Training power draw (W)": "" if power is None else _fmt(10 ** power),
            "Frontier model": "True" if frontier[i] else "",
            "Confidence": str(rng.choice(["Confident", "Likely", "Speculative", ""])),
            "Model accessibility": str(rng.choice(["Open weights (unrestricted)", "API access",
                                                   "Unreleased", ""])),
            "Open model weights?": str(rng.choice(["Yes", "No", ""])),
            "Notability criteria": str(rng.choice(["Highly cited", "SOTA improvement",
                                                   "Highly cited,SOTA improvement"])),
            "Training compute notes": _note(rng, i) if multi else "",
            "Abstract": (f"We present {name}.\nIt scales, \"well\", to many tasks.\n\n"
                         "Results follow." if rng.uniform() < 0.3 else ""),
            "Link": f"https://example.org/{name}",
            "Task": "Language modeling" if language[i] else "Image classification",
            "Authors": "A. Author, B. Author", "Reference": f"{name}: a paper",
            "Citations": str(int(rng.integers(0, 5000))), "Parameters notes": "",
            "Dataset size notes": "", "Training compute cost (cloud)": "",
        }
        rows.append(row)
        if "," in domains[i]:
            planted["multi-domain cells"].append(name)
    # the quirks, planted on fixed rows of the modern era
    modern = [i for i in range(n_old, n) if t[i] >= 2012]
    pick = [modern[k] for k in rng.choice(len(modern), size=8, replace=False)]
    for i in pick[:2]:  # zero compute (a placeholder estimate)
        rows[i]["Training compute (FLOP)"] = "0"
        rows[i]["Frontier model"] = ""
        planted["value <= 0 (training_compute_flop)"].append(rows[i]["Model"])
    lang_modern = [i for i in modern if language[i] and i not in pick]
    for i in lang_modern[:3]:  # dataset size 0 (the report)
        for k in ("Training dataset size (datapoints)", "Training dataset size (total)"):
            rows[i][k] = "0"
        planted["value <= 0 (dataset_size)"].append(rows[i]["Model"])
    i = pick[2]  # a compute cell that is not a number
    rows[i]["Training compute (FLOP)"] = "~3e23 (rough)"
    rows[i]["Frontier model"] = ""
    planted["unparseable value (training_compute_flop)"].append(rows[i]["Model"])
    i = pick[3]  # a date cell that is not a date
    rows[i]["Publication date"] = "TBA"
    planted["unparseable publication date"].append(rows[i]["Model"])
    for k in range(4):  # announced, not released: no date (values present)
        rows.append({**rows[pick[4]], "Model": f"Announced-{k}", "Publication date": "",
                     "Training compute (FLOP)": _fmt(10 ** (25 + 0.3 * k)),
                     "Frontier model": "True" if k == 0 else "",
                     "Training compute notes": _note(rng, 900 + k)})
        planted["no publication date"].append(f"Announced-{k}")
    order = rng.permutation(len(rows))  # Epoch's file is not sorted by date
    buf = io.StringIO()
    if layout == "2025":
        buf.write("\ufeff")
        shown = [f" {h} " if h == "Training power draw (W)" else h for h in header]
    else:
        shown = header
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(shown)
    line = 2
    ragged_at = len(order) * 3 // 4
    for k, r in enumerate(order):
        if k == ragged_at:  # a hand edit: an unquoted comma splits the model name
            cells = [rows[r].get(h, "") for h in header]
            bad = ",".join(["Broken, model"] + [c.replace("\n", " ").replace(",", ";")
                                               .replace('"', "") for c in cells[1:]])
            buf.write(bad + "\n")
            planted["ragged record (lines)"].append(line)
            line += 1
        cells = [rows[r].get(h, "") for h in header]
        w.writerow(cells)
        extra = sum(c.count("\n") for c in cells)
        if extra:
            planted["multi-line records"].append(rows[r]["Model"])
        line += 1 + extra
    buf.write("\n")  # a trailing blank line
    path = Path(path)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return {"path": path, "layout": layout, "n_records": len(rows), "planted": planted}
