"""``socialcare demo``: a care bot end to end on the sandbox, offline and deterministic.

listen (:class:`~socialcare.monitor.Monitor`) -> thread
(:class:`~socialcare.conversations.StoreThreader`) -> triage
(:class:`~socialcare.escalation.EscalationPolicy`) -> reply with a tracked link
(:func:`~socialcare.compose.compose_reply` + :class:`~socialcare.links.LinkTracker`, sent
through the :class:`~socialcare.outbox.Outbox` and :class:`~socialcare.outbox.Sender`) or
escalate to DM (:class:`~socialcare.escalation.EscalationFlow`) -> guard
(:class:`~socialcare.guard.AccountGuard`: the brand account's own posts and DMs, read back
from X, each matched with what the outbox sent).
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from pathlib import Path

import attrs

from socialcare._clock import ManualClock
from socialcare.cli._data import BRAND, HELP_PAGES, Scenario, synthetic_conversations
from socialcare.compose import can_reply, compose_reply
from socialcare.conversations import StoreThreader
from socialcare.errors import ComposeError, ConfigurationError
from socialcare.escalation import (
    EscalationDecision,
    EscalationFlow,
    EscalationPolicy,
    KeywordRule,
)
from socialcare.guard import AccountGuard, GuardReport
from socialcare.links import LinkTracker, redirect_app
from socialcare.models import Conversation, Post, User
from socialcare.monitor import Monitor
from socialcare.outbox import Outbox, Sender
from socialcare.platforms.x import XPlatform
from socialcare.sandbox import Sandbox
from socialcare.storage import MemoryStore, Store, open_store

__all__ = ["DemoReport", "run_demo"]

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc)
"""The demo's simulated start: a Monday morning."""

_THANKS = ("thank", "thanks", "sorted", "worked", "perfect", "back now", "will try")
_DRAIN_MINUTES = 60
_AGENT = "agent:amy"
_POLL_SECOND = 59  # the bot polls at the end of each minute
_BOT = "care-bot"

Progress = Callable[[int, int, str], None]
"""``progress(done, total, what)``: called once per simulated minute."""


@attrs.frozen
class DemoReport:
    """What a demo run did, read back from its store and the sandbox's ledger.

    Attributes:
        store_url: where the run's records are (a temporary SQLite file by default).
        conversations: conversation records in the store.
        states: how many conversations are in each care state.
        inbound: posts the monitor delivered to the bot (mentions of the brand).
        replies: public replies the bot sent with a tracked link or a thank-you.
        agent_replies: replies a (simulated) human agent sent through the same outbox.
        escalations: escalations to DM recorded in the store.
        dms: direct messages sent.
        links: tracked links created; ``clicks`` and ``bot_clicks`` counted on them.
        clicks: human clicks on the tracked links.
        bot_clicks: link-card fetches by crawlers.
        first_response_seconds: per answered conversation, seconds from the customer's
            first post to the brand's first answer, in conversation id order.
        price: what X's pay-per-use pricing billed in the sandbox (USD).
        billed: billed items per kind (``post_read``, ``post_create``...).
        minutes: simulated minutes the run covered.
        unrecognised_outbound: own posts and DMs of the brand account the guard found
            that the outbox did not send (a possible hijack; 0 in a healthy run).
        guard_findings: everything the guard flagged after the bot's work (unrecognised
            activity, links off the allow-list, phishing).
        guard_read: own posts and DM events the guard read in its check.
    """

    store_url: str
    conversations: int
    states: Mapping[str, int]
    inbound: int
    replies: int
    agent_replies: int
    escalations: int
    dms: int
    links: int
    clicks: int
    bot_clicks: int
    first_response_seconds: tuple[float, ...]
    price: Decimal
    billed: Mapping[str, int]
    minutes: int
    unrecognised_outbound: int = 0
    guard_findings: int = 0
    guard_read: int = 0

    @property
    def median_first_response(self) -> float | None:
        """The median first-response time in seconds (``None``: nothing answered)."""
        times = self.first_response_seconds
        return statistics.median(times) if times else None

    @property
    def p90_first_response(self) -> float | None:
        """The 90th percentile first-response time in seconds (nearest rank)."""
        times = sorted(self.first_response_seconds)
        if not times:
            return None
        return times[max(0, -(-len(times) * 9 // 10) - 1)]


class _Bot:
    """The care bot's state across the simulated minutes."""

    def __init__(
        self,
        sandbox: Sandbox,
        store: Store,
        brand: User,
        clock: ManualClock,
        seed: int,
        *,
        start: dt.datetime | None = None,
    ) -> None:
        self.sandbox = sandbox
        self.store = store
        self.brand = brand
        self.clock = clock
        self.rng = random.Random(seed + 1)  # noqa: S311 - simulated customers' clicks
        self.x: XPlatform = sandbox.platform(brand, app_reads=False)
        self.me = self.x.me()
        self.threader = StoreThreader(store, brands=[brand.id], clock=clock)
        self.outbox = Outbox(store, actor=_BOT)
        self.agent_outbox = Outbox(store, actor=_AGENT)
        self.flow = EscalationFlow(self.outbox, brand_id=brand.id, clock=clock)
        self.sender = Sender(store, self.x, owner="demo-sender")
        self.tracker = LinkTracker(store, "https://acme.co", utm={"source": "x", "medium": "care"})
        self.clicks = redirect_app(store)
        self.policy = EscalationPolicy(
            keywords=(
                KeywordRule(("refund", "cancel", "lawyer", "scam"), name="churn or legal risk"),
            )
        )
        self.inbound: list[Post] = []
        self.listened = 0
        self.scenarios: dict[str, Scenario] = {}  # opener post id -> scenario
        self.scenario_of: dict[str, Scenario] = {}  # conversation id -> scenario
        self.follow_ups: list[tuple[int, Scenario, str]] = []  # (minute, scenario, parent)
        self.read_back: set[str] = set()
        self.links = 0
        # The monitor keeps its cursors and the posts it saw in a store of its own: a
        # StoreThreader takes a post already in its store for one it has threaded.
        self.monitor = Monitor(
            self.x,
            MemoryStore(clock=clock),
            clock=clock,
            poll_interval=60,
            brand_user_id=brand.id,
            start=start if start is not None else "now",
        )
        self.monitor.add_mentions("mentions")
        self.monitor.on("mentions")(self.inbound.append)
        self.monitor.run_due()  # the first poll: from now on, every new mention is delivered

    # -- one simulated minute ----------------------------------------------------------------

    def minute(self, minute: int) -> None:
        self.monitor.run_due()
        if self.inbound:
            batch, self.inbound[:] = list(self.inbound), []
            self.listened += len(batch)
            self.handle(batch)
        report = self.sender.run_once()
        if report.claimed:
            self.read_back_sent(minute)

    def handle(self, batch: list[Post]) -> None:
        touched = [*self.fill_parents(batch), *self.threader.ingest(batch)]
        for conversation_id in dict.fromkeys(c.id for c in touched):
            conversation = self.store.get_conversation(conversation_id)
            if conversation is not None and conversation.state in ("new", "awaiting_brand"):
                self.triage(conversation)

    def fill_parents(self, batch: Iterable[Post]) -> list[Conversation]:
        """Fetch the parents the store lacks (a reply to a post the bot never saw)."""
        missing = {
            p.replied_to_id
            for p in batch
            if p.replied_to_id is not None and self.store.get_post(p.replied_to_id) is None
        }
        if not missing:
            return []
        return self.threader.ingest(self.x.get_posts(sorted(missing)).items)

    def triage(self, conversation: Conversation) -> None:
        thread = self.threader.thread(conversation.id)
        customer_posts = [p for p in thread.posts if p.author_id not in self.threader.brands]
        if not customer_posts:
            return
        post = max(customer_posts, key=lambda p: (p.created_at or START, int(p.id)))
        scenario = self.scenario_of.get(conversation.id)
        if scenario is None and post.id in self.scenarios:
            scenario = self.scenarios[post.id]
            self.scenario_of[conversation.id] = scenario
        if scenario is not None and scenario.agent_reply is not None and post.id in self.scenarios:
            self.agent_outbox.reply(post, scenario.agent_reply, purpose="agent")
            return
        answered = conversation.first_response_at is not None
        if answered and _is_thanks(post.full_text):
            self.threader.resolve(conversation.id)
            return
        [author] = self.x.get_users([post.author_id or ""]).items
        decision = self.policy.decide(post, author=author, brand=self.me)
        if decision or answered:
            self.escalate(conversation, post, author, decision)
            return
        self.reply(conversation, post, author)

    def escalate(
        self,
        conversation: Conversation,
        post: Post,
        author: User,
        decision: EscalationDecision,
    ) -> None:
        name = author.name or author.username
        text = (
            f"Hi {name}, Acme care here. We've opened case {post.id[-6:]} for you and "
            "will sort this out privately. Please reply here with the details."
        )
        if decision:
            self.flow.escalate(
                post,
                author,
                decision=decision,
                reply_permitted=bool(can_reply(post, self.me)),
                dm_text=text,
            )
        else:
            self.flow.escalate(
                post,
                author,
                action="dm",
                reason="second contact: the first answer did not solve it",
                reply_permitted=bool(can_reply(post, self.me)),
                dm_text=text,
            )
        self.threader.escalate(conversation.id)

    def reply(self, conversation: Conversation, post: Post, author: User) -> None:
        scenario = self.scenario_of.get(conversation.id)
        topic = scenario.topic if scenario is not None else None
        if scenario is not None and scenario.kind == "praise":
            body = "Thank you, that made our day! We'll pass it on to the team."
        else:
            url, lead = HELP_PAGES.get(topic or "", HELP_PAGES["router"])
            code = f"{topic or 'help'}-{conversation.id[-6:]}"
            short = self.tracker.shorten(
                url, code=code, conversation_id=conversation.id, campaign=topic or "help"
            )
            self.links += 1
            body = f"{lead} {short}"
        try:
            draft = compose_reply(post, body, author=author, brand=self.me, signature="Bot")
        except ComposeError:
            return
        if draft.sendable:
            self.outbox.reply(post, draft)

    def read_back_sent(self, minute: int) -> None:
        """Read the replies just sent (the threader needs them) and schedule customers."""
        fresh = [
            r
            for r in self.store.list_actions(status="sent", limit=100_000)
            if r.key not in self.read_back and r.payload.get("action") == "reply"
        ]
        self.read_back.update(r.key for r in fresh)
        ids = sorted(r.remote_id for r in fresh if r.remote_id is not None)
        if not ids:
            return
        posts = self.x.get_posts(ids).items
        self.threader.ingest(posts)
        for post in posts:
            cid = post.conversation_id or post.id
            scenario = self.scenario_of.get(cid)
            if scenario is not None and scenario.follow_up is not None:
                self.follow_ups.append((minute + scenario.follow_up_after, scenario, post.id))
            for link in self.store.find_short_links(conversation_id=cid):
                if self.rng.random() < 0.3:  # a crawler fetches the link card  # noqa: PLR2004
                    self.follow(link.code, "Twitterbot/1.0")
                if self.rng.random() < 0.6:  # the customer opens the link  # noqa: PLR2004
                    self.follow(link.code, "Mozilla/5.0 (iPhone)")

    def follow(self, code: str, agent: str) -> None:
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": f"/{code}", "HTTP_USER_AGENT": agent}
        self.clicks(environ, lambda _status, _headers: None)


def _advance_to(clock: ManualClock, minute: int, second: int) -> None:
    """Move the clock forward to ``second`` of the demo's ``minute`` (never back)."""
    target = START + dt.timedelta(minutes=minute, seconds=second)
    if target > clock.now():
        clock.advance((target - clock.now()).total_seconds())


def _is_thanks(text: str) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in _THANKS)


def run_demo(
    *,
    conversations: int = 40,
    seed: int = 0,
    store_url: str | None = None,
    twcs: str | Path | None = None,
    progress: Progress | None = None,
) -> DemoReport:
    """Run the care bot on a sandbox seeded with synthetic conversations (or a twcs CSV).

    Args:
        conversations: how many synthetic conversations (at most this many twcs rows'
            conversations with ``twcs``).
        seed: the random seed: the same seed gives the same run and report.
        store_url: where to keep the records (``open_store`` URL); the caller makes a
            temporary SQLite file by default.
        twcs: a twcs-format CSV of your own, loaded instead of the synthetic set.
        progress: called once per simulated minute.

    Raises:
        ConfigurationError: no store URL, or a bad one.
        StorageError: the store cannot be opened.
        PayloadError: the twcs file is not in the twcs layout.
    """
    if store_url is None:
        raise ConfigurationError("run_demo needs a store URL (for example sqlite:///demo.db)")
    if conversations < 1:
        raise ValueError(f"conversations must be positive, got {conversations}")
    clock = ManualClock(START)
    sandbox = Sandbox(clock=clock)
    store = open_store(store_url, create_schema=True, clock=clock)
    try:
        if twcs is not None:
            brand, schedule = _seed_twcs(sandbox, Path(twcs), conversations)
        else:
            brand = sandbox.add_user(BRAND, name="Acme Support", verified=True)
            schedule = list(
                synthetic_conversations(
                    conversations, seed=seed, span_minutes=min(120, max(20, 3 * conversations))
                )
            )
        start = clock.now() - dt.timedelta(days=6, hours=23) if twcs is not None else None
        bot = _Bot(sandbox, store, brand, clock, seed, start=start)
        guard = _guard(bot.x, store, brand)
        guard.check()  # the first check sets the high-water marks: before the bot's work
        last = max((s.at_minute for s in schedule), default=0)
        total = last + _DRAIN_MINUTES
        for minute in range(total + 1):
            for scenario in (s for s in schedule if s.at_minute == minute):
                _advance_to(clock, minute, scenario.at_second)
                user = _customer(sandbox, scenario)
                post = sandbox.add_post(user, scenario.opener)
                bot.scenarios[post.id] = scenario
            due = [f for f in bot.follow_ups if f[0] <= minute]
            for item in due:
                bot.follow_ups.remove(item)
                _, scenario, parent = item
                if scenario.follow_up is not None:
                    _advance_to(clock, minute, 30)
                    sandbox.add_post(scenario.customer, scenario.follow_up, in_reply_to=parent)
            _advance_to(clock, minute, _POLL_SECOND)
            bot.minute(minute)
            if progress is not None:
                progress(minute + 1, total + 1, f"minute {minute}")
        bot.monitor.close()
        checked = guard.check()  # after the bot's work: was everything sent by the outbox?
        return _report(store_url, store, sandbox, bot, total + 1, checked)
    finally:
        store.close()


def _guard(x: XPlatform, store: Store, brand: User) -> AccountGuard:
    """The own-account guard over the brand account, as a care team would run it."""
    return AccountGuard(
        x,
        store,
        brand_user_id=brand.id,
        brand_domains=("acme.com", "acme.co"),  # the help pages and the short-link domain
        brand_names=("acme",),
        mentions=False,  # the bot's monitor reads the mentions
        actor="demo-guard",
    )


def _customer(sandbox: Sandbox, scenario: Scenario) -> User:
    try:
        return sandbox.user(scenario.customer)
    except KeyError:
        return sandbox.add_user(scenario.customer, followers_count=scenario.followers)


def _seed_twcs(sandbox: Sandbox, path: Path, limit: int) -> tuple[User, list[Scenario]]:
    """Load a twcs CSV; the brand that answered most becomes the bot's account."""
    from socialcare.conversations import read_twcs  # noqa: PLC0415

    rows = read_twcs(path, limit=limit * 4)
    if not rows.brand_ids:
        raise ConfigurationError(f"{path}: no brand rows (inbound=False) to act as")
    answers = Counter(p.author_id for p in rows.posts if p.author_id in rows.brand_ids)
    handle = min(answers, key=lambda a: (-answers[a], a or "")) or ""
    imported = sandbox.seed_twcs(path, limit=limit * 4, rebase=True)
    brand = sandbox.user(imported.user(handle))
    # The customers' posts mentioning the brand are already in the sandbox (rebased into
    # the recent past): the bot's monitor starts from the newest page and walks back.
    return brand, []


def _report(  # noqa: PLR0917 - one report of one run's parts
    store_url: str,
    store: Store,
    sandbox: Sandbox,
    bot: _Bot,
    minutes: int,
    guard: GuardReport,
) -> DemoReport:
    records = store.find_conversations(limit=1_000_000)
    states = Counter(c.state for c in records)
    times = tuple(
        (c.first_response_at - c.first_inbound_at).total_seconds()
        for c in sorted(records, key=lambda c: c.id)
        if c.first_response_at is not None and c.first_inbound_at is not None
    )
    sent = store.list_actions(status="sent", limit=1_000_000)
    replies = sum(
        1
        for r in sent
        if r.payload.get("action") == "reply"
        and r.key.startswith("reply:")
        and not r.key.endswith(":agent")
    )
    agent = sum(1 for r in sent if r.key.endswith(":agent"))
    dms = sum(1 for r in sent if r.payload.get("action") == "dm")
    links = store.find_short_links(limit=1_000_000)
    usage = sandbox.usage()
    return DemoReport(
        store_url=store_url,
        conversations=len(records),
        states=dict(sorted(states.items())),
        inbound=bot.listened,
        replies=replies,
        agent_replies=agent,
        escalations=len(store.find_escalations(limit=1_000_000)),
        dms=dms,
        links=len(links),
        clicks=sum(link.clicks for link in links),
        bot_clicks=sum(link.bot_clicks for link in links),
        first_response_seconds=times,
        price=usage.total,
        billed=dict(sorted(usage.counts.items())),
        minutes=minutes,
        unrecognised_outbound=len(guard.unrecognised),
        guard_findings=len(guard.findings),
        guard_read=guard.posts_read + guard.dms_read,
    )
