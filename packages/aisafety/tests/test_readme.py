from __future__ import annotations

import re
import warnings
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_blocks_run():
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) == 2, "README should hold the quick start and the Epoch-table example"
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for block in blocks:
            exec(compile(block, str(README), "exec"), namespace)
    assert namespace["fit"].n == 38
    assert namespace["one"].n_breaks == 1 and namespace["bic"].n_breaks in (0, 1, 2)
    assert namespace["f"].drop_counts()["value <= 0"] == 2
