import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


@pytest.mark.slow  # about 25 s on one idle core: the ring teacher needs 1,500 steps for 8/8
def test_readme_quick_start_runs():
    blocks = _blocks()
    assert blocks, "the README has no python block"
    namespace: dict = {}
    exec(compile(blocks[0], str(README), "exec"), namespace)
    cov = namespace["mode_coverage"](namespace["samples"], namespace["ring_centers"](), std=0.05)
    assert cov.modes_hit == 8  # what the printed output shows


def test_readme_image_example_runs(tmp_path, monkeypatch):
    """The image example end to end (.npz, [-1, 1], σ_d, teacher, distillation, grid), with
    its step counts cut to a few."""
    code = _blocks()[1]
    line = "TEACHER_STEPS, STUDENT_STEPS = 8000, 1500"
    assert line in code
    code = code.replace(line, "TEACHER_STEPS, STUDENT_STEPS = 3, 2")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, str(README), "exec"), {})
    assert (tmp_path / "one_step.pt").is_file()
    assert (tmp_path / "samples.png").is_file() or (tmp_path / "samples.npy").is_file()
