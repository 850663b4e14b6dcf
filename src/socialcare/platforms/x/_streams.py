"""The filtered stream and the activity stream on ``XPlatform``: rules and connections.

Rules (``/2/tweets/search/stream/rules``) go through tweepy's request path like every
other call (``_call``: retries, rate-limit notes, error mapping). The streams open
with tweepy's session and the app's bearer token (X: "OAuth 2.0 App Only"), with
``stream=True`` and a read timeout equal to the stall timeout, so a connection that
goes silent (not even a keep-alive) fails and reconnects; see
:class:`~socialcare.platforms.x.StreamConnection`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, overload

from socialcare.errors import ConfigurationError, PayloadError, StreamRuleError
from socialcare.platforms.x._endpoints import (
    ACTIVITY_STREAM,
    FILTERED_STREAM,
    STREAM_RULES,
    UPDATE_STREAM_RULES,
    Endpoint,
)
from socialcare.platforms.x._errors import checked_response, send_mapped
from socialcare.platforms.x._host import PlatformHost
from socialcare.platforms.x._rules import (
    MAX_RULE_LENGTH,
    MAX_RULES,
    RulePlan,
    StreamRule,
    desired_rules,
    plan_rules,
)
from socialcare.platforms.x._stream import ReconnectPolicy, StreamConnection, StreamedPost

if TYPE_CHECKING:
    import random

    import requests

    from socialcare._clock import Clock
    from socialcare.query import Query

__all__ = ["StreamAPI"]

T = TypeVar("T")

DEFAULT_STALL_TIMEOUT = 30.0
"""Seconds without data or keep-alive before a stream is stalled (X sends one every ~20 s)."""


def _raise_for_status(response: requests.Response) -> requests.Response:
    """Turn an HTTP error answer into tweepy's exception, for ``send_mapped`` to map."""
    import tweepy  # noqa: PLC0415 - loaded with the first XPlatform

    status = response.status_code
    if status < 400:  # noqa: PLR2004
        return response
    errors: dict[int, type[tweepy.errors.HTTPException]] = {
        400: tweepy.errors.BadRequest,
        401: tweepy.errors.Unauthorized,
        403: tweepy.errors.Forbidden,
        404: tweepy.errors.NotFound,
        429: tweepy.errors.TooManyRequests,
    }
    cls = errors.get(status)
    if cls is None:
        cls = tweepy.errors.TwitterServerError if status >= 500 else tweepy.errors.HTTPException  # noqa: PLR2004
    try:
        raise cls(response)
    finally:
        response.close()


def _envelope(raw: Mapping[str, object]) -> Mapping[str, object]:
    return raw


class StreamAPI(PlatformHost):
    """The stream rule and stream methods of ``XPlatform`` (mixed into it)."""

    _api_host: str
    _clock: Clock

    def _note_limits(  # pragma: no cover - XPlatform's own runs
        self, endpoint: str, response: requests.Response | None
    ) -> None:
        raise NotImplementedError

    def _bearer(self, endpoint: Endpoint) -> Any:
        if self._app is None:
            msg = f"{endpoint.name} needs the app's bearer token (X: OAuth 2.0 App Only)"
            raise ConfigurationError(msg)
        return self._app

    def _rules_request(
        self,
        endpoint: Endpoint,
        *,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        client = self._bearer(endpoint)

        def send() -> requests.Response:
            return checked_response(
                client.request(endpoint.method, endpoint.path, params=params, json=json)
            )

        # A rules POST is retried only when it provably did not reach X; a dry run
        # changes nothing, so it is as safe as a read.
        idempotent = endpoint.method == "GET" or bool(params and params.get("dry_run"))
        return self._call(endpoint, send, idempotent=idempotent)

    # ------------------------------------------------------------------ rules

    def stream_rules(self) -> list[StreamRule]:
        """The app's filtered stream rules (``GET /2/tweets/search/stream/rules``, all pages)."""
        found: list[StreamRule] = []
        token: str | None = None
        while True:
            params: dict[str, Any] = {"max_results": MAX_RULES}
            if token is not None:
                params["pagination_token"] = token
            body = self._rules_request(STREAM_RULES, params=params)
            data = body.get("data") or []
            if not isinstance(data, list):
                raise PayloadError("expected a list", field="data")
            found.extend(StreamRule.from_x(item, path=f"data[{i}]") for i, item in enumerate(data))
            meta = body.get("meta")
            token = meta.get("next_token") if isinstance(meta, dict) else None
            if not isinstance(token, str) or not data:
                return found

    def add_stream_rules(
        self, rules: Iterable[StreamRule], *, dry_run: bool = False
    ) -> list[StreamRule]:
        """Add rules (``POST .../rules`` with ``add``); returns them as X created them.

        With ``dry_run`` X validates them and creates nothing (ids are still returned).

        Raises:
            StreamRuleError: a rule longer than 1,024 characters or more than 1,000
                rules, before any request.
            InvalidRequestError: X refused a rule (duplicate, invalid syntax...),
                with X's reason.
        """
        adding = list(rules)
        if not adding:
            return []
        if len(adding) > MAX_RULES:
            msg = f"{len(adding)} stream rules; X accepts at most {MAX_RULES} per app"
            raise StreamRuleError(msg)
        for rule in adding:
            if not 1 <= len(rule.value) <= MAX_RULE_LENGTH:
                msg = (
                    f"stream rule {rule.tag or rule.value[:40]!r} is {len(rule.value)} "
                    f"characters; X accepts 1 to {MAX_RULE_LENGTH}"
                )
                raise StreamRuleError(msg, rule=rule.tag)
        params = {"dry_run": "true"} if dry_run else None
        body = self._rules_request(
            UPDATE_STREAM_RULES, params=params, json={"add": [r.to_x() for r in adding]}
        )
        _refused(body)
        data = body.get("data") or []
        if not isinstance(data, list):
            raise PayloadError("expected a list", field="data")
        return [StreamRule.from_x(item, path=f"data[{i}]") for i, item in enumerate(data)]

    def delete_stream_rules(self, rule_ids: Iterable[str], *, dry_run: bool = False) -> int:
        """Delete rules by id (``POST .../rules`` with ``delete``); returns how many X deleted."""
        ids = list(dict.fromkeys(rule_ids))
        if not ids:
            return 0
        for rule_id in ids:
            if not (rule_id.isascii() and rule_id.isdigit() and len(rule_id) <= 19):  # noqa: PLR2004
                msg = f"rule ids are strings of 1 to 19 digits, got {rule_id!r}"
                raise ValueError(msg)
        params = {"dry_run": "true"} if dry_run else None
        body = self._rules_request(
            UPDATE_STREAM_RULES, params=params, json={"delete": {"ids": ids}}
        )
        _refused(body)
        meta = body.get("meta")
        summary = meta.get("summary") if isinstance(meta, dict) else None
        deleted = summary.get("deleted") if isinstance(summary, dict) else None
        if not isinstance(deleted, int):
            raise PayloadError("expected the number deleted", field="meta.summary.deleted")
        return deleted

    def plan_stream_rules(self, queries: Mapping[str, Query | str]) -> RulePlan:
        """What :meth:`sync_stream_rules` would do, from the rules X holds now (one GET)."""
        return plan_rules(self.stream_rules(), desired_rules(queries))

    def sync_stream_rules(
        self, queries: Mapping[str, Query | str], *, dry_run: bool = False
    ) -> RulePlan:
        """Make the app's filtered stream rules exactly ``queries`` (name: tag, query: value).

        Reads the rules X holds, compares them by value and tag, deletes those not
        wanted, then adds the missing ones; rules already right are left alone
        (their ids, and the stream, are undisturbed). With ``dry_run`` X validates
        both requests and changes nothing. Limits are checked before any request.

        Args:
            queries: rule name to query; a :class:`~socialcare.query.QuerySet` works.
            dry_run: ask X to validate only.

        Returns:
            The plan as carried out (``created`` holds the new rules with their ids).

        Raises:
            StreamRuleError: over 1,000 rules, a rule over 1,024 characters, an
                invalid query, or two names with the same query (nothing sent).
            InvalidRequestError: X refused a rule.
        """
        wanted = desired_rules(queries)
        plan = plan_rules(self.stream_rules(), wanted)
        if plan.delete:
            self.delete_stream_rules(
                [r.id for r in plan.delete if r.id is not None], dry_run=dry_run
            )
        created = self.add_stream_rules(plan.add, dry_run=dry_run) if plan.add else []
        return RulePlan(
            delete=plan.delete,
            add=plan.add,
            keep=plan.keep,
            dry_run=dry_run,
            created=() if dry_run else tuple(created),
        )

    # ---------------------------------------------------------------- streams

    def _connector(
        self,
        endpoint: Endpoint,
        params: dict[str, str],
        *,
        connect_timeout: float,
        stall_timeout: float,
    ) -> Callable[[], requests.Response]:
        client = self._bearer(endpoint)
        url = self._api_host.rstrip("/") + endpoint.path
        headers = {
            "User-Agent": client.user_agent,
            "Authorization": f"Bearer {client.bearer_token}",
        }

        def send() -> requests.Response:
            response = client.session.get(
                url,
                params=params,
                headers=headers,
                stream=True,
                timeout=(connect_timeout, stall_timeout),
            )
            return _raise_for_status(response)

        note = functools.partial(self._note_limits, endpoint.name)
        return lambda: send_mapped(endpoint.name, "read", send, note)

    def filtered_stream(
        self,
        *,
        expansions: Iterable[str] | None = None,
        backfill_minutes: int | None = None,
        stall_timeout: float = DEFAULT_STALL_TIMEOUT,
        connect_timeout: float = 10.0,
        policy: ReconnectPolicy | None = None,
        sleep: Callable[[float], None] | None = None,
        rng: random.Random | None = None,
    ) -> StreamConnection[StreamedPost]:
        """The filtered stream (``GET /2/tweets/search/stream``): posts matching the rules.

        Nothing is sent until the stream is iterated (or :meth:`StreamConnection.run`).
        Each post comes with its ``includes`` and the rules it matched; each is
        billed as a post read (expansions too), so ask only for the expansions
        needed (``expansions=()`` for none).

        Args:
            expansions: the expansions to ask for (default: the endpoint table's).
            backfill_minutes: ask X to resend up to 5 minutes missed while
                disconnected (X offers it to some access levels only).
            stall_timeout: seconds without data or keep-alive before reconnecting.
            connect_timeout: seconds to wait for the connection to open.
            policy: the reconnect schedule (X's, by default).
            sleep: how backoff waits (default: a wait that ``stop()`` interrupts).
            rng: the jitter's random source.
        """
        params = FILTERED_STREAM.field_params(None if expansions is None else tuple(expansions))
        return StreamConnection(
            endpoint=FILTERED_STREAM.name,
            connect=self._connector(
                FILTERED_STREAM,
                _stream_params(params, backfill_minutes, stall_timeout),
                connect_timeout=connect_timeout,
                stall_timeout=stall_timeout,
            ),
            parse=StreamedPost.from_x,
            policy=policy,
            sleep=sleep,
            clock=self._clock,
            rng=rng,
        )

    @overload
    def activity_stream(
        self,
        *,
        parse: None = None,
        backfill_minutes: int | None = None,
        stall_timeout: float = DEFAULT_STALL_TIMEOUT,
        connect_timeout: float = 10.0,
        policy: ReconnectPolicy | None = None,
        sleep: Callable[[float], None] | None = None,
        rng: random.Random | None = None,
    ) -> StreamConnection[Mapping[str, object]]: ...
    @overload
    def activity_stream(
        self,
        *,
        parse: Callable[[Mapping[str, object]], T],
        backfill_minutes: int | None = None,
        stall_timeout: float = DEFAULT_STALL_TIMEOUT,
        connect_timeout: float = 10.0,
        policy: ReconnectPolicy | None = None,
        sleep: Callable[[float], None] | None = None,
        rng: random.Random | None = None,
    ) -> StreamConnection[T]: ...
    def activity_stream(
        self,
        *,
        parse: Callable[[Mapping[str, object]], Any] | None = None,
        backfill_minutes: int | None = None,
        stall_timeout: float = DEFAULT_STALL_TIMEOUT,
        connect_timeout: float = 10.0,
        policy: ReconnectPolicy | None = None,
        sleep: Callable[[float], None] | None = None,
        rng: random.Random | None = None,
    ) -> StreamConnection[Any]:
        """The X Activity API stream (``GET /2/activity/stream``): every subscription's events.

        Yields each event envelope (``{"data": {"event_type", "event_uuid", ...}}``)
        as parsed JSON, or what ``parse`` makes of it:
        :func:`socialcare.webhooks.activity_stream` passes
        :func:`~socialcare.webhooks.parse_event` for typed events. Each delivered
        event is billed ($0.005 a post event, $0.010 a DM event). The other
        arguments are those of :meth:`filtered_stream`.
        """
        return StreamConnection(
            endpoint=ACTIVITY_STREAM.name,
            connect=self._connector(
                ACTIVITY_STREAM,
                _stream_params({}, backfill_minutes, stall_timeout),
                connect_timeout=connect_timeout,
                stall_timeout=stall_timeout,
            ),
            parse=parse if parse is not None else _envelope,
            policy=policy,
            sleep=sleep,
            clock=self._clock,
            rng=rng,
        )


def _stream_params(
    params: dict[str, str], backfill_minutes: int | None, stall_timeout: float
) -> dict[str, str]:
    if stall_timeout <= 0:
        msg = f"stall_timeout must be positive, got {stall_timeout}"
        raise ValueError(msg)
    if backfill_minutes is not None:
        if not 0 <= backfill_minutes <= 5:  # noqa: PLR2004 - X's limit
            msg = f"backfill_minutes must be 0 to 5, got {backfill_minutes}"
            raise ValueError(msg)
        params = {**params, "backfill_minutes": str(backfill_minutes)}
    return params


def _refused(body: Mapping[str, object]) -> None:
    """X answers 200 with ``errors`` when it created none of the rules; raise X's reason."""
    from socialcare.errors import InvalidRequestError  # noqa: PLC0415 - rare path

    errors = body.get("errors")
    meta = body.get("meta")
    summary = meta.get("summary") if isinstance(meta, Mapping) else None
    failed = isinstance(summary, Mapping) and (
        summary.get("not_created") or summary.get("invalid") or summary.get("not_deleted")
    )
    if isinstance(errors, list) and errors and failed:
        first = errors[0] if isinstance(errors[0], Mapping) else {}
        title = first.get("title")
        detail = first.get("detail") or first.get("value")
        msg = f"{UPDATE_STREAM_RULES.name}: X refused the rules: {title}: {detail}"
        raise InvalidRequestError(
            msg,
            status=200,
            title=str(title) if title is not None else None,
            detail=str(detail) if detail is not None else None,
            endpoint=UPDATE_STREAM_RULES.name,
        )
