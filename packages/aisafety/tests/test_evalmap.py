from __future__ import annotations

import json
import zipfile

import pandas as pd
import pytest

from mpiis.aisafety import (
    coverage,
    load_eval_registry,
    load_taxonomy,
    read_inspect_logs,
    read_lm_eval_results,
)
from mpiis.aisafety._evalmap import RESULT_COLUMNS


def test_registry():
    reg = {t.name: t for t in load_eval_registry()}
    assert reg["truthfulqa"].aliases == ("truthfulqa_mc1", "truthfulqa_mc2", "truthfulqa_gen")
    assert reg["wmdp_cyber"].nodes == ("iasr.malicious_use.cyber_offence",)
    assert reg["xstest"].measures == "safeguard"
    loc = "iasr.malfunctions.loss_of_control"
    assert not any(loc in t.nodes or "iasr.systemic.privacy" in t.nodes for t in reg.values())


def test_read_lm_eval(lm_eval_files):
    df = read_lm_eval_results(lm_eval_files)
    assert tuple(df.columns) == RESULT_COLUMNS
    assert len(df) == 10 and set(df["model"]) == {"model-a", "model-b"}
    row = df[(df["task"] == "bbq") & (df["model"] == "model-b")].iloc[0]
    assert (row["metric"], row["value"], row["stderr"], row["n_samples"]) == (
        "acc", pytest.approx(0.45), 0.01, 100)


def test_read_lm_eval_folder_and_model_args(tmp_path):
    doc = {"results": {"mmlu": {"acc,none": 0.6, "acc_stderr,none": "N/A",
                                "exact_match,flexible-extract": 0.2}},
           "config": {"model_args": "pretrained=EleutherAI/pythia-160m,dtype=float32"}}
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "results_2025.json").write_text(json.dumps(doc))
    df = read_lm_eval_results(tmp_path)
    assert set(df["model"]) == {"EleutherAI/pythia-160m"}
    assert set(df["metric"]) == {"acc", "exact_match,flexible-extract"}
    assert df.loc[df["metric"] == "acc", "stderr"].isna().all()


def test_lm_eval_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="paths"):
        read_lm_eval_results(tmp_path / "none.json")
    p = tmp_path / "results.json"
    p.write_text(json.dumps({"config": {}}))
    with pytest.raises(ValueError, match="no `results`"):
        read_lm_eval_results(p)
    p.write_text("{not json")
    with pytest.raises(ValueError, match="not a JSON"):
        read_lm_eval_results(p)


def test_coverage_e1(lm_eval_files):
    rep = coverage(read_lm_eval_results(lm_eval_files))
    assert set(rep.covered) == {"iasr.malicious_use.bio_chem", "iasr.malfunctions.bias",
                                "iasr.malfunctions.reliability"}
    assert len(rep.uncovered) == 10
    assert "iasr.malfunctions.loss_of_control" in rep.uncovered
    assert rep.capability_tasks == ("mmlu",)
    assert rep.unmapped_tasks == ("my_custom_task",)
    assert len(rep.scores) == 10  # nothing dropped, nothing averaged
    assert len(rep.table) == 3 + 13 + 1
    bias = rep.table.set_index("node_id").loc["iasr.malfunctions.bias"]
    assert bias["tasks"] == ("bbq",) and bias["models"] == ("model-a", "model-b")
    assert not rep.table.set_index("node_id").loc["iasr.malfunctions", "covered"]
    md = rep.to_markdown()
    assert "my_custom_task" in md and "| iasr.malfunctions.bias |" in md


def test_class_level_task_covers_the_class_row_only():
    res = pd.DataFrame({"task": ["agentharm"], "model": ["m"]})
    rep = coverage(res)
    t = rep.table.set_index("node_id")
    assert t.loc["iasr.malicious_use", "covered"]
    assert not t.loc["iasr.malicious_use.cyber_offence", "covered"]
    assert len(rep.uncovered) == 13


def test_coverage_validation():
    with pytest.raises(TypeError, match="results"):
        coverage([("wmdp_bio", "m")])
    with pytest.raises(ValueError, match="model"):
        coverage(pd.DataFrame({"task": ["bbq"]}))
    rep = coverage(pd.DataFrame({"task": ["inspect_evals/wmdp_chem"], "model": ["m"]}),
                   taxonomy=load_taxonomy())
    assert rep.covered == ("iasr.malicious_use.bio_chem",)


def test_inspect_json_log_without_the_extra(inspect_json_log):
    df = read_inspect_logs(inspect_json_log)
    assert tuple(df.columns) == RESULT_COLUMNS
    assert df.iloc[0][["source", "model", "task", "metric", "value", "stderr", "n_samples"]
                      ].tolist() == ["inspect_ai", "mockllm/model", "wmdp_bio", "accuracy", 0.5,
                                     0.5, 2.0]
    assert coverage(df).covered == ("iasr.malicious_use.bio_chem",)


def test_inspect_eval_archive_without_the_extra(tmp_path, inspect_json_log):
    p = tmp_path / "log.eval"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("header.json", inspect_json_log.read_text())
        z.writestr("summaries.json", "[]")
    df = read_inspect_logs(p)
    assert list(df["task"]) == ["wmdp_bio"]


def test_inspect_errors(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_inspect(name, *a, **kw):
        if name.startswith("inspect_ai"):
            raise ImportError(name)
        return real_import(name, *a, **kw)

    monkeypatch.setattr(builtins, "__import__", no_inspect)
    p = tmp_path / "log.eval"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("_journal/start.json", "{}")
    with pytest.raises(ImportError, match=r"mpiis-aisafety\[inspect\]"):
        read_inspect_logs(p)
    q = tmp_path / "x.json"
    q.write_text(json.dumps({"hello": 1}))
    with pytest.raises(ValueError, match="not an inspect_ai log"):
        read_inspect_logs(q)
    q.write_text(json.dumps({"eval": {"task": "t", "model": "m"}, "status": "started"}))
    with pytest.raises(ValueError, match="no `results`"):
        read_inspect_logs(q)
    with pytest.raises(FileNotFoundError, match="paths"):
        read_inspect_logs(tmp_path / "missing.eval")


def test_inspect_log_from_the_mock_model(tmp_path):
    """A real log written by inspect_ai's offline mock model (needs the ``inspect`` extra)."""
    pytest.importorskip("inspect_ai")
    from inspect_ai import Task, eval
    from inspect_ai.dataset import Sample
    from inspect_ai.model import ModelOutput, ModelUsage, get_model
    from inspect_ai.scorer import match
    from inspect_ai.solver import generate

    # The mock model counts tokens with a tokenizer that downloads its table unless the output
    # carries its own usage, so each canned output does (nothing may download in the tests).
    outputs = []
    for content in ("1", "2"):
        out = ModelOutput.from_content(model="mockllm/model", content=content)
        out.usage = ModelUsage(input_tokens=3, output_tokens=1, total_tokens=4)
        outputs.append(out)
    model = get_model("mockllm/model", custom_outputs=outputs)
    task = Task(dataset=[Sample(input="Say 1", target="1"), Sample(input="Say 2", target="2")],
                solver=generate(), scorer=match(), name="wmdp_bio")
    logs = eval(task, model=model, log_dir=str(tmp_path), display="none")
    assert logs and logs[0].status == "success"
    df = read_inspect_logs(tmp_path)
    assert set(df["task"]) == {"wmdp_bio"} and df["n_samples"].iloc[0] == 2
    assert coverage(df).covered == ("iasr.malicious_use.bio_chem",)
