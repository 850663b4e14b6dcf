"""The own-account guard against the sandbox, on SQLite and PostgreSQL (and memory).

Done when (issue 17): a post made outside the outbox is reported by the next check, and
posts sent through the outbox are not. DMs too; the pause policy stops every sender.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from tests.storage.storage_support import drop_pg_schema, require_postgres

from socialcare.alerts import Alert, CallbackSink
from socialcare.errors import AlertError
from socialcare.guard import AccountGuard, GuardReport
from socialcare.models import DirectMessage, Page, Post, User
from socialcare.outbox import OUTBOX_KIND, Outbox, Sender
from socialcare.platforms.x import XPlatform
from socialcare.sandbox import Sandbox
from socialcare.storage import MemoryStore, SQLiteStore, Store


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox()


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path, sandbox: Sandbox) -> Iterator[Store]:
    if request.param == "memory":
        yield MemoryStore(clock=sandbox.clock)
        return
    if request.param == "sqlite":
        with SQLiteStore(tmp_path / "care.db", create_schema=True, clock=sandbox.clock) as db:
            yield db
        return
    dsn = require_postgres()
    from socialcare.storage.postgres import PostgresStore  # noqa: PLC0415 - optional driver

    schema = f"sc_g_{uuid.uuid4().hex[:16]}"
    try:
        with PostgresStore(dsn, schema=schema, create_schema=True, clock=sandbox.clock) as pg:
            yield pg
    finally:
        drop_pg_schema(dsn, schema)


class World:
    def __init__(self, sandbox: Sandbox, store: Store) -> None:
        self.sandbox = sandbox
        self.store = store
        self.acme = sandbox.add_user("acmehelp")
        self.ann = sandbox.add_user("ann")
        self.bob = sandbox.add_user("bob")
        self.x: XPlatform = sandbox.platform(self.acme, app_reads=False)
        self.outbox = Outbox(store)
        self.sender = Sender(store, self.x)
        self.alerts: list[Alert] = []
        sandbox.add_post(self.acme, "Welcome to Acme help: https://acme.com/help")

    def guard(self, **options: object) -> AccountGuard:
        return AccountGuard(
            self.x,
            self.store,
            brand_domains=("acme.com",),
            brand_names=("acme",),
            allowed_domains=("status.acme-cdn.net",),
            sinks=(CallbackSink(self.alerts.append),),
            **options,  # type: ignore[arg-type]
        )

    def send_through_outbox(self) -> None:
        complaint = self.sandbox.add_post(self.ann, "@acmehelp my parcel is late")
        self.outbox.reply(complaint, "Sorry Ann! Status: https://acme.com/track/1042")
        self.outbox.post("Delivery delays in the north today, sorry: https://acme.com/status")
        self.outbox.dm(self.ann.id, "Hi Ann, Acme here. Which order is it?")
        report = self.sender.run_once()
        assert report.sent == 3


@pytest.fixture
def world(sandbox: Sandbox, store: Store) -> World:
    return World(sandbox, store)


def kinds(report: GuardReport) -> list[tuple[str, str]]:
    return sorted((f.kind, f.item_id) for f in report.findings)


def test_a_post_made_outside_the_outbox_is_reported_by_the_next_check(world: World) -> None:
    guard = world.guard()
    assert guard.check().baseline
    world.send_through_outbox()
    world.sandbox.advance(30)
    hijack = world.sandbox.add_post(world.acme, "Giveaway! Send 1 BTC, get 2 back")
    direct = world.x.create_post("Posted from a script, not through the outbox")

    report = guard.check()

    assert not report.baseline
    assert report.posts_read == 4  # the reply, the outbox post and the two others
    assert kinds(report) == sorted(
        [("unrecognised_post", hijack.id), ("unrecognised_post", direct.id)]
    )
    finding = next(f for f in report.findings if f.item_id == hijack.id)
    assert finding.channel == "own_post"
    assert finding.text == "Giveaway! Send 1 BTC, get 2 back"
    assert finding.created_at == hijack.created_at
    assert "not in the outbox" in finding.reason
    alert = next(a for a in world.alerts if a.post.id == hijack.id)
    assert alert.stream == "guard.unrecognised_post"
    assert alert.reason is not None
    assert "not in the outbox" in alert.reason
    assert alert.title.startswith("a post from the account")
    assert alert.received_at == world.sandbox.clock.now()
    entries = world.store.audit_entries(subject=hijack.id)
    assert [e.action for e in entries] == ["guard.unrecognised"]
    # Reported once: the next check reads nothing new and repeats nothing.
    again = guard.check()
    assert (again.posts_read, again.findings) == (0, ())
    assert len(world.alerts) == 2


def test_posts_and_dms_sent_through_the_outbox_are_recognised(world: World) -> None:
    guard = world.guard()
    guard.check()
    world.send_through_outbox()
    report = guard.check()
    assert report.posts_read == 2
    assert report.dms_read == 1
    assert report.findings == ()
    assert report.ok
    assert world.alerts == []


def test_a_dm_sent_outside_the_outbox_is_reported(world: World) -> None:
    guard = world.guard()
    guard.check()
    world.send_through_outbox()
    world.sandbox.add_post(world.bob, "@acmehelp hello")  # summons nothing needed for DMs
    rogue = world.x.send_dm(world.bob.id, "Hi Bob, quick question from Acme")
    planted = world.sandbox.add_dm(world.acme, world.ann, "Reply with your order and postcode")
    inbound = world.sandbox.add_dm(world.ann, world.acme, "Thanks, it is order 1042")

    report = guard.check()

    assert kinds(report) == sorted([("unrecognised_dm", rogue.id), ("unrecognised_dm", planted.id)])
    assert inbound.id not in {f.item_id for f in report.findings}
    finding = next(f for f in report.findings if f.item_id == planted.id)
    assert finding.channel == "own_dm"
    assert finding.conversation_id == planted.dm_conversation_id
    alert = next(a for a in world.alerts if a.post.id == planted.id)
    assert alert.url == f"https://x.com/messages/{planted.dm_conversation_id}"


def test_pause_policy_stops_every_sender_until_a_person_resumes(world: World) -> None:
    guard = world.guard(on_unrecognised="pause")
    guard.check()
    world.sandbox.add_post(world.acme, "Unrecognised: hijacked?")
    complaint = world.sandbox.add_post(world.ann, "@acmehelp still waiting")
    queued = world.outbox.reply(complaint, "Looking into it now, Ann.")

    report = guard.check()

    assert report.paused
    assert world.store.paused()
    second_sender = Sender(world.store, world.x, owner="worker-2")
    assert world.sender.run_once().paused
    assert second_sender.run_once().paused
    record = world.outbox.get(queued.record.key)
    assert record is not None
    assert record.status == "reserved"
    paused = [e for e in world.store.audit_entries(limit=1000) if e.action == "outbox.paused"]
    assert len(paused) == 1
    assert "unrecognised outbound activity" in str(paused[0].detail["reason"])
    # The runbook: a person checks, then resumes; the queued reply goes out.
    assert world.outbox.resume_all(actor="ops")
    assert world.sender.run_once().sent == 1
    after = guard.check()
    assert after.findings == ()  # the reply came from the outbox
    assert not after.paused
    assert not world.store.paused()


def test_alert_policy_does_not_pause(world: World) -> None:
    guard = world.guard()
    guard.check()
    world.sandbox.add_post(world.acme, "Unrecognised again")
    report = guard.check()
    assert len(report.unrecognised) == 1
    assert not report.paused
    assert not world.store.paused()


def test_acknowledged_manual_posts_are_not_flagged(world: World) -> None:
    guard = world.guard()
    guard.check()
    manual = world.sandbox.add_post(world.acme, "Posted by Jo from the X app, on purpose")
    guard.acknowledge(manual.id, actor="jo", note="launch announcement")
    assert guard.check().findings == ()


def test_a_send_in_flight_is_held_not_flagged(world: World) -> None:
    guard = world.guard(in_flight_grace=120)
    guard.check()
    # A sender has started an attempt and X has published it, but the answer is not back.
    reservation = world.outbox.post("Our stores open at 9 tomorrow")
    key = reservation.record.key
    [claimed] = world.store.claim_actions("worker-1", ttl=60, kind=OUTBOX_KIND)
    assert world.store.start_attempt(claimed.key, owner="worker-1") is not None
    published = world.x.create_post("Our stores open at 9 tomorrow")

    first = guard.check()
    assert first.findings == ()
    assert first.held == (published.id,)

    world.sandbox.advance(10)  # the answer arrives: sent, with X's id
    world.store.mark_sent(key, remote_id=published.id)
    world.store.append_audit(
        "outbox.sent", actor="worker-1", subject=key, detail={"remote_id": published.id}
    )
    second = guard.check()
    assert second.findings == ()
    assert second.held == ()
    assert world.alerts == []


def test_a_held_post_is_judged_after_the_grace(world: World) -> None:
    guard = world.guard(in_flight_grace=120)
    guard.check()
    world.outbox.post("Something else entirely")
    [claimed] = world.store.claim_actions("worker-1", ttl=600, kind=OUTBOX_KIND)
    assert world.store.start_attempt(claimed.key, owner="worker-1") is not None
    sneaky = world.sandbox.add_post(world.acme, "Posted while a send was in flight")
    assert guard.check().held == (sneaky.id,)
    world.sandbox.advance(121)
    report = guard.check()
    assert kinds(report) == [("unrecognised_post", sneaky.id)]


def test_links_off_the_allow_list_are_flagged_in_own_posts_and_dms(world: World) -> None:
    guard = world.guard()
    guard.check()
    world.outbox.post("Track it here: https://acme.com/track and https://status.acme-cdn.net/")
    world.outbox.post("Our partner has it: https://partner-shop.com/deal")
    world.outbox.dm(world.ann.id, "Please see https://bit.ly/3xyz for the form")
    assert world.sender.run_once().sent == 3

    report = guard.check()

    links = sorted((f.channel, f.details) for f in report.findings if f.kind == "unknown_link")
    assert links == [("own_dm", ("bit.ly",)), ("own_post", ("partner-shop.com",))]
    assert report.unrecognised == ()  # sent through the outbox: only the links are flagged


def test_phishing_in_inbound_dms_and_mentions_is_flagged(world: World) -> None:
    guard = world.guard()
    guard.check()
    lure = world.sandbox.add_dm(
        world.bob, world.acme, "Acme security: verify your account at https://acme-login.net/verify"
    )
    mention = world.sandbox.add_post(
        world.bob, "@acmehelp your account will be suspended unless you log in at acrne.com/login"
    )
    world.sandbox.add_post(world.ann, "@acmehelp I forgot my password, how do I reset it?")
    world.sandbox.add_dm(world.ann, world.acme, "Hi, my order 1042 has not arrived")

    report = guard.check()

    phishing = {f.item_id: f for f in report.findings if f.kind == "phishing"}
    assert set(phishing) == {lure.id, mention.id}
    assert phishing[lure.id].channel == "inbound_dm"
    assert phishing[mention.id].channel == "mention"
    assert any(d.startswith("lookalike_domain") for d in phishing[lure.id].details)
    assert report.mentions_read == 2


def test_mentions_can_be_left_to_the_monitor(world: World) -> None:
    guard = world.guard(mentions=False)
    guard.check()
    mention = world.sandbox.add_post(world.bob, "@acmehelp confirm your password at acme.help.io")
    report = guard.check()
    assert report.mentions_read == 0
    assert report.findings == ()
    [finding] = guard.inspect(mention)  # what a monitor handler would call
    assert finding.channel == "mention"


def test_a_restarted_guard_continues_from_the_stored_marks(world: World) -> None:
    world.guard().check()
    world.send_through_outbox()
    rogue = world.sandbox.add_post(world.acme, "Made between two runs")
    report = world.guard().check()  # a new process, the same store
    assert not report.baseline
    assert kinds(report) == [("unrecognised_post", rogue.id)]


def test_a_quiet_check_reads_nothing_billable(world: World) -> None:
    guard = world.guard()
    guard.check()
    world.send_through_outbox()
    guard.check()
    before = world.sandbox.usage(world.acme)
    world.sandbox.advance(days=1)  # a new UTC day: nothing deduplicated any more
    report = guard.check()
    spent = world.sandbox.usage(world.acme) - before
    assert (report.posts_read, report.dms_read, report.mentions_read) == (0, 0, 0)
    assert spent.counts.get("post_read", 0) == 0
    # X's DM events endpoint has no since_id: the guard asks for one event, the newest.
    assert spent.counts.get("dm_event_read", 0) == 1
    assert spent.counts.get("user_read", 0) <= 1  # its sender, expanded by X


def test_many_new_dms_are_all_read(world: World) -> None:
    guard = world.guard(page_size=5)
    guard.check()
    sent = [world.sandbox.add_dm(world.acme, world.ann, f"Unrecorded DM {n}") for n in range(12)]
    report = guard.check()
    assert report.dms_read == 12
    assert kinds(report) == sorted(("unrecognised_dm", m.id) for m in sent)


def test_a_failing_sink_does_not_lose_the_finding(world: World) -> None:
    def broken(_alert: Alert) -> None:
        raise AlertError("pager down")

    guard = world.guard()
    guard.add_sink(CallbackSink(broken))
    guard.check()
    rogue = world.sandbox.add_post(world.acme, "Nobody sent this")
    report = guard.check()
    assert len(report.alert_errors) == 1
    assert "pager down" in report.alert_errors[0]
    assert not report.ok
    assert [a.post.id for a in world.alerts] == [rogue.id]  # the other sink got it
    assert [e.action for e in world.store.audit_entries(subject=rogue.id)] == ["guard.unrecognised"]


def test_run_forever_checks_on_the_interval(world: World) -> None:
    guard = world.guard(interval=60)
    start = world.sandbox.clock.now()
    guard.run_forever(max_checks=3, handle_signals=False)
    assert (world.sandbox.clock.now() - start).total_seconds() == 120
    rogue = world.sandbox.add_post(world.acme, "After the loop")
    assert kinds(guard.check()) == [("unrecognised_post", rogue.id)]


def test_brand_id_from_the_platform(world: World) -> None:
    guard = world.guard()
    assert guard.brand_user_id == world.acme.id
    other = AccountGuard(world.x, world.store, brand_user_id="123")
    assert other.brand_user_id == "123"
    assert isinstance(world.sandbox.user(world.acme), User)


class LaggingTimeline:
    """The brand's platform, with X's timeline showing some posts late."""

    def __init__(self, x: XPlatform) -> None:
        self.x = x
        self.hidden: set[str] = set()

    def me(self) -> User:
        return self.x.me()

    def user_posts(
        self,
        user_id: str | None = None,
        *,
        since_id: str | None = None,
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> Page[Post]:
        page = self.x.user_posts(
            user_id, since_id=since_id, max_results=max_results, next_token=next_token
        )
        return attrs.evolve(page, items=tuple(p for p in page.items if p.id not in self.hidden))

    def dm_events(
        self,
        *,
        since_id: str | None = None,
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> Page[DirectMessage]:
        return self.x.dm_events(since_id=since_id, max_results=max_results, next_token=next_token)

    def mentions(
        self,
        user_id: str | None = None,
        *,
        since_id: str | None = None,
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> Page[Post]:
        return self.x.mentions(
            user_id, since_id=since_id, max_results=max_results, next_token=next_token
        )


@pytest.mark.parametrize(("overlap", "flagged"), [(900.0, False), (0.0, True)])
def test_a_post_the_timeline_shows_late_is_still_recognised(
    world: World, overlap: float, flagged: bool
) -> None:
    lagging = LaggingTimeline(world.x)
    guard = AccountGuard(lagging, world.store, audit_overlap=overlap, clock=world.sandbox.clock)
    guard.check()
    world.outbox.post("Back online, thanks for your patience")
    assert world.sender.run_once().sent == 1
    [sent] = world.outbox.sent()
    assert sent.remote_id is not None
    lagging.hidden.add(sent.remote_id)  # published, but not on the timeline yet
    world.sandbox.advance(60)
    assert guard.check().posts_read == 0
    lagging.hidden.clear()
    world.sandbox.advance(60)
    report = guard.check()
    assert report.posts_read == 1
    assert bool(report.unrecognised) is flagged  # 0 s overlap: the entry was already passed
