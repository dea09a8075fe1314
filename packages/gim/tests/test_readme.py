import re
from pathlib import Path


def test_readme_quick_start(capsys):
    text = (Path(__file__).parents[1] / "README.md").read_text()
    block = re.search(r"```python\n(.*?)```", text, re.S)
    assert block is not None, "README has no python block"
    exec(compile(block.group(1), "README.md", "exec"), {})
    out = capsys.readouterr().out
    auc = float(re.search(r"target AUROC on new drugs: ([0-9.]+)", out).group(1))
    assert auc > 0.7
    true = re.search(r"true edges: +(.*)", out).group(1)
    assert re.search(r"learned edges: +(.*)", out).group(1) == true
