"""The quickstart's code blocks run as written, in order, in one namespace."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
RUNNABLE = ["quickstart.md"]


@pytest.mark.parametrize("page", RUNNABLE)
def test_code_blocks_run(page: str, capsys: pytest.CaptureFixture[str]) -> None:
    blocks = re.findall(
        r"```python\n(.*?)```", (DOCS / page).read_text(encoding="utf-8"), re.DOTALL
    )
    assert blocks, f"{page} has no python blocks"
    namespace: dict[str, object] = {"__name__": f"docs_{page}"}
    for number, block in enumerate(blocks, 1):
        try:
            exec(compile(block, f"{page}#block{number}", "exec"), namespace)  # noqa: S102
        except Exception as exc:  # pragma: no cover - reported as a failure
            pytest.fail(f"{page} block {number} failed: {exc!r}")
    out = capsys.readouterr().out
    assert "@acme my router is down" in out
    assert "data.text" in out
