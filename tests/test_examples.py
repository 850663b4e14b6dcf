"""Every example in examples/ runs offline and exits 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((REPO / "examples").glob("*.py"))


def run_offline(*args: str) -> subprocess.CompletedProcess[str]:
    """``python *args`` from the repository root, on this checkout's sources, offline."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "SOCIALCARE_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_example_runs(example: Path) -> None:
    result = run_offline(str(example))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip(), f"{example.name} printed nothing"
