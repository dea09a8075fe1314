"""Helpers shared by the cross-package tests (importable: tests/ is on sys.path via rootdir)."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def members() -> list[Path]:
    """shared/ and every folder under packages/."""
    return [ROOT / "shared", *sorted(p for p in (ROOT / "packages").iterdir() if p.is_dir())]


def member_ids(*, paper_only: bool = False) -> list[str]:
    return [m.name for m in members() if not (paper_only and m.name == "shared")]


def pyproject(path: Path) -> dict:
    return tomllib.loads((path / "pyproject.toml").read_text())
