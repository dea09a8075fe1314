"""Fixtures: small Epoch-schema CSVs, lm-eval results files and inspect logs written on the fly."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

EPOCH_HEADER = [
    "Model", "Domain", "Organization", "Country (from Organization)", "Publication date",
    "Parameters", "Training compute (FLOP)", "Training dataset size (datapoints)",
    "Training compute cost (2023 USD)", "Training power draw (W)", "Frontier model",
    "Confidence", "Model accessibility", "Notability criteria",
]


def epoch_rows(n: int = 40, seed: int = 0) -> list[dict[str, str]]:
    """``n`` rows in Epoch's schema with its quirks: empty frontier flags, multi-domain cells,
    missing quantities, thousands separators are not used (Epoch writes plain numbers)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        year = 2012 + (i * 13) // n
        month, day = 1 + (i * 5) % 12, 1 + (i * 7) % 28
        t = year + (month - 1) / 12
        compute = 10 ** (17 + 0.6 * (t - 2012) + rng.normal(0, 0.5))
        domain = ["Language", "Vision", "Language,Vision", "Games", "Multimodal,Language"][i % 5]
        rows.append({
            "Model": f"model-{i:02d}", "Domain": domain, "Organization": f"Org {i % 4}",
            "Country (from Organization)": "United States of America",
            "Publication date": f"{year}-{month:02d}-{day:02d}",
            "Parameters": f"{10 ** (8 + 0.3 * (t - 2012)):.4g}",
            "Training compute (FLOP)": "" if i % 9 == 4 else f"{compute:.4g}",
            "Training dataset size (datapoints)": "" if i % 3 == 1 else
            f"{10 ** (9 + 0.45 * (t - 2012) + rng.normal(0, 0.3)):.4g}",
            "Training compute cost (2023 USD)": "" if i % 2 else f"{compute / 1e17:.4g}",
            "Training power draw (W)": "" if i % 4 else f"{10 ** (4 + 0.3 * (t - 2012)):.4g}",
            "Frontier model": "True" if i % 3 == 0 else "",
            "Confidence": "Confident", "Model accessibility": "Open weights",
            "Notability criteria": "Highly cited",
        })
    return rows


def write_epoch_csv(path: Path, rows: list[dict[str, str]], header=EPOCH_HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=header, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


@pytest.fixture
def epoch_csv(tmp_path: Path) -> Path:
    return write_epoch_csv(tmp_path / "notable_ai_models.csv", epoch_rows())


E1_TASKS = ("wmdp_bio", "bbq", "truthfulqa_mc2", "mmlu", "my_custom_task")


def write_e1_fixture(folder: Path) -> list[Path]:
    """Two lm-evaluation-harness results files (models ``model-a``, ``model-b``) with the
    tasks of the former claim E1 (now a unit test)."""
    paths = []
    for k, model in enumerate(("model-a", "model-b")):
        results = {task: {"alias": task, "acc,none": 0.3 + 0.1 * j + 0.05 * k,
                          "acc_stderr,none": 0.01} for j, task in enumerate(E1_TASKS)}
        doc = {"results": results, "config": {"model": "hf",
                                              "model_args": f"pretrained=org/{model}"},
               "model_name": model,
               "n-samples": {t: {"original": 100, "effective": 100} for t in E1_TASKS}}
        p = folder / f"results_{model}.json"
        p.write_text(json.dumps(doc))
        paths.append(p)
    return paths


@pytest.fixture
def lm_eval_files(tmp_path: Path) -> list[Path]:
    return write_e1_fixture(tmp_path)


@pytest.fixture(scope="session")
def quirky_epoch(tmp_path_factory) -> dict:
    """The realistic Epoch-layout fixture (2025 headers) with every quirk of the real table."""
    from mpiis.aisafety import write_epoch_fixture

    return write_epoch_fixture(tmp_path_factory.mktemp("epoch") / "notable_ai_models.csv")


@pytest.fixture(scope="session")
def quirky_epoch_newer(tmp_path_factory) -> dict:
    """The same table in Epoch's newer column layout."""
    from mpiis.aisafety import write_epoch_fixture

    return write_epoch_fixture(tmp_path_factory.mktemp("epoch") / "notable_new.csv",
                               layout="newer")


def inspect_log_dict(task: str = "wmdp_bio", model: str = "mockllm/model") -> dict:
    """A minimal inspect_ai log (format version 2) with one scorer."""
    return {
        "version": 2, "status": "success",
        "eval": {"task": task, "task_id": "abc", "run_id": "r1", "created": "2025-01-01T00:00:00",
                 "model": model, "dataset": {"samples": 2}, "config": {}},
        "plan": {"name": "plan", "steps": []},
        "results": {"total_samples": 2, "completed_samples": 2, "scores": [
            {"name": "choice", "scorer": "choice", "params": {},
             "metrics": {"accuracy": {"name": "accuracy", "value": 0.5, "params": {}},
                         "stderr": {"name": "stderr", "value": 0.5, "params": {}}}}]},
        "stats": {"started_at": "", "completed_at": "", "model_usage": {}},
    }


@pytest.fixture
def inspect_json_log(tmp_path: Path) -> Path:
    p = tmp_path / "2025-01-01_wmdp-bio_abc.json"
    p.write_text(json.dumps(inspect_log_dict()))
    return p


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture
def make_epoch_rows():
    """The row factory, as a fixture (test modules cannot import conftest)."""
    return epoch_rows


@pytest.fixture
def write_epoch():
    return write_epoch_csv


@pytest.fixture
def epoch_header() -> list[str]:
    return list(EPOCH_HEADER)
