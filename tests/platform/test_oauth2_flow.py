"""OAuth 2.0 with PKCE against the sandbox: authorize, exchange, expiry, rotation, revocation."""

from __future__ import annotations

import base64
import logging
import urllib.parse

import pytest
import requests
import requests.adapters

from socialcare.errors import AuthenticationError, PlatformUnavailableError
from socialcare.models import TokenRecord
from socialcare.platforms.x import (
    AUTHORIZE_URL,
    CARE_SCOPES,
    OAuth2Client,
    XPlatform,
    authorize_in_notebook,
)
from socialcare.sandbox import OAuth2App, Sandbox


@pytest.fixture
def sandbox() -> Sandbox:
    box = Sandbox()
    box.add_user("acme")
    return box


def client_for(sandbox: Sandbox, app: OAuth2App, **kw: object) -> OAuth2Client:
    return OAuth2Client(
        app.client_id,
        client_secret=app.client_secret,
        redirect_uri=app.redirect_uri,
        transport=sandbox.transport(),
        clock=sandbox.clock,
        **kw,  # type: ignore[arg-type]
    )


def query(url: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


@pytest.mark.parametrize("confidential", [True, False])
def test_the_flow_gives_a_working_user_token(sandbox: Sandbox, *, confidential: bool) -> None:
    app = sandbox.register_oauth2_app("acme", confidential=confidential)
    client = client_for(sandbox, app)
    assert client.confidential is confidential
    request = client.authorization()
    params = query(request.url)
    assert request.url.startswith(AUTHORIZE_URL + "?")
    assert params["scope"].split() == list(CARE_SCOPES)
    assert params["code_challenge_method"] == "S256"
    assert params["code_challenge"] != request.code_verifier
    assert params["state"] == request.state
    token = client.exchange(request, sandbox.approve(request.url))
    assert token.refresh_token is not None
    assert (token.expires_at - sandbox.clock.now()).total_seconds() == 7200
    with XPlatform(user_token=token.access_token, transport=sandbox.transport()) as x:
        assert x.me().username == "acme"


def test_a_confidential_client_must_send_its_secret(sandbox: Sandbox) -> None:
    app = sandbox.register_oauth2_app("acme", confidential=True)
    public_impostor = OAuth2Client(
        app.client_id, redirect_uri=app.redirect_uri, transport=sandbox.transport()
    )
    request = public_impostor.authorization()
    with pytest.raises(AuthenticationError, match="401"):
        public_impostor.exchange(request, sandbox.approve(request.url))
    wrong = client_for(sandbox, app)
    wrong._secret = "not-the-secret"
    request = wrong.authorization()
    with pytest.raises(AuthenticationError, match="401"):
        wrong.exchange(request, sandbox.approve(request.url))


def test_state_is_checked_and_a_request_is_exchanged_once(sandbox: Sandbox) -> None:
    client = client_for(sandbox, sandbox.register_oauth2_app("acme"))
    request = client.authorization()
    callback = sandbox.approve(request.url)
    forged = callback.replace(request.state, "forged")
    with pytest.raises(AuthenticationError, match="state does not match"):
        client.exchange(request, forged)
    client.exchange(request, callback)
    with pytest.raises(AuthenticationError, match="already exchanged"):
        client.exchange(request, callback)


def test_a_code_is_good_once_and_needs_its_verifier(sandbox: Sandbox) -> None:
    app = sandbox.register_oauth2_app("acme")
    client = client_for(sandbox, app)
    request = client.authorization()
    code = query(sandbox.approve(request.url))["code"]
    other = client.authorization()  # same client, another verifier
    with pytest.raises(AuthenticationError, match="authorise the app again"):
        client.exchange(other, f"{app.redirect_uri}?code={code}&state={other.state}")
    # The wrong verifier spent the code: the right one no longer works either.
    with pytest.raises(AuthenticationError, match="400"):
        client.exchange(request, f"{app.redirect_uri}?code={code}&state={request.state}")


def test_codes_expire_after_thirty_seconds(sandbox: Sandbox) -> None:
    client = client_for(sandbox, sandbox.register_oauth2_app("acme"))
    request = client.authorization()
    callback = sandbox.approve(request.url)
    sandbox.advance(31)
    with pytest.raises(AuthenticationError, match="400"):
        client.exchange(request, callback)


def test_denied_or_malformed_requests_redirect_with_an_error(sandbox: Sandbox) -> None:
    app = sandbox.register_oauth2_app("acme")
    client = client_for(sandbox, app, scopes=("tweet.read", "no.such.scope"))
    request = client.authorization()
    callback = sandbox.approve(request.url)
    assert query(callback) == {"state": request.state, "error": "invalid_scope"}
    with pytest.raises(AuthenticationError, match="not granted"):
        client.exchange(request, callback)
    unregistered = request.url.replace(urllib.parse.quote(app.redirect_uri, safe=""), "x")
    with pytest.raises(ValueError, match="without redirect"):
        sandbox.approve(unregistered)


def test_without_offline_access_there_is_no_refresh_token(sandbox: Sandbox) -> None:
    client = client_for(sandbox, sandbox.register_oauth2_app("acme"), scopes=("tweet.read",))
    request = client.authorization()
    token = client.exchange(request, sandbox.approve(request.url))
    assert token.refresh_token is None
    assert token.scopes == ("tweet.read",)


def authorized(sandbox: Sandbox) -> tuple[OAuth2Client, str, str]:
    client = client_for(sandbox, sandbox.register_oauth2_app("acme"))
    request = client.authorization()
    token = client.exchange(request, sandbox.approve(request.url))
    assert token.refresh_token is not None
    return client, token.access_token, token.refresh_token


def test_access_tokens_expire_after_two_hours_on_every_route(sandbox: Sandbox) -> None:
    _, access, _ = authorized(sandbox)
    x = XPlatform(user_token=access, transport=sandbox.transport())
    sandbox.advance(hours=2, seconds=-1)
    assert x.me().username == "acme"
    sandbox.advance(1)
    with pytest.raises(AuthenticationError):
        x.me()
    with pytest.raises(AuthenticationError):
        x.create_post("hello")


def test_refresh_rotates_and_a_spent_refresh_token_is_refused(sandbox: Sandbox) -> None:
    client, _, refresh = authorized(sandbox)
    sandbox.advance(hours=3)
    fresh = client.refresh(refresh)
    assert fresh.refresh_token not in {None, refresh}
    assert (
        XPlatform(user_token=fresh.access_token, transport=sandbox.transport()).me().username
        == "acme"
    )
    with pytest.raises(AuthenticationError, match="authorise the app again"):
        client.refresh(refresh)
    assert sandbox.oauth2.reused_refresh_tokens == 1
    assert len(sandbox.oauth2.refreshes) == 1
    assert fresh.refresh_token is not None
    assert client.refresh(fresh.refresh_token).access_token != fresh.access_token


def test_revoking_the_refresh_token_ends_the_grant(sandbox: Sandbox) -> None:
    client, access, refresh = authorized(sandbox)
    x = XPlatform(user_token=access, transport=sandbox.transport())
    client.revoke(refresh, hint="refresh_token")
    with pytest.raises(AuthenticationError):
        x.me()
    with pytest.raises(AuthenticationError, match="authorise the app again"):
        client.refresh(refresh)


def test_revoking_an_access_token_keeps_the_grant(sandbox: Sandbox) -> None:
    client, access, refresh = authorized(sandbox)
    client.revoke(access, hint="access_token")
    with pytest.raises(AuthenticationError):
        XPlatform(user_token=access, transport=sandbox.transport()).me()
    again = client.refresh(refresh)
    assert (
        XPlatform(user_token=again.access_token, transport=sandbox.transport()).me().username
        == "acme"
    )


def test_token_requests_are_form_encoded(sandbox: Sandbox) -> None:
    app = sandbox.register_oauth2_app("acme")
    session = requests.Session()
    session.mount("https://api.x.com/", sandbox.transport())
    basic = base64.b64encode(f"{app.client_id}:{app.client_secret}".encode()).decode()
    answer = session.post(
        "https://api.x.com/2/oauth2/token",
        json={"grant_type": "refresh_token", "refresh_token": "x"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"


def test_notebook_helper_reads_the_pasted_redirect(sandbox: Sandbox) -> None:
    client = client_for(sandbox, sandbox.register_oauth2_app("acme"))
    shown: list[str] = []

    def paste(prompt: str) -> str:
        assert prompt
        return "  " + sandbox.approve(shown[-1].rsplit("\n", 1)[-1]) + "\n"

    token = authorize_in_notebook(client, ask=paste, show=shown.append)
    assert (
        XPlatform(user_token=token.access_token, transport=sandbox.transport()).me().username
        == "acme"
    )


class _Unreachable(requests.adapters.BaseAdapter):
    def send(
        self, request: requests.PreparedRequest, *args: object, **kw: object
    ) -> requests.Response:
        raise requests.exceptions.ConnectionError("refused", request=request)

    def close(self) -> None:
        pass


def test_tokens_never_show_in_reprs_errors_or_logs(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    client, access, refresh = authorized(sandbox)
    app_secret = client._secret
    assert app_secret is not None
    fresh = client.refresh(refresh)
    for text in (repr(client), repr(fresh), repr(client.authorization())):
        for secret in (access, refresh, app_secret, fresh.access_token, str(fresh.refresh_token)):
            assert secret not in text
    offline = OAuth2Client(
        client.client_id,
        client_secret=app_secret,
        redirect_uri=client.redirect_uri,
        transport=_Unreachable(),
    )
    with pytest.raises(PlatformUnavailableError) as caught:
        offline.refresh(str(fresh.refresh_token))
    cause = caught.value.__cause__
    assert isinstance(cause, requests.exceptions.ConnectionError)
    assert isinstance(cause.request, requests.PreparedRequest)
    assert cause.request.body is None
    assert "Authorization" not in cause.request.headers
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("tweepy.client").debug("refresh_token=%s", fresh.refresh_token)
    assert str(fresh.refresh_token) not in caplog.text
    with pytest.raises(AuthenticationError) as refused:
        client.refresh(refresh)
    assert refresh not in str(refused.value)


def test_a_token_becomes_the_record_a_store_keeps(sandbox: Sandbox) -> None:
    client, access, refresh = authorized(sandbox)
    token = client.refresh(refresh)
    record = token.record("x:acme", account_id="42")
    assert record == TokenRecord.issued(
        "x:acme",
        access_token=token.access_token,
        expires_at=token.expires_at,
        refresh_token=token.refresh_token,
        scopes=token.scopes,
        account_id="42",
    )
    assert record.version == 0
    assert record.scopes
    assert token.access_token not in repr(record)
    assert access != token.access_token
