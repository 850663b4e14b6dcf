"""``socialcare guard``: one own-account check on the sandbox and on "X" (the served sandbox)."""

from __future__ import annotations

from pathlib import Path

import pytest

from socialcare import ManualClock
from socialcare.cli import main
from socialcare.outbox import Outbox, Sender
from socialcare.platforms.x import ENV_VARS
from socialcare.sandbox import Sandbox
from socialcare.storage import open_store

ROGUE = "Giveaway! Verify your account at https://acme-gifts.net/login"


@pytest.fixture(autouse=True)
def no_x_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_VARS.values():
        monkeypatch.delenv(name, raising=False)


def test_sandbox_clean_run_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["guard", "--sandbox"]) == 0
    out = capsys.readouterr().out
    assert "first check of @acmehelp (sandbox)" in out
    assert "the care bot answered 2 customers through the outbox" in out
    assert "read 2 own post(s)" in out  # the bot's replies were read, and recognised
    assert "outbound activity not sent by the outbox: 0" in out
    assert "Findings" not in out


def test_sandbox_post_outside_the_outbox_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'g.db'}"
    argv = ["guard", "--sandbox", "--store", url, "--hijack", ROGUE, "--brand-name", "acme"]
    assert main([*argv, "--brand-domain", "acme.com", "--pause-on-unrecognised"]) == 1
    out = capsys.readouterr().out
    rogue_id = next(
        line.rsplit(": ", 1)[1] for line in out.splitlines() if "outside the outbox: " in line
    )
    assert "outbound activity not sent by the outbox: 1" in out
    hijack = next(line for line in out.splitlines() if "unrecognised_post" in line)
    assert rogue_id in hijack
    assert "own_post" in hijack
    assert "phishing" in out
    assert "every sender sharing the store is paused" in out
    store = open_store(url)
    try:
        assert store.paused()
    finally:
        store.close()


def test_sandbox_alert_only_does_not_pause(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["guard", "--sandbox", "--hijack", "hello from a stolen phone"]) == 1
    out = capsys.readouterr().out
    assert "outbound activity not sent by the outbox: 1" in out
    assert "paused" not in out


def test_guard_on_x_from_cron(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # "X" is the sandbox served on 127.0.0.1; the store persists between cron runs.
    clock = ManualClock()
    sandbox = Sandbox(clock=clock)
    brand = sandbox.add_user("acmehelp")
    ann = sandbox.add_user("ann_k")
    credentials = sandbox.credentials(brand)
    for name, variable in ENV_VARS.items():
        value = getattr(credentials, name)
        if value is not None:
            monkeypatch.setenv(variable, value)
    url = f"sqlite:///{tmp_path / 'care.db'}"
    with sandbox.serve() as server:
        run = ["guard", "--store", url, "--api-host", server.url]
        assert main(run) == 0
        assert "first check of @acmehelp" in capsys.readouterr().out
        # the care bot answers through the outbox: recognised
        store = open_store(url, clock=clock)
        try:
            Outbox(store).reply(sandbox.add_post(ann, "@acmehelp help"), "Sorry Ann, DM us.")
            sent = Sender(store, sandbox.platform(brand, app_reads=False)).run_once()
            assert sent.sent == 1
        finally:
            store.close()
        clock.advance(60)
        assert main(run) == 0
        out = capsys.readouterr().out
        assert "read 1 own post(s)" in out
        assert "outbound activity not sent by the outbox: 0" in out
        # someone posts as the brand outside the outbox: the next check finds it
        rogue = sandbox.add_post(brand, ROGUE)
        clock.advance(60)
        assert main(run) == 1
        out = capsys.readouterr().out
        assert "outbound activity not sent by the outbox: 1" in out
        assert rogue.id in next(line for line in out.splitlines() if "unrecognised_post" in line)
        # reported once: the next check is clean again
        clock.advance(60)
        assert main(run) == 0
        assert "outbound activity not sent by the outbox: 0" in capsys.readouterr().out


def test_guard_errors(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["guard", "--store", "memory:"]) == 3
    err = capsys.readouterr().err
    assert "no X credentials" in err
    assert ENV_VARS["bearer_token"] in err
    assert main(["guard", "--hijack", "x"]) == 2
    assert "--hijack is a drill on the sandbox" in capsys.readouterr().err
    assert main(["guard", "--sandbox", "--stre", "memory:"]) == 2
    assert "unrecognized arguments" in capsys.readouterr().err
    monkeypatch.setenv(ENV_VARS["user_token"], "t")
    assert main(["guard"]) == 2
    assert "the guard needs a store" in capsys.readouterr().err


def test_guard_unreachable_store_exits_4(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = f"sqlite:///{tmp_path / 'no' / 'dir' / 'care.db'}"
    assert main(["guard", "--sandbox", "--store", missing]) == 4
    assert "the store cannot be opened" in capsys.readouterr().err
