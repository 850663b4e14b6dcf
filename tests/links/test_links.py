"""LinkTracker, UTM tagging and the WSGI redirect app."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from socialcare import LinkError, ShortCodeTakenError
from socialcare.links import LinkTracker, Shortener, is_bot, redirect_app, tag_url
from socialcare.storage import MemoryStore, SQLiteStore


def _get(
    app: Any, path: str, *, agent: str = "Mozilla/5.0", method: str = "GET"
) -> tuple[str, dict[str, str]]:
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"] = status
        seen["headers"] = dict(headers)

    b"".join(
        app({"REQUEST_METHOD": method, "PATH_INFO": path, "HTTP_USER_AGENT": agent}, start_response)
    )
    return seen["status"], seen["headers"]


def test_utm_tagging_keeps_other_parameters() -> None:
    url = tag_url("https://acme.com/h?utm_source=old&x=1#top", source="x", campaign="care")
    assert url == "https://acme.com/h?x=1&utm_source=x&utm_campaign=care#top"
    with pytest.raises(LinkError):
        tag_url("javascript:alert(1)")


def test_custom_and_random_codes_with_attribution() -> None:
    tracker = LinkTracker(MemoryStore(), "https://acme.co", utm={"source": "x", "medium": "social"})
    assert isinstance(tracker, Shortener)
    short = tracker.shorten(
        "https://acme.com/reset", code="reset", conversation_id="c1", campaign="spring"
    )
    assert short == "https://acme.co/reset"
    link = tracker.link("reset")
    assert link is not None
    assert link.url == "https://acme.com/reset?utm_source=x&utm_medium=social&utm_campaign=spring"
    assert (
        tracker.shorten(
            "https://acme.com/reset", code="reset", conversation_id="c1", campaign="spring"
        )
        == short
    )
    with pytest.raises(ShortCodeTakenError):
        tracker.shorten("https://acme.com/other", code="reset")
    with pytest.raises(LinkError, match="short code"):
        tracker.shorten("https://acme.com/x", code="../etc")
    rnd = tracker.create("https://acme.com/faq", conversation_id="c1")
    assert len(rnd.code) == 7
    app = redirect_app(tracker.store)
    assert _get(app, "/reset")[0] == "302 Found"
    assert _get(app, f"/{rnd.code}", agent="Twitterbot/1.0")[0] == "302 Found"
    stats = tracker.for_conversation("c1")
    assert (len(stats.links), stats.clicks, stats.bot_clicks) == (2, 1, 1)
    assert tracker.for_campaign("spring").clicks == 1


def test_redirect_app_rules() -> None:
    store = MemoryStore()
    tracker = LinkTracker(store, "https://acme.co")
    tracker.create("https://acme.com/a", code="abc")
    app = redirect_app(store)
    status, headers = _get(app, "/abc")
    assert (status, headers["Location"]) == ("302 Found", "https://acme.com/a")
    assert _get(app, "/nope")[0] == "404 Not Found"
    assert _get(app, "/https://evil.com")[0] == "404 Not Found"  # no open redirect
    assert _get(app, "/a\x00b")[0] == "404 Not Found"
    assert _get(app, "/abc", method="POST")[0] == "405 Method Not Allowed"
    assert _get(app, "/abc", method="HEAD")[0] == "302 Found"  # not counted
    assert _get(app, "/abc", agent="facebookexternalhit/1.1")[0] == "302 Found"
    link = store.get_short_link("abc")
    assert link is not None
    assert (link.clicks, link.bot_clicks) == (1, 1)
    assert is_bot("Twitterbot/1.0")
    assert is_bot(None)
    assert not is_bot("Mozilla/5.0 (iPhone)")


def test_concurrent_random_codes_and_clicks_on_sqlite(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "links.db", create_schema=True) as store:
        tracker = LinkTracker(store, "https://acme.co", code_length=4)
        codes: list[str] = []
        lock = threading.Lock()

        def make(n: int) -> None:
            for i in range(20):
                link = tracker.create(f"https://acme.com/{n}/{i}")
                with lock:
                    codes.append(link.code)

        threads = [threading.Thread(target=make, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(set(codes)) == 80
        app = redirect_app(store)

        def click() -> None:
            for _ in range(25):
                _get(app, f"/{codes[0]}")

        threads = [threading.Thread(target=click) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        link = store.get_short_link(codes[0])
        assert link is not None
        assert link.clicks == 100


def test_redirect_app_counts_nothing_for_bad_paths_and_head() -> None:
    store = MemoryStore()
    LinkTracker(store, "https://acme.co").create("https://acme.com/a", code="abc")
    app = redirect_app(store)
    for path in ("/", "", "/abc/", "/" + "a" * 65, "/ab c", "/abc?x=1", "//abc//"):
        expected = "302 Found" if path.strip("/") == "abc" else "404 Not Found"
        assert _get(app, path)[0] == expected, path
    seen: list[str] = []
    body = app(
        {"REQUEST_METHOD": "GET", "PATH_INFO": b"/abc"},
        lambda status, headers: seen.append(status),
    )
    assert (seen, list(body)) == (["404 Not Found"], [b"not found\n"])  # PATH_INFO must be str
    assert _get(app, "/nope", method="HEAD")[0] == "404 Not Found"
    status, headers = _get(app, "/abc", agent="")
    assert (status, headers["Location"], headers["Cache-Control"]) == (
        "302 Found",
        "https://acme.com/a",
        "private, no-store",
    )
    link = store.get_short_link("abc")
    assert link is not None
    assert (link.clicks, link.bot_clicks) == (2, 1)  # "/abc/" and "//abc//"; the empty agent
