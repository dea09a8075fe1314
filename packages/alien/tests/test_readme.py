import re
from pathlib import Path


def test_readme_quick_start_runs_and_shows_the_method_working(capsys):
    readme = Path(__file__).resolve().parents[1] / "README.md"
    text = readme.read_text()
    block = re.search(r"```python\n(.*?)```", text, re.S)
    assert block is not None, "README has no python block"
    exec(compile(block.group(1), str(readme), "exec"), {})
    out = capsys.readouterr().out
    rows = {ln.split()[0]: ln for ln in out.splitlines() if "truly unavailable" in ln}
    assert set(rows) == {"alien", "temperature", "random"}

    def num(line, label):
        return float(re.search(label + r" (-?[\d.]+)", line).group(1))

    a, t = rows["alien"], rows["temperature"]
    assert num(a, "truly unavailable") > num(t, "truly unavailable") + 0.15
    assert num(a, "coherence") > 0.5 > num(t, "coherence")
    # the printed output quoted in the README is the output of this run
    for line in out.strip().splitlines():
        assert line in text, line
