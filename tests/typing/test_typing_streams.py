"""Static typing of the streams (checked by mypy --strict in nox -s typecheck)."""

from __future__ import annotations

import sys
from collections.abc import Mapping

from socialcare.platforms.x import StreamConnection, StreamedPost, StreamStats
from socialcare.sandbox import Sandbox
from socialcare.webhooks import WebhookEvent, activity_stream, parse_event

if sys.version_info >= (3, 11):
    from typing import assert_type
else:  # pragma: no cover - Python 3.10
    from typing_extensions import assert_type


def test_streams_yield_their_item_types() -> None:
    sandbox = Sandbox()
    x = sandbox.platform()
    posts = x.filtered_stream()
    assert_type(posts, StreamConnection[StreamedPost])
    assert_type(x.activity_stream(), StreamConnection[Mapping[str, object]])
    assert_type(x.activity_stream(parse=parse_event), StreamConnection[WebhookEvent])
    assert_type(activity_stream(x), StreamConnection[WebhookEvent])
    assert_type(posts.stats, StreamStats)

    def handle(item: StreamedPost) -> None:
        del item

    posts.stop()  # never iterated: nothing was sent
    posts.run(handle)  # returns at once: the stream is stopped
    assert posts.stats.connects == 0
    assert sandbox.calls == []
