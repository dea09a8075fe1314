import contextlib
import io
import re
from pathlib import Path

TEXT = (Path(__file__).parents[1] / "README.md").read_text()


def _blocks():
    """(code, the output block that follows it) for every python block of the README."""
    return re.findall(r"```python\n(.*?)```\n\nOutput \(copied from a run\):\n\n```\n(.*?)```",
                      TEXT, re.S)


def test_readme_examples_print_what_they_say():
    blocks = _blocks()
    assert len(blocks) == 2, "README must hold the quick start and the breast-cancer example"
    for code, printed in blocks:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, "README.md", "exec"), {})
        assert out.getvalue().split() == printed.split()
