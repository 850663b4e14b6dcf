"""Webhook configs, subscriptions, filters and replay jobs as values."""

from __future__ import annotations

import datetime as dt

import pytest

from socialcare.errors import PayloadError
from socialcare.models import ActivityFilter, ActivitySubscription, ReplayJob, WebhookConfig

UTC = dt.timezone.utc


def test_webhook_config_round_trips() -> None:
    raw = {
        "id": "1146654567674912769",
        "url": "https://acme.example/x",
        "valid": True,
        "created_at": "2026-01-15T12:00:00.000Z",
    }
    config = WebhookConfig.from_x(raw)
    assert config == WebhookConfig(
        "1146654567674912769",
        "https://acme.example/x",
        True,
        dt.datetime(2026, 1, 15, 12, tzinfo=UTC),
    )
    assert config.to_x() == raw


def test_subscription_round_trips_and_names_bad_fields() -> None:
    raw = {
        "subscription_id": "7",
        "event_type": "dm.received",
        "filter": {"user_id": "42"},
        "tag": "care",
        "webhook_id": "9",
        "created_at": "2026-01-15T12:00:00.000Z",
        "updated_at": "2026-01-15T12:05:00.000Z",
    }
    sub = ActivitySubscription.from_x(raw)
    assert sub.filter == ActivityFilter(user_id="42")
    assert sub.to_x() == raw
    with pytest.raises(PayloadError, match=r"data\.filter\.user_id"):
        ActivitySubscription.from_x({**raw, "filter": {"user_id": "x"}})
    with pytest.raises(PayloadError, match="subscription_id"):
        ActivitySubscription.from_x({"event_type": "dm.received"})


def test_filter_and_replay_job() -> None:
    assert ActivityFilter.from_x(None) == ActivityFilter()
    assert ActivityFilter(keyword="outage", direction="inbound").to_x() == {
        "keyword": "outage",
        "direction": "inbound",
    }
    job = ReplayJob.from_x(
        {"job_id": "1915510368169844736", "created_at": "2025-04-24T20:57:15.242Z"}
    )
    assert job.id == "1915510368169844736"
    assert job.created_at == dt.datetime(2025, 4, 24, 20, 57, 15, 242000, tzinfo=UTC)
    with pytest.raises(PayloadError, match="valid"):
        WebhookConfig.from_x({"id": "1", "url": "u"})
