r"""The sandbox's streams: the filtered stream with its rules, and the activity stream.

What X does, imitated (``x-api/constraints.md``; X's filtered stream and Activity API
pages):

* ``GET/POST /2/tweets/search/stream/rules``: up to 1,000 rules per app, 1,024
  characters each (self-serve); ``add`` or ``delete`` (by ids or values) per request,
  ``dry_run`` validates without changing anything, ``delete_all`` empties the set. A
  rule whose value the app already holds is refused (``DuplicateRule``), an invalid
  one too (``UnprocessableEntity``); when any is refused none is created. App-only bearer
  token.
* ``GET /2/tweets/search/stream``: one long-lived response, one JSON object per line
  (``\\r\\n``), a bare ``\\r\\n`` keep-alive every :attr:`StreamHub.keepalive` seconds
  of wall time (X: about 20 s). Each post created in the sandbox that matches a rule
  is pushed at once with the connection's fields and expansions and the
  ``matching_rules``; it is billed as a post read (expansions too, each resource once
  per app and UTC day). One connection per app: a second is refused with 429
  ``TooManyConnections``. ``backfill_minutes`` resends the matching posts of that many
  minutes (sandbox time) when the connection opens.
* ``GET /2/activity/stream``: every X Activity API event of the app's subscriptions
  (with or without a webhook), one envelope per line, billed once per event
  (post events $0.005, DM events $0.010, whichever way it was delivered first);
  ``backfill_minutes`` resends the events of that many minutes when the connection opens.
* Faults: :meth:`StreamHub.drop` ends live connections (optionally after X's
  ``operational-disconnect`` message), :meth:`StreamHub.stall` makes them go silent
  (no data, no keep-alive), and the usual ``fail_next`` faults strike the connect.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Literal

from socialcare._json import format_time
from socialcare.errors import QueryError
from socialcare.models import Post
from socialcare.platforms.x import (
    ACTIVITY_STREAM,
    FILTERED_STREAM,
    MAX_RULE_LENGTH,
    MAX_RULES,
    STREAM_RULES,
    UPDATE_STREAM_RULES,
    Endpoint,
)
from socialcare.query import Query
from socialcare.sandbox import _semantics
from socialcare.sandbox._problems import ApiError, invalid_request
from socialcare.sandbox._webhooks import _app_only, _CallLike

if TYPE_CHECKING:
    from socialcare.sandbox._billing import Ledger
    from socialcare.sandbox._webhooks import WebhookHub
    from socialcare.sandbox._world import JSONObject, World

__all__ = ["ROUTES", "StreamBody", "StreamHub", "StreamKind", "StreamOpened", "StreamRoutes"]

StreamKind = Literal["filtered", "activity"]
"""Which stream a connection reads."""

ENTERPRISE_RULE_LENGTH = 2048
"""The longest rule Enterprise access accepts (the sandbox's ``enterprise=True``)."""

MAX_CONNECTIONS = 1
"""Connections per app and stream on self-serve access."""

KEEP_ALIVE = b"\r\n"

_DISCONNECT = {
    "errors": [
        {
            "title": "operational-disconnect",
            "disconnect_type": "UpstreamOperationalDisconnect",
            "detail": "This stream has been disconnected upstream for operational reasons.",
            "type": "https://api.twitter.com/2/problems/operational-disconnect",
        }
    ]
}


def _line(payload: Mapping[str, object]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode() + b"\r\n"


class StreamBody:
    """One open streaming response: lines pushed by the sandbox, keep-alives in between.

    ``read(timeout)`` gives the next bytes, a keep-alive when ``keepalive`` seconds
    pass without data, ``b""`` once the connection ended, and raises
    ``TimeoutError`` when nothing at all (a stalled connection) arrives within
    ``timeout``. Iterating it (the WSGI server does) reads without a timeout.
    ``on_end`` is called once the connection ended, from either side.
    """

    def __init__(
        self, kind: StreamKind, keepalive: float, on_end: Callable[[StreamBody], object]
    ) -> None:
        self._on_end = on_end
        self.kind = kind
        self.keepalive = keepalive
        self._pending: collections.deque[bytes] = collections.deque()
        self._ready = threading.Condition()
        self.closed = False
        self.silent = False
        self.view: Callable[[Post, list[JSONObject]], JSONObject | None] | None = None

    def push(self, data: bytes) -> None:
        """Queue bytes for the client (ignored once closed or silent)."""
        with self._ready:
            if not self.closed and not self.silent:
                self._pending.append(data)
                self._ready.notify_all()

    def end(self, last: bytes = b"") -> None:
        """End the response from the server side (after ``last``)."""
        with self._ready:
            if last and not self.closed:
                self._pending.append(last)
            self.closed = True
            self._ready.notify_all()
        self._on_end(self)

    def close(self) -> None:
        """The client went away: drop what is queued and forget the connection."""
        with self._ready:
            self.closed = True
            self._pending.clear()
            self._ready.notify_all()
        self._on_end(self)

    def read(self, timeout: float | None = None) -> bytes:
        """The next bytes: data, a keep-alive, or ``b""`` at the end."""
        start = time.monotonic()
        beat = start + self.keepalive
        with self._ready:
            while True:
                if self._pending:
                    return b"".join(self._pending.popleft() for _ in range(len(self._pending)))
                if self.closed:
                    return b""
                now = time.monotonic()
                if not self.silent and now >= beat:
                    return KEEP_ALIVE
                waits = [beat - now] if not self.silent else []
                if timeout is not None:
                    if now - start >= timeout:
                        msg = "sandbox stream: read timed out (no data and no keep-alive)"
                        raise TimeoutError(msg)
                    waits.append(start + timeout - now)
                self._ready.wait(min(waits) if waits else None)

    def __iter__(self) -> Iterator[bytes]:
        while True:
            data = self.read()
            if not data:
                return
            yield data


class StreamOpened(Exception):  # noqa: N818 - a control-flow signal, like ApiError
    """Raised by a stream handler: answer 200 and stream ``body``."""

    def __init__(self, body: StreamBody) -> None:
        super().__init__("stream opened")
        self.body = body


class StreamHub:
    """The app's stream rules and open stream connections (thread-safe).

    Attributes:
        keepalive: seconds of wall time between keep-alives (X: about 20).
        rules: the filtered stream rules, by id, in creation order.
    """

    def __init__(self, world: World, ledger: Ledger, webhooks: WebhookHub) -> None:
        self.world = world
        self.ledger = ledger
        self.webhooks = webhooks
        self.keepalive = 20.0
        self.rules: dict[str, tuple[str, str | None, Query]] = {}
        self.connections: list[StreamBody] = []
        self._lock = threading.RLock()
        self._next_rule = 0
        # Recent X Activity API events (sandbox time, oldest first) for ``backfill_minutes``.
        self._recent_activity: collections.deque[tuple[dt.datetime, JSONObject]] = (
            collections.deque()
        )
        world.listeners.append(self._created)
        webhooks.stream_sinks.append(self._activity)

    # ------------------------------------------------------------ connections

    def open(self, kind: StreamKind) -> StreamBody:
        """A new connection, or 429 ``TooManyConnections`` when the app has its one."""
        with self._lock:
            live = [c for c in self.connections if c.kind == kind and not c.silent]
            if len(live) >= MAX_CONNECTIONS:
                raise ApiError(
                    429,
                    "ConnectionException",
                    "This stream is currently at the maximum allowed connection limit.",
                    type_="https://api.twitter.com/2/problems/streaming-connection",
                    extra={"connection_issue": "TooManyConnections"},
                    include_status=False,
                )
            body = StreamBody(kind, self.keepalive, self.forget)
            self.connections.append(body)
            return body

    def forget(self, body: StreamBody) -> None:
        """Stop counting a connection that ended."""
        with self._lock:
            if body in self.connections:
                self.connections.remove(body)

    def live(self, kind: StreamKind | None = None) -> int:
        """Open connections (of ``kind``) that deliver: stalled ones are not counted."""
        with self._lock:
            return sum(
                1 for c in self.connections if (kind is None or c.kind == kind) and not c.silent
            )

    def drop(self, kind: StreamKind | None = None, *, message: bool = False) -> int:
        """End every open connection (of ``kind``); returns how many."""
        with self._lock:
            chosen = [c for c in self.connections if kind is None or c.kind == kind]
        for body in chosen:
            body.end(_line(_DISCONNECT) if message else b"")
        return len(chosen)

    def stall(self, kind: StreamKind | None = None) -> int:
        """Make every open connection (of ``kind``) go silent; returns how many."""
        with self._lock:
            chosen = [c for c in self.connections if kind is None or c.kind == kind]
        for body in chosen:
            with body._ready:  # noqa: SLF001 - the hub owns its connections
                body.silent = True
                body._pending.clear()  # noqa: SLF001
        return len(chosen)

    # --------------------------------------------------------------- delivery

    def _created(self, kind: str, raw: JSONObject) -> None:
        """World listener: push a new post to the filtered stream connections it matches."""
        if kind != "post":
            return
        with self._lock:
            targets = [c for c in self.connections if c.kind == "filtered" and not c.silent]
        if targets:
            self._deliver(Post.from_x(raw, path="post"), targets)

    def _matched(self, post: Post) -> list[JSONObject]:
        with self._lock:
            rules = list(self.rules.items())
        view = _semantics.view_of(post, self.world.user_models)
        matched: list[JSONObject] = []
        for rule_id, (_, tag, query) in rules:
            try:
                hit = query.matches(view)
            except QueryError:
                hit = False
            if hit:
                matched.append({"id": rule_id, **({"tag": tag} if tag is not None else {})})
        return matched

    def backfill(self, body: StreamBody, minutes: int) -> int:
        """Push to a new connection the posts of the last ``minutes`` that match the rules.

        X resends what a client missed while disconnected; the sandbox resends every
        matching post created in that window (sandbox time), oldest first, so a client
        sees some twice, as X warns. Returns how many were pushed.
        """
        since = self.world.clock.now() - dt.timedelta(minutes=minutes)
        recent = [rec.model for rec in self.world.live_posts() if rec.created >= since]
        return sum(self._deliver(post, [body]) for post in reversed(recent))

    def _deliver(self, post: Post, targets: list[StreamBody]) -> int:
        matched = self._matched(post)
        if not matched:
            return 0
        now = self.world.clock.now()
        for body in targets:
            assert body.view is not None  # noqa: S101 - set when opened
            payload = body.view(post, matched)
            if payload is None:
                continue
            self.ledger.record_response(
                "app", endpoint=FILTERED_STREAM.name, own_timeline=False, payload=payload, now=now
            )
            body.push(_line(payload))
        return 1

    def _activity(self, envelope: JSONObject) -> None:
        """Webhook hub sink: push an X Activity API event to the activity stream."""
        now = self.world.clock.now()
        with self._lock:
            recent = self._recent_activity
            recent.append((now, envelope))
            while recent and recent[0][0] < now - _BACKFILL_REACH:
                recent.popleft()
            targets = [c for c in self.connections if c.kind == "activity" and not c.silent]
        if not targets:
            return
        line = _line({"data": envelope})
        self.webhooks.bill_event(str(envelope["event_uuid"]), str(envelope["event_type"]))
        for body in targets:
            body.push(line)

    def backfill_activity(self, body: StreamBody, minutes: int) -> int:
        """Push to a new activity connection the events of the last ``minutes``.

        As on the filtered stream, a client that reconnects with ``backfill_minutes`` gets
        again what it may have missed (and some it already had: de-duplicate by
        ``event_uuid``). Each event is still billed once. Returns how many were pushed.
        """
        since = self.world.clock.now() - dt.timedelta(minutes=minutes)
        with self._lock:
            events = [envelope for at, envelope in self._recent_activity if at >= since]
        for envelope in events:
            self.webhooks.bill_event(str(envelope["event_uuid"]), str(envelope["event_type"]))
            body.push(_line({"data": envelope}))
        return len(events)

    # ------------------------------------------------------------------- rules

    def rule_id(self) -> str:
        """A new rule id (a snowflake, like X's)."""
        return self.world.ids.mint(self.world.clock.now())


ROUTES: Mapping[Endpoint, str] = {
    FILTERED_STREAM: "_filtered_stream",
    STREAM_RULES: "_stream_rules",
    UPDATE_STREAM_RULES: "_update_stream_rules",
    ACTIVITY_STREAM: "_activity_stream",
}
"""Which ``SandboxApp`` method answers each stream route."""


def _flag(call: _CallLike, name: str) -> bool:
    raw = call.params.get(name)
    if raw is None:
        return False
    if raw not in {"true", "false"}:
        raise invalid_request(
            f"The `{name}` query parameter value [{raw}] is not one of [true,false]",
            **{name: raw},
        )
    return raw == "true"


_BACKFILL_REACH = dt.timedelta(minutes=5)  # X's largest backfill_minutes


def _backfill(call: _CallLike) -> int:
    raw = call.params.get("backfill_minutes")
    if raw is None:
        return 0
    if not (raw.isdigit() and 0 <= int(raw) <= 5):  # noqa: PLR2004
        raise invalid_request(
            f"The `backfill_minutes` query parameter value [{raw}] is not between 0 and 5",
            backfill_minutes=raw,
        )
    return int(raw)


class StreamRoutes:
    """The stream and stream-rule handlers of ``SandboxApp`` (mixed into it)."""

    world: World
    ledger: Ledger
    _stream_hub: StreamHub | None = None

    @property
    def webhooks(self) -> WebhookHub:  # pragma: no cover - WebhookRoutes' property runs
        raise NotImplementedError

    @property
    def streams(self) -> StreamHub:
        """The stream state, made on first use."""
        if self._stream_hub is None:
            self._stream_hub = StreamHub(self.world, self.ledger, self.webhooks)
        return self._stream_hub

    def _stream_view(self, call: _CallLike) -> Callable[[Post, list[JSONObject]], JSONObject]:
        """Renders a matched post with the connection's fields and expansions."""
        # The renderer of every other read (sandbox/_app.py), loaded late: _app imports this.
        from socialcare.sandbox._app import _View  # noqa: PLC0415

        def render(post: Post, matched: list[JSONObject]) -> JSONObject:
            rec = self.world.post(post.id)
            view = _View(self.world, call)  # type: ignore[arg-type]  # call is an _app._Call
            raws = [rec.raw] if rec is not None else [post.to_x()]
            payload = view.envelope(view.posts(raws)[0])
            payload["matching_rules"] = matched
            return payload

        return render

    def _filtered_stream(self, call: _CallLike) -> tuple[int, JSONObject]:
        _app_only(call)
        minutes = _backfill(call)
        body = self.streams.open("filtered")
        body.view = self._stream_view(call)
        if minutes:
            self.streams.backfill(body, minutes)
        raise StreamOpened(body)

    def _activity_stream(self, call: _CallLike) -> tuple[int, JSONObject]:
        _app_only(call)
        minutes = _backfill(call)
        body = self.streams.open("activity")
        if minutes:
            self.streams.backfill_activity(body, minutes)
        raise StreamOpened(body)

    def _stream_rules(self, call: _CallLike) -> tuple[int, JSONObject]:
        _app_only(call)
        wanted = set(call.list_param("ids"))
        hub = self.streams
        with hub._lock:  # noqa: SLF001 - the hub's own state
            rules = [
                _rule_json(rule_id, value, tag)
                for rule_id, (value, tag, _) in hub.rules.items()
                if not wanted or rule_id in wanted
            ]
        out: JSONObject = {"meta": {"sent": self._sent(), "result_count": len(rules)}}
        if rules:
            out["data"] = rules
        return 200, out

    def _sent(self) -> str:
        return format_time(self.world.clock.now())

    def _update_stream_rules(self, call: _CallLike) -> tuple[int, JSONObject]:
        _app_only(call)
        dry_run = _flag(call, "dry_run")
        body = call.json_body()
        if _flag(call, "delete_all"):
            if body:
                raise invalid_request("delete_all must be sent without a body", delete_all="true")
            return self._delete_rules(set(self.streams.rules), dry_run=dry_run)
        if set(body) not in ({"add"}, {"delete"}):
            raise invalid_request(
                "The request body must have exactly one of `add` or `delete`", body=""
            )
        if "add" in body:
            return self._add_rules(body["add"], dry_run=dry_run)
        delete = body["delete"]
        if not isinstance(delete, dict) or not set(delete) <= {"ids", "values"} or not delete:
            raise invalid_request("`delete` must hold `ids` or `values`", body="")
        ids = delete.get("ids") or []
        values = delete.get("values") or []
        if not isinstance(ids, list) or not isinstance(values, list):
            raise invalid_request("`delete.ids` and `delete.values` must be arrays", body="")
        with self.streams._lock:  # noqa: SLF001 - the hub's own state
            by_value = {value: rule_id for rule_id, (value, _, _) in self.streams.rules.items()}
        chosen = {str(i) for i in ids} | {by_value.get(str(v), f"value:{v}") for v in values}
        return self._delete_rules(chosen, dry_run=dry_run)

    def _delete_rules(self, chosen: set[str], *, dry_run: bool) -> tuple[int, JSONObject]:
        hub = self.streams
        errors: list[JSONObject] = []
        with hub._lock:  # noqa: SLF001 - the hub's own state
            found = [rule_id for rule_id in chosen if rule_id in hub.rules]
            errors.extend(
                {
                    "title": "Not Found",
                    "detail": f"No rule {missing.removeprefix('value:')} for this app",
                    "type": "https://api.twitter.com/2/problems/resource-not-found",
                }
                for missing in sorted(chosen - set(found))
            )
            if not dry_run:
                for rule_id in found:
                    del hub.rules[rule_id]
        meta: JSONObject = {
            "sent": self._sent(),
            "summary": {"deleted": len(found), "not_deleted": len(chosen) - len(found)},
        }
        out: JSONObject = {"meta": meta}
        if errors:
            out["errors"] = errors
        return 200, out

    def _add_rules(self, adding: object, *, dry_run: bool) -> tuple[int, JSONObject]:
        if not isinstance(adding, list) or not adding:
            raise invalid_request("`add` must be a non-empty array of rules", body="")
        limit = ENTERPRISE_RULE_LENGTH if self.world.enterprise else MAX_RULE_LENGTH
        hub = self.streams
        with hub._lock:  # noqa: SLF001 - the hub's own state
            held = {value: rule_id for rule_id, (value, _, _) in hub.rules.items()}
            accepted, errors = _checked_rules(adding, limit, held)
            if len(hub.rules) + len(accepted) > MAX_RULES:
                raise ApiError(
                    400,
                    "RuleCapExceeded",
                    f"Rule creation would exceed the rule cap of {MAX_RULES}",
                    type_="https://api.twitter.com/2/problems/rule-cap",
                )
            created: list[JSONObject] = []
            if not errors:
                for value, tag, query in accepted:
                    rule_id = hub.rule_id()
                    if not dry_run:
                        hub.rules[rule_id] = (value, tag, query)
                    created.append(_rule_json(rule_id, value, tag))
        summary = {
            "created": len(created),
            "not_created": len(adding) - len(created),
            "valid": len(accepted),
            "invalid": len(errors),
        }
        out: JSONObject = {"meta": {"sent": self._sent(), "summary": summary}}
        if created:
            out["data"] = created
        if errors:
            out["errors"] = errors
        return 200, out


def _checked_rules(
    adding: list[object], limit: int, held: Mapping[str, str]
) -> tuple[list[tuple[str, str | None, Query]], list[JSONObject]]:
    """The rules X would create, and a problem for each it would refuse."""
    errors: list[JSONObject] = []
    accepted: list[tuple[str, str | None, Query]] = []
    for item in adding:
        value = item.get("value") if isinstance(item, dict) else None
        tag = item.get("tag") if isinstance(item, dict) else None
        if not isinstance(value, str) or (tag is not None and not isinstance(tag, str)):
            raise invalid_request("Each rule needs a string `value` (and `tag`)", body="")
        problem = _rule_problem(value, limit, held, [v for v, _, _ in accepted])
        if problem is None:
            accepted.append((value, tag, Query.parse(value)))
        else:
            errors.append(problem)
    return accepted, errors


def _rule_problem(
    value: str, limit: int, held: Mapping[str, str], accepted: list[str]
) -> JSONObject | None:
    if value in held or value in accepted:
        problem: JSONObject = {
            "value": value,
            "title": "DuplicateRule",
            "type": "https://api.twitter.com/2/problems/duplicate-rules",
        }
        if value in held:
            problem["id"] = held[value]
        return problem
    details: list[str] = []
    if not 1 <= len(value) <= limit:
        details.append(f"Rule length is {len(value)}; the maximum is {limit} characters")
    else:
        try:
            Query.parse(value)
        except QueryError as exc:
            details.append(str(exc))
    if not details:
        return None
    return {
        "value": value,
        "details": details,
        "title": "UnprocessableEntity",
        "type": "https://api.twitter.com/2/problems/invalid-rules",
    }


def _rule_json(rule_id: str, value: str, tag: str | None) -> JSONObject:
    out: JSONObject = {"id": rule_id, "value": value}
    if tag is not None:
        out["tag"] = tag
    return out
