"""The care desk on every store: rules, queue, claims and collisions, SLAs, audit, reports."""

from __future__ import annotations

import datetime as dt
import importlib.util
import multiprocessing
import threading
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import pytest
from tests.desk.desk_worker import claim as claim_in_process
from tests.outbox.outbox_support import FakePlatform

from socialcare import ManualClock
from socialcare.alerts import Alert, CallbackSink
from socialcare.desk import (
    Condition,
    Desk,
    DeskRule,
    RuleSet,
    SlaPolicy,
    Team,
    business_deadline,
)
from socialcare.errors import AlertError, CollisionError, ConfigurationError
from socialcare.models import Post, User
from socialcare.outbox import Sender
from socialcare.storage import Store
from socialcare.threads import BusinessHours

BRAND = "1"
# Monday 2026-11-30 10:00 UTC
MONDAY = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.timezone.utc)


class Scorer:
    """A sentiment scorer for tests: 'furious' reads -0.9, anything else 0."""

    def score(self, text: str) -> float:
        return -0.9 if "furious" in text else 0.0


def post(
    pid: str, text: str, *, author: str = "42", at: dt.datetime = MONDAY, **kw: object
) -> Post:
    return Post(
        id=pid,
        text=text,
        author_id=author,
        created_at=at,
        conversation_id=kw.pop("cid", pid),
        lang=kw.pop("lang", "en"),
        **kw,
    )  # type: ignore[arg-type]


RULES = {
    "vips": ["@bigcorp"],
    "rules": [
        {
            "name": "spam",
            "when": {"keywords": ["free crypto"]},
            "hide_reply": True,
            "resolve": True,
            "stop": True,
        },
        {
            "name": "legal",
            "when": {"keywords": ["lawyer", "sue"]},
            "tags": ["legal"],
            "priority": 10,
            "assign": "legal-team",
        },
        {"name": "vip", "when": {"vip": True}, "priority": 5},
        {"name": "loud", "when": {"min_followers": 10000}, "tags": ["influencer"]},
        {"name": "angry", "when": {"sentiment_at_most": -0.5}, "priority": 3},
        {"name": "german", "when": {"languages": ["de"]}, "tags": ["de"], "assign": "berlin"},
    ],
}


def make_desk(store: Store, clock: ManualClock, **kw: object) -> Desk:
    return Desk(
        store, brands=[BRAND], rules=RuleSet.from_dict(RULES, scorer=Scorer()), clock=clock, **kw
    )  # type: ignore[arg-type]


# -- rules -------------------------------------------------------------------------------------


def test_rules_from_dict_round_trip_and_explain() -> None:
    rules = RuleSet.from_dict(RULES, scorer=Scorer())
    assert RuleSet.from_dict(rules.to_dict(), scorer=Scorer()) == rules
    author = User(id="42", username="bigcorp", name="Big", followers_count=50_000)
    triage = rules.evaluate(post("5", "@acme I will sue, furious"), author)
    assert [m.rule for m in triage.matches] == ["legal", "vip", "loud", "angry"]
    assert triage.tags == {"legal", "influencer"}
    assert triage.priority == 10
    assert triage.assign == "legal-team"
    assert (
        triage.explanations[0]
        == "legal: the post says 'sue' -> tag legal, priority 10, assign legal-team"
    )
    assert "50,000 followers" in triage.explanations[2]
    assert "sentiment -0.90" in triage.explanations[3]
    assert not rules.evaluate(post("6", "thanks!", lang="en"))


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"rule": []}, "desk rules: rule: unknown field"),
        ({"rules": {}}, "desk rules: rules: must be a list"),
        ({"rules": [{"when": {}}]}, "desk rules: rules[0].name: missing"),
        ({"rules": [{"name": "a", "when": {"min_followers": -1}}]}, "rules[0].when.min_followers"),
        (
            {"rules": [{"name": "a", "when": {"sentiment_at_most": 3}}]},
            "rules[0].when.sentiment_at_most",
        ),
        (
            {"rules": [{"name": "a", "when": {"keywords": "refund"}}]},
            "rules[0].when.keywords: must be a list",
        ),
        (
            {"rules": [{"name": "a", "when": {"colour": "red"}}]},
            "rules[0].when.colour: unknown field",
        ),
        ({"rules": [{"name": "a", "priority": "high"}]}, "rules[0].priority"),
        ({"rules": [{"name": "a", "hide_reply": "yes"}]}, "rules[0].hide_reply"),
        ({"rules": [{"name": "a"}, {"name": "a"}]}, "used twice"),
        ({"vips": "ann"}, "desk rules: vips: must be a list"),
    ],
)
def test_rules_from_dict_errors_name_the_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigurationError, match=field.replace("[", r"\[").replace("]", r"\]")):
        RuleSet.from_dict(data, scorer=Scorer())


def test_ingest_applies_rules_and_explains(store: Store, clock: ManualClock) -> None:
    desk = make_desk(store, clock)
    author = User(id="42", username="bigcorp", name="Big", followers_count=10)
    triaged = desk.ingest(
        [
            post("100", "@acme my lawyer will hear about this", at=MONDAY),
            post("200", "@acme free crypto here", author="77", at=MONDAY),
            post("300", "@acme Hallo, Paket fehlt", author="78", lang="de", at=MONDAY),
            post("400", "@acme just a question", author="79", at=MONDAY),
        ],
        users=[author],
    )
    assert {t.post_id: [m.rule for m in t.matches] for t in triaged} == {
        "100": ["legal", "vip"],
        "200": ["spam"],
        "300": ["german"],
    }
    legal = store.get_conversation("100")
    assert legal is not None
    assert (legal.tags, legal.priority, legal.assignee) == ({"legal"}, 10, "legal-team")
    spam = store.get_conversation("200")
    assert spam is not None
    assert spam.state == "resolved"
    assert store.get_action("hide:200:true:desk:spam") is not None
    entries = [e for e in store.audit_entries(subject="100") if e.action == "desk.rule"]
    assert entries[0].detail["rules"][0]["why"] == ["the post says 'lawyer'"]  # type: ignore[index]
    assert desk.ingest([post("100", "@acme my lawyer will hear about this", at=MONDAY)]) == []
    queue = desk.queue(now=MONDAY)
    assert [i.conversation.id for i in queue] == ["100", "300", "400"]


# -- the queue and SLAs ----------------------------------------------------------------------------


HOURS = BusinessHours.weekdays("09:00", "17:00", timezone="UTC", holidays=[dt.date(2026, 12, 25)])


def test_business_deadline_skips_nights_weekends_and_holidays() -> None:
    friday_4pm = dt.datetime(2026, 12, 4, 16, 0, tzinfo=dt.timezone.utc)
    due = business_deadline(HOURS, friday_4pm, dt.timedelta(hours=2))
    assert due == dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.timezone.utc)  # Monday 10:00
    assert HOURS.elapsed(friday_4pm, due) == dt.timedelta(hours=2)
    xmas_eve = dt.datetime(2026, 12, 24, 16, 30, tzinfo=dt.timezone.utc)
    assert business_deadline(HOURS, xmas_eve, dt.timedelta(hours=1)) == dt.datetime(
        2026, 12, 28, 9, 30, tzinfo=dt.timezone.utc
    )
    assert business_deadline(None, friday_4pm, dt.timedelta(hours=2)) == friday_4pm + dt.timedelta(
        hours=2
    )


def test_sla_with_business_hours_and_dedup_alerts(store: Store, clock: ManualClock) -> None:
    friday_4pm = dt.datetime(2026, 12, 4, 16, 0, tzinfo=dt.timezone.utc)
    clock.set(friday_4pm)
    got: list[Alert] = []
    sla = SlaPolicy(
        teams=(
            Team(
                "care",
                first_response=dt.timedelta(hours=1),
                resolution=dt.timedelta(hours=8),
                hours=HOURS,
            ),
            Team("legal", first_response=dt.timedelta(minutes=15), tags={"legal"}),
        ),
        coverage_after=dt.timedelta(hours=4),
    )
    desk = make_desk(store, clock, sla=sla, sinks=[CallbackSink(got.append)])
    half_past = friday_4pm + dt.timedelta(minutes=30)
    desk.ingest([post("100", "@acme where is my parcel", at=half_past)])
    desk.ingest([post("200", "@acme I will sue", author="43", at=friday_4pm)])
    items = {i.conversation.id: i for i in desk.queue(now=friday_4pm)}
    # 30 business minutes on Friday, 30 on Monday from 09:00
    assert items["100"].first_response_due == dt.datetime(
        2026, 12, 7, 9, 30, tzinfo=dt.timezone.utc
    )
    assert items["200"].first_response_due == friday_4pm + dt.timedelta(minutes=15)
    assert items["200"].team == "legal"
    assert desk.check(friday_4pm + dt.timedelta(minutes=10)) == []
    # Friday 16:30: the legal team (around the clock) is late, care is not
    late = desk.check(half_past)
    assert [(b.kind, b.conversation_id) for b in late] == [("first_response", "200")]
    assert [a.stream for a in got] == ["desk.first_response"]
    assert got[0].post.id == "200"
    assert desk.check(friday_4pm + dt.timedelta(minutes=40)) == []  # once per breach
    # Saturday: care's clock stopped (no breach), but nobody handles the wait: coverage
    saturday = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.timezone.utc)
    fired = desk.check(saturday)
    assert {(b.kind, b.conversation_id) for b in fired} == {
        ("coverage", "100"),
        ("coverage", "200"),
    }
    assert "care is closed" in next(b.detail for b in fired if b.conversation_id == "100")
    assert desk.check(saturday + dt.timedelta(hours=1)) == []
    # Monday 10:00 the first response is due for 100
    monday = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.timezone.utc)
    clock.set(monday)
    with desk.assign("100", "ann"):
        kinds = {(b.kind, b.conversation_id) for b in desk.check(monday)}
    assert kinds == {("first_response", "100")}
    assert len(got) == 4


def test_failed_sink_is_retried_once(store: Store, clock: ManualClock) -> None:
    clock.set(MONDAY)
    calls: list[Alert] = []

    def flaky(alerts: Alert) -> None:
        calls.append(alerts)
        if len(calls) == 1:
            raise AlertError("down")

    sla = SlaPolicy(
        teams=(Team("care", first_response=dt.timedelta(minutes=5)),), coverage_after=None
    )
    desk = make_desk(store, clock, sla=sla, sinks=[CallbackSink(flaky)])
    desk.ingest([post("100", "@acme hello", at=MONDAY)])
    assert len(desk.check(MONDAY + dt.timedelta(minutes=6))) == 1
    clock.advance(minutes=2)
    assert desk.check(MONDAY + dt.timedelta(minutes=8)) == []
    assert len(calls) == 2
    assert desk.check(MONDAY + dt.timedelta(minutes=9)) == []
    assert len(calls) == 2


def test_sla_from_dict_errors_name_the_field() -> None:
    policy = SlaPolicy.from_dict(
        {
            "coverage_after_minutes": 30,
            "teams": [
                {
                    "name": "care",
                    "first_response_minutes": 60,
                    "resolution_hours": 24,
                    "hours": {
                        "weekdays": ["09:00", "17:00"],
                        "timezone": "Europe/Berlin",
                        "holidays": ["2026-12-25"],
                    },
                },
                {"name": "weekend", "hours": {"weekly": {"5": [["10:00", "14:00"]]}}},
            ],
        }
    )
    assert policy.coverage_after == dt.timedelta(minutes=30)
    weekend = policy.teams[1].hours
    assert weekend is not None
    assert weekend.weekly[5] == ((dt.time(10), dt.time(14)),)
    with pytest.raises(ConfigurationError, match=r"teams\[0\].hours.weekly.7"):
        SlaPolicy.from_dict({"teams": [{"name": "a", "hours": {"weekly": {"7": []}}}]})
    assert policy.teams[0].resolution == dt.timedelta(hours=24)
    assert policy.teams[0].hours is not None
    with pytest.raises(ConfigurationError, match=r"sla policy: teams\[0\].hours.holidays\[0\]"):
        SlaPolicy.from_dict(
            {
                "teams": [
                    {"name": "a", "hours": {"weekdays": ["9:00", "17:00"], "holidays": ["xmas"]}}
                ]
            }
        )
    with pytest.raises(ConfigurationError, match=r"teams\[0\].first_response_minutes"):
        SlaPolicy.from_dict({"teams": [{"name": "a", "first_response_minutes": 0}]})
    with pytest.raises(ConfigurationError, match=r"teams\[1\].nme: unknown field"):
        SlaPolicy.from_dict({"teams": [{"name": "a"}, {"nme": "b"}]})
    with pytest.raises(ConfigurationError, match=r"teams\[0\].hours: .*Nowhere"):
        SlaPolicy.from_dict(
            {
                "teams": [
                    {
                        "name": "a",
                        "hours": {"weekdays": ["09:00", "17:00"], "timezone": "Nowhere/Land"},
                    }
                ]
            }
        )


# -- claims and collisions ------------------------------------------------------------------------


def test_second_agent_collides_and_lease_renews(store: Store, clock: ManualClock) -> None:
    clock.set(MONDAY)
    desk = make_desk(store, clock, lease_ttl=60)
    desk.ingest([post("100", "@acme hello", at=MONDAY)])
    with desk.assign("100", "ann") as claim:
        with pytest.raises(CollisionError) as caught:
            desk.assign("100", "bob")
        assert caught.value.holder == "ann"
        assert caught.value.expires_at == MONDAY + dt.timedelta(seconds=60)
        assert "ann" in str(caught.value)
        clock.advance(seconds=50)
        claim.renew()
        clock.advance(seconds=50)  # past the first expiry: still ann's
        with pytest.raises(CollisionError):
            desk.assign("100", "bob")
        claim.reply("100", "Sorry! We are on it.")
        assert store.get_conversation("100").assignee == "ann"  # type: ignore[union-attr]
    with desk.assign("100", "bob") as taken:
        assert taken.agent == "bob"


def test_lapsed_claim_cannot_answer(store: Store, clock: ManualClock) -> None:
    clock.set(MONDAY)
    desk = make_desk(store, clock, lease_ttl=60)
    desk.ingest([post("100", "@acme hello", at=MONDAY)])
    stale = desk.assign("100", "ann")
    clock.advance(seconds=61)
    fresh = desk.assign("100", "bob")
    assert fresh.token > stale.token
    with pytest.raises(CollisionError, match="bob"):
        stale.reply("100", "late answer")
    with pytest.raises(CollisionError):
        stale.renew()
    assert store.get_action("reply:100:reply") is None


def test_renewal_thread_keeps_the_lease(store: Store, clock: ManualClock) -> None:
    clock.set(MONDAY)
    desk = make_desk(store, clock, lease_ttl=60, renew_every=0.01)
    desk.ingest([post("100", "@acme hello", at=MONDAY)])
    with desk.assign("100", "ann") as claim:
        clock.advance(seconds=40)
        done = threading.Event()
        for _ in range(2000):
            lease = store.get_lease("desk:conversation:100")
            if lease is not None and lease.renewed_at == MONDAY + dt.timedelta(seconds=40):
                done.set()
                break
            done.wait(0.005)
        assert done.is_set()
        clock.advance(seconds=40)  # 80 s after the claim, 40 after the renewal
        with pytest.raises(CollisionError):
            desk.assign("100", "bob")
        assert claim.renew_error is None
    assert store.get_lease("desk:conversation:100") is None


def test_two_threads_collide(store: Store, clock: ManualClock) -> None:
    clock.set(MONDAY)
    desk = make_desk(store, clock)
    desk.ingest([post("100", "@acme hello", at=MONDAY)])
    barrier = threading.Barrier(2)
    results: dict[str, str] = {}

    def work(agent: str) -> None:
        barrier.wait()
        try:
            desk.assign("100", agent)
        except CollisionError as exc:
            results[agent] = f"collision:{exc.holder}"
        else:
            results[agent] = "won"

    threads = [threading.Thread(target=work, args=(a,)) for a in ("ann", "bot")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [a for a, r in results.items() if r == "won"]
    assert len(winners) == 1
    loser = ({"ann", "bot"} - set(winners)).pop()
    assert results[loser] == f"collision:{winners[0]}"


def test_two_processes_collide(store_url: dict[str, str], store: Store, clock: ManualClock) -> None:
    if store_url["kind"] == "memory":
        pytest.skip("a memory store is not shared between processes")
    clock.set(dt.datetime.now(dt.timezone.utc))
    make_desk(store, clock).ingest([post("100", "@acme hello", at=clock.now())])
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    out: multiprocessing.Queue[tuple[str, str]] = context.Queue()
    workers = [
        context.Process(target=claim_in_process, args=(store_url, a, barrier, out))
        for a in ("ann", "bot")
    ]
    for w in workers:
        w.start()
    results = dict(out.get(timeout=120) for _ in workers)
    for w in workers:
        w.join(timeout=120)
    winners = [a for a, r in results.items() if r.startswith("won")]
    assert len(winners) == 1
    loser = ({"ann", "bot"} - set(winners)).pop()
    assert results[loser] == f"collision:{winners[0]}"


# -- audit and reports ----------------------------------------------------------------------------


def test_audit_view_and_report(store: Store, clock: ManualClock, tmp_path: Path) -> None:
    clock.set(MONDAY)
    desk = make_desk(store, clock)
    desk.ingest([post("100", "@acme parcel late", at=MONDAY, in_reply_to_user_id=BRAND)])
    desk.ingest([post("200", "@acme Paket fehlt", author="43", lang="de", at=MONDAY)])
    with desk.assign("100", "ann") as claim:
        claim.reply("100", "Sorry! Track it at https://acme.com/t/1")
    with desk.assign("200", "bob") as claim:
        claim.dm("43", "Hallo! Ihre Bestellnummer?")
    platform = FakePlatform(clock)
    clock.advance(minutes=10)
    Sender(store, platform, owner="w1").run_once()
    actions = desk.outbound()
    assert [(a.agent, a.action, a.conversation_id, a.status, a.price) for a in actions] == [
        ("ann", "reply", "100", "sent", Decimal("0.200")),
        ("bob", "dm", "200", "sent", Decimal("0.015")),
    ]
    assert all(a.remote_id and a.sent_at == MONDAY + dt.timedelta(minutes=10) for a in actions)
    assert desk.outbound(agent="bob")[0].text == "Hallo! Ihre Bestellnummer?"
    desk.ingest(
        [
            post(
                actions[0].remote_id or "9",
                "Sorry! Track it",
                author=BRAND,
                at=MONDAY + dt.timedelta(minutes=10),
                cid="100",
                in_reply_to_user_id="42",
            )
        ]
    )
    clock.advance(minutes=50)
    with desk.assign("100", "ann") as claim:
        claim.resolve()
    report = desk.report()
    assert report.conversations == 2
    assert report.price == Decimal("0.215")
    by_agent = {s.group: s for s in report.by("agent")}
    assert by_agent["ann"].first_response_p50 == 600.0
    assert by_agent["ann"].resolution_p50 == 3600.0
    assert by_agent["ann"].resolved == 1
    assert by_agent["bob"].first_response_p50 is None
    assert {s.group for s in report.by("channel")} == {"public"}
    assert {s.group for s in report.by("brand")} == {BRAND, "(none)"}
    records = report.to_records()
    assert records[0]["conversation_id"] == "100"
    assert records[0]["price"] == "0.200"
    frame = report.to_dataframe()
    assert list(frame["agent"]) == ["ann", "bob"]  # type: ignore[index]
    if importlib.util.find_spec("matplotlib") is None:
        with pytest.raises(ConfigurationError, match=r"socialcare\[charts\]"):
            report.plot(tmp_path / "r.png")
    else:
        report.plot(tmp_path / "r.png")
        assert (tmp_path / "r.png").read_bytes().startswith(b"\x89PNG")


def test_condition_defaults() -> None:
    assert Condition().explain(post("1", "x"), None, vips=frozenset(), scorer=None) == (
        "every inbound post",
    )
    assert DeskRule("all").actions == ()


def test_check_without_sinks_reports_each_breach_once(store: Store, clock: ManualClock) -> None:
    clock.set(MONDAY)
    sla = SlaPolicy(
        teams=(Team("care", first_response=dt.timedelta(minutes=5)),), coverage_after=None
    )
    desk = make_desk(store, clock, sla=sla)
    desk.ingest([post("100", "@acme hello", at=MONDAY)])
    later = MONDAY + dt.timedelta(minutes=6)
    assert [b.kind for b in desk.breaches(now=later)] == ["first_response"]
    assert [b.key for b in desk.check(later)] == [f"first_response:100:{MONDAY.isoformat()}"]
    assert desk.check(later) == []
    assert [r.status for r in store.list_actions(kind="desk.alert")] == ["sent"]
    audit = [e.action for e in store.audit_entries(subject="100")]
    assert audit.count("desk.breach.first_response") == 1


class NamedSink:
    """An alert sink with a name (the outbox record of each alert names its sink)."""

    def __init__(self, name: str, into: list[Alert]) -> None:
        self.name = name
        self.into = into

    def deliver(self, alerts: Sequence[Alert]) -> None:
        self.into.extend(alerts)

    def flush(self) -> None:
        """Nothing batched."""


def test_each_process_delivers_to_its_own_sinks(store: Store, clock: ManualClock) -> None:
    clock.set(MONDAY)
    sla = SlaPolicy(
        teams=(Team("care", first_response=dt.timedelta(minutes=5)),), coverage_after=None
    )
    pager: list[Alert] = []
    mail: list[Alert] = []
    pager_sink = NamedSink("pager", pager)
    mail_sink = NamedSink("mail", mail)
    first = make_desk(store, clock, sla=sla, sinks=[pager_sink])
    second = make_desk(store, clock, sla=sla, sinks=[mail_sink, pager_sink])
    first.ingest([post("100", "@acme hello", at=MONDAY)])
    later = MONDAY + dt.timedelta(minutes=6)
    assert len(first.check(later)) == 1
    assert (len(pager), len(mail)) == (1, 0)
    assert len(second.check(later)) == 1  # new for the mail sink
    assert (len(pager), len(mail)) == (1, 1)
    assert second.check(later) == []
    assert first.check(later) == []
    assert (len(pager), len(mail)) == (1, 1)
