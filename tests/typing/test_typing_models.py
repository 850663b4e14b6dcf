"""Static typing checks: ``mypy --strict`` verifies these ``assert_type`` calls (nox -s typecheck).

They also run under pytest, where ``assert_type`` is a no-op at runtime.
"""

from __future__ import annotations

import datetime as dt
import sys

import socialcare

if sys.version_info >= (3, 11):
    from typing import assert_type
else:  # pragma: no cover - Python 3.10
    from typing_extensions import assert_type


def test_model_types() -> None:
    page = socialcare.Page.posts_from_x({"data": [{"id": "1", "text": "hi"}]})
    assert_type(page, socialcare.Page[socialcare.Post])
    post = page.items[0]
    assert_type(post, socialcare.Post)
    assert_type(post.created_at, dt.datetime | None)
    assert_type(post.referenced, tuple[socialcare.ReferencedPost, ...])
    users = socialcare.Page.users_from_x({"data": [{"id": "1", "username": "u", "name": "U"}]})
    assert_type(users.items, tuple[socialcare.User, ...])
    dms = socialcare.Page.dms_from_x({"data": [{"id": "1", "text": "t"}]})
    assert_type(list(dms), list[socialcare.DirectMessage])


def test_error_attribute_types() -> None:
    err = socialcare.RateLimitError("slow down", limit=450, remaining=0)
    assert_type(err.reset_at, dt.datetime | None)
    assert_type(err.limit, int | None)


def test_clock_types() -> None:
    clock = socialcare.ManualClock()
    assert_type(clock.now(), dt.datetime)
    assert isinstance(clock, socialcare.Clock)
    assert isinstance(socialcare.SystemClock(), socialcare.Clock)
