"""The HTTP face of the sandbox: X API v2 routes, parameters, bodies, status codes, headers.

:class:`SandboxApp` is a WSGI application. The in-process transport calls
:meth:`SandboxApp.handle` directly and turns "no answer" outcomes (timeouts,
lost responses) into the exceptions a real network produces.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Literal

import attrs

from socialcare._json import parse_time
from socialcare.platforms.x import (
    CREATE_POST,
    DELETE_POST,
    DM_CONVERSATION_EVENTS,
    DM_EVENTS,
    ENDPOINTS,
    GET_POST,
    GET_POSTS,
    GET_USERS,
    HIDE_REPLY,
    ME,
    MENTIONS,
    SEARCH_ALL,
    SEARCH_RECENT,
    SEND_DM,
    USER_BY_USERNAME,
    USER_POSTS,
    Endpoint,
)
from socialcare.sandbox._auth import Authenticator
from socialcare.sandbox._billing import Ledger
from socialcare.sandbox._faults import PROCESSED_FAULTS, Fault, FaultQueue
from socialcare.sandbox._limits import Quota, RateLimiter
from socialcare.sandbox._problems import (
    ApiError,
    invalid_request,
    not_found_problem,
    unsupported_authentication,
)
from socialcare.sandbox._streams import ROUTES as STREAM_ROUTES
from socialcare.sandbox._streams import StreamBody, StreamOpened, StreamRoutes
from socialcare.sandbox._webhooks import ROUTES as WEBHOOK_ROUTES
from socialcare.sandbox._webhooks import WebhookRoutes
from socialcare.sandbox._world import Bounds, JSONObject, Principal, Slice, World

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["REASONS", "SandboxApp", "SandboxOutcome", "SandboxRequest"]

DEFAULT_TWEET_FIELDS = frozenset({"id", "text", "edit_history_tweet_ids"})
DEFAULT_USER_FIELDS = frozenset({"id", "name", "username"})
DEFAULT_DM_FIELDS = frozenset({"id", "event_type", "text"})
KNOWN_FIELDS: dict[str, frozenset[str]] = {
    "tweet.fields": frozenset(
        [
            "article",
            "attachments",
            "author_id",
            "card_uri",
            "community_id",
            "context_annotations",
            "conversation_id",
            "created_at",
            "display_text_range",
            "edit_controls",
            "edit_history_tweet_ids",
            "entities",
            "geo",
            "id",
            "in_reply_to_user_id",
            "lang",
            "media_metadata",
            "non_public_metrics",
            "note_tweet",
            "organic_metrics",
            "possibly_sensitive",
            "promoted_metrics",
            "public_metrics",
            "referenced_tweets",
            "reply_settings",
            "scopes",
            "source",
            "suggested_source_links",
            "suggested_source_links_with_counts",
            "text",
            "withheld",
        ]
    ),
    "user.fields": frozenset(
        [
            "affiliation",
            "confirmed_email",
            "connection_status",
            "created_at",
            "description",
            "entities",
            "id",
            "is_identity_verified",
            "location",
            "most_recent_tweet_id",
            "name",
            "parody",
            "pinned_tweet_id",
            "profile_banner_url",
            "profile_image_url",
            "protected",
            "public_metrics",
            "receives_your_dm",
            "subscription",
            "subscription_type",
            "url",
            "username",
            "verified",
            "verified_followers_count",
            "verified_type",
            "withheld",
        ]
    ),
    "dm_event.fields": frozenset(
        [
            "attachments",
            "created_at",
            "dm_conversation_id",
            "entities",
            "event_type",
            "id",
            "participant_ids",
            "referenced_tweets",
            "sender_id",
            "text",
        ]
    ),
}
"""The field names X accepts in each ``*.fields`` parameter (X API v2.159)."""
_DM_EVENT_TYPES = frozenset({"MessageCreate", "ParticipantsJoin", "ParticipantsLeave"})


@attrs.frozen
class SandboxRequest:
    """One HTTP request as the sandbox sees it (what observers get first).

    Attributes:
        method: the HTTP method.
        url: the full URL, query string included.
        headers: the request headers as sent.
        body: the request body.
    """

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes = b""

    @property
    def path(self) -> str:
        """The URL path."""
        return urllib.parse.urlsplit(self.url).path

    @property
    def query(self) -> list[tuple[str, str]]:
        """The query parameters, in order."""
        return urllib.parse.parse_qsl(urllib.parse.urlsplit(self.url).query, keep_blank_values=True)

    def header(self, name: str) -> str | None:
        """A header, case-insensitively."""
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)


@attrs.frozen
class SandboxOutcome:
    """What the client gets for a :class:`SandboxRequest`: a response, or nothing.

    Attributes:
        status: the HTTP status.
        headers: the response headers, in order.
        body: the response body.
        dropped: ``"before"``/``"after"`` when no answer reached the client (a
            timeout before X processed the request, or a lost response after it);
            ``"reset"`` when the connection was reset after X processed it.
        delay: seconds the answer was held back (a ``"slow"`` fault).
        endpoint: the route's name, for example ``"POST /2/tweets"`` (empty when unknown).
        payload: the JSON body, if any.
        stream: for a stream route answered 200, the long-lived body that follows
            (``body`` is then empty; see ``sandbox/_streams.py``).
    """

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    dropped: Literal["before", "after", "reset"] | None = None
    delay: float = 0.0
    endpoint: str = ""
    payload: JSONObject | None = None
    stream: StreamBody | None = attrs.field(default=None, eq=False, repr=False)


Handler = Callable[["_Call"], tuple[int, JSONObject]]


_PLACEHOLDER = re.compile(r":(\w+)")


@attrs.frozen
class _Route:
    """An endpoint of the table and the name of the ``SandboxApp`` method answering it."""

    endpoint: Endpoint
    handler: str
    pattern: re.Pattern[str] = attrs.field(init=False)

    @pattern.default
    def _compile(self) -> re.Pattern[str]:
        return re.compile(_PLACEHOLDER.sub(_placeholder_pattern, self.endpoint.path))


def _placeholder_pattern(match: re.Match[str]) -> str:
    name = match.group(1)
    if name == "username":
        return rf"(?P<{name}>[A-Za-z0-9_]{{1,15}})"
    return rf"(?P<{name}>[0-9]{{1,19}})"


_HANDLERS: Mapping[Endpoint, str] = {
    ME: "_me",
    GET_USERS: "_users",
    USER_BY_USERNAME: "_user_by_username",
    SEARCH_RECENT: "_search_recent",
    SEARCH_ALL: "_search_all",
    MENTIONS: "_mentions",
    USER_POSTS: "_timeline",
    GET_POSTS: "_tweets",
    GET_POST: "_tweet",
    CREATE_POST: "_create",
    DELETE_POST: "_delete",
    HIDE_REPLY: "_hide",
    SEND_DM: "_send_dm",
    DM_EVENTS: "_dm_events",
    DM_CONVERSATION_EVENTS: "_dm_events",
    **WEBHOOK_ROUTES,  # X Activity API webhooks and subscriptions (sandbox/_webhooks.py)
    **STREAM_ROUTES,  # filtered stream, its rules, activity stream (sandbox/_streams.py)
}
"""Which method answers each endpoint; every endpoint of the table has one."""

_ROUTES = tuple(_Route(endpoint, _HANDLERS[endpoint]) for endpoint in ENDPOINTS.values())


@attrs.frozen
class _Call:
    principal: Principal
    args: Mapping[str, str]
    params: Mapping[str, str]
    body: bytes

    def list_param(self, name: str) -> list[str]:
        raw = self.params.get(name)
        return [] if not raw else [v for v in raw.split(",") if v]

    def json_body(self) -> JSONObject:
        try:
            data = json.loads(self.body or b"{}")
        except ValueError:
            raise invalid_request("Request body is not valid JSON", body="") from None
        if not isinstance(data, dict):
            raise invalid_request("Request body must be a JSON object", body="")
        return data


def _int_param(call: _Call, name: str, *, low: int, high: int, default: int) -> int:
    raw = call.params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise invalid_request(
            f"The `{name}` query parameter value [{raw}] is not between {low} and {high}",
            **{name: raw},
        )
    return int(raw)


def _time_param(call: _Call, name: str) -> dt.datetime | None:
    raw = call.params.get(name)
    if raw is None:
        return None
    try:
        return parse_time(raw)
    except ValueError:
        raise invalid_request(
            f"Invalid '{name}':'{raw}'. '{name}' must be a valid RFC 3339 timestamp",
            **{name: raw},
        ) from None


def _id_param(call: _Call, name: str) -> int | None:
    raw = call.params.get(name)
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 19):  # noqa: PLR2004 - 64-bit ids
        raise invalid_request(
            f"The `{name}` query parameter value [{raw}] does not match ^[0-9]{{1,19}}$",
            **{name: raw},
        )
    return int(raw)


def _bounds(call: _Call) -> Bounds:
    bounds = Bounds(
        since_id=_id_param(call, "since_id"),
        until_id=_id_param(call, "until_id"),
        start_time=_time_param(call, "start_time"),
        end_time=_time_param(call, "end_time"),
    )
    bounds.check()
    return bounds


def _ids_param(call: _Call, name: str = "ids") -> list[str]:
    ids = call.list_param(name)
    if not ids:
        raise invalid_request(f"The `{name}` query parameter can not be empty", **{name: ""})
    if len(ids) > 100:  # noqa: PLR2004 - X's batch limit
        raise invalid_request(
            f"The `{name}` query parameter value has {len(ids)} items; the maximum is 100",
            **{name: ",".join(ids[:3]) + ",..."},
        )
    for value in ids:
        if not (value.isascii() and value.isdigit() and len(value) <= 19):  # noqa: PLR2004
            raise invalid_request(
                f"The `{name}` query parameter value [{value}] does not match ^[0-9]{{1,19}}$",
                **{name: value},
            )
    return list(dict.fromkeys(ids))


class SandboxApp(WebhookRoutes, StreamRoutes):
    """X API v2, simulated: routing, validation, rendering, limits and faults."""

    def __init__(
        self,
        world: World,
        *,
        auth: Authenticator,
        limiter: RateLimiter,
        faults: FaultQueue,
        ledger: Ledger | None = None,
        observer: Callable[[SandboxRequest, SandboxOutcome], None] | None = None,
    ) -> None:
        self.world = world
        self.auth = auth
        self.limiter = limiter
        self.faults = faults
        self.ledger = ledger if ledger is not None else Ledger()
        self.observers: list[Callable[[SandboxRequest, SandboxOutcome], None]] = []
        self.oauth2: Callable[[SandboxRequest], SandboxOutcome] | None = None
        """Answers ``/2/oauth2/*`` (``sandbox/_oauth2.py``)."""
        if observer is not None:
            self.observers.append(observer)

    # ---------------------------------------------------------------- entry

    def handle(self, exchange: SandboxRequest, *, timeout: float | None = None) -> SandboxOutcome:
        """Answer one request (applying limits and armed faults)."""
        with self.world.lock:
            outcome = self._handle(exchange, timeout)
        for observer in self.observers:
            observer(exchange, outcome)
        return outcome

    def _handle(  # noqa: C901 - one branch more for stream routes (sandbox/_streams.py)
        self, exchange: SandboxRequest, timeout: float | None
    ) -> SandboxOutcome:
        if self.oauth2 is not None and exchange.path.startswith("/2/oauth2/"):
            return self.oauth2(exchange)
        route, args = self._route(exchange)
        if route is None:
            missing: JSONObject = {
                "errors": [{"message": "Sorry, that page does not exist", "code": 34}]
            }
            return self._render(404, missing, (), "")
        fault = self.faults.take(route.endpoint.name)
        early = self._early_fault(fault, route.endpoint.name)
        if early is not None:
            return early
        now = self.world.clock.now()
        try:
            principal = self.auth.authenticate(
                method=exchange.method, url=exchange.url, header=exchange.header("Authorization")
            )
            if route.endpoint.user_only and principal.user_id is None:
                raise unsupported_authentication()
        except ApiError as exc:
            return self._render(exc.status, exc.body(), (), route.endpoint.name)
        quota = self.limiter.take(
            route.endpoint.name, principal.key, is_user=principal.user_id is not None, now=now
        )
        if fault is not None and fault.kind == "rate_limit":
            reset = now + dt.timedelta(seconds=fault.retry_after)
            quota = Quota(limit=quota.limit or 1, remaining=0, reset_at=reset, allowed=False)
        headers = _limit_headers(quota)
        if not quota.allowed:
            problem = ApiError(429, "Too Many Requests", "Too Many Requests").body()
            return self._render(429, problem, headers, route.endpoint.name)
        delay = fault.delay if fault is not None and fault.kind == "slow" else 0.0
        if delay:
            self.world.clock.sleep(delay if timeout is None else min(delay, timeout))
        try:
            handler: Handler = getattr(self, route.handler)
            status, payload = handler(self._call(exchange, principal, args, route))
        except ApiError as exc:
            return self._render(exc.status, exc.body(), headers, route.endpoint.name)
        except StreamOpened as opened:  # a stream route: 200, then the long-lived body
            stream_headers = (("content-type", "application/json; charset=utf-8"), *headers)
            return SandboxOutcome(
                200, stream_headers, b"", endpoint=route.endpoint.name, stream=opened.body
            )
        self._bill_read(route, principal, args, payload, now)
        outcome = self._render(status, payload, headers, route.endpoint.name)
        late = self._late_fault(fault, route.endpoint.name)
        if late is None and timeout is not None and delay > timeout:
            late = attrs.evolve(outcome, dropped="after")
        return outcome if late is None else late

    def _bill_read(
        self,
        route: _Route,
        principal: Principal,
        args: Mapping[str, str],
        payload: JSONObject,
        now: dt.datetime,
    ) -> None:
        """Bill what a successful read returned (writes bill in their handlers)."""
        if route.endpoint.method != "GET":
            return
        self.ledger.record_response(
            principal.key,
            endpoint=route.endpoint.name,
            own_timeline=args.get("id") == principal.user_id,
            payload=payload,
            now=now,
        )

    def _early_fault(self, fault: Fault | None, endpoint: str) -> SandboxOutcome | None:
        """Faults that strike before the request is processed."""
        if fault is None:
            return None
        if fault.kind == "timeout":
            return SandboxOutcome(0, (), b"", dropped="before", endpoint=endpoint)
        if fault.kind == "server_error":
            return self._server_error(fault.status, endpoint)
        return None

    def _late_fault(self, fault: Fault | None, endpoint: str) -> SandboxOutcome | None:
        """Faults that strike after the request was processed (the write happened)."""
        if fault is None or fault.kind not in PROCESSED_FAULTS:
            return None
        if fault.kind == "processed_server_error":
            return self._server_error(fault.status, endpoint)
        dropped: Literal["after", "reset"] = "reset" if fault.kind == "processed_reset" else "after"
        return SandboxOutcome(0, (), b"", dropped=dropped, endpoint=endpoint)

    def _server_error(self, status: int, endpoint: str) -> SandboxOutcome:
        titles = {500: "Internal Server Error", 502: "Bad Gateway", 504: "Gateway Timeout"}
        name = titles.get(status, "Service Unavailable")
        return self._render(status, ApiError(status, name, name).body(), (), endpoint)

    def _route(self, exchange: SandboxRequest) -> tuple[_Route | None, dict[str, str]]:
        path = exchange.path.rstrip("/") or "/"
        for route in _ROUTES:
            if route.endpoint.method != exchange.method:
                continue
            match = route.pattern.fullmatch(path)
            if match is not None:
                return route, match.groupdict()
        return None, {}

    def _call(
        self, exchange: SandboxRequest, principal: Principal, args: dict[str, str], route: _Route
    ) -> _Call:
        params: dict[str, str] = {}
        for key, value in exchange.query:
            if key not in route.endpoint.accepted_params:
                allowed = ",".join(sorted(route.endpoint.accepted_params))
                raise invalid_request(
                    f"The query parameter [{key}] is not one of [{allowed}]", **{key: value}
                )
            if key in params:
                raise invalid_request(
                    f"Duplicate parameters are not allowed: [{key}]", **{key: value}
                )
            params[key] = value
        for key, known in KNOWN_FIELDS.items():
            for value in (params.get(key) or "").split(","):
                if value and value not in known:
                    raise invalid_request(
                        f"The `{key}` query parameter value [{value}] is not one of "
                        f"[{','.join(sorted(known))}]",
                        **{key: value},
                    )
        for value in (params.get("expansions") or "").split(","):
            if value and value not in route.endpoint.known_expansions:
                raise invalid_request(
                    f"The `expansions` query parameter value [{value}] is not one of "
                    f"[{','.join(sorted(route.endpoint.known_expansions))}]",
                    expansions=value,
                )
        return _Call(principal, args, params, exchange.body)

    def _render(
        self, status: int, payload: JSONObject, headers: Iterable[tuple[str, str]], endpoint: str
    ) -> SandboxOutcome:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        is_problem = status >= 400 and "title" in payload  # noqa: PLR2004
        kind = "application/problem+json" if is_problem else "application/json; charset=utf-8"
        all_headers = (("content-type", kind), ("api-version", "2.159"), *headers)
        return SandboxOutcome(status, all_headers, body, endpoint=endpoint, payload=payload)

    # ---------------------------------------------------------------- WSGI

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Serve over HTTP; a dropped answer becomes 504 (a socket cannot un-answer)."""
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {
            key[5:].replace("_", "-").title(): str(value)
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = str(environ["CONTENT_TYPE"])
        host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
        query = environ.get("QUERY_STRING", "")
        url = f"{environ['wsgi.url_scheme']}://{host}{environ.get('PATH_INFO', '')}"
        url += f"?{query}" if query else ""
        outcome = self.handle(SandboxRequest(environ["REQUEST_METHOD"], url, headers, body))
        if outcome.dropped is not None:
            problem = ApiError(504, "Gateway Timeout", "Gateway Timeout").body()
            outcome = self._render(504, problem, (), outcome.endpoint)
        reason = REASONS.get(outcome.status, "Unknown")
        start_response(f"{outcome.status} {reason}", list(outcome.headers))
        if outcome.stream is not None:
            return _WsgiStream(outcome.stream)
        return [outcome.body]

    # ------------------------------------------------------------- handlers

    def _me(self, call: _Call) -> tuple[int, JSONObject]:
        assert call.principal.user_id is not None  # noqa: S101 - route is user-only
        rec = self.world.user(call.principal.user_id)
        if rec is None:
            raise ApiError(401, "Unauthorized", "Unauthorized")
        view = _View(self.world, call)
        data = view.user(self.world.user_json(rec, call.principal))
        return 200, view.envelope(data)

    def _users(self, call: _Call) -> tuple[int, JSONObject]:
        found, errors = self.world.lookup_users(_ids_param(call), call.principal)
        view = _View(self.world, call)
        data = [view.user(u) for u in found]
        return 200, view.envelope(data or None, errors)

    def _user_by_username(self, call: _Call) -> tuple[int, JSONObject]:
        username = call.args["username"]
        rec = self.world.user_by_username(username)
        if rec is None:
            hint = self.world.id_hint(username)
            return 200, {"errors": [not_found_problem("user", "username", username, hint)]}
        view = _View(self.world, call)
        return 200, view.envelope(view.user(self.world.user_json(rec, call.principal)))

    def _tweets(self, call: _Call) -> tuple[int, JSONObject]:
        found, errors = self.world.lookup_posts(_ids_param(call))
        view = _View(self.world, call)
        return 200, view.envelope(view.posts(found) or None, errors)

    def _tweet(self, call: _Call) -> tuple[int, JSONObject]:
        found, errors = self.world.lookup_posts([call.args["id"]])
        view = _View(self.world, call)
        if not found:
            errors = [{**e, "parameter": "id"} for e in errors]
            return 200, {"errors": errors}
        return 200, view.envelope(view.posts(found)[0], errors)

    def _search_recent(self, call: _Call) -> tuple[int, JSONObject]:
        return self._search(call, "recent", high=100)

    def _search_all(self, call: _Call) -> tuple[int, JSONObject]:
        return self._search(call, "all", high=500)

    def _search(
        self, call: _Call, archive: Literal["recent", "all"], high: int
    ) -> tuple[int, JSONObject]:
        query = call.params.get("query")
        if not query:
            raise invalid_request("The `query` query parameter can not be empty", query="")
        token = call.params.get("next_token") or call.params.get("pagination_token")
        page = self.world.search(
            query,
            archive=archive,
            bounds=_bounds(call),
            max_results=_int_param(call, "max_results", low=10, high=high, default=10),
            token=token,
        )
        return 200, self._list(call, page)

    def _mentions(self, call: _Call) -> tuple[int, JSONObject]:
        page = self.world.mentions(
            call.args["id"],
            bounds=_bounds(call),
            max_results=_int_param(call, "max_results", low=5, high=100, default=10),
            token=call.params.get("pagination_token"),
        )
        return 200, self._list(call, page)

    def _timeline(self, call: _Call) -> tuple[int, JSONObject]:
        page = self.world.timeline(
            call.args["id"],
            bounds=_bounds(call),
            max_results=_int_param(call, "max_results", low=5, high=100, default=10),
            token=call.params.get("pagination_token"),
        )
        return 200, self._list(call, page)

    def _list(self, call: _Call, page: Slice) -> JSONObject:
        view = _View(self.world, call)
        data = view.posts(list(page.items))
        meta: JSONObject = {"result_count": len(data)}
        if data:
            meta["newest_id"] = data[0]["id"]
            meta["oldest_id"] = data[-1]["id"]
        if page.next_token is not None:
            meta["next_token"] = page.next_token
        return view.envelope(data or None, meta=meta)

    def _create(self, call: _Call) -> tuple[int, JSONObject]:
        body = call.json_body()
        _check_fields(body, _CREATE_FIELDS, "$")
        if any(key in body for key in _CREATE_UNMODELLED):
            shown = ", ".join(sorted(k for k in body if k in _CREATE_UNMODELLED))
            raise invalid_request(
                f"The sandbox does not model {shown} (media, polls, cards, places, "
                "communities, edits); X would need the referenced objects to exist",
                **{key: str(body[key])[:40] for key in body if key in _CREATE_UNMODELLED},
            )
        for flag in ("for_super_followers_only", "nullcast", "share_with_followers"):
            if flag in body and not isinstance(body[flag], bool):
                raise invalid_request(f"$.{flag}: is not a boolean", **{flag: str(body[flag])})
        text = body.get("text")
        if not isinstance(text, str) or not text:
            raise invalid_request("The `text` field is required unless media is attached", text="")
        in_reply_to, excluded = _reply_of(body.get("reply"))
        quote_of = body.get("quote_tweet_id")
        if quote_of is not None and not _is_id(quote_of):
            raise invalid_request(
                f"$.quote_tweet_id: does not match the regex pattern ^[0-9]{{1,19}}$ "
                f"(got {str(quote_of)[:40]})",
                quote_tweet_id=str(quote_of),
            )
        settings = body.get("reply_settings")
        if settings is not None and settings not in _REPLY_SETTINGS:
            raise invalid_request(
                f"$.reply_settings: does not have a value in the enumeration "
                f"[{', '.join(sorted(_REPLY_SETTINGS))}]",
                reply_settings=str(settings),
            )
        link = body.get("direct_message_deep_link")
        if link is not None and (not isinstance(link, str) or not link.startswith("https://")):
            raise invalid_request(
                "The `direct_message_deep_link` field must be an https URL",
                direct_message_deep_link=str(link),
            )
        raw = self.world.create_post(
            call.principal,
            text=text,
            in_reply_to=in_reply_to,
            deep_link=link,
            quote_of=None if quote_of is None else str(quote_of),
            reply_settings=None if settings is None else str(settings),
            exclude_reply_user_ids=excluded,
        )
        entities = raw.get("entities")
        if isinstance(entities, dict) and entities.get("urls"):
            kind = "post_create_with_url"
        elif in_reply_to is not None and self.world.summoned_reply(in_reply_to, raw):
            kind = "summoned_reply"
        else:
            kind = "post_create"
        self.ledger.charge(call.principal.key, kind)
        data = {k: raw[k] for k in ("id", "text", "edit_history_tweet_ids")}
        return 201, {"data": data}

    def _hide(self, call: _Call) -> tuple[int, JSONObject]:
        body = call.json_body()
        _check_fields(body, frozenset({"hidden"}), "$")
        hidden = body.get("hidden")
        if not isinstance(hidden, bool):
            raise invalid_request("$.hidden: is missing but it is required", hidden=str(hidden))
        self.world.hide_reply(call.principal, call.args["tweet_id"], hidden=hidden)
        return 200, {"data": {"hidden": hidden}}

    def _delete(self, call: _Call) -> tuple[int, JSONObject]:
        self.world.delete_post(call.principal, call.args["id"])
        return 200, {"data": {"deleted": True}}

    def _send_dm(self, call: _Call) -> tuple[int, JSONObject]:
        body = call.json_body()
        text = body.get("text")
        if not isinstance(text, str):
            raise invalid_request("The `text` field is required", text="")
        dm = self.world.send_dm(call.principal, call.args["participant_id"], text)
        self.ledger.charge(call.principal.key, "dm_create")
        return 201, {"data": {"dm_conversation_id": dm.dm_conversation_id, "dm_event_id": dm.id}}

    def _dm_events(self, call: _Call) -> tuple[int, JSONObject]:
        types = call.list_param("event_types") or sorted(_DM_EVENT_TYPES)
        for kind in types:
            if kind not in _DM_EVENT_TYPES:
                raise invalid_request(
                    f"The `event_types` query parameter value [{kind}] is not one of "
                    f"[{','.join(sorted(_DM_EVENT_TYPES))}]",
                    event_types=kind,
                )
        page = self.world.dm_events(
            call.principal,
            participant_id=call.args.get("participant_id"),
            event_types=frozenset(types),
            max_results=_int_param(call, "max_results", low=1, high=100, default=100),
            token=call.params.get("pagination_token"),
        )
        view = _View(self.world, call)
        data = [view.dm(raw) for raw in page.items]
        meta: JSONObject = {"result_count": len(data)}
        if page.next_token is not None:
            meta["next_token"] = page.next_token
        return 200, view.envelope(data or None, meta=meta)


_CREATE_FIELDS = frozenset(
    {
        "card_uri",
        "community_id",
        "direct_message_deep_link",
        "edit_options",
        "for_super_followers_only",
        "geo",
        "media",
        "nullcast",
        "poll",
        "quote_tweet_id",
        "reply",
        "reply_settings",
        "share_with_followers",
        "text",
    }
)
"""The fields of X's ``TweetCreateRequest`` (X API v2.159); any other is a 400."""
_CREATE_UNMODELLED = frozenset({"card_uri", "community_id", "edit_options", "geo", "media", "poll"})
_REPLY_FIELDS = frozenset(
    {"auto_populate_reply_metadata", "exclude_reply_user_ids", "in_reply_to_tweet_id"}
)
_REPLY_SETTINGS = frozenset({"following", "mentionedUsers", "subscribers", "verified"})
_WIRE_REPLY_SETTING = re.compile(r"[A-Za-z]{1,12}")
"""The pattern of ``Tweet.reply_settings`` in X's OpenAPI document."""


def _is_id(value: object) -> bool:
    return isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19  # noqa: PLR2004


def _check_fields(body: Mapping[str, object], known: frozenset[str], where: str) -> None:
    """X's schema check: a field the request schema does not define is a 400."""
    for key in body:
        if key not in known:
            raise invalid_request(
                f"{where}.{key}: is not defined in the schema and the schema does not allow "
                "additional properties",
                **{key: str(body[key])[:40]},
            )


def _reply_of(reply: object) -> tuple[str | None, tuple[str, ...]]:
    """The reply target and the excluded user ids of a ``reply`` object."""
    if reply is None:
        return None, ()
    if not isinstance(reply, dict):
        raise invalid_request("$.reply: is not an object", reply=str(reply)[:40])
    _check_fields(reply, _REPLY_FIELDS, "$.reply")
    target = reply.get("in_reply_to_tweet_id")
    if not _is_id(target):
        raise invalid_request(
            "The `reply.in_reply_to_tweet_id` field must be a post id",
            in_reply_to_tweet_id=str(target),
        )
    auto = reply.get("auto_populate_reply_metadata")
    if auto is not None and not isinstance(auto, bool):
        raise invalid_request(
            "$.reply.auto_populate_reply_metadata: is not a boolean",
            auto_populate_reply_metadata=str(auto),
        )
    excluded = reply.get("exclude_reply_user_ids", [])
    if not isinstance(excluded, list) or not all(_is_id(v) for v in excluded):
        raise invalid_request(
            "$.reply.exclude_reply_user_ids: must be an array of user ids",
            exclude_reply_user_ids=str(excluded)[:40],
        )
    return str(target), tuple(str(v) for v in excluded)


class _WsgiStream:
    """A stream body as a WSGI iterable; the server's ``close()`` ends the connection."""

    def __init__(self, body: StreamBody) -> None:
        self._body = body

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._body)

    def close(self) -> None:
        self._body.close()


def _limit_headers(quota: Quota) -> tuple[tuple[str, str], ...]:
    if quota.limit == 0:
        return ()
    return (
        ("x-rate-limit-limit", str(quota.limit)),
        ("x-rate-limit-remaining", str(quota.remaining)),
        ("x-rate-limit-reset", str(quota.reset_epoch)),
    )


class _View:
    """Renders stored JSON for one request: requested fields, expansions, includes."""

    def __init__(self, world: World, call: _Call) -> None:
        self.world = world
        self.principal = call.principal
        self.tweet_fields = DEFAULT_TWEET_FIELDS | set(call.list_param("tweet.fields"))
        self.user_fields = DEFAULT_USER_FIELDS | set(call.list_param("user.fields"))
        self.dm_fields = DEFAULT_DM_FIELDS | set(call.list_param("dm_event.fields"))
        self.expansions = frozenset(call.list_param("expansions"))
        self._users: dict[str, JSONObject] = {}
        self._tweets: dict[str, JSONObject] = {}
        self._errors: list[JSONObject] = []

    def post(self, raw: Mapping[str, object]) -> JSONObject:
        out = {k: v for k, v in raw.items() if k in self.tweet_fields}
        setting = out.get("reply_settings")
        if isinstance(setting, str) and not _WIRE_REPLY_SETTING.fullmatch(setting):
            # X's OpenAPI document (v2.159) lists "mentionedUsers" among the values but
            # allows 12 letters at most; answer within the document.
            out["reply_settings"] = "other"
        return out

    def user(self, raw: Mapping[str, object]) -> JSONObject:
        return {k: v for k, v in raw.items() if k in self.user_fields}

    def posts(self, raws: list[JSONObject]) -> list[JSONObject]:
        """Render posts and collect their expansions."""
        out = [self.post(raw) for raw in raws]
        referenced: list[JSONObject] = []
        if "referenced_tweets.id" in self.expansions:
            for raw in raws:
                for ref in _refs(raw):
                    rec = self.world.post(ref)
                    if rec is None or rec.deleted:
                        self._errors.append(not_found_problem("tweet", "referenced_tweets.id", ref))
                    elif ref not in self._tweets:
                        self._tweets[ref] = self.post(rec.raw)
                        referenced.append(rec.raw)
        for raw in raws:
            self._expand_user_ids(raw, primary=True)
        if "referenced_tweets.id.author_id" in self.expansions:
            for raw in referenced:
                self._add_user(raw.get("author_id"), "referenced_tweets.id.author_id")
        return out

    def _expand_user_ids(self, raw: Mapping[str, object], *, primary: bool) -> None:
        if primary and "author_id" in self.expansions:
            self._add_user(raw.get("author_id"), "author_id")
        if "in_reply_to_user_id" in self.expansions:
            self._add_user(raw.get("in_reply_to_user_id"), "in_reply_to_user_id")
        if "entities.mentions.username" in self.expansions:
            entities = raw.get("entities")
            mentions = entities.get("mentions") if isinstance(entities, dict) else None
            for mention in mentions if isinstance(mentions, list) else []:
                name = mention.get("username") if isinstance(mention, dict) else None
                if not isinstance(name, str):
                    continue
                rec = self.world.user_by_username(name)
                if rec is None:
                    self._errors.append(
                        not_found_problem("user", "entities.mentions.username", name)
                    )
                elif rec.model.id not in self._users:
                    self._users[rec.model.id] = self.user(self.world.user_json(rec, self.principal))

    def _add_user(self, user_id: object, parameter: str) -> None:
        if not isinstance(user_id, str) or user_id in self._users:
            return
        rec = self.world.user(user_id)
        if rec is None:
            self._errors.append(not_found_problem("user", parameter, user_id))
        else:
            self._users[user_id] = self.user(self.world.user_json(rec, self.principal))

    def dm(self, raw: Mapping[str, object]) -> JSONObject:
        """Render a DM event and collect its expansions."""
        out = {k: v for k, v in raw.items() if k in self.dm_fields}
        if "sender_id" in self.expansions:
            self._add_user(raw.get("sender_id"), "sender_id")
        if "participant_ids" in self.expansions:
            ids = raw.get("participant_ids")
            for user_id in ids if isinstance(ids, list) else []:
                self._add_user(user_id, "participant_ids")
        return out

    def envelope(
        self,
        data: JSONObject | list[JSONObject] | None,
        errors: Iterable[JSONObject] = (),
        *,
        meta: JSONObject | None = None,
    ) -> JSONObject:
        out: JSONObject = {}
        if data is not None:
            out["data"] = data
        includes: JSONObject = {}
        if self._users:
            includes["users"] = list(self._users.values())
        if self._tweets:
            includes["tweets"] = list(self._tweets.values())
        if includes:
            out["includes"] = includes
        all_errors = [*errors, *self._errors]
        if all_errors:
            out["errors"] = all_errors
        if meta is not None:
            out["meta"] = meta
        return out


def _refs(raw: Mapping[str, object]) -> list[str]:
    refs = raw.get("referenced_tweets")
    items = refs if isinstance(refs, list) else []
    return [ref["id"] for ref in items if isinstance(ref, dict) and isinstance(ref.get("id"), str)]


REASONS = {
    200: "OK",
    201: "Created",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
