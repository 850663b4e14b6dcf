"""The docs' python code blocks run as written, in order, one namespace per page.

Every page under ``docs/`` with ``python`` blocks is run. A block that cannot run offline
(real credentials, a remote database, a fragment that continues someone's own code) is
marked on the line right before its fence::

    <!-- not-runnable: why -->

and skipped; every other block must run. Blocks run in a temporary working directory, so
files they create (SQLite databases) do not land in the repository.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
BLOCK = re.compile(
    r"(?:<!--\s*not-runnable(?P<why>[^>]*)-->\n)?```python\n(?P<code>.*?)```", re.DOTALL
)


def python_blocks(text: str) -> list[tuple[str, bool]]:
    """``(code, runnable)`` for every python block of a markdown text."""
    return [(m["code"], m["why"] is None) for m in BLOCK.finditer(text)]


PAGES = sorted(
    p.name
    for p in DOCS.glob("*.md")
    if any(runnable for _, runnable in python_blocks(p.read_text(encoding="utf-8")))
)


def run_page(page: str) -> dict[str, object]:
    """Run a page's runnable blocks in order; the namespace they leave behind."""
    blocks = python_blocks((DOCS / page).read_text(encoding="utf-8"))
    namespace: dict[str, object] = {"__name__": f"docs_{page}"}
    for number, (block, runnable) in enumerate(blocks, 1):
        if not runnable:
            continue
        try:
            exec(compile(block, f"{page}#block{number}", "exec"), namespace)  # noqa: S102
        except Exception as exc:  # pragma: no cover - reported as a failure
            pytest.fail(f"{page} block {number} failed: {exc!r}")
    return namespace


def test_markers_are_read() -> None:
    text = "```python\na = 1\n```\n<!-- not-runnable: needs X -->\n```python\nb = 2\n```\n"
    assert python_blocks(text) == [("a = 1\n", True), ("b = 2\n", False)]


def test_the_pages_that_must_run_are_found() -> None:
    assert {"quickstart.md", "notebook.md", "threads.md", "text.md"} <= set(PAGES)


@pytest.mark.parametrize("page", PAGES)
def test_code_blocks_run(
    page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    run_page(page)
    capsys.readouterr()


def test_quickstart_prints_what_it_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    run_page("quickstart.md")
    out = capsys.readouterr().out
    assert "@acme my router is down" in out
    assert "data.text" in out


def test_the_notebook_page_shows_records_frames_and_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    namespace = run_page("notebook.md")
    out = capsys.readouterr().out
    assert "True 2" in out  # the monitor delivered both mentions
    report = namespace["report"]
    assert report.ok  # type: ignore[attr-defined]
    records = namespace["records"]
    assert isinstance(records, list)
    assert {r["author_username"] for r in records} == {"ann", "bo"}
    frame = namespace["frame"]
    assert list(frame["author_username"]) == [r["author_username"] for r in records]  # type: ignore[index]
    assert str(frame["created_at"].dt.tz) == "UTC"  # type: ignore[index]
    thread = namespace["thread"]
    assert len(thread) == 3  # type: ignore[arg-type]
    rows = thread.to_records()  # type: ignore[attr-defined]
    assert [(r["depth"], r["role"]) for r in rows] == [
        (0, "customer"),
        (1, "brand"),
        (2, "customer"),
    ]
    html = namespace["html"]
    assert isinstance(html, str)
    assert html.startswith("<div class='socialcare-thread'>")
    assert "technician is on the way" in html
