"""X Activity API and webhook objects: webhook configs, subscriptions, filters, replay jobs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import attrs

from socialcare._json import Fields, format_time

__all__ = ["ActivityFilter", "ActivitySubscription", "ReplayJob", "WebhookConfig"]


def _time(value: dt.datetime | None) -> str | None:
    return None if value is None else format_time(value)


@attrs.frozen
class ActivityFilter:
    """What an X Activity API subscription (and each event it delivers) is filtered on.

    Attributes:
        user_id: the user whose activity is subscribed to (most event types).
        keyword: a keyword, for keyword events (``news.new``); 1 to 150 characters.
        direction: ``inbound`` or ``outbound``, where X supports it (likes).
    """

    user_id: str | None = None
    keyword: str | None = None
    direction: str | None = None

    @classmethod
    def from_x(cls, data: Mapping[str, object] | None, *, path: str = "filter") -> ActivityFilter:
        """Build from X's ``filter`` object (``None``: no filter)."""
        if data is None:
            return cls()
        f = data if isinstance(data, Fields) else Fields(data, path)
        return cls(
            user_id=f.id("user_id", required=False),
            keyword=f.string("keyword", required=False),
            direction=f.string("direction", required=False),
        )

    def to_x(self) -> dict[str, object]:
        """X's ``filter`` object (fields not set are left out)."""
        pairs = (
            ("user_id", self.user_id),
            ("keyword", self.keyword),
            ("direction", self.direction),
        )
        return {key: value for key, value in pairs if value is not None}


@attrs.frozen
class WebhookConfig:
    """A webhook registered with X (``/2/webhooks``).

    Attributes:
        id: the webhook id.
        url: the callback URL X calls.
        valid: whether the URL passed its last CRC check (X delivers only to valid ones).
        created_at: when it was registered.
    """

    id: str
    url: str
    valid: bool
    created_at: dt.datetime | None = None

    @classmethod
    def from_x(cls, data: Mapping[str, object], *, path: str = "data") -> WebhookConfig:
        """Build from X's webhook config object.

        Raises:
            PayloadError: a field is missing or of the wrong type.
        """
        f = Fields(data, path)
        valid = f.boolean("valid", required=True)
        return cls(
            id=f.id("id"), url=f.string("url"), valid=bool(valid), created_at=f.time("created_at")
        )

    def to_x(self) -> dict[str, object]:
        """X's webhook config object."""
        out: dict[str, object] = {"id": self.id, "url": self.url, "valid": self.valid}
        if self.created_at is not None:
            out["created_at"] = format_time(self.created_at)
        return out


@attrs.frozen
class ActivitySubscription:
    """An X Activity API subscription: one event type, one filter, delivered to a webhook.

    Attributes:
        id: the subscription id (X's ``subscription_id``).
        event_type: the subscribed event type (``post.mention.create``...).
        filter: what the subscription is filtered on.
        tag: your label for it (1-200 characters), echoed in every event.
        webhook_id: the webhook events are delivered to (``None``: stream only).
        created_at: when it was created.
        updated_at: when it last changed.
    """

    id: str
    event_type: str
    filter: ActivityFilter = attrs.field(factory=ActivityFilter)
    tag: str | None = None
    webhook_id: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    @classmethod
    def from_x(cls, data: Mapping[str, object], *, path: str = "data") -> ActivitySubscription:
        """Build from X's subscription object.

        Raises:
            PayloadError: a field is missing or of the wrong type.
        """
        f = Fields(data, path)
        return cls(
            id=f.id("subscription_id"),
            event_type=f.string("event_type"),
            filter=ActivityFilter.from_x(f.obj("filter"), path=f"{path}.filter"),
            tag=f.string("tag", required=False),
            webhook_id=f.id("webhook_id", required=False),
            created_at=f.time("created_at"),
            updated_at=f.time("updated_at"),
        )

    def to_x(self) -> dict[str, object]:
        """X's subscription object."""
        pairs: tuple[tuple[str, object], ...] = (
            ("subscription_id", self.id),
            ("event_type", self.event_type),
            ("filter", self.filter.to_x()),
            ("tag", self.tag),
            ("webhook_id", self.webhook_id),
            ("created_at", _time(self.created_at)),
            ("updated_at", _time(self.updated_at)),
        )
        return {key: value for key, value in pairs if value is not None}


@attrs.frozen
class ReplayJob:
    """A webhook replay job X accepted (``POST /2/webhooks/replay``).

    Attributes:
        id: the job id.
        created_at: when X created it.
    """

    id: str
    created_at: dt.datetime | None = None

    @classmethod
    def from_x(cls, data: Mapping[str, object], *, path: str = "data") -> ReplayJob:
        """Build from X's replay job object (``job_id``, ``created_at``)."""
        f = Fields(data, path)
        return cls(id=f.id("job_id"), created_at=f.time("created_at"))
