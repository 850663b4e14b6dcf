"""``socialcare monitor``, ``links``, ``webhook serve``, help and exit codes, through ``main``."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from socialcare.cli import EXIT_CODES, main
from socialcare.platforms.x import ENV_VARS
from socialcare.sandbox import Sandbox
from socialcare.storage import open_store
from socialcare.webhooks import delivery_signature

REPO = Path(__file__).resolve().parents[2]
SECRET = "cli-consumer-secret"


@pytest.fixture(autouse=True)
def no_x_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_VARS.values():
        monkeypatch.delenv(name, raising=False)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# -- help, version, exit codes ------------------------------------------------------------------


def test_help_lists_the_commands_and_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("demo", "monitor", "links", "webhook", "queue", "report", "guard"):
        assert command in out
    for code in EXIT_CODES:
        assert f"{code:3}  {EXIT_CODES[code]}" in out


def test_no_command_and_unknown_command_are_usage_errors(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([]) == 2
    assert "required" in capsys.readouterr().err
    assert main(["frobnicate"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("socialcare ")


def test_python_m_socialcare_runs_the_command() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    for name in ENV_VARS.values():
        env.pop(name, None)
    ran = subprocess.run(
        [sys.executable, "-m", "socialcare", "demo", "--conversations", "3", "--no-progress"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=300,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    assert "Care report" in ran.stdout
    failed = subprocess.run(
        [sys.executable, "-m", "socialcare", "monitor"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert failed.returncode == 3
    assert "SOCIALCARE_X_BEARER_TOKEN" in failed.stderr


def test_the_console_script_is_declared() -> None:
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    scripts = text.split("[project.scripts]\n", 1)[1].split("\n\n", 1)[0]
    assert scripts.splitlines()[0].startswith("socialcare = ")
    target = scripts.splitlines()[0].split(" = ", 1)[1].strip('"')
    module, _, function = target.partition(":")
    assert (module, function) == ("socialcare.cli", "console_script")
    import socialcare.cli  # noqa: PLC0415

    assert callable(getattr(socialcare.cli, function))


# -- monitor ---------------------------------------------------------------------------------------


CONFIG = """\
# care.toml for the tests
[store]
url = "memory:"

[brand]
username = "acmehelp"

[monitor]
poll_interval = 30
mentions = true

[[monitor.search]]
name = "outages"
query = "outage OR down"
"""


def test_monitor_sandbox_prints_what_arrives(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(tmp_path / "care.toml", CONFIG)
    assert main(["monitor", "--config", str(config), "--sandbox", "--cycles", "2"]) == 0
    out = capsys.readouterr().out
    assert "monitoring the sandbox as @acmehelp: 2 poll(s)" in out
    mentions = [line for line in out.splitlines() if line.startswith("mentions ")]
    assert len(mentions) == 8, out  # 4 synthetic customers per poll, every one mentions the brand
    assert "mentions: 8 delivered" in out
    assert "outages @" in out or "outages user " in out  # "outage in Leeds" matches the search
    assert "outages: 1 delivered" in out


def test_monitor_sandbox_keeps_cursors_in_the_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    assert main(["monitor", "--sandbox", "--store", url, "--cycles", "1"]) == 0
    store = open_store(url)
    try:
        assert [c.stream for c in store.list_cursors()] == ["mentions"]
    finally:
        store.close()


def test_monitor_without_credentials_names_the_variables(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["monitor", "--store", "memory:"]) == 3
    err = capsys.readouterr().err
    assert "no X credentials" in err
    for name in ENV_VARS.values():
        assert name in err


def test_monitor_x_needs_a_store(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_VARS["bearer_token"], "t")
    assert main(["monitor"]) == 2
    assert "needs a store" in capsys.readouterr().err


def test_monitor_on_x_with_credentials_from_the_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # "Real X" here is the sandbox served on 127.0.0.1, reached over HTTP like X.
    sandbox = Sandbox()
    brand = sandbox.add_user("acmehelp")
    customer = sandbox.add_user("ann_k")
    sandbox.add_post(customer, "@acmehelp my router is down again")
    credentials = sandbox.credentials(brand)
    for name, variable in ENV_VARS.items():
        value = getattr(credentials, name)
        if value is not None:
            monkeypatch.setenv(variable, value)
    url = f"sqlite:///{tmp_path / 'x.db'}"
    with sandbox.serve() as server:
        code = main(["monitor", "--store", url, "--cycles", "1", "--api-host", server.url])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    # the author is stored before the handlers run, so the line names the handle
    assert "mentions @ann_k: @acmehelp my router is down again" in captured.out
    assert "monitoring X: mentions" in captured.err


def test_monitor_on_x_refused_credentials_fail_with_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = Sandbox()
    sandbox.add_user("acmehelp")
    monkeypatch.setenv(ENV_VARS["user_token"], "not-a-token")
    with sandbox.serve() as server:
        code = main(["monitor", "--store", "memory:", "--cycles", "1", "--api-host", server.url])
    assert code == 1
    err = capsys.readouterr().err
    assert "socialcare: error:" in err
    assert "401" in err or "uthenticat" in err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[monitor]\npoll_interval = 0\n", "care.toml:2: monitor.poll_interval must be"),
        ("[store]\nurl = 5\n", "care.toml:2: store.url must be a non-empty string"),
        ("\n[monitor]\nmention = true\n", "care.toml:3: unknown key monitor.mention"),
        ("[stores]\nurl = 'x'\n", "care.toml:1: unknown table [stores]"),
        ("[monitor]\nmentions = 'yes'\n", "care.toml:2: monitor.mentions must be true or false"),
        (
            (
                "[[monitor.search]]\nname = 'a'\nquery = 'x'\n\n[[monitor.search]]\nname = 'b'\n"
                "query = '(oops'\n"
            ),
            "care.toml:7: monitor.search.query is not X search syntax",
        ),
        (
            (
                "[[monitor.search]]\nname = 'a'\nquery = 'x'\n[[monitor.search]]\nname = 'a'\n"
                "query = 'y'\n"
            ),
            "care.toml:5: monitor.search.name 'a' is used twice",
        ),
        ("[[monitor.search]]\nname = 'a'\n", "care.toml:1: each [[monitor.search]] needs"),
        ("[brand]\nusername = 'not a handle'\n", "care.toml:2: brand.username must be"),
        ("[links]\nbase_url = 'acme.co'\n", "care.toml:2: links.base_url must be an http(s) URL"),
        ("[monitor\n", "care.toml: not valid TOML"),
        ("[monitor]\nmentions = false\n", "care.toml: no streams"),
    ],
)
def test_bad_config_names_key_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    config = write(tmp_path / "care.toml", text)
    assert main(["monitor", "--config", str(config), "--sandbox", "--cycles", "1"]) == 2
    err = capsys.readouterr().err
    assert message.replace("care.toml", str(config)) in err


def test_missing_config_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["monitor", "--config", str(tmp_path / "nope.toml"), "--sandbox"]) == 2
    assert "nope.toml not found" in capsys.readouterr().err


# -- links ---------------------------------------------------------------------------------------


def test_links_create_then_list_with_clicks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'links.db'}"
    base = ["--store", url, "--base-url", "https://acme.co"]
    assert main(["links", "create", "https://acme.com/help", "--code", "help", *base]) == 0
    assert capsys.readouterr().out.strip() == "https://acme.co/help"
    created = ["links", "create", "https://acme.com/b", "--conversation", "42", "--campaign", "x"]
    assert main([*created, *base]) == 0
    random_short = capsys.readouterr().out.strip()
    assert random_short.startswith("https://acme.co/")
    store = open_store(url)
    try:
        store.follow_short_link("help")
        store.follow_short_link("help", bot=True)
        store.follow_short_link("help")
    finally:
        store.close()
    assert main(["links", "list", "--store", url]) == 0
    out = capsys.readouterr().out
    assert "2 link(s)" in out
    row = next(line for line in out.splitlines() if "│ help " in line)
    assert "https://acme.com/help" in row
    assert row.split("│")[3].strip() == "2"  # clicks
    assert row.split("│")[4].strip() == "1"  # bot clicks
    assert main(["links", "list", "--store", url, "--campaign", "x"]) == 0
    out = capsys.readouterr().out
    assert "1 link(s)" in out
    assert "42" in out


def test_links_create_reads_the_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    config = write(
        tmp_path / "care.toml", f'[store]\nurl = "{url}"\n[links]\nbase_url = "https://ac.me"\n'
    )
    assert (
        main(["links", "create", "https://acme.com", "--code", "a", "--config", str(config)]) == 0
    )
    assert capsys.readouterr().out.strip() == "https://ac.me/a"
    store = open_store(url)
    try:
        link = store.get_short_link("a")
        assert link is not None
        assert link.url.startswith("https://acme.com")
    finally:
        store.close()


def test_links_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["links", "list"]) == 2
    assert "no store" in capsys.readouterr().err
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    assert main(["links", "list", "--store", empty]) == 4
    assert "schema" in capsys.readouterr().err.lower()
    assert main(["links", "create", "https://acme.com", "--store", empty]) == 2
    assert "no short domain" in capsys.readouterr().err
    taken = ["--store", empty, "--base-url", "https://acme.co", "--code", "t"]
    assert main(["links", "create", "https://a.com", *taken]) == 0
    capsys.readouterr()
    assert main(["links", "create", "https://b.com", *taken]) == 1
    assert "ShortCodeTakenError" in capsys.readouterr().err
    assert main(["links", "create", "not a url", *taken[:4]]) in (1, 2)
    assert "error" in capsys.readouterr().err


def test_unreachable_postgres_store(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("psycopg")
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    url = f"postgresql://care:secret@127.0.0.1:{port}/care?connect_timeout=2"
    assert main(["links", "list", "--store", url]) == 4
    err = capsys.readouterr().err
    assert "the store cannot be opened" in err
    assert "secret" not in err


# -- webhook serve ---------------------------------------------------------------------------------


def test_webhook_serve_needs_the_consumer_secret(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["webhook", "serve"]) == 3
    assert ENV_VARS["consumer_secret"] in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _request(url: str, data: bytes | None = None, headers: dict[str, str] | None = None) -> bytes:
    deadline = time.monotonic() + 20
    while True:
        try:
            request = urllib.request.Request(url, data=data, headers=headers or {})  # noqa: S310
            with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
                return bytes(answer.read())
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
        except urllib.error.URLError as exc:
            if not isinstance(exc.reason, ConnectionRefusedError) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_webhook_serve_answers_crc_and_keeps_deliveries(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_VARS["consumer_secret"], SECRET)
    port = _free_port()
    url = f"sqlite:///{tmp_path / 'hooks.db'}"
    argv = ["webhook", "serve", "--port", str(port), "--store", url]
    codes: list[int] = []
    thread = threading.Thread(
        target=lambda: codes.append(main([*argv, "--server", "wsgiref", "--max-requests", "2"]))
    )
    thread.start()
    try:
        crc = json.loads(_request(f"http://127.0.0.1:{port}/?crc_token=abc"))
        assert crc["response_token"].startswith("sha256=")
        post = {
            "id": "20",
            "text": "@acme my router is down",
            "author_id": "2222222222222222222",
            "created_at": "2026-07-24T21:23:23.000Z",
            "conversation_id": "20",
            "edit_history_tweet_ids": ["20"],
        }
        envelope = {
            "data": {
                "event_uuid": "77",
                "filter": {"user_id": "1111111111111111111"},
                "event_type": "post.mention.create",
                "payload": post,
            }
        }
        body = json.dumps(envelope).encode()
        headers = {
            "X-Twitter-Webhooks-Signature": delivery_signature(body, SECRET),
            "Content-Type": "application/json",
        }
        _request(f"http://127.0.0.1:{port}/", data=body, headers=headers)
    finally:
        thread.join(timeout=60)
    assert codes == [0]
    out = capsys.readouterr().out
    assert f"serving X webhooks on http://127.0.0.1:{port}/ (wsgiref)" in out
    assert "post.mention.create: post 20: @acme my router is down" in out
    store = open_store(url)
    try:
        stored = store.get_post("20")
    finally:
        store.close()
    assert stored is not None
    assert stored.text == "@acme my router is down"


def test_webhook_serve_port_in_use(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_VARS["consumer_secret"], SECRET)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(["webhook", "serve", "--port", str(port), "--server", "wsgiref"])
    assert code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


def test_webhook_max_requests_needs_wsgiref(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_VARS["consumer_secret"], SECRET)
    assert main(["webhook", "serve", "--server", "waitress", "--max-requests", "1"]) == 2
    assert "--max-requests needs --server wsgiref" in capsys.readouterr().err
