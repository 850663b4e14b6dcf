"""``socialcare oauth2 revoke``: revoke a stored grant at X (the sandbox served on 127.0.0.1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from socialcare import ManualClock
from socialcare.cli import main
from socialcare.cli._commands import OAUTH2_ENV_VARS
from socialcare.platforms.x import OAuth2Client
from socialcare.sandbox import Sandbox
from socialcare.storage import open_store


@pytest.mark.parametrize("confidential", [True, False])
def test_revoke_ends_the_grant_for_every_worker(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *,
    confidential: bool,
) -> None:
    clock = ManualClock()
    sandbox = Sandbox(clock=clock)
    sandbox.add_user("acme")
    app = sandbox.register_oauth2_app("acme", confidential=confidential)
    url = f"sqlite:///{tmp_path / 'care.db'}"
    with sandbox.serve() as server, open_store(url, create_schema=True) as store:
        client = OAuth2Client(
            app.client_id,
            client_secret=app.client_secret,
            redirect_uri=app.redirect_uri,
            api_host=server.url,
            clock=clock,
        )
        request = client.authorization()
        token = client.exchange(request, sandbox.approve(request.url))
        store.put_token(token.record("x:acme"))
        monkeypatch.setenv(OAUTH2_ENV_VARS["client_id"], app.client_id)
        if app.client_secret is not None:
            monkeypatch.setenv(OAUTH2_ENV_VARS["client_secret"], app.client_secret)
        else:
            monkeypatch.delenv(OAUTH2_ENV_VARS["client_secret"], raising=False)
        args = ["oauth2", "revoke", "--store", url, "--key", "x:acme", "--api-host", server.url]
        assert main(args) == 0
        assert "revoked the OAuth 2.0 grant x:acme" in capsys.readouterr().out
        record = store.get_token("x:acme")
        assert record is not None
        assert record.problem is not None
        assert "was revoked" in record.problem
        assert sandbox.oauth2.live_grants() == 0
        assert main([*args[:5], "x:other", *args[6:]]) == 2
        assert "no OAuth 2.0 grant is stored under 'x:other'" in capsys.readouterr().err


def test_revoke_needs_the_client_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in OAUTH2_ENV_VARS.values():
        monkeypatch.delenv(name, raising=False)
    url = f"sqlite:///{tmp_path / 'care.db'}"
    assert main(["oauth2", "revoke", "--store", url, "--key", "x:acme"]) == 3
    assert "SOCIALCARE_X_CLIENT_ID" in capsys.readouterr().err
