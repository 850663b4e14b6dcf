"""The Bitly, Shlink, YOURLS and TinyURL adapters against local fakes (httpx.MockTransport).

Each fake answers with the service's documented shapes: success bodies, error bodies (bad
token, invalid URL, custom code taken), rate limits (429, with or without Retry-After) and
server errors; timeouts are raised by the transport. Nothing touches the network.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

import socialcare
from socialcare import LinkError, ShortenerError
from socialcare.links import (
    DEFAULT_TIMEOUT,
    Bitly,
    HTTPShortener,
    Shlink,
    Shortener,
    ShortenResult,
    TinyURL,
    Yourls,
)

TOKEN = "s3cr3t-T0KEN-abcdef"
LONG = "https://acme.com/help/reset-password"
Handler = Callable[[httpx.Request], httpx.Response]


class Fake:
    """A shortening service's state and the failure it is told to answer with next."""

    def __init__(self) -> None:
        self.codes: dict[str, str] = {"taken": "https://elsewhere.example/x"}
        self.requests: list[httpx.Request] = []
        self.fail: list[str] = []  # "timeout", "connect", "429", "429-after", "500", ...

    def transport(self, answer: Handler) -> httpx.MockTransport:
        def handle(request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            if self.fail:
                mode = self.fail.pop(0)
                if mode == "timeout":
                    raise httpx.ReadTimeout("timed out", request=request)
                if mode == "connect":
                    raise httpx.ConnectError("connection refused", request=request)
                if mode == "429-after":
                    return self.rate_limited(request, retry_after="1")
                if mode == "429-long":
                    return self.rate_limited(request, retry_after="3600")
                if mode == "429":
                    return self.rate_limited(request, retry_after=None)
                if mode == "500":
                    return httpx.Response(500, text="<html>Internal Server Error</html>")
                if mode == "garbage":
                    return httpx.Response(200, text="<html>maintenance</html>")
            return answer(request)

        return httpx.MockTransport(handle)

    rate_limited: Callable[..., httpx.Response]


# -- the services as documented ---------------------------------------------------------------


class FakeBitly(Fake):
    def rate_limited(self, request: httpx.Request, *, retry_after: str | None) -> httpx.Response:
        del request
        headers = {"Retry-After": retry_after} if retry_after else {}
        body = {"message": "RATE_LIMIT_EXCEEDED", "resource": "bitlinks", "description": ""}
        return httpx.Response(429, json=body, headers=headers)

    def answer(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return httpx.Response(
                403,
                json={"message": "FORBIDDEN", "resource": "bitlinks", "description": ""},
            )
        body = json.loads(request.content)
        if request.url.path == "/v4/custom_bitlinks":
            keyword = body["custom_bitlink"].split("/", 1)[1]
            if keyword in self.codes:
                return httpx.Response(
                    400,
                    json={
                        "message": "ALREADY_A_BITLY_LINK",
                        "description": "The custom back-half is already taken.",
                        "resource": "custom_bitlinks",
                    },
                )
            self.codes[keyword] = body["bitlink_id"]
            return httpx.Response(
                200,
                json={
                    "custom_bitlink": body["custom_bitlink"],
                    "bitlink": {"id": body["bitlink_id"], "link": f"https://{body['bitlink_id']}"},
                },
            )
        assert request.url.path == "/v4/bitlinks"
        if not body["long_url"].startswith("https://acme.com"):
            return httpx.Response(
                400,
                json={
                    "message": "INVALID_ARG_LONG_URL",
                    "resource": "bitlinks",
                    "description": "The value provided is invalid.",
                    "errors": [{"field": "long_url", "error_code": "invalid"}],
                },
            )
        domain = body.get("domain", "bit.ly")
        return httpx.Response(
            201,
            json={
                "created_at": "2026-11-30T10:00:00+0000",
                "id": f"{domain}/3xAmPl3",
                "link": f"https://{domain}/3xAmPl3",
                "custom_bitlinks": [],
                "long_url": body["long_url"],
                "archived": False,
                "tags": body.get("tags", []),
                "deeplinks": [],
                "references": {"group": "https://api-ssl.bitly.com/v4/groups/Ba1bc23dE4F"},
            },
        )


class FakeShlink(Fake):
    def rate_limited(self, request: httpx.Request, *, retry_after: str | None) -> httpx.Response:
        del request
        headers = {"Retry-After": retry_after} if retry_after else {}
        return httpx.Response(429, text="Too Many Requests", headers=headers)

    def answer(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/rest/v3/short-urls"
        problem = {"Content-Type": "application/problem+json"}
        if request.headers.get("X-Api-Key") != TOKEN:
            return httpx.Response(
                401,
                headers=problem,
                json={
                    "type": "https://shlink.io/api/error/invalid-api-key",
                    "title": "Invalid API key",
                    "detail": "Provided API key does not exist or is invalid.",
                    "status": 401,
                },
            )
        body = json.loads(request.content)
        if not body["longUrl"].startswith("https://acme.com"):
            return httpx.Response(
                400,
                headers=problem,
                json={
                    "type": "https://shlink.io/api/error/invalid-data",
                    "title": "Invalid data",
                    "detail": "Provided data is not valid",
                    "status": 400,
                    "invalidElements": ["longUrl"],
                },
            )
        slug = body.get("customSlug", "12C18")
        if slug in self.codes and self.codes[slug] != body["longUrl"]:
            return httpx.Response(
                400,
                headers=problem,
                json={
                    "type": "https://shlink.io/api/error/non-unique-slug",
                    "title": "Invalid custom slug",
                    "detail": f'Provided slug "{slug}" is already in use.',
                    "status": 400,
                    "customSlug": slug,
                },
            )
        self.codes[slug] = body["longUrl"]
        return httpx.Response(
            200,
            json={
                "shortCode": slug,
                "shortUrl": f"https://s.test/{slug}",
                "longUrl": body["longUrl"],
                "dateCreated": "2026-11-30T10:00:00+00:00",
                "visitsSummary": {"total": 0, "nonBots": 0, "bots": 0},
                "tags": body.get("tags", []),
                "meta": {"validSince": None, "validUntil": None, "maxVisits": None},
                "domain": None,
                "title": None,
                "crawlable": False,
                "forwardQuery": True,
                "hasRedirectRules": False,
            },
        )


class FakeYourls(Fake):
    def __init__(self) -> None:
        super().__init__()
        self.by_url: dict[str, str] = {}

    def rate_limited(self, request: httpx.Request, *, retry_after: str | None) -> httpx.Response:
        del request  # yourls_check_IP_flood dies with an HTML page
        headers = {"Retry-After": retry_after} if retry_after else {}
        page = "<html><title>Too Many Requests</title>Too many URLs added too fast.</html>"
        return httpx.Response(429, text=page, headers=headers)

    def answer(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/yourls-api.php"
        assert TOKEN not in str(request.url)  # credentials travel in the body
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        assert form["action"] == "shorturl"
        assert form["format"] == "json"
        if form.get("signature") != TOKEN:
            return httpx.Response(403, json={"message": "Please log in", "errorCode": "403"})
        url, keyword = form.get("url", ""), form.get("keyword")
        fail = {"status": "fail", "errorCode": "400", "statusCode": "400"}
        if not url.startswith("https://acme.com"):
            body = {**fail, "code": "error:nourl", "message": "Missing or malformed URL"}
            return httpx.Response(400, json=body)
        if url in self.by_url:
            existing = self.by_url[url]
            return httpx.Response(
                400,
                json={
                    **fail,
                    "code": "error:url",
                    "url": {"keyword": existing, "url": url, "title": "", "clicks": 0},
                    "message": f"{url} already exists in database (short URL: sho.rt/{existing})",
                    "title": "",
                    "shorturl": f"https://sho.rt/{existing}",
                },
            )
        if keyword is not None and keyword in self.codes:
            body = {
                **fail,
                "code": "error:keyword",
                "message": f"Short URL {keyword} already exists in database or is reserved",
            }
            return httpx.Response(400, json=body)
        keyword = keyword or f"k{len(self.codes)}"
        self.codes[keyword] = url
        self.by_url[url] = keyword
        return httpx.Response(
            200,
            json={
                "url": {"keyword": keyword, "url": url, "title": "Reset", "date": "2026-11-30"},
                "status": "success",
                "message": f"{url} added to database",
                "title": "Reset",
                "shorturl": f"https://sho.rt/{keyword}",
                "statusCode": "200",
            },
        )


class FakeTinyURL(Fake):
    def rate_limited(self, request: httpx.Request, *, retry_after: str | None) -> httpx.Response:
        del request
        headers = {"Retry-After": retry_after} if retry_after else {}
        body = {"data": [], "code": 429, "errors": ["Too Many Attempts."]}
        return httpx.Response(429, json=body, headers=headers)

    def answer(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/create"
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return httpx.Response(401, json={"data": [], "code": 401, "errors": ["Unauthorized"]})
        body = json.loads(request.content)
        if not body["url"].startswith("https://acme.com"):
            errors = ["The url field must be a valid URL."]
            return httpx.Response(422, json={"data": [], "code": 5, "errors": errors})
        alias = body.get("alias", "2p8xk3ft")
        if alias in self.codes:
            body_ = {"data": [], "code": 5, "errors": ["Alias is not available."]}
            return httpx.Response(422, json=body_)
        self.codes[alias] = body["url"]
        domain = body.get("domain", "tinyurl.com")
        return httpx.Response(
            200,
            json={
                "data": {
                    "domain": domain,
                    "alias": alias,
                    "deleted": False,
                    "archived": False,
                    "tags": body.get("tags", []),
                    "analytics": {"enabled": True, "public": False},
                    "tiny_url": f"https://{domain}/{alias}",
                    "created_at": "2026-11-30T10:00:00+00:00",
                    "expires_at": None,
                    "url": body["url"],
                },
                "code": 0,
                "errors": [],
            },
        )


# -- building each adapter against its fake ---------------------------------------------------

Build = Callable[..., tuple[HTTPShortener, Fake]]


def bitly(token: str = TOKEN, **options: Any) -> tuple[HTTPShortener, Fake]:
    fake = FakeBitly()
    client = httpx.Client(transport=fake.transport(fake.answer))
    return Bitly(token, domain="acme.co", client=client, **options), fake


def shlink(token: str = TOKEN, **options: Any) -> tuple[HTTPShortener, Fake]:
    fake = FakeShlink()
    client = httpx.Client(transport=fake.transport(fake.answer))
    return Shlink("https://s.test", token, client=client, **options), fake


def yourls(token: str = TOKEN, **options: Any) -> tuple[HTTPShortener, Fake]:
    fake = FakeYourls()
    client = httpx.Client(transport=fake.transport(fake.answer))
    api = "https://sho.rt/yourls-api.php"
    return Yourls(api, signature=token, client=client, **options), fake


def tinyurl(token: str = TOKEN, **options: Any) -> tuple[HTTPShortener, Fake]:
    fake = FakeTinyURL()
    client = httpx.Client(transport=fake.transport(fake.answer))
    return TinyURL(token, client=client, **options), fake


ADAPTERS = [pytest.param(b, id=b.__name__) for b in (bitly, shlink, yourls, tinyurl)]
SHORT = {
    "bitly": ("https://acme.co/3xAmPl3", "https://acme.co/reset"),
    "shlink": ("https://s.test/12C18", "https://s.test/reset"),
    "yourls": ("https://sho.rt/k1", "https://sho.rt/reset"),
    "tinyurl": ("https://tinyurl.com/2p8xk3ft", "https://tinyurl.com/reset"),
}


@pytest.mark.parametrize("build", ADAPTERS)
def test_success_with_random_and_custom_codes(build: Build) -> None:
    adapter, fake = build(on_error="raise")
    assert isinstance(adapter, Shortener)
    random_short, custom_short = SHORT[adapter.service]
    result = adapter.shorten_result(LONG, conversation_id="c1", campaign="spring")
    assert result == ShortenResult(url=random_short, long_url=LONG, service=adapter.service)
    assert not result.fell_back
    assert adapter.shorten(LONG + "?b", code="reset") == custom_short
    sent = fake.requests[0]
    if adapter.service != "yourls":
        assert json.loads(sent.content)["tags"] == ["campaign:spring", "conversation:c1"]


@pytest.mark.parametrize("build", ADAPTERS)
@pytest.mark.parametrize(
    ("case", "reason", "status"),
    [
        ("bad_token", "auth", {"bitly": 403, "shlink": 401, "yourls": 403, "tinyurl": 401}),
        ("invalid_url", "invalid", {"bitly": 400, "shlink": 400, "yourls": 400, "tinyurl": 422}),
        ("code_taken", "code_taken", {"bitly": 400, "shlink": 400, "yourls": 400, "tinyurl": 422}),
        ("timeout", "timeout", None),
        ("connect", "network", None),
        ("429", "rate_limited", 429),
        ("500", "server", 500),
        ("garbage", "bad_response", 200),
    ],
)
def test_each_documented_failure_raises_or_falls_back(
    build: Build, case: str, reason: str, status: dict[str, int] | int | None
) -> None:
    def attempt(policy: str) -> tuple[HTTPShortener, Fake, Callable[[], ShortenResult]]:
        adapter, fake = build("wrong-token" if case == "bad_token" else TOKEN, on_error=policy)
        url = "https://not-acme.example/x" if case == "invalid_url" else LONG
        code = "taken" if case == "code_taken" else None
        if case in {"timeout", "connect", "429", "500", "garbage"}:
            fake.fail.append(case)
        return adapter, fake, lambda: adapter.shorten_result(url, code=code)

    expected = status[build.__name__] if isinstance(status, dict) else status
    adapter, _, call = attempt("raise")
    with pytest.raises(ShortenerError) as info:
        call()
    err = info.value
    assert isinstance(err, LinkError)
    assert (err.service, err.reason, err.status) == (adapter.service, reason, expected)
    assert TOKEN not in str(err)
    assert "wrong-token" not in str(err)

    adapter, _, call = attempt("fallback")
    result = call()
    assert result.fell_back
    assert result.url == result.long_url
    assert result.error is not None
    assert (result.error.reason, result.error.status) == (reason, expected)


@pytest.mark.parametrize("build", ADAPTERS)
def test_429_is_retried_once_only_when_retry_after_is_short(build: Build) -> None:
    waits: list[float] = []
    adapter, fake = build(on_error="raise", sleep=waits.append, max_retry_wait=2.0)
    fake.fail.append("429-after")  # Retry-After: 1 -> one bounded wait, then success
    assert adapter.shorten(LONG) == SHORT[adapter.service][0]
    assert waits == [1.0]
    assert len(fake.requests) == 2

    fake.fail.extend(["429-after", "429-after"])  # still limited after the retry: give up
    with pytest.raises(ShortenerError) as info:
        adapter.shorten(LONG + "?2")
    assert (info.value.reason, info.value.retry_after) == ("rate_limited", 1.0)
    assert waits == [1.0, 1.0]

    fake.fail.append("429-long")  # Retry-After: 3600 is over the cap: no sleep at all
    with pytest.raises(ShortenerError) as info:
        adapter.shorten(LONG + "?3")
    assert info.value.retry_after == 3600.0
    fake.fail.append("429")  # no Retry-After (Bitly's way): no sleep either
    with pytest.raises(ShortenerError):
        adapter.shorten(LONG + "?4")
    assert waits == [1.0, 1.0]


def test_retry_can_be_disabled_and_http_dates_are_read() -> None:
    waits: list[float] = []
    adapter, fake = tinyurl(on_error="fallback", sleep=waits.append, max_retry_wait=0)
    fake.fail.append("429-after")
    assert adapter.shorten_result(LONG).fell_back
    assert waits == []
    from socialcare.links._services import _retry_after  # noqa: PLC0415

    assert _retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert _retry_after("soon") is None


def test_fallback_is_logged_without_credentials(caplog: pytest.LogCaptureFixture) -> None:
    adapter, fake = shlink("wrong-token-value")
    with caplog.at_level(logging.WARNING, logger="socialcare.links"):
        assert adapter.shorten(LONG) == LONG
    assert "shlink: auth (HTTP 401)" in caplog.text
    assert "posting the long URL" in caplog.text
    assert "wrong-token-value" not in caplog.text
    assert len(fake.requests) == 1


def test_yourls_reuses_the_existing_short_url_of_a_long_url() -> None:
    adapter, _ = yourls(on_error="raise")
    first = adapter.shorten(LONG)
    assert adapter.shorten(LONG) == first  # error:url carries the existing short URL
    with pytest.raises(ShortenerError, match="already exists") as info:
        adapter.shorten(LONG, code="other")  # that short URL is not the code asked for
    assert info.value.reason == "invalid"


def test_bitly_custom_codes_need_a_branded_domain() -> None:
    fake = FakeBitly()
    adapter = Bitly(TOKEN, client=httpx.Client(transport=fake.transport(fake.answer)))
    assert adapter.shorten(LONG) == "https://bit.ly/3xAmPl3"
    result = adapter.shorten_result(LONG, code="reset")
    assert result.error is not None
    assert result.error.reason == "invalid"
    assert len(fake.requests) == 1  # nothing sent for the refused code


@pytest.mark.parametrize("build", ADAPTERS)
def test_bad_input_is_refused_before_any_request(build: Build) -> None:
    adapter, fake = build(on_error="fallback")
    with pytest.raises(LinkError, match="absolute http"):
        adapter.shorten("javascript:alert(1)")
    with pytest.raises(LinkError, match="short code"):
        adapter.shorten(LONG, code="../admin")
    assert fake.requests == []


def test_reprs_and_options_hide_credentials_and_timeouts_are_set() -> None:
    adapters = [
        Bitly(TOKEN),
        Shlink("https://s.test", TOKEN),
        Yourls("https://sho.rt/yourls-api.php", signature=TOKEN),
        Yourls("https://sho.rt/yourls-api.php", username="ann", password=TOKEN),
        TinyURL(TOKEN),
    ]
    for adapter in adapters:
        with adapter:
            assert TOKEN not in repr(adapter)
            assert adapter.timeout == DEFAULT_TIMEOUT
            assert adapter._http.timeout == DEFAULT_TIMEOUT
    assert DEFAULT_TIMEOUT.connect == 3.0
    assert DEFAULT_TIMEOUT.read == 5.0
    with pytest.raises(ValueError, match="on_error"):
        Bitly(TOKEN, on_error="ignore")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_retry_wait"):
        Bitly(TOKEN, max_retry_wait=float("inf"))
    with pytest.raises(ValueError, match="token must be a non-empty str"):
        TinyURL("  ")
    with pytest.raises(ValueError, match="either signature"):
        Yourls("https://sho.rt/yourls-api.php")
    with pytest.raises(ValueError, match="base_url"):
        Shlink("ftp://s.test", TOKEN)


def test_an_injected_client_is_used_with_the_adapter_timeout_and_left_open() -> None:
    seen: list[dict[str, Any]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return FakeTinyURL().answer(request)

    client = httpx.Client(transport=httpx.MockTransport(answer))
    with TinyURL(TOKEN, client=client, timeout=httpx.Timeout(1.5)) as adapter:
        adapter.shorten(LONG)
    assert seen == [{"connect": 1.5, "read": 1.5, "write": 1.5, "pool": 1.5}]
    assert not client.is_closed


def test_shortener_error_is_published() -> None:
    assert socialcare.ShortenerError is ShortenerError
    assert issubclass(ShortenerError, socialcare.LinkError)
    assert "ShortenerError" in (socialcare.errors.__doc__ or "")
