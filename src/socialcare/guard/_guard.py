"""The own-account guard: the brand's own posts and DMs checked against the outbox and audit log."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Literal, Protocol

import attrs

from socialcare._clock import Clock, SystemClock, platform_clock
from socialcare._signals import stop_on_signals
from socialcare.alerts import Alert, AlertSink
from socialcare.errors import AlertError, ConfigurationError
from socialcare.guard._detect import PhishingDetector, domain_allowed, domain_of, links_in
from socialcare.models import DirectMessage, Entities, Page, Post, User
from socialcare.outbox import OUTBOX_KIND, Outbox
from socialcare.storage import AuditLog, CursorStore, OutboxStore, PauseSwitch, audit_trail

__all__ = [
    "AccountGuard",
    "FindingChannel",
    "FindingKind",
    "GuardFinding",
    "GuardPlatform",
    "GuardReport",
    "GuardStore",
    "OnUnrecognised",
]

log = logging.getLogger("socialcare.guard")

FindingKind = Literal["unrecognised_post", "unrecognised_dm", "unknown_link", "phishing"]
FindingChannel = Literal["own_post", "own_dm", "inbound_dm", "mention"]
OnUnrecognised = Literal["alert", "pause"]

_DM_CHANNELS = ("own_dm", "inbound_dm")
_AUDIT_PAGE = 500
_BASELINE_PAGE = 5  # X's smallest page of a user's posts


class GuardPlatform(Protocol):
    """What the guard reads: the acting account, its posts, its DM events and mentions.

    ``XPlatform`` (and a sandbox platform) fits. Pages come newest first; ``since_id``
    is exclusive.
    """

    def me(self) -> User:
        """The acting (brand) account."""
        ...

    def user_posts(
        self,
        user_id: str | None = None,
        *,
        since_id: str | None = None,
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> Page[Post]:
        """One page of the user's posts, newest first."""
        ...

    def dm_events(
        self,
        *,
        since_id: str | None = None,
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> Page[DirectMessage]:
        """One page of the account's DM events (sent and received), newest first."""
        ...

    def mentions(
        self,
        user_id: str | None = None,
        *,
        since_id: str | None = None,
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> Page[Post]:
        """One page of posts mentioning the user, newest first."""
        ...


class GuardStore(CursorStore, OutboxStore, PauseSwitch, AuditLog, Protocol):
    """The store the guard needs: cursors, the outbox, the pause switch, the audit log.

    The cursors keep its high-water marks. Every :class:`~socialcare.storage.Store` is one.
    """


@attrs.frozen
class GuardFinding:
    """One thing the guard flags.

    Attributes:
        kind: ``"unrecognised_post"`` / ``"unrecognised_dm"`` (outbound activity neither
            the outbox nor the audit log knows: a possible hijack), ``"unknown_link"``
            (a link in an own post or DM to a domain off the allow-list) or
            ``"phishing"`` (an inbound DM or mention that reads as phishing).
        channel: where it was read: ``"own_post"``, ``"own_dm"``, ``"inbound_dm"``, ``"mention"``.
        item_id: the post's or DM event's id.
        text: its text.
        created_at: when X says it was written.
        author_id: who wrote it.
        reason: why it is flagged, for people.
        details: the evidence (the domains, the patterns that matched).
        conversation_id: the DM conversation (DMs only).
    """

    kind: FindingKind
    channel: FindingChannel
    item_id: str
    text: str
    created_at: dt.datetime | None
    author_id: str | None
    reason: str
    details: tuple[str, ...] = ()
    conversation_id: str | None = None

    @property
    def hijack(self) -> bool:
        """Whether this is unrecognised outbound activity."""
        return self.kind in ("unrecognised_post", "unrecognised_dm")

    def to_alert(self, received_at: dt.datetime) -> Alert:
        """The alert for the sinks: stream ``guard.<kind>``, the reason, and the post or DM."""
        post = Post(
            id=self.item_id,
            text=self.text,
            author_id=self.author_id,
            created_at=self.created_at,
            conversation_id=None if self.channel in _DM_CHANNELS else self.conversation_id,
        )
        link = None
        if self.channel in _DM_CHANNELS and self.conversation_id:
            link = f"https://x.com/messages/{self.conversation_id}"
        reason = self.reason if not self.details else f"{self.reason} ({', '.join(self.details)})"
        return Alert(
            stream=f"guard.{self.kind}",
            post=post,
            received_at=received_at,
            reason=reason,
            link=link,
        )


@attrs.frozen
class GuardReport:
    """What one :meth:`AccountGuard.check` did.

    Attributes:
        checked_at: when the check started (the guard's clock).
        baseline: the first check of this account: high-water marks were set, older
            activity was not judged.
        posts_read: own posts read; dms_read: DM events read (both directions);
        mentions_read: mentions read.
        findings: what was flagged, new this check (a finding is reported once).
        held: ids of unrecognised own posts or DMs not judged yet, because an outbox
            send was in flight when they were read (judged by a later check).
        paused: whether this check switched every sender off (``on_unrecognised="pause"``).
        alert_errors: sinks that failed (the findings are in the audit log all the same).
    """

    checked_at: dt.datetime
    baseline: bool = False
    posts_read: int = 0
    dms_read: int = 0
    mentions_read: int = 0
    findings: tuple[GuardFinding, ...] = ()
    held: tuple[str, ...] = ()
    paused: bool = False
    alert_errors: tuple[str, ...] = ()

    @property
    def unrecognised(self) -> tuple[GuardFinding, ...]:
        """Findings of outbound activity nobody recorded (possible hijack)."""
        return tuple(f for f in self.findings if f.hijack)

    @property
    def ok(self) -> bool:
        """Nothing flagged and every alert delivered."""
        return not self.findings and not self.alert_errors


@attrs.define
class _Read:
    posts: list[Post] = attrs.Factory(list)
    dms: list[DirectMessage] = attrs.Factory(list)
    mentions: list[Post] = attrs.Factory(list)


class AccountGuard:
    """Watch the brand account for activity it did not send, unknown links and phishing.

    Each :meth:`check` reads only what is new since the last one (high-water marks
    in the store's cursors, ``guard:<account id>:posts|dms|mentions|audit``):

    1. the audit log since the last check, collecting the ids of everything sent
       (an entry whose ``detail`` has ``remote_id``: the outbox's ``outbox.sent`` and
       ``outbox.reconciled``, the desk's records, :meth:`acknowledge`);
    2. the account's own posts (``user_posts``) and DM events (``dm_events``);
       mentions when ``mentions=True``;
    3. the audit log again (sends that finished meanwhile).

    An own post or sent DM with no such entry is *unrecognised outbound activity*: a
    finding, an alert through every sink and an audit entry (``guard.unrecognised``);
    with ``on_unrecognised="pause"`` the guard also calls ``pause_all()`` on the store,
    so every :class:`~socialcare.outbox.Sender` stops until a person calls
    ``resume_all()``. One read while an outbox send is in flight (an action ``in_doubt``)
    is held, not judged, for at most ``in_flight_grace`` seconds. Links in own posts
    and DMs to domains off ``allowed_domains`` (and ``brand_domains``) are flagged; inbound
    DMs and mentions are scanned by the :class:`PhishingDetector`.

    The first check of an account sets the high-water marks and judges nothing older
    (``GuardReport.baseline``).

    Args:
        platform: the brand account's platform (user context).
        store: where the outbox, audit log, cursors and pause switch live.
        allowed_domains: link domains own posts and DMs may point to (subdomains too).
        brand_domains: the brand's own domains (allowed, and never look-alikes).
        brand_names: names whose look-alike domains are phishing (``"acme"``).
        detector: replaces the default :class:`PhishingDetector` built from the above.
        sinks: where alerts go (:mod:`socialcare.alerts`).
        on_unrecognised: ``"alert"`` (default) or ``"pause"`` (alert and stop every sender).
        brand_user_id: the account's id (default: ``platform.me()``, read once).
        mentions: also read mentions and scan them for phishing (one more billed read per
            check; turn off and call :meth:`inspect` from a monitor handler instead).
        interval: seconds between checks in :meth:`run_forever`.
        page_size: posts or DM events per request (5-100).
        max_pages: pages per stream per check at most (older ones are left, and logged).
        in_flight_grace: how long a read may be held while an outbox send is in flight.
        audit_overlap: audit entries younger than this are read again by the next check
            (X's timelines may show a post some time after it was made).
        clock: time (default: the platform's ``clock`` attribute, else the system clock).
        actor: the name in audit entries.
    """

    def __init__(
        self,
        platform: GuardPlatform,
        store: GuardStore,
        *,
        allowed_domains: Iterable[str] = (),
        brand_domains: Iterable[str] = (),
        brand_names: Iterable[str] = (),
        detector: PhishingDetector | None = None,
        sinks: Iterable[AlertSink] = (),
        on_unrecognised: OnUnrecognised = "alert",
        brand_user_id: str | None = None,
        mentions: bool = True,
        interval: float = 300.0,
        page_size: int = 100,
        max_pages: int = 10,
        in_flight_grace: float = 300.0,
        audit_overlap: float = 900.0,
        clock: Clock | None = None,
        actor: str = "guard",
    ) -> None:
        if on_unrecognised not in ("alert", "pause"):
            raise ConfigurationError(
                f"on_unrecognised must be 'alert' or 'pause', not {on_unrecognised!r}"
            )
        if not 5 <= page_size <= 100:  # noqa: PLR2004 - X's page sizes
            raise ConfigurationError(f"page_size must be 5 to 100, not {page_size}")
        if max_pages < 1 or interval <= 0 or in_flight_grace < 0 or audit_overlap < 0:
            raise ConfigurationError(
                "max_pages and interval must be positive, in_flight_grace and audit_overlap"
                " not negative"
            )
        self.platform = platform
        self.store = store
        self.brand_domains: tuple[str, ...] = tuple(brand_domains)
        self.allowed_domains: tuple[str, ...] = (*allowed_domains, *self.brand_domains)
        self.detector = detector or PhishingDetector(
            brand_names=tuple(brand_names), brand_domains=self.brand_domains
        )
        self.sinks: list[AlertSink] = list(sinks)
        self.on_unrecognised: OnUnrecognised = on_unrecognised
        self.mentions = mentions
        self.interval = interval
        self.page_size = page_size
        self.max_pages = max_pages
        self.in_flight_grace = in_flight_grace
        self.audit_overlap = audit_overlap
        self.clock: Clock = clock or platform_clock(platform)
        self.actor = actor
        self._brand_id = brand_user_id
        self._stop = threading.Event()

    def __repr__(self) -> str:
        return (
            f"AccountGuard(brand_user_id={self._brand_id!r}, "
            f"on_unrecognised={self.on_unrecognised!r}, sinks={len(self.sinks)})"
        )

    @property
    def brand_user_id(self) -> str:
        """The guarded account's id (read with ``platform.me()`` the first time)."""
        if self._brand_id is None:
            self._brand_id = self.platform.me().id
        return self._brand_id

    def add_sink(self, sink: AlertSink) -> None:
        """Send alerts to ``sink`` too."""
        self.sinks.append(sink)

    def _cursor(self, name: str) -> str:
        return f"guard:{self.brand_user_id}:{name}"

    def _since(self, name: str) -> str | None:
        cursor = self.store.get_cursor(self._cursor(name))
        return None if cursor is None else cursor.since_id

    # -- checking --------------------------------------------------------------------------

    def check(self) -> GuardReport:
        """Read what is new, judge it, alert, and move the high-water marks; see the class."""
        now = self.clock.now()
        audit_since = int(self._since("audit") or 0)
        known, audit_top = self._sent_ids(audit_since, now)
        baseline = self.store.get_cursor(self._cursor("posts")) is None
        read = self._read(baseline=baseline)
        if baseline:
            self._advance(read, held_below=None, audit_top=audit_top)
            return GuardReport(
                checked_at=now,
                baseline=True,
                posts_read=len(read.posts),
                dms_read=len(read.dms),
                mentions_read=len(read.mentions),
            )
        findings, held = self._judge(read, known, audit_top, now)
        new = [f for f in findings if self._first_time(f)]
        errors = self._alert(new, now)
        paused = False
        if self.on_unrecognised == "pause" and any(f.hijack for f in new):
            why = "; ".join(f"{f.channel} {f.item_id}" for f in new if f.hijack)
            paused = Outbox(self.store, actor=self.actor).pause_all(
                reason=f"guard: unrecognised outbound activity: {why}"[:1000]
            )
        self._advance(
            read,
            held_below=min((int(i) for i in held), default=None),
            audit_top=audit_since if held else audit_top,
        )
        return GuardReport(
            checked_at=now,
            posts_read=len(read.posts),
            dms_read=len(read.dms),
            mentions_read=len(read.mentions),
            findings=tuple(new),
            held=tuple(sorted(held, key=int)),
            paused=paused,
            alert_errors=tuple(errors),
        )

    def _judge(
        self, read: _Read, known: set[str], audit_top: int, now: dt.datetime
    ) -> tuple[list[GuardFinding], set[str]]:
        """The findings among what was read, and the ids held for a later check."""
        brand = self.brand_user_id
        own_dms = [m for m in read.dms if m.sender_id == brand]
        outbound: list[Post | DirectMessage] = [*read.posts, *own_dms]
        unknown = [i for i in outbound if i.id not in known]
        if unknown:  # sends that finished while the timeline was read
            more, _ = self._sent_ids(audit_top, now)
            unknown = [i for i in unknown if i.id not in more]
        held = self._held(unknown, now)
        findings = [_unrecognised(i) for i in unknown if i.id not in held]
        for post in read.posts:
            findings.extend(self._link_findings(post, "own_post"))
        for message in own_dms:
            findings.extend(self._link_findings(message, "own_dm"))
        everything: list[Post | DirectMessage] = [*read.posts, *read.dms, *read.mentions]
        for item in everything:
            if item.text:
                findings.extend(self.inspect(item))
        return [f for f in findings if f.item_id not in held], held

    def inspect(self, item: Post | DirectMessage) -> tuple[GuardFinding, ...]:
        """Phishing findings for one post or DM (for monitor handlers too).

        The channel says whose it is: the brand's own (``own_post``/``own_dm``, a hijacked
        account sending phishing) or inbound (``mention``/``inbound_dm``). No I/O once
        the brand's id is known (``brand_user_id=`` or a first check).
        """
        text, entities = _text_and_entities(item)
        matches = self.detector.scan(text, links_in(text, entities))
        if not matches:
            return ()
        is_dm = isinstance(item, DirectMessage)
        author = item.sender_id if isinstance(item, DirectMessage) else item.author_id
        own = author is not None and author == self.brand_user_id
        channel: FindingChannel = (
            ("own_dm" if own else "inbound_dm") if is_dm else ("own_post" if own else "mention")
        )
        return (
            GuardFinding(
                kind="phishing",
                channel=channel,
                item_id=item.id,
                text=text,
                created_at=item.created_at,
                author_id=author,
                reason="reads as phishing: " + "; ".join(dict.fromkeys(m.why for m in matches)),
                details=tuple(dict.fromkeys(f"{m.pattern}: {m.matched}" for m in matches)),
                conversation_id=item.dm_conversation_id
                if isinstance(item, DirectMessage)
                else item.conversation_id,
            ),
        )

    def acknowledge(self, item_id: str, *, actor: str, note: str = "") -> None:
        """Record that a person made post or DM ``item_id`` themselves (not flagged again).

        Appends ``guard.acknowledged`` to the audit log with ``remote_id``: later
        checks recognise it like anything the outbox sent.
        """
        self.store.append_audit(
            "guard.acknowledged",
            actor=actor,
            subject=item_id,
            detail={"remote_id": item_id, "note": note},
        )

    # -- internals ---------------------------------------------------------------------------

    def _sent_ids(self, after_seq: int, now: dt.datetime) -> tuple[set[str], int]:
        """Remote ids recorded in the audit log after ``after_seq``, and the next mark.

        The mark is the last entry older than ``audit_overlap`` (in an unbroken run
        from ``after_seq``): newer entries are read again by the next check, so a post
        that X's timeline shows late is still matched with its entry.
        """
        ids: set[str] = set()
        cutoff = now - dt.timedelta(seconds=self.audit_overlap)
        mark = after_seq
        settled = True
        for entry in audit_trail(self.store, after_seq=after_seq, page_size=_AUDIT_PAGE):
            remote = entry.detail.get("remote_id")
            if isinstance(remote, str):
                ids.add(remote)
            settled = settled and entry.at <= cutoff
            if settled:
                mark = entry.seq
        return ids, mark

    def _pages(self, fetch: Callable[[str | None], Page[Post]], limit: int) -> list[Post]:
        out: list[Post] = []
        token: str | None = None
        for _ in range(limit):
            page = fetch(token)
            out.extend(page.items)
            token = page.next_token
            if token is None:
                return out
        log.warning("guard: more than %d pages new; older ones are left unread", limit)
        return out

    def _read(self, *, baseline: bool) -> _Read:
        brand = self.brand_user_id
        size = _BASELINE_PAGE if baseline else self.page_size
        pages = 1 if baseline else self.max_pages
        read = _Read()
        since_posts = self._since("posts")
        read.posts = self._pages(
            lambda token: self.platform.user_posts(
                brand, since_id=since_posts, max_results=size, next_token=token
            ),
            pages,
        )
        since_dms = self._since("dms")
        token: str | None = None
        # X's DM events take no since_id: every page is billed whatever is new. A
        # one-event first page costs one read when nothing is new (X bills it once a day).
        first = 1 if since_dms is not None else size
        for number in range(pages):
            page = self.platform.dm_events(
                since_id=since_dms, max_results=first if number == 0 else size, next_token=token
            )
            read.dms.extend(m for m in page.items if m.event_type == "MessageCreate")
            token = page.next_token
            if token is None:
                break
        if self.mentions:
            since_mentions = self._since("mentions")
            read.mentions = self._pages(
                lambda token: self.platform.mentions(
                    brand, since_id=since_mentions, max_results=size, next_token=token
                ),
                pages,
            )
        return read

    def _held(self, unknown: Sequence[Post | DirectMessage], now: dt.datetime) -> set[str]:
        """Unknown items read while an outbox send of their kind was in flight (young ones)."""
        if not unknown:
            return set()
        in_flight = [
            r
            for r in self.store.list_actions(status="reserved", kind=OUTBOX_KIND, limit=1000)
            if r.in_doubt
        ]
        if not in_flight:
            return set()
        posting = any(r.payload.get("action") in ("post", "reply") for r in in_flight)
        messaging = any(r.payload.get("action") == "dm" for r in in_flight)
        grace = dt.timedelta(seconds=self.in_flight_grace)
        held: set[str] = set()
        for item in unknown:
            young = item.created_at is None or now - item.created_at <= grace
            if young and (messaging if isinstance(item, DirectMessage) else posting):
                held.add(item.id)
        return held

    def _link_findings(
        self, item: Post | DirectMessage, channel: FindingChannel
    ) -> list[GuardFinding]:
        text, entities = _text_and_entities(item)
        off: list[str] = []
        for url in links_in(text, entities):
            host = domain_of(url)
            if host is not None and not domain_allowed(host, self.allowed_domains):
                off.append(host)
        if not off:
            return []
        return [
            GuardFinding(
                kind="unknown_link",
                channel=channel,
                item_id=item.id,
                text=text,
                created_at=item.created_at,
                author_id=item.sender_id if isinstance(item, DirectMessage) else item.author_id,
                reason="links to a domain not on the allow-list",
                details=tuple(dict.fromkeys(off)),
                conversation_id=item.dm_conversation_id
                if isinstance(item, DirectMessage)
                else None,
            )
        ]

    def _first_time(self, finding: GuardFinding) -> bool:
        """Record the finding in the audit log unless an earlier check did; return whether new."""
        action = "guard.unrecognised" if finding.hijack else f"guard.{finding.kind}"
        for entry in audit_trail(self.store, subject=finding.item_id, page_size=_AUDIT_PAGE):
            if entry.action == action:
                return False
        self.store.append_audit(
            action,
            actor=self.actor,
            subject=finding.item_id,
            detail={
                "channel": finding.channel,
                "reason": finding.reason,
                "details": list(finding.details),
                "author_id": finding.author_id,
                "text": finding.text[:1000],
            },
        )
        return True

    def _alert(self, findings: Sequence[GuardFinding], now: dt.datetime) -> list[str]:
        if not findings or not self.sinks:
            return []
        alerts = [f.to_alert(now) for f in findings]
        errors: list[str] = []
        for sink in self.sinks:
            try:
                sink.deliver(alerts)
                sink.flush()
            except AlertError as exc:
                log.warning("guard: alert sink %r failed: %s", sink, exc)
                errors.append(f"{type(sink).__name__}: {exc}")
        return errors

    def _advance(self, read: _Read, *, held_below: int | None, audit_top: int) -> None:
        for name, items in (("posts", read.posts), ("dms", read.dms), ("mentions", read.mentions)):
            ids = [int(i.id) for i in items]
            if held_below is not None and name != "mentions":
                ids = [i for i in ids if i < held_below]
            if ids:
                self.store.advance_cursor(self._cursor(name), since_id=str(max(ids)))
            elif self._since(name) is None:
                self.store.advance_cursor(self._cursor(name), since_id=None)
        if audit_top > 0:
            self.store.advance_cursor(self._cursor("audit"), since_id=str(audit_top))

    # -- the loop -----------------------------------------------------------------------------

    def run_forever(self, *, max_checks: int | None = None, handle_signals: bool = True) -> None:
        """Check every ``interval`` seconds until :meth:`stop`, SIGINT or SIGTERM.

        A check that fails (the platform or the store down) is logged and retried at
        the next interval; sinks are flushed on the way out.
        """
        self._stop.clear()
        checks = 0
        with _signals(self._stop, enabled=handle_signals):
            while not self._stop.is_set():
                try:
                    report = self.check()
                except Exception:
                    log.exception("guard: check failed; next try in %.0fs", self.interval)
                else:
                    if report.findings:
                        log.warning("guard: %d finding(s)", len(report.findings))
                checks += 1
                if max_checks is not None and checks >= max_checks:
                    break
                if isinstance(self.clock, SystemClock):
                    self._stop.wait(self.interval)
                else:
                    self.clock.sleep(self.interval)

    def stop(self) -> None:
        """Ask :meth:`run_forever` to stop after the current check (thread-safe)."""
        self._stop.set()


def _text_and_entities(item: Post | DirectMessage) -> tuple[str, Entities]:
    if isinstance(item, DirectMessage):
        return item.text, item.entities
    if item.note_text is not None:
        return item.note_text, item.note_entities or Entities()
    return item.text, item.entities


def _unrecognised(item: Post | DirectMessage) -> GuardFinding:
    if isinstance(item, DirectMessage):
        return GuardFinding(
            kind="unrecognised_dm",
            channel="own_dm",
            item_id=item.id,
            text=item.text,
            created_at=item.created_at,
            author_id=item.sender_id,
            reason="a DM sent from the account that is not in the outbox or the audit log",
            conversation_id=item.dm_conversation_id,
        )
    return GuardFinding(
        kind="unrecognised_post",
        channel="own_post",
        item_id=item.id,
        text=item.full_text,
        created_at=item.created_at,
        author_id=item.author_id,
        reason="a post from the account that is not in the outbox or the audit log",
        conversation_id=item.conversation_id,
    )


def _signals(stop: threading.Event, *, enabled: bool) -> contextlib.AbstractContextManager[None]:
    """SIGINT and SIGTERM ask the loop to stop (main thread only); old handlers come back."""

    def ask_to_stop(signum: int) -> None:
        log.info("signal %s: the guard stops after the current check", signum)
        stop.set()

    return stop_on_signals(ask_to_stop, enabled=enabled)
