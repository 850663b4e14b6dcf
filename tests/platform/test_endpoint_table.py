"""The endpoint table is the one source of routes, fields, limits and prices."""

from __future__ import annotations

import ast
import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest

import socialcare
from socialcare.platforms.x import (
    DM_CONVERSATION_EVENTS,
    DM_EVENTS,
    ENDPOINTS,
    MENTIONS,
    PRICES,
    SEARCH_ALL,
    SEARCH_RECENT,
    SEND_DM,
    Endpoint,
    Price,
)
from socialcare.sandbox import LIMITS
from socialcare.sandbox import PRICES as SANDBOX_PRICES
from socialcare.sandbox._app import _HANDLERS, _ROUTES, KNOWN_FIELDS

SRC = Path(socialcare.__file__).parent
NAME = re.compile(r"(GET|POST|PUT|DELETE) /2/\S+")


def test_names_are_method_and_path() -> None:
    assert MENTIONS.name == str(MENTIONS) == "GET /2/users/:id/mentions"
    assert set(ENDPOINTS) == {e.name for e in ENDPOINTS.values()}
    # 23, PUT /2/tweets/:tweet_id/hidden (hide_reply), the filtered stream, its rules
    # (GET, POST) and the activity stream
    assert len(ENDPOINTS) == 28


def test_budget_numbers_the_monitor_reads() -> None:
    assert (SEARCH_RECENT.app_limit, SEARCH_RECENT.user_limit) == (450, 300)
    assert SEARCH_RECENT.lowest_limit == 300
    assert MENTIONS.lowest_limit == 300
    assert DM_EVENTS.lowest_limit == 15
    assert DM_EVENTS.user_only
    assert not SEARCH_ALL.user_only
    assert SEARCH_RECENT.window == dt.timedelta(minutes=15)


def test_sandbox_limits_are_the_table() -> None:
    assert set(LIMITS) == set(ENDPOINTS)
    for name, endpoint in ENDPOINTS.items():
        limit = LIMITS[name]
        assert (limit.app, limit.user, limit.window, limit.daily_user) == (
            endpoint.app_limit,
            endpoint.user_limit,
            endpoint.window,
            endpoint.daily_user_limit,
        )
    assert LIMITS[SEND_DM.name].daily_user == 1440


def test_sandbox_prices_are_the_table() -> None:
    assert {kind: price.usd for kind, price in PRICES.items()} == dict(SANDBOX_PRICES)
    assert PRICES["owned_read"] == Price("owned_read", Decimal("0.001"))
    assert MENTIONS.owned_reads == PRICES["owned_read"]
    assert SEARCH_RECENT.owned_reads is None
    assert SEND_DM.writes == (PRICES["dm_create"],)


def test_every_endpoint_has_exactly_one_sandbox_route() -> None:
    assert set(_HANDLERS) == set(ENDPOINTS.values())
    assert [route.endpoint for route in _ROUTES] == list(ENDPOINTS.values())
    route = next(r for r in _ROUTES if r.endpoint is DM_CONVERSATION_EVENTS)
    match = route.pattern.fullmatch("/2/dm_conversations/with/123/dm_events")
    assert match is not None
    assert match.groupdict() == {"participant_id": "123"}


@pytest.mark.parametrize("endpoint", list(ENDPOINTS.values()), ids=str)
def test_what_xplatform_asks_for_is_what_x_accepts(endpoint: Endpoint) -> None:
    params = endpoint.field_params()
    assert set(params) <= endpoint.accepted_params
    for key, value in params.items():
        known = endpoint.known_expansions if key == "expansions" else KNOWN_FIELDS[key]
        assert set(value.split(",")) <= known, key
    assert set(endpoint.pagination) <= endpoint.accepted_params


def _string_constants(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def test_no_endpoint_name_is_written_outside_the_table() -> None:
    owned = [*(SRC / "platforms").rglob("*.py"), *(SRC / "sandbox").rglob("*.py")]
    offenders = [
        f"{path.relative_to(SRC)}: {value}"
        for path in owned
        if path.name != "_endpoints.py"
        for value in _string_constants(path)
        if NAME.fullmatch(value)
    ]
    assert offenders == []
