"""README.md's "Try it" runs as written: its commands' python part, and its code snippet.

The section sits between ``<!-- try-it -->`` markers, read here the way ``.ci/run`` reads
the test command between ``<!-- test-command -->`` markers. Installing is the one step not
rerun (tests never touch the network); the test environment has the package installed.
"""

from __future__ import annotations

import re
import runpy
import shlex
from pathlib import Path

import pytest
from tests.test_examples import run_offline

from socialcare.sandbox import Sandbox
from socialcare.storage import SQLiteStore

REPO = Path(__file__).resolve().parent.parent


def try_it() -> str:
    """The text between the ``try-it`` markers of README.md."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- try-it -->\n(.*?)<!-- /try-it -->", text, re.DOTALL)
    assert found, "README.md has no <!-- try-it --> section"
    return found[1]


def blocks(section: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", section, re.DOTALL)


def commands() -> list[list[str]]:
    """Every console command of the section, the ``pip install`` first."""
    (console,) = blocks(try_it(), "console")
    found = [shlex.split(line) for line in console.splitlines() if line.strip()]
    assert found[0][:4] == ["python", "-m", "pip", "install"]
    return found


def python_commands() -> list[list[str]]:
    """The console commands that run python code (not the ``pip install``)."""
    return [c for c in commands() if c[0] == "python" and c[1:3] != ["-m", "pip"]]


def test_the_first_commands_install_and_run_the_demo() -> None:
    assert commands()[1:] == [["socialcare", "demo"], ["python", "examples/quickstart.py"]]


def test_the_demo_command_runs_from_a_checkout() -> None:
    # ``socialcare`` is the console script; ``python -m socialcare`` is the same entry point.
    (demo,) = [c for c in commands() if c[0] == "socialcare"]
    result = run_offline("-m", "socialcare", *demo[1:])
    assert result.returncode == 0, result.stderr
    assert "Care report" in result.stdout
    assert re.search(r"│ conversations\s+│\s+40 │", result.stdout), result.stdout
    assert re.search(r"│ escalations to DM\s+│\s+[1-9]\d* │", result.stdout), result.stdout
    assert re.search(r"│ X API price \(pay-per-use\)\s+│\s+\$\d+\.\d{3} │", result.stdout)


def test_the_commands_name_the_quickstart_example() -> None:
    assert python_commands() == [["python", "examples/quickstart.py"]]


def test_the_commands_run_from_a_checkout() -> None:
    for command in python_commands():
        result = run_offline(*command[1:])
        assert result.returncode == 0, result.stderr
        assert "3 posts, newest 1850000000000000003" in result.stdout
        assert "@dana (new conversation): @AcmeSupport my order #A123" in result.stdout


def test_the_snippet_runs_on_a_search_response(capsys: pytest.CaptureFixture[str]) -> None:
    (snippet,) = blocks(try_it(), "python")
    # "any X API v2 tweets response": the quickstart example's search page.
    payload = runpy.run_path(str(REPO / "examples" / "quickstart.py"))["PAYLOAD"]
    namespace: dict[str, object] = {"__name__": "readme_try_it", "response_json": payload}
    exec(compile(snippet, "README.md#try-it", "exec"), namespace)  # noqa: S102
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "dana @AcmeSupport my order #A123 never arrived and nobody answers",
        "lee RT @AcmeSupport: Our holiday opening hours are up",
        "sam @AcmeSupport thanks, the replacement works great!",
    ]


def quickstart() -> str:
    """The python block between the ``quickstart`` markers of README.md."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    found = re.search(
        r"<!-- quickstart -->\n```python\n(.*?)```\n<!-- /quickstart -->", text, re.DOTALL
    )
    assert found, "README.md has no <!-- quickstart --> python block"
    return found[1]


def test_the_quickstart_comes_after_try_it_and_is_short() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert text.index("<!-- /try-it -->") < text.index("<!-- quickstart -->")
    code = [line for line in quickstart().splitlines() if line.strip()]
    assert len(code) <= 25, len(code)


def test_the_quickstart_runs_the_care_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # it writes care.db in the working directory
    namespace: dict[str, object] = {"__name__": "readme_quickstart"}
    exec(compile(quickstart(), "README.md#quickstart", "exec"), namespace)  # noqa: S102
    assert capsys.readouterr().out.splitlines() == ["1 sent", "awaiting_customer 0:00:00"]
    # the loop's effects, read back: the reply was sent once, on the customer's post
    store = namespace["store"]
    assert isinstance(store, SQLiteStore)
    [action] = store.list_actions(status="sent")
    assert action.payload["action"] == "reply"
    sandbox = namespace["sandbox"]
    assert isinstance(sandbox, Sandbox)
    reply = sandbox.platform(sandbox.user("acmehelp")).get_posts([action.remote_id or ""]).items[0]
    assert reply.text.startswith("@ann_k Sorry Ann!")
    [complaint] = store.posts_in_conversation(reply.conversation_id or "")[:1]
    assert reply.replied_to_id == complaint.id
    assert complaint.text.startswith("@acmehelp my router")
    store.close()
