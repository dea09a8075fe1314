import json
import warnings

import pandas as pd
import pytest

from mpiis.cats import read_inspect_log, read_lm_eval_samples, read_table


def _write_lm_eval(tmp_path):
    lines = [
        {"doc_id": 0, "doc": {"question": "2+2", "meta": {"level": 1}}, "target": "4",
         "arguments": [], "resps": [["4"]], "filtered_resps": ["4"], "filter": "none",
         "doc_hash": "a", "acc": 1.0, "exact_match": 1},
        {"doc_id": 1, "doc": {"question": "3+3"}, "target": "6", "filter": "none", "acc": 0.0,
         "exact_match": 0},
    ]
    text = "\n".join(json.dumps(x) for x in lines) + "\n{not json\n"
    p = tmp_path / "samples_arith_2026-01-01T00-00-00.jsonl"
    p.write_text(text)
    (tmp_path / "results_2026-01-01T00-00-00.json").write_text(
        json.dumps({"model_name": "tiny-model"}))
    return p


def test_lm_eval_reader(tmp_path):
    p = _write_lm_eval(tmp_path)
    with pytest.warns(UserWarning, match="dropped 1 unusable record.*line 3"):
        df = read_lm_eval_samples(p, metric="acc")
    assert list(df.item_id) == ["arith/0", "arith/1"] and set(df.model) == {"tiny-model"}
    assert list(df.score) == [1.0, 0.0] and df.loc[0, "doc.meta.level"] == 1
    assert df.attrs["dropped"] == ["line 3: malformed JSON (Expecting property name enclosed "
                                   "in double quotes)"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="available metric keys: \\['acc', 'exact_match'\\]"):
            read_lm_eval_samples(p, metric="f1")
        assert set(read_lm_eval_samples(tmp_path, model="m").model) == {"m"}
    with pytest.raises(ValueError, match="does not exist"):
        read_lm_eval_samples(tmp_path / "nope.jsonl")


def test_inspect_json_log_without_inspect(tmp_path):
    log = {"eval": {"model": "mockllm/model", "task": "t"},
           "samples": [{"id": 1, "epoch": 1, "scores": {"match": {"value": "C"}},
                        "metadata": {"k": "v"}, "target": "a"},
                       {"id": 2, "epoch": 1, "scores": {"match": {"value": "P"}}},
                       {"id": 3, "epoch": 1, "scores": {"match": {"value": None}}}]}
    p = tmp_path / "log.json"
    p.write_text(json.dumps(log))
    with pytest.warns(UserWarning, match="dropped 1"):
        df = read_inspect_log(p, scorer="match")
    assert list(df.score) == [1.0, 0.5] and df.loc[0, "metadata.k"] == "v"
    with pytest.raises(ValueError, match="available scorers: \\['match'\\]"):
        read_inspect_log(p, scorer="nope")


def test_inspect_real_log(tmp_path):
    pytest.importorskip("inspect_ai")
    from inspect_ai import Task, eval
    from inspect_ai.dataset import Sample
    from inspect_ai.model import ModelOutput, ModelUsage, get_model
    from inspect_ai.scorer import match
    from inspect_ai.solver import generate

    # canned output with its own usage: the mock model would otherwise download a tokenizer
    out = ModelOutput.from_content(model="mockllm/model", content="hi")
    out.usage = ModelUsage(input_tokens=3, output_tokens=1, total_tokens=4)
    model = get_model("mockllm/model", custom_outputs=[out])
    task = Task(dataset=[Sample(input="Say hi", target="hi", metadata={"level": 2})],
                solver=generate(), scorer=match())
    logs = eval(task, model=model, log_dir=str(tmp_path), display="none")
    assert logs[0].status == "success"
    df = read_inspect_log(logs[0].location)
    assert len(df) == 1 and df.loc[0, "model"] == "mockllm/model"
    assert df.loc[0, "score"] == 1.0 and df.loc[0, "metadata.level"] == 2


def test_read_table(tmp_path):
    p = tmp_path / "t.csv"
    pd.DataFrame({"item_id": ["a", "b", None], "correct": [1, 0, 1]}).to_csv(p, index=False)
    with pytest.warns(UserWarning, match="row 4"):
        df = read_table(p, required=("item_id",))
    assert len(df) == 2
    with pytest.raises(ValueError, match="misses the columns"):
        read_table(p, required=("model",))
