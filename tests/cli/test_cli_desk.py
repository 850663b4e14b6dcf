"""``socialcare queue`` and ``socialcare report``: the care desk of a store, through ``main``."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import pytest

from socialcare import ManualClock
from socialcare.cli import main
from socialcare.desk import Desk, RuleSet
from socialcare.models import Post
from socialcare.storage import SQLiteStore

NOW = dt.datetime.now(tz=dt.timezone.utc).replace(microsecond=0)


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('desk') / 'demo.db'}"
    assert main(["demo", "--conversations", "8", "--store", url, "--no-progress"]) == 0
    return url


@pytest.fixture
def triaged_store(tmp_path: Path) -> str:
    """Three open conversations: a legal one (priority 10), a VIP one (5), a plain one."""
    path = tmp_path / "desk.db"
    clock = ManualClock(NOW - dt.timedelta(minutes=30))
    store = SQLiteStore(str(path), create_schema=True, clock=clock)
    rules = RuleSet.from_dict(
        {
            "vips": ["42"],
            "rules": [
                {"name": "legal", "when": {"keywords": ["lawyer"]}, "priority": 10,
                 "tags": ["legal"]},
                {"name": "vip", "when": {"vip": True}, "priority": 5},
            ],
        }
    )  # fmt: skip
    desk = Desk(store, brands=["1"], rules=rules, clock=clock)
    at = clock.now()
    desk.ingest(
        [
            Post(id="100", text="@acme where is my parcel", author_id="41", created_at=at,
                 conversation_id="100"),
            Post(id="200", text="@acme my lawyer will call", author_id="43", created_at=at,
                 conversation_id="200"),
            Post(id="300", text="@acme the app crashes", author_id="42", created_at=at,
                 conversation_id="300"),
        ]
    )  # fmt: skip
    store.close()
    return f"sqlite:///{path}"


def rows(out: str) -> list[list[str]]:
    return [
        [cell.strip() for cell in line.split("│")[1:-1]]
        for line in out.splitlines()
        if line.startswith("│")
    ]


# -- queue ---------------------------------------------------------------------------------------


def test_queue_orders_by_priority(triaged_store: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["queue", "--store", triaged_store]) == 0
    out = capsys.readouterr().out
    table = rows(out)
    assert [(r[0], r[1], r[2]) for r in table] == [("1", "200", "10"), ("2", "300", "5"),
                                                   ("3", "100", "0")]  # fmt: skip
    assert table[0][5] == "legal"
    assert "30 min ago" in table[0][6]  # waiting since
    assert "3 open conversation(s)" in out
    assert main(["queue", "--store", triaged_store, "--limit", "1"]) == 0
    out = capsys.readouterr().out
    assert [r[1] for r in rows(out)] == ["200"]
    assert "1 open conversation(s)" in out


def test_queue_of_the_demo_lists_the_escalations(
    demo_store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["queue", "--store", demo_store]) == 0
    table = rows(capsys.readouterr().out)
    assert table
    assert {r[3] for r in table} <= {"new", "awaiting_brand", "escalated"}
    assert "escalated" in {r[3] for r in table}


def test_queue_reads_the_store_from_the_config(
    triaged_store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "care.toml"
    config.write_text(f'[store]\nurl = "{triaged_store}"\n', encoding="utf-8")
    assert main(["queue", "--config", str(config)]) == 0
    assert "3 open conversation(s)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["queue"], "no store"),
        (["queue", "--store", "memory:", "--limit", "0"], "must be at least 1"),
        (["queue", "--store", "nosuch://x"], "error"),
        (["report"], "no store"),
        (["report", "--store", "memory:", "--by", "mood"], "invalid choice"),
        (["report", "--store", "memory:", "--since", "yesterday"], "not an ISO 8601"),
        (["report", "--store", "memory:", "--since", "2026-01-01", "--hours", "2"],
         "not allowed with"),
    ],
)  # fmt: skip
def test_bad_options_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("command", ["queue", "report"])
def test_unreachable_store_exits_4(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'care.db'}"
    assert main([command, "--store", missing]) == 4
    assert "the store cannot be opened" in capsys.readouterr().err
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    assert main([command, "--store", empty]) == 4
    assert "schema" in capsys.readouterr().err.lower()


# -- report --------------------------------------------------------------------------------------


def test_report_of_the_demo(demo_store: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--store", demo_store]) == 0
    out = capsys.readouterr().out
    assert "Care desk report since the beginning" in out
    table = rows(out)
    total = next(r for r in table if r[0] == "(all)")
    assert total[1] == "8"  # the demo's 8 conversations
    assert total[3] != "-"  # the bot answered: a median first response
    assert total[7].startswith("$")
    assert total[7] != "$0.000"
    assert sum(int(r[1]) for r in table if r[0] != "(all)") == 8
    assert main(["report", "--store", demo_store, "--by", "channel"]) == 0
    out = capsys.readouterr().out
    assert "Per channel" in out
    assert {r[0] for r in rows(out)} <= {"public", "dm", "(all)", "(none)"}


def test_report_period(triaged_store: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--store", triaged_store, "--hours", "1", "--by", "team"]) == 0
    total = next(r for r in rows(capsys.readouterr().out) if r[0] == "(all)")
    assert total[1] == "3"
    later = (NOW + dt.timedelta(minutes=5)).isoformat()
    assert main(["report", "--store", triaged_store, "--since", later]) == 0
    out = capsys.readouterr().out
    assert next(r for r in rows(out) if r[0] == "(all)")[1] == "0"
    assert "by care state: none" in out


def test_report_plot(
    triaged_store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chart = tmp_path / "desk.png"
    code = main(["report", "--store", triaged_store, "--plot", str(chart)])
    if importlib.util.find_spec("matplotlib") is None:
        assert code == 3
        assert "socialcare[charts]" in capsys.readouterr().err
        assert not chart.exists()
        return
    assert code == 0
    assert f"chart written to {chart}" in capsys.readouterr().out
    assert chart.read_bytes().startswith(b"\x89PNG")


def test_report_plot_without_matplotlib(
    triaged_store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "matplotlib" else real(name)
    )
    assert main(["report", "--store", triaged_store, "--plot", str(tmp_path / "x.png")]) == 3
    err = capsys.readouterr().err
    assert "--plot needs matplotlib: python -m pip install 'socialcare[charts]'" in err
