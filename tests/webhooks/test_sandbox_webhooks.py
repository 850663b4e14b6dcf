"""Webhooks end to end: XPlatform manages them, the sandbox runs CRCs and delivers signed events."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator

import pytest
from tests.webhooks.conftest import Served

from socialcare import ManualClock
from socialcare.alerts import MemoryReplayGuard
from socialcare.errors import AuthenticationError, InvalidRequestError, NotFoundError, PlatformError
from socialcare.platforms.x import XPlatform
from socialcare.sandbox import Sandbox, SandboxOutcome, SandboxRequest
from socialcare.testing import OpenAPIContract
from socialcare.webhooks import DirectMessageEvent, PostEvent, WebhookEvent, WebhookReceiver

Serve = Callable[[WebhookReceiver], Served]


@pytest.fixture
def requests_checked(
    x_contract: OpenAPIContract | None,
) -> Iterator[Callable[[Sandbox], None]]:
    """Check the JSON body of every request a sandbox gets against X's OpenAPI document."""
    found: list[str] = []

    def attach(sandbox: Sandbox) -> None:
        if x_contract is None:
            return

        def check(exchange: SandboxRequest, outcome: SandboxOutcome) -> None:
            problems = x_contract.check_request(exchange, outcome.endpoint)
            # X's OpenAPI 2.159 enumerates the event types of its first XAA release; its
            # current pages (constraints.md, "Real-time delivery") add post and DM events.
            found.extend(
                p for p in problems if "event_type: 'post." not in p and "event_type: 'dm." not in p
            )

        sandbox.observe(check)

    yield attach
    if x_contract is not None:
        x_contract.violations[:] = [
            v
            for v in x_contract.violations
            if "event_type: 'post." not in v and "event_type: 'dm." not in v
        ]
    assert not found, "\n".join(found)


class World:
    """A sandbox with a brand (acme), a customer (ann), a receiver served on loopback."""

    def __init__(self, sandbox: Sandbox, serve: Serve, *, guard: bool = True) -> None:
        self.sandbox = sandbox
        self.acme = sandbox.add_user("acme")
        self.ann = sandbox.add_user("ann")
        secret = sandbox.credentials().consumer_secret
        self.receiver = WebhookReceiver(
            secret,
            replay_guard=MemoryReplayGuard() if guard else None,
            clock=sandbox.clock,
        )
        self.events: list[WebhookEvent] = []
        self.receiver.on_any(self.events.append)
        self.served = serve(self.receiver)
        self.app = sandbox.platform()  # app-only bearer token
        self.x = sandbox.platform(self.acme)  # acme's user context (+ bearer for reads)

    def subscribe_all(self) -> str:
        hook = self.app.create_webhook(self.served.url)
        for kind in (
            "post.mention.create",
            "post.reply.create",
            "post.quote.create",
            "dm.received",
            "dm.sent",
        ):
            self.x.create_subscription(kind, user_id=self.acme.id, webhook_id=hook.id, tag="care")
        return hook.id


@pytest.fixture
def world(sandbox: Sandbox, serve: Serve, requests_checked: Callable[[Sandbox], None]) -> World:
    requests_checked(sandbox)
    return World(sandbox, serve)


# ------------------------------------------------------------------ webhooks


def test_registration_runs_a_crc_and_the_webhook_is_listed(world: World) -> None:
    hook = world.app.create_webhook(world.served.url)
    assert hook.valid
    assert hook.url == world.served.url
    assert hook.created_at == world.sandbox.clock.now().replace(microsecond=0)
    assert world.app.webhooks() == [hook]
    assert world.app.validate_webhook(hook.id) is True
    world.app.delete_webhook(hook.id)
    assert world.app.webhooks() == []


def test_a_wrong_crc_answer_refuses_the_registration(sandbox: Sandbox, serve: Serve) -> None:
    wrong = serve(WebhookReceiver("not-the-consumer-secret"))
    x = sandbox.platform()
    with pytest.raises(InvalidRequestError, match="CrcValidationFailed"):
        x.create_webhook(wrong.url)
    assert x.webhooks() == []


def test_a_url_nobody_answers_is_refused(sandbox: Sandbox, serve: Serve) -> None:
    gone = serve(WebhookReceiver("x"))
    url = gone.url
    gone.stop()
    with pytest.raises(InvalidRequestError, match="CrcValidationFailed"):
        sandbox.platform().create_webhook(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/hook",
        "http://localhost:8000/x",
        "http://127.0.0.1/x",
        "ftp://127.0.0.1:21/x",
        "https://127.0.0.1:8443/x",
    ],
)
def test_only_loopback_urls_with_a_port_are_called(sandbox: Sandbox, url: str) -> None:
    with pytest.raises(InvalidRequestError, match="UrlValidationFailed"):
        sandbox.platform().create_webhook(url)


def test_one_webhook_per_app_and_no_duplicate_url(world: World, serve: Serve) -> None:
    world.app.create_webhook(world.served.url)
    with pytest.raises(InvalidRequestError, match="DuplicateUrlFailed"):
        world.app.create_webhook(world.served.url)
    other = serve(world.receiver)
    with pytest.raises(PlatformError, match="WebhookLimitExceeded"):
        world.app.create_webhook(other.url)


def test_revalidation_fails_when_the_receiver_changed_its_secret(world: World) -> None:
    hook = world.app.create_webhook(world.served.url)
    world.receiver._secret = "rotated"
    with pytest.raises(InvalidRequestError, match="CrcValidationFailed"):
        world.app.validate_webhook(hook.id)
    assert world.app.webhooks()[0].valid is False
    # An invalid webhook gets no events.
    world.x.create_subscription("post.mention.create", user_id=world.acme.id, webhook_id=hook.id)
    world.sandbox.add_post(world.ann, "@acme anyone there?")
    assert world.sandbox.pending_deliveries == 0


def test_management_needs_the_apps_bearer_token(world: World) -> None:
    user_only = world.sandbox.platform(world.acme, app_reads=False)
    with pytest.raises(Exception, match="bearer token"):
        user_only.webhooks()
    with pytest.raises(InvalidRequestError, match="WebhookIdInvalid"):
        world.app.delete_webhook("123")
    with pytest.raises(ValueError, match="digits"):
        world.app.validate_webhook("abc")


# ------------------------------------------------------------- subscriptions


def test_subscriptions_are_created_listed_updated_and_deleted(world: World) -> None:
    hook = world.app.create_webhook(world.served.url)
    sub = world.x.create_subscription(
        "post.mention.create", user_id=world.acme.id, webhook_id=hook.id, tag="brand"
    )
    assert (sub.event_type, sub.filter.user_id, sub.webhook_id, sub.tag) == (
        "post.mention.create",
        world.acme.id,
        hook.id,
        "brand",
    )
    public = world.app.create_subscription("post.reply.create", user_id=world.acme.id)
    assert world.app.subscriptions() == [sub, public]
    world.sandbox.advance(60)
    moved = world.app.update_subscription(public.id, webhook_id=hook.id, tag="replies")
    assert (moved.webhook_id, moved.tag) == (hook.id, "replies")
    assert moved.updated_at is not None
    assert sub.updated_at is not None
    assert moved.updated_at > sub.updated_at
    world.app.delete_subscription(sub.id)
    assert [s.id for s in world.app.subscriptions()] == [public.id]
    with pytest.raises(NotFoundError):
        world.app.delete_subscription(sub.id)


def test_subscriptions_page_through_all(world: World) -> None:
    for _ in range(103):
        world.app.create_subscription("follow.follow", user_id=world.ann.id)
    assert len(world.app.subscriptions()) == 103


def test_private_events_need_the_filtered_users_context(world: World) -> None:
    with pytest.raises(PlatformError, match="private event"):
        world.app.create_subscription("dm.received", user_id=world.acme.id)
    ann = world.sandbox.platform(world.ann)
    with pytest.raises(PlatformError, match="private event"):
        ann.create_subscription("post.mention.create", user_id=world.acme.id)


def test_app_only_routes_refuse_user_context(world: World) -> None:
    user_only = world.sandbox.platform(world.acme, app_reads=False)
    user_only._app = user_only._user
    with pytest.raises(AuthenticationError):
        user_only.subscriptions()


def test_bad_subscription_requests_are_refused(world: World) -> None:
    with pytest.raises(InvalidRequestError, match="event_type"):
        world.app.create_subscription("post.nonsense", user_id=world.acme.id)
    with pytest.raises(ValueError, match="filter"):
        world.app.create_subscription("follow.follow")
    with pytest.raises(InvalidRequestError, match="WebhookIdInvalid"):
        world.app.create_subscription("follow.follow", user_id=world.acme.id, webhook_id="42")
    with pytest.raises(ValueError, match="tag"):
        world.app.create_subscription("follow.follow", user_id=world.acme.id, tag="x" * 201)


# ---------------------------------------------------------------- deliveries


def _only(events: list[WebhookEvent], kind: str) -> list[WebhookEvent]:
    return [e for e in events if e.kind == kind]


def test_mentions_replies_quotes_and_dms_are_delivered_signed_and_parsed(world: World) -> None:
    world.subscribe_all()
    s = world.sandbox
    mention = s.add_post(world.ann, "@acme my order is late")
    mine = s.add_post(world.acme, "We ship on Monday")
    reply = s.add_post(world.ann, "that is too late", in_reply_to=mine.id)
    quote = s.add_post(world.ann, "look at this", quote_of=mine.id)
    s.add_post(world.ann, "nothing to do with anyone")
    received = s.add_dm(world.ann, world.acme, "order 123?")
    sent = world.x.send_dm(world.ann.id, "on its way")
    report = s.deliver_pending()
    assert report.delivered == 5
    assert {a.status for a in report.attempts} == {200}
    posts = {e.kind: e for e in world.events if isinstance(e, PostEvent)}
    assert posts["post.mention.create"].post.id == mention.id
    assert posts["post.reply.create"].post.id == reply.id
    assert posts["post.quote.create"].post.id == quote.id
    assert all(e.tag == "care" and e.filter.user_id == world.acme.id for e in posts.values())
    assert posts["post.mention.create"].includes.user(world.ann.id) is not None
    dms = {e.kind: e for e in world.events if isinstance(e, DirectMessageEvent)}
    assert dms["dm.received"].message.id == received.id
    assert dms["dm.received"].message.text == "order 123?"
    assert dms["dm.received"].message.sender_id == world.ann.id
    assert dms["dm.sent"].message.id == sent.id
    assert dms["dm.sent"].user(world.ann.id) is not None
    assert s.pending_deliveries == 0
    assert s.deliver_pending().attempts == ()


def test_post_create_is_delivered_for_the_users_own_posts(world: World) -> None:
    hook = world.app.create_webhook(world.served.url)
    world.app.create_subscription("post.create", user_id=world.acme.id, webhook_id=hook.id)
    world.sandbox.add_post(world.ann, "@acme hi")
    own = world.x.create_post("Good morning")
    world.sandbox.deliver_pending()
    assert [(e.kind, e.post.id) for e in world.events if isinstance(e, PostEvent)] == [
        ("post.create", own.id)
    ]


def test_deliveries_are_billed_per_delivered_event(world: World) -> None:
    world.subscribe_all()
    before = world.sandbox.usage()
    world.sandbox.add_post(world.ann, "@acme hello")
    world.sandbox.add_dm(world.ann, world.acme, "hello")
    world.sandbox.deliver_pending()
    billed = world.sandbox.usage() - before
    assert billed.counts == {"activity_dm_event": 1, "activity_post_event": 1}
    assert str(billed.total) == "0.015"


def test_failed_deliveries_are_retried_on_xs_timeline_then_given_up(world: World) -> None:
    world.subscribe_all()
    failing = {"on": True}

    def flaky(_event: WebhookEvent) -> None:
        if failing["on"]:
            raise RuntimeError("receiver down")

    world.receiver.on_any(flaky)
    world.receiver.replay_guard = None  # a failed attempt must be handled again on retry
    s = world.sandbox
    s.add_post(world.ann, "@acme are you there")
    start = s.clock.now()
    assert s.deliver_pending().retrying == 1
    s.advance(2)
    assert s.deliver_pending().attempts == ()  # not due before 3 s
    s.advance(1)
    assert s.deliver_pending().retrying == 1
    s.advance(27)
    assert s.deliver_pending().retrying == 1
    s.advance(242)
    assert s.deliver_pending().given_up == 1
    attempts = s.delivery_attempts()
    assert [a.attempt for a in attempts] == [1, 2, 3, 4]
    assert [a.status for a in attempts] == [500] * 4
    assert [(a.at - start).total_seconds() for a in attempts] == [0, 3, 30, 272]
    assert s.pending_deliveries == 0
    assert (s.usage().counts.get("activity_post_event", 0)) == 0
    # The next event goes through once the receiver recovers.
    failing["on"] = False
    s.add_post(world.ann, "@acme hello again")
    assert s.deliver_pending().delivered == 1


def test_a_retry_that_succeeds_is_billed_once(world: World) -> None:
    world.subscribe_all()
    world.served.stop()
    s = world.sandbox
    s.add_post(world.ann, "@acme hi")
    report = s.deliver_pending()
    assert [a.status for a in report.attempts] == [0]  # nothing answered
    revived = Served(world.receiver.wsgi_app())
    try:
        hub = s._app.webhooks
        for hook in hub.webhooks.values():
            hook.url = revived.url
        s.advance(3)
        assert s.deliver_pending().delivered == 1
        assert s.usage().counts["activity_post_event"] == 1
        assert len(_only(world.events, "post.mention.create")) == 1
    finally:
        revived.stop()


def test_replay_redelivers_a_time_range_with_the_same_event_ids(
    sandbox: Sandbox, serve: Serve, requests_checked: Callable[[Sandbox], None]
) -> None:
    requests_checked(sandbox)
    world = World(sandbox, serve, guard=False)
    hook_id = world.subscribe_all()
    s = world.sandbox
    s.advance(minutes=5)
    s.add_post(world.ann, "@acme first")
    s.deliver_pending()
    s.advance(minutes=10)
    s.add_post(world.ann, "@acme second")
    s.deliver_pending()
    s.advance(minutes=10)
    first, second = world.events
    minute = dt.timedelta(minutes=1)
    job = world.app.replay_webhook(
        hook_id, since=s.clock.now() - 21 * minute, until=s.clock.now() - 15 * minute
    )
    assert job.id
    assert job.created_at is not None
    report = s.deliver_pending()
    assert report.delivered == 1
    assert world.events[-1].event_uuid == first.event_uuid
    assert world.events[-1] == first
    assert second.event_uuid != first.event_uuid
    assert s.usage().counts["activity_post_event"] == 2  # the replayed event is not billed again


def test_a_receiver_with_a_replay_guard_handles_a_replayed_event_once(world: World) -> None:
    hook_id = world.subscribe_all()
    s = world.sandbox
    s.add_post(world.ann, "@acme hi")
    s.deliver_pending()
    s.advance(minutes=2)
    world.app.replay_webhook(
        hook_id, since=s.clock.now() - dt.timedelta(minutes=3), until=s.clock.now()
    )
    report = s.deliver_pending()
    assert [a.status for a in report.attempts] == [200]
    assert len(world.events) == 1


def test_replay_is_refused_beyond_24_hours_and_for_unknown_webhooks(world: World) -> None:
    hook_id = world.subscribe_all()
    now = world.sandbox.clock.now()
    with pytest.raises(InvalidRequestError, match="24 hours"):
        world.app.replay_webhook(hook_id, since=now - dt.timedelta(hours=25), until=now)
    with pytest.raises(InvalidRequestError, match="WebhookIdInvalid"):
        world.app.replay_webhook("99", since=now - dt.timedelta(hours=1), until=now)
    with pytest.raises(ValueError, match="before"):
        world.app.replay_webhook(hook_id, since=now, until=now)


def test_automatic_delivery_from_a_background_thread(world: World) -> None:
    world.subscribe_all()
    arrived = threading.Event()
    world.receiver.on("dm.received")(lambda _e: arrived.set())
    with world.sandbox.deliver_automatically(interval=0.01):
        world.sandbox.add_dm(world.ann, world.acme, "hello?")
        assert arrived.wait(30)
    assert isinstance(world.events[-1], DirectMessageEvent)


def test_a_platform_on_the_real_clock_reads_the_webhook_config(serve: Serve) -> None:
    sandbox = Sandbox(clock=ManualClock(dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)))
    receiver = WebhookReceiver(sandbox.credentials().consumer_secret)
    served = serve(receiver)
    x: XPlatform = sandbox.platform()
    hook = x.create_webhook(served.url)
    assert hook.created_at == dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)


def test_the_mentions_x_adds_to_a_reply_fire_no_mention_event(world: World) -> None:
    # X: post.mention.create "does not fire for implicit mentions carried by replies".
    world.subscribe_all()
    s = world.sandbox
    mine = s.add_post(world.acme, "We ship on Monday")
    reply = s.add_post(world.ann, "too late", in_reply_to=mine.id)
    assert reply.text == "@acme too late"
    explicit = s.add_post(world.ann, "@acme and again", in_reply_to=mine.id)
    assert explicit.text == "@acme and again"  # typed: the body's own mention
    s.deliver_pending()
    kinds = sorted((e.kind, e.post.id) for e in world.events if isinstance(e, PostEvent))
    assert kinds == sorted(
        [
            ("post.reply.create", reply.id),
            ("post.reply.create", explicit.id),
            ("post.mention.create", explicit.id),
        ]
    )
