"""Real-time delivery on X: webhooks (``/2/webhooks``) and X Activity API subscriptions.

tweepy has no methods for these routes, so they go through tweepy's own request
path (``Client.request``: same session, authentication, host swap, error mapping and
retries as every other call). Webhook management needs the app's bearer token
(X: "OAuth2 App Only"); creating a webhook or a subscription also works in user
context, which X requires for private events (mentions, DMs) of that user.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

from socialcare.errors import ConfigurationError, PayloadError
from socialcare.models import ActivityFilter, ActivitySubscription, ReplayJob, WebhookConfig
from socialcare.platforms.x._endpoints import (
    CREATE_SUBSCRIPTION,
    CREATE_WEBHOOK,
    DELETE_SUBSCRIPTION,
    DELETE_WEBHOOK,
    LIST_SUBSCRIPTIONS,
    LIST_WEBHOOKS,
    REPLAY_WEBHOOK,
    UPDATE_SUBSCRIPTION,
    VALIDATE_WEBHOOK,
    Endpoint,
)
from socialcare.platforms.x._errors import Context, checked_response
from socialcare.platforms.x._host import PlatformHost

if TYPE_CHECKING:
    import requests

__all__ = ["ActivityAPI"]

_ID = re.compile(r"[0-9]{1,19}")
_MAX_TAG = 200
_MAX_KEYWORD = 150
_MAX_URL = 200


def _check(value: str, name: str) -> str:
    if not _ID.fullmatch(str(value)):
        msg = f"{name} must be a string of 1 to 19 digits, got {value!r}"
        raise ValueError(msg)
    return value


def _path(endpoint: Endpoint, **values: str) -> str:
    path = endpoint.path
    for name, value in values.items():
        path = path.replace(f":{name}", value)
    return path


def _minute(value: dt.datetime, name: str) -> str:
    if value.utcoffset() is None:
        msg = f"{name} must be timezone-aware"
        raise ValueError(msg)
    return value.astimezone(dt.timezone.utc).strftime("%Y%m%d%H%M")


def _tag(tag: str | None) -> str | None:
    if tag is not None and not 1 <= len(tag) <= _MAX_TAG:
        msg = f"tag must be 1 to {_MAX_TAG} characters, got {len(tag)}"
        raise ValueError(msg)
    return tag


def _data(body: dict[str, Any], endpoint: Endpoint) -> dict[str, Any]:
    data = body.get("data")
    if not isinstance(data, dict):
        raise PayloadError(f"{endpoint.name}: expected an object", field="data")
    return data


class ActivityAPI(PlatformHost):
    """The webhook and subscription methods of ``XPlatform`` (mixed into it)."""

    _user: Any
    _user_auth_flag: bool

    def _app_client(self, what: str) -> Any:
        if self._app is None:
            msg = f"{what} needs the app's bearer token (X: OAuth 2.0 App Only)"
            raise ConfigurationError(msg)
        return self._app

    def _send(
        self,
        endpoint: Endpoint,
        path: str,
        *,
        client: Any = None,
        user_auth: bool = False,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        chosen = client if client is not None else self._app_client(endpoint.name)

        def send() -> requests.Response:
            return checked_response(
                chosen.request(endpoint.method, path, params=params, json=json, user_auth=user_auth)
            )

        context: Context = "delete" if endpoint.method == "DELETE" else "read"
        return self._call(endpoint, send, context=context, idempotent=endpoint.method != "POST")

    # --------------------------------------------------------------- webhooks

    def create_webhook(self, url: str) -> WebhookConfig:
        """Register ``url`` as the app's webhook (``POST /2/webhooks``).

        X runs a CRC against the URL at once (answer it, for example with a
        :class:`~socialcare.webhooks.WebhookReceiver`); a failed CRC, a duplicate URL
        or the webhook limit is refused with ``InvalidRequestError`` (or another
        ``PlatformError``) naming X's reason.
        """
        if not 1 <= len(url) <= _MAX_URL:
            msg = f"url must be 1 to {_MAX_URL} characters"
            raise ValueError(msg)
        client, user_auth = (self._app, False)
        if client is None and self._user is not None and self._user_auth_flag:
            client, user_auth = self._user, True  # X accepts OAuth 1.0a user context too
        body = self._send(
            CREATE_WEBHOOK,
            CREATE_WEBHOOK.path,
            client=client,
            user_auth=user_auth,
            json={"url": url},
        )
        # X's OpenAPI document puts the config at the top level; its guides wrap it in data.
        wrapped = body.get("data")
        if isinstance(wrapped, dict):
            return WebhookConfig.from_x(wrapped, path="data")
        return WebhookConfig.from_x(body, path="body")

    def webhooks(self) -> list[WebhookConfig]:
        """The app's webhooks (``GET /2/webhooks``), valid or not."""
        params = {"webhook_config.fields": "created_at,id,url,valid"}
        body = self._send(LIST_WEBHOOKS, LIST_WEBHOOKS.path, params=params)
        data = body.get("data") or []
        if not isinstance(data, list):
            raise PayloadError("expected a list", field="data")
        return [WebhookConfig.from_x(item, path=f"data[{i}]") for i, item in enumerate(data)]

    def validate_webhook(self, webhook_id: str) -> bool:
        """Re-run X's CRC against the webhook (``PUT /2/webhooks/:webhook_id``).

        Returns whether X attempted the check and the webhook is valid; a failed CRC
        is refused by X (``InvalidRequestError``).
        """
        path = _path(VALIDATE_WEBHOOK, webhook_id=_check(webhook_id, "webhook_id"))
        data = _data(self._send(VALIDATE_WEBHOOK, path), VALIDATE_WEBHOOK)
        valid = data.get("valid", data.get("attempted"))
        return valid is True

    def delete_webhook(self, webhook_id: str) -> None:
        """Delete the webhook (``DELETE /2/webhooks/:webhook_id``)."""
        path = _path(DELETE_WEBHOOK, webhook_id=_check(webhook_id, "webhook_id"))
        data = _data(self._send(DELETE_WEBHOOK, path), DELETE_WEBHOOK)
        if data.get("deleted") is not True:
            raise PayloadError("X did not confirm the deletion", field="data.deleted")

    def replay_webhook(
        self, webhook_id: str, *, since: dt.datetime, until: dt.datetime
    ) -> ReplayJob:
        """Ask X to deliver again the events of a time range (``POST /2/webhooks/replay``).

        X replays events delivered or attempted to the webhook in the last 24 hours,
        minute by minute (``since`` and ``until`` are truncated to the minute, UTC).
        """
        start, end = _minute(since, "since"), _minute(until, "until")
        if start >= end:
            msg = "since must be at least a minute before until"
            raise ValueError(msg)
        json = {"webhook_id": _check(webhook_id, "webhook_id"), "from_date": start, "to_date": end}
        body = self._send(REPLAY_WEBHOOK, REPLAY_WEBHOOK.path, json=json)
        wrapped = body.get("data")
        return ReplayJob.from_x(wrapped if isinstance(wrapped, dict) else body, path="body")

    # ----------------------------------------------------------- subscriptions

    def create_subscription(
        self,
        event_type: str,
        *,
        user_id: str | None = None,
        keyword: str | None = None,
        webhook_id: str | None = None,
        tag: str | None = None,
    ) -> ActivitySubscription:
        """Subscribe to one event type (``POST /2/activity/subscriptions``).

        Sent in user context when the platform has one (X requires it for private
        events such as ``post.mention.create`` and ``dm.received`` of that user),
        else with the app's bearer token. Events go to ``webhook_id`` (and to the
        activity stream).
        """
        if user_id is None and keyword is None:
            msg = "a subscription needs a filter: user_id or keyword"
            raise ValueError(msg)
        if keyword is not None and not 1 <= len(keyword) <= _MAX_KEYWORD:
            msg = f"keyword must be 1 to {_MAX_KEYWORD} characters"
            raise ValueError(msg)
        flt = ActivityFilter(
            user_id=None if user_id is None else _check(user_id, "user_id"), keyword=keyword
        )
        json: dict[str, Any] = {"event_type": event_type, "filter": flt.to_x()}
        if webhook_id is not None:
            json["webhook_id"] = _check(webhook_id, "webhook_id")
        if _tag(tag) is not None:
            json["tag"] = tag
        client, user_auth = (self._user, self._user_auth_flag)
        if client is None:
            client, user_auth = self._app_client(CREATE_SUBSCRIPTION.name), False
        body = self._send(
            CREATE_SUBSCRIPTION,
            CREATE_SUBSCRIPTION.path,
            client=client,
            user_auth=user_auth,
            json=json,
        )
        data = _data(body, CREATE_SUBSCRIPTION)
        created = data.get("subscription")
        if not isinstance(created, dict):
            raise PayloadError("expected the subscription", field="data.subscription")
        return ActivitySubscription.from_x(created, path="data.subscription")

    def subscriptions(self) -> list[ActivitySubscription]:
        """Every active subscription of the app (``GET /2/activity/subscriptions``, all pages)."""
        found: list[ActivitySubscription] = []
        token: str | None = None
        while True:
            params: dict[str, Any] = {"max_results": 100}
            if token is not None:
                params["pagination_token"] = token
            body = self._send(LIST_SUBSCRIPTIONS, LIST_SUBSCRIPTIONS.path, params=params)
            data = body.get("data") or []
            if not isinstance(data, list):
                raise PayloadError("expected a list", field="data")
            found.extend(
                ActivitySubscription.from_x(item, path=f"data[{i}]") for i, item in enumerate(data)
            )
            meta = body.get("meta")
            token = meta.get("next_token") if isinstance(meta, dict) else None
            if not isinstance(token, str) or not data:
                return found

    def update_subscription(
        self, subscription_id: str, *, tag: str | None = None, webhook_id: str | None = None
    ) -> ActivitySubscription:
        """Change a subscription's tag or webhook (``PUT /2/activity/subscriptions/:id``)."""
        json: dict[str, Any] = {}
        if _tag(tag) is not None:
            json["tag"] = tag
        if webhook_id is not None:
            json["webhook_id"] = _check(webhook_id, "webhook_id")
        if not json:
            msg = "nothing to update: give tag or webhook_id"
            raise ValueError(msg)
        sid = _check(subscription_id, "subscription_id")
        path = _path(UPDATE_SUBSCRIPTION, subscription_id=sid)
        data = _data(self._send(UPDATE_SUBSCRIPTION, path, json=json), UPDATE_SUBSCRIPTION)
        updated = data.get("subscription")
        if not isinstance(updated, dict):
            raise PayloadError("expected the subscription", field="data.subscription")
        return ActivitySubscription.from_x(updated, path="data.subscription")

    def delete_subscription(self, subscription_id: str) -> None:
        """Delete a subscription (``DELETE /2/activity/subscriptions/:id``)."""
        sid = _check(subscription_id, "subscription_id")
        path = _path(DELETE_SUBSCRIPTION, subscription_id=sid)
        data = _data(self._send(DELETE_SUBSCRIPTION, path), DELETE_SUBSCRIPTION)
        if data.get("deleted") is not True:
            raise PayloadError("X did not confirm the deletion", field="data.deleted")
