"""No credential survives in a platform error, its cause chain, or the logs."""

from __future__ import annotations

import logging
import urllib.parse

import pytest

from socialcare.errors import PlatformError, PlatformUnavailableError
from socialcare.platforms.x import XPlatform
from socialcare.platforms.x import _redact as x_redact

LOGGERS = ("", "tweepy", "requests_oauthlib", "oauthlib", "urllib3", "socialcare")


def _platform(sandbox, kind):
    acme = sandbox.add_user("acme")
    app, creds = sandbox.credentials(), sandbox.credentials(acme)
    options = {"clock": sandbox.clock, "transport": sandbox.transport(), "max_attempts": 2}
    if kind == "bearer":
        secrets = {"bearer_token": app.bearer_token}
    elif kind == "oauth1":
        secrets = {
            "consumer_key": creds.consumer_key,
            "consumer_secret": creds.consumer_secret,
            "access_token": creds.access_token,
            "access_token_secret": creds.access_token_secret,
        }
    else:
        secrets = {"user_token": creds.user_token}
    assert all(secrets.values())
    return XPlatform(**secrets, **options), acme, list(secrets.values())


def _variants(secrets):
    out = set()
    for secret in secrets:
        once = urllib.parse.quote(secret, safe="~")
        out.update({secret, once, urllib.parse.quote(once, safe="~")})
    return out


def _texts(error):
    """Every text reachable from the error: reprs, args and the requests behind the chain."""
    texts = [repr(error), str(error)]
    seen, pending = set(), [error]
    while pending:
        exc = pending.pop()
        if id(exc) in seen:
            continue
        seen.add(id(exc))
        texts += [repr(exc), str(exc), repr(exc.args)]
        response = getattr(exc, "response", None)
        requests_ = [getattr(exc, "request", None)]
        answers = (*getattr(response, "history", ()), response)
        requests_ += [getattr(answer, "request", None) for answer in answers]
        for request in filter(None, requests_):
            texts += [repr(dict(request.headers)), str(request.url), repr(request.body)]
            texts.append(repr(getattr(request, "auth", None)))
        if response is not None:
            texts += [repr(dict(response.headers)), str(response.url), response.text]
        pending += [e for e in (exc.__cause__, exc.__context__) if e is not None]
    return texts


def _requests_in_chain(error):
    found, exc = [], error
    while exc is not None:
        response = getattr(exc, "response", None)
        request = getattr(exc, "request", None) or getattr(response, "request", None)
        if request is not None:
            found.append(request)
        exc = exc.__cause__
    return found


@pytest.fixture
def debug_logs(caplog):
    levels = {name: logging.getLogger(name).level for name in LOGGERS}
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    yield caplog
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


@pytest.mark.parametrize("kind", ["bearer", "oauth1", "oauth2"])
@pytest.mark.parametrize("fault", ["server_error", "timeout"])
def test_platform_errors_carry_no_credentials(sandbox, debug_logs, kind, fault):
    x, acme, secrets = _platform(sandbox, kind)
    sandbox.fail_next(fault, times=2, status=500)
    with pytest.raises(PlatformUnavailableError) as info:
        x.mentions(acme.id)
    error = info.value
    requests_ = _requests_in_chain(error)
    assert requests_, "the cause still names the request that failed"
    scheme = "Bearer" if kind != "oauth1" else "OAuth"
    assert requests_[0].headers["Authorization"] == f"{scheme} ***"
    assert "/2/users/" in requests_[0].url  # still useful: method, URL, status survive
    texts = _texts(error) + [r.getMessage() for r in debug_logs.records]
    texts += [debug_logs.text]
    assert any("retrying" in r.getMessage() for r in debug_logs.records)
    leaked = [s for s in _variants(secrets) if any(s in text for text in texts)]
    assert leaked == []


@pytest.mark.parametrize("kind", ["bearer", "oauth1", "oauth2"])
def test_refused_credentials_leave_no_trace_in_the_error(sandbox, debug_logs, kind):
    x, acme, secrets = _platform(sandbox, kind)
    sandbox.revoke(secrets[0] if kind != "oauth1" else secrets[2])  # the token X checks
    with pytest.raises(PlatformError) as info:
        x.mentions(acme.id)
    assert info.value.status == 401
    texts = _texts(info.value) + [r.getMessage() for r in debug_logs.records]
    leaked = [s for s in _variants(secrets) if any(s in text for text in texts)]
    assert leaked == []


def test_short_credentials_do_not_mangle_later_log_lines() -> None:
    filt = x_redact._RedactCredentials()
    filt.register("t", "abc", "a-real-looking-token-0123456789")
    assert filt.redact("Making API request: GET https://api.twitter.com") == (
        "Making API request: GET https://api.twitter.com"
    )
    assert filt.redact("token a-real-looking-token-0123456789 here") == "token *** here"
    assert filt.redact("Authorization: Bearer t") == "Authorization: Bearer ***"
