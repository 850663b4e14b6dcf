"""Helpers to test your own bots against the sandbox, with or without pytest.

Plain functions work anywhere::

    from socialcare.testing import assert_dm_sent, assert_replied, make_sandbox

    sandbox = make_sandbox(users=["acme", "ann"])
    ...run your bot with sandbox.platform("acme")...
    assert_replied(sandbox, by="acme", to=question.id, contains="sorry")

With pytest, enable the fixtures in your ``conftest.py``::

    pytest_plugins = ["socialcare.testing"]

and ask for ``sandbox`` (a fresh ``Sandbox`` on a ``ManualClock``) or
``sandbox_factory`` (builds more, with options) in your tests. This module
imports without pytest; the fixtures exist only when pytest does.

``OpenAPIContract`` checks every response the sandbox gives against X's
OpenAPI document (needs the ``tests`` extra: ``jsonschema`` and
``openapi-schema-validator``).
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import threading
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from socialcare._clock import ManualClock
from socialcare.errors import ConfigurationError
from socialcare.models import DirectMessage, Post
from socialcare.platforms._match import post_matches, stored_key, unescape
from socialcare.sandbox import Sandbox, SandboxOutcome, SandboxRequest

__all__ = [
    "AuditLogConformance",
    "ConversationStoreConformance",
    "CursorStoreConformance",
    "DMStoreConformance",
    "EscalationStoreConformance",
    "LeaseStoreConformance",
    "LinkStoreConformance",
    "OpenAPIContract",
    "OutboxStoreConformance",
    "PauseSwitchConformance",
    "PostStoreConformance",
    "SeenStoreConformance",
    "StoreConformance",
    "StoreLifecycleConformance",
    "TokenStoreConformance",
    "UserStoreConformance",
    "assert_cost_at_most",
    "assert_dm_sent",
    "assert_no_posts",
    "assert_posted",
    "assert_replied",
    "make_sandbox",
]

UserRef = str


def make_sandbox(
    *,
    users: Iterable[str] = (),
    start: dt.datetime | None = None,
    enterprise: bool = False,
    rate_limits: bool = True,
    implicit_reply_summons: bool = False,
) -> Sandbox:
    """A sandbox on a ``ManualClock`` with the given handles already registered.

    Args:
        users: handles to create (each accepts DMs from anyone).
        start: the clock's start time (default 2026-01-01 UTC).
        enterprise: Enterprise access (no summoned-reply rule).
        rate_limits: enforce X's rate limits.
        implicit_reply_summons: see ``Sandbox``.
    """
    clock = ManualClock(start) if start is not None else ManualClock()
    sandbox = Sandbox(
        clock=clock,
        enterprise=enterprise,
        rate_limits=rate_limits,
        implicit_reply_summons=implicit_reply_summons,
    )
    for handle in users:
        sandbox.add_user(handle)
    return sandbox


def _contains(post: Post, part: str) -> bool:
    """``part`` in the text as stored, or as typed (unescaped, links expanded)."""
    return (
        part in post.text
        or part in unescape(post.text)
        or part in stored_key(post.text, post.entities)
    )


def _describe(posts: Iterable[Post]) -> str:
    lines = [f"  {p.id} by {p.author_id}: {p.text!r}" for p in posts]
    return "\n".join(lines) or "  (none)"


def assert_posted(
    sandbox: Sandbox,
    *,
    by: UserRef,
    text: str | None = None,
    contains: str | None = None,
    since: dt.datetime | None = None,
) -> Post:
    """The newest post by ``by`` matching ``text``/``contains``; fail if there is none.

    The sandbox stores text as X does (a reply's leading @mentions, ``&amp;``, t.co
    links): ``text`` may be the text as stored or as typed (matched as
    ``find_post`` matches), and ``contains`` is looked for in both.

    Raises:
        AssertionError: no such post (the message lists what ``by`` did post).
    """
    mine = sandbox.posts(author=by)
    for post in mine:
        if since is not None and post.created_at is not None and post.created_at < since:
            continue
        if text is not None and post.text != text and not post_matches(post, text):
            continue
        if contains is not None and not _contains(post, contains):
            continue
        return post
    wanted = f"text={text!r}" if text is not None else f"contains={contains!r}"
    msg = f"no post by {by!r} with {wanted}; its posts:\n{_describe(mine)}"
    raise AssertionError(msg)


def assert_replied(sandbox: Sandbox, *, by: UserRef, to: str, contains: str | None = None) -> Post:
    """The newest reply by ``by`` to post ``to``; fail if there is none.

    Raises:
        AssertionError: no such reply.
    """
    mine = sandbox.posts(author=by)
    for post in mine:
        if post.replied_to_id == to and (contains is None or _contains(post, contains)):
            return post
    msg = f"{by!r} did not reply to {to} (contains={contains!r}); its posts:\n{_describe(mine)}"
    raise AssertionError(msg)


def assert_no_posts(sandbox: Sandbox, *, by: UserRef) -> None:
    """Fail if ``by`` has any (undeleted) post.

    Raises:
        AssertionError: ``by`` posted something.
    """
    mine = sandbox.posts(author=by)
    if mine:
        msg = f"expected no posts by {by!r}, found:\n{_describe(mine)}"
        raise AssertionError(msg)


def assert_dm_sent(
    sandbox: Sandbox, *, sender: UserRef, recipient: UserRef, contains: str | None = None
) -> DirectMessage:
    """The newest DM from ``sender`` to ``recipient`` (containing ``contains``).

    Raises:
        AssertionError: no such DM.
    """
    sender_id = sandbox.user(sender).id
    events = sandbox.dms(between=(sender, recipient))
    for event in events:
        if event.sender_id == sender_id and (contains is None or contains in event.text):
            return event
    seen = "\n".join(f"  {e.sender_id}: {e.text!r}" for e in events) or "  (none)"
    msg = f"no DM from {sender!r} to {recipient!r} (contains={contains!r}); DMs:\n{seen}"
    raise AssertionError(msg)


def assert_cost_at_most(
    sandbox: Sandbox, usd: Decimal | float | str, *, user: str | None = None
) -> Decimal:
    """Fail if the pay-per-use bill (of ``user``, ``"app"`` or everyone) exceeds ``usd``.

    Returns:
        The bill, in USD.

    Raises:
        AssertionError: the bill is higher (the message itemizes it).
    """
    usage = sandbox.usage(user)
    limit = Decimal(str(usd))
    if usage.total > limit:
        lines = "\n".join(
            f"  {kind}: {count} x = ${usage.cost(kind)}"
            for kind, count in sorted(usage.counts.items())
        )
        msg = f"bill ${usage.total} exceeds ${limit}:\n{lines}"
        raise AssertionError(msg)
    return usage.total


class OpenAPIContract:
    """Validates sandbox responses against X's OpenAPI document.

    Attach it with ``sandbox.observe(contract)``; every answered request's body
    is checked against the response schema of its path, method and status
    (``default`` for errors). ``violations`` lists what failed, ``checked``
    counts the bodies validated.

    Raises:
        ConfigurationError: ``jsonschema``/``openapi-schema-validator`` are missing.
    """

    def __init__(self, spec_path: str | Path) -> None:
        try:
            validators = importlib.import_module("openapi_schema_validator")
            referencing = importlib.import_module("referencing")
            drafts = importlib.import_module("referencing.jsonschema")
        except ImportError as exc:  # pragma: no cover - depends on the environment
            msg = "OpenAPIContract needs openapi-schema-validator (pip install socialcare[tests])"
            raise ConfigurationError(msg) from exc
        self._spec: dict[str, Any] = json.loads(Path(spec_path).read_text(encoding="utf-8"))
        resource = referencing.Resource.from_contents(
            self._spec, default_specification=drafts.DRAFT4
        )
        self._registry = referencing.Registry().with_resource("urn:x-openapi", resource)
        self._validator_class = validators.OAS30Validator
        self._validators: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.violations: list[str] = []
        self.checked = 0

    def _schema_ref(self, endpoint: str, status: int, content_type: str) -> str | None:
        method, _, path = endpoint.partition(" ")
        template = "/".join(
            "{" + part[1:] + "}" if part.startswith(":") else part for part in path.split("/")
        )
        operation = self._spec["paths"].get(template, {}).get(method.lower())
        if operation is None:
            return None
        responses = operation["responses"]
        response = responses.get(str(status)) or responses.get("default")
        if response is None:
            return None
        media = "application/problem+json" if "problem" in content_type else "application/json"
        content = response.get("content", {}).get(media)
        if content is None:
            return None
        return str(content["schema"]["$ref"])

    def _validator(self, ref: str) -> Any:
        with self._lock:
            validator = self._validators.get(ref)
            if validator is None:
                schema = {"$ref": "urn:x-openapi" + ref}
                validator = self._validator_class(schema, registry=self._registry)
                self._validators[ref] = validator
            return validator

    def check(self, exchange: SandboxRequest, outcome: SandboxOutcome) -> list[str]:
        """Validate one response; return (and record) its violations."""
        if outcome.dropped is not None or not outcome.endpoint or outcome.payload is None:
            return []
        content_type = dict(outcome.headers).get("content-type", "")
        ref = self._schema_ref(outcome.endpoint, outcome.status, content_type)
        where = f"{exchange.method} {exchange.url} -> {outcome.status}"
        if ref is None:
            problems = [f"{where}: no schema in the OpenAPI document for {outcome.endpoint}"]
        else:
            errors = self._validator(ref).iter_errors(outcome.payload)
            problems = [
                f"{where}: {'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors
            ]
        with self._lock:
            self.checked += 1
            self.violations.extend(problems)
        return problems

    def check_payload(
        self, endpoint: str, payload: Mapping[str, object], *, status: int = 200
    ) -> list[str]:
        """Validate one JSON object against ``endpoint``'s response schema for ``status``.

        For what observers never see whole: each line of a stream
        (``GET /2/tweets/search/stream`` lines are ``FilteredStreamingTweetResponse``
        objects). Violations are returned and recorded in ``violations``.
        """
        ref = self._schema_ref(endpoint, status, "application/json")
        if ref is None:
            problems = [f"{endpoint}: no schema in the OpenAPI document for status {status}"]
        else:
            problems = [
                f"{endpoint} line: {'/'.join(map(str, e.absolute_path))}: {e.message}"
                for e in self._validator(ref).iter_errors(payload)
            ]
        with self._lock:
            self.checked += 1
            self.violations.extend(problems)
        return problems

    def check_request(self, exchange: SandboxRequest, endpoint: str) -> list[str]:
        """Validate a request's JSON body against its operation's ``requestBody`` schema.

        ``endpoint`` is the route's name (``SandboxOutcome.endpoint``). Requests without
        a body, or to operations without a JSON request body, have nothing to check.
        Violations are returned and recorded in ``violations``.
        """
        method, _, path = endpoint.partition(" ")
        template = "/".join(
            "{" + part[1:] + "}" if part.startswith(":") else part for part in path.split("/")
        )
        operation = self._spec["paths"].get(template, {}).get(method.lower(), {})
        content = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if content is None or not exchange.body:
            return []
        where = f"request {exchange.method} {exchange.url}"
        try:
            payload = json.loads(exchange.body)
        except ValueError:
            problems = [f"{where}: the body is not JSON"]
        else:
            errors = self._validator(str(content["schema"]["$ref"])).iter_errors(payload)
            problems = [
                f"{where}: {'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors
            ]
        with self._lock:
            self.checked += 1
            self.violations.extend(problems)
        return problems

    def __call__(self, exchange: SandboxRequest, outcome: SandboxOutcome) -> None:
        """Observer form of :meth:`check`."""
        self.check(exchange, outcome)


try:  # pytest is optional: the fixtures exist only when it is installed.
    import pytest
except ImportError:  # pragma: no cover - depends on the environment
    pytest = None  # type: ignore[assignment]

if pytest is not None:

    @pytest.fixture
    def sandbox_factory() -> Callable[..., Sandbox]:
        """Build sandboxes with ``make_sandbox``'s options."""
        return make_sandbox

    @pytest.fixture
    def sandbox(sandbox_factory: Callable[..., Sandbox]) -> Sandbox:
        """A fresh sandbox on a ManualClock at 2026-01-01 UTC."""
        return sandbox_factory()


# -- storage conformance suites ----------------------------------------------------------------
# One pytest suite per storage protocol (``LeaseStoreConformance``, ``StoreConformance``,
# ...), documented in docs/storage.md ("Writing a backend"). Subclass one under a
# ``Test`` name and give it a ``store`` fixture built on the ``clock`` fixture. The
# suites import pytest, so they are imported on first use: this module still imports
# without pytest.

import typing as _typing  # noqa: E402 - this section stays separate from the sandbox helpers

from socialcare._exports import publish as _publish  # noqa: E402

if _typing.TYPE_CHECKING:
    from socialcare.storage._conformance import (
        AuditLogConformance,
        ConversationStoreConformance,
        CursorStoreConformance,
        DMStoreConformance,
        EscalationStoreConformance,
        LeaseStoreConformance,
        LinkStoreConformance,
        OutboxStoreConformance,
        PauseSwitchConformance,
        PostStoreConformance,
        SeenStoreConformance,
        StoreConformance,
        StoreLifecycleConformance,
        TokenStoreConformance,
        UserStoreConformance,
    )

_CONFORMANCE = tuple(name for name in __all__ if name.endswith("Conformance"))


def __getattr__(name: str) -> object:
    """The storage conformance suites, imported (with pytest) on first use."""
    if name not in _CONFORMANCE:
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)
    suites = importlib.import_module("socialcare.storage._conformance")
    found = {suite: getattr(suites, suite) for suite in _CONFORMANCE}
    _publish(__name__, found, _CONFORMANCE)
    globals().update(found)
    return found[name]
