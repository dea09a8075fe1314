import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).parents[1] / "README.md"


def test_quick_start_runs_and_shows_the_method_working(tmp_path):
    text = README.read_text()
    code = re.search(r"## Quick start.*?```python\n(.*?)```", text, re.S).group(1)
    script = tmp_path / "qs.py"
    script.write_text(code)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=300, check=True).stdout
    assert "rank 1 of 12" in out
    auc = float(re.search(r"AUROC A-test ([0-9.]+)", out).group(1))
    assert auc > 0.7
