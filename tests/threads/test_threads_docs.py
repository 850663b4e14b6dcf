"""docs/threads.md's python blocks run as written, and print the tree the page shows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "threads.md"


def test_the_threads_page_runs_and_shows_what_it_prints(capsys: pytest.CaptureFixture[str]) -> None:
    text = PAGE.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    assert len(blocks) == 2
    namespace: dict[str, object] = {"__name__": "docs_threads"}
    for number, block in enumerate(blocks, 1):
        exec(compile(block, f"threads.md#block{number}", "exec"), namespace)  # noqa: S102
    shown = re.findall(r"```text\n(Thread 10.*?)```", text, re.DOTALL)[0]
    assert shown in capsys.readouterr().out
