"""XPlatform's webhook calls read both shapes X documents, and send what X expects."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import pytest
import requests
import requests.adapters

from socialcare.errors import ConfigurationError, PayloadError
from socialcare.platforms.x import XPlatform


class Canned(requests.adapters.BaseAdapter):
    """Answers every request with the next canned JSON body; remembers the requests."""

    def __init__(self, *bodies: Mapping[str, Any]) -> None:
        super().__init__()
        self.bodies = list(bodies)
        self.sent: list[requests.PreparedRequest] = []

    def send(self, request: requests.PreparedRequest, **_kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.sent.append(request)
        response = requests.Response()
        response.status_code = 200
        response._content = json.dumps(self.bodies.pop(0)).encode()
        response.headers["content-type"] = "application/json"
        response.request = request
        response.url = request.url or ""
        return response

    def close(self) -> None:
        """Nothing to close."""


def _x(adapter: Canned, **credentials: str) -> XPlatform:
    return XPlatform(**(credentials or {"bearer_token": "app"}), transport=adapter, max_attempts=1)


def test_a_webhook_config_wrapped_in_data_is_read_too() -> None:
    config = {
        "id": "12",
        "url": "https://acme.example/x",
        "valid": True,
        "created_at": "2026-01-15T12:00:00.000Z",
    }
    adapter = Canned({"data": config}, {"data": {"valid": True}}, {"data": {"attempted": False}})
    x = _x(adapter)
    assert x.create_webhook("https://acme.example/x").id == "12"
    assert x.validate_webhook("12") is True
    assert x.validate_webhook("12") is False
    first = adapter.sent[0]
    assert (first.method, first.url) == ("POST", "https://api.x.com/2/webhooks")
    assert json.loads(first.body or b"") == {"url": "https://acme.example/x"}
    assert first.headers["Authorization"] == "Bearer app"
    assert adapter.sent[1].method == "PUT"


def test_replay_sends_minutes_in_utc() -> None:
    adapter = Canned({"job_id": "5", "created_at": "2026-01-15T12:00:00.000Z"})
    since = dt.datetime(2026, 1, 15, 13, 30, 59, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    until = dt.datetime(2026, 1, 15, 12, 45, tzinfo=dt.timezone.utc)
    assert _x(adapter).replay_webhook("9", since=since, until=until).id == "5"
    assert json.loads(adapter.sent[0].body or b"") == {
        "webhook_id": "9",
        "from_date": "202601151230",
        "to_date": "202601151245",
    }
    with pytest.raises(ValueError, match="aware"):
        _x(Canned()).replay_webhook("9", since=since.replace(tzinfo=None), until=until)


def test_webhook_management_needs_a_bearer_token() -> None:
    x = _x(Canned(), user_token="user")
    with pytest.raises(ConfigurationError, match="bearer token"):
        x.webhooks()
    with pytest.raises(ConfigurationError, match="bearer token"):
        x.create_webhook("https://acme.example/x")


def test_a_subscription_answer_without_the_subscription_is_a_payload_error() -> None:
    x = _x(Canned({"data": {"total_subscriptions_for_instance_id": 1}}))
    with pytest.raises(PayloadError, match="subscription"):
        x.create_subscription("follow.follow", user_id="1")
