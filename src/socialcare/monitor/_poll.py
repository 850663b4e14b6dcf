"""Polling one unit: its streams' backlog windows first, then what is new (the head).

A poll fetches at most ``max_pages`` pages. When the head has more pages than
that, the poll delivers what it fetched, moves ``since_id`` to the newest, and
records the unfetched window (old ``since_id`` .. oldest fetched id) as the
stream's backlog in the store; later polls walk that window with
``since_id``/``until_id`` until it is empty. A window whose lower end X no longer
reaches (recent search: 7 days, DM events: 30 days, mentions: the 800 most
recent) is reported as a gap (CycleReport.gaps, health, a WARNING and the audit
action ``"monitor.gap"``) before it is cleared.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Literal

import attrs

from socialcare._clock import Clock
from socialcare._snowflake import snowflake_floor, snowflake_time
from socialcare.errors import ConfigurationError
from socialcare.models import Post, User
from socialcare.models._care import StreamCursor
from socialcare.monitor._budget import Budget
from socialcare.monitor._delivery import Delivery
from socialcare.monitor._endpoints import READ_PRICES, USER_READ_PRICE
from socialcare.monitor._kinds import Item, Kind, Request, Unit, Window
from socialcare.monitor._report import Outcome, StreamState
from socialcare.monitor._store import MonitorStore
from socialcare.monitor._stream import Stream
from socialcare.platforms import Platform
from socialcare.platforms.x import GET_USERS

__all__ = ["Poller", "Start", "check_start"]

log = logging.getLogger("socialcare.monitor")

Start = Literal["now"] | dt.datetime | int | None
"""Where a stream with no cursor starts (see ``Monitor``'s ``start``)."""


def check_start(start: object) -> Start:
    """``start`` if it is valid.

    Raises:
        ConfigurationError: not ``None``, ``"now"``, an aware datetime or a positive int.
    """
    if start is None:
        return None
    if start == "now":
        return "now"
    if isinstance(start, dt.datetime):
        if start.utcoffset() is None:
            raise ConfigurationError("start must be a timezone-aware datetime")
        return start
    if isinstance(start, int) and not isinstance(start, bool) and start > 0:
        return start
    msg = f"start must be None, 'now', an aware datetime or a positive int, got {start!r:.60}"
    raise ConfigurationError(msg)


@attrs.define
class _Walk:
    """What fetching one window brought back."""

    items: list[Item] = attrs.field(factory=list)
    users: dict[str, User] = attrs.field(factory=dict)
    fresh: dict[str, User] = attrs.field(factory=dict)
    """Users read from the platform (the rest of ``users`` came from the store)."""
    complete: bool = True
    pages: int = 0
    used: int = 0

    @property
    def oldest(self) -> str | None:
        return min((i.id for i in self.items), key=int, default=None)

    @property
    def newest(self) -> str | None:
        return max((i.id for i in self.items), key=int, default=None)


def _when(item_id: str) -> str:
    return f"{snowflake_time(item_id):%Y-%m-%d %H:%M} UTC"


class Poller:
    """Fetches windows of a unit inside the page and rate budgets and hands them to delivery."""

    def __init__(
        self,
        *,
        platform: Platform,
        store: MonitorStore,
        clock: Clock,
        budget: Budget,
        kinds: Mapping[str, Kind],
        delivery: Delivery,
        states: Mapping[str, StreamState],
        page_size: int,
        max_pages: int,
        include_retweets: bool,
        brand_user_id: Callable[[], str],
        actor: str,
        start: Start = None,
    ) -> None:
        self.platform = platform
        self.store = store
        self.clock = clock
        self.budget = budget
        self.kinds = kinds
        self.delivery = delivery
        self.states = states
        self.max_pages = max_pages
        self.include_retweets = include_retweets
        self.brand_user_id = brand_user_id
        self.actor = actor
        self.request = Request(platform, page_size, brand_user_id)
        self.requests = 0
        self.cost = Decimal(0)
        self.start = start
        self._users_read: tuple[dt.date, set[str]] = (clock.now().date(), set())
        self._first = True

    def poll(self, unit: Unit, outcome: Outcome) -> int:
        """Poll one unit; return how many items were delivered.

        Raises:
            PlatformError: the platform failed (the cursor stays).
            StorageError: the store failed (the cursor stays).
        """
        kind = self.kinds[unit.kind]
        for stream in unit.streams:
            self.states[stream.name].gap = None
        cursors = {s.name: self.store.get_cursor(s.name) for s in unit.streams}
        backlogs = {
            name: (c.backlog_since_id, c.backlog_until_id)
            for name, c in cursors.items()
            if c is not None and c.backlog_until_id is not None
        }
        self._first = True
        pages_left = self.max_pages
        delivered = 0
        for stream in unit.streams:
            if stream.name in backlogs and pages_left > 0:
                got, used = self._walk_backlog(kind, unit, stream, backlogs, outcome)
                delivered += got
                pages_left -= used
        if pages_left > 0:
            delivered += self._head(kind, unit, cursors, backlogs, pages_left, outcome)
        else:
            for stream in unit.streams:
                self.store.advance_cursor(stream.name)
        for stream in unit.streams:
            self.states[stream.name].last_error = None
        return delivered

    # -- the head: what is new since the cursor -------------------------------------------

    def _head(  # noqa: PLR0917 - one private call site
        self,
        kind: Kind,
        unit: Unit,
        cursors: Mapping[str, StreamCursor | None],
        backlogs: dict[str, tuple[str | None, str]],
        pages: int,
        outcome: Outcome,
    ) -> int:
        since, start_since = self._since(cursors)
        window = Window(since)
        gap: str | None = None
        now = self.clock.now()
        if (
            kind.reach is not None
            and since is not None
            and snowflake_time(since) < now - kind.reach
        ):
            floor = now - kind.reach
            gap = (
                f"cursor {since} is from {_when(since)}, older than the {kind.reach.days}-day "
                f"{kind.name} window: posts between then and {floor:%Y-%m-%d %H:%M} UTC "
                "cannot be fetched"
            )
            window = Window(None, start_time=floor + dt.timedelta(minutes=1))
        first_run = since is None and gap is None
        wanted, one_page = self._first_fetch(first_run=first_run)
        walk = self._fetch(kind, unit, window, pages, one_page=one_page)
        if walk.pages == 0:
            return 0
        oldest = walk.oldest
        if (
            kind.cap is not None
            and gap is None
            and walk.complete
            and since is not None
            and len(walk.items) >= kind.cap
            and oldest is not None
            and int(oldest) > int(since)
        ):
            gap = (
                f"{len(walk.items)} {kind.name} since {since}: X keeps only the "
                f"{kind.cap} most recent, so older ones may be missing for good"
            )

        def newer(stream: Stream, item: Item) -> bool:
            cursor = cursors.get(stream.name)
            return cursor is None or cursor.since_id is None or int(item.id) > int(cursor.since_id)

        newest = self._start_here(walk, wanted, now, first_run=first_run)
        delivered = self._deliver(kind, unit, walk, newer, outcome)
        if gap is not None:
            for stream in unit.streams:
                self._report_gap(stream.name, gap, outcome)
        for stream in unit.streams:
            cursor = cursors[stream.name]
            own = start_since if cursor is None else cursor.since_id
            own = None if gap is not None else own
            state = self.states[stream.name]
            current = backlogs.get(stream.name)
            overflow = not walk.complete and not first_run and oldest is not None
            if overflow and (own is None or int(oldest) > int(own)):  # type: ignore[arg-type]
                low = current[0] if current is not None else own
                self.store.set_backlog(stream.name, since_id=low, until_id=oldest)
                state.depth = (state.depth if current is not None else 0) + len(walk.items)
                log.info(
                    "stream %s: more than %d pages new; %s..%s left for the next polls",
                    stream.name,
                    pages,
                    low,
                    oldest,
                )
            elif current is not None:
                state.depth += len(walk.items)
            self.store.advance_cursor(stream.name, since_id=newest)
        return delivered

    def _since(self, cursors: Mapping[str, StreamCursor | None]) -> tuple[str | None, str | None]:
        """The lowest cursor of a unit, and the one a datetime ``start`` gives (no cursor yet)."""
        known = [c.since_id for c in cursors.values() if c is not None and c.since_id is not None]
        if known:
            return min(known, key=int), None
        if isinstance(self.start, dt.datetime):
            since = str(max(snowflake_floor(self.start) - 1, 0))  # every post since start
            return since, since
        return None, None

    def _first_fetch(self, *, first_run: bool) -> tuple[int | None, bool]:
        """How many posts a first poll delivers (``start`` a count), and whether one page does."""
        if not first_run:
            return None, False
        if isinstance(self.start, int):
            return self.start, self.start <= self.request.page_size
        return None, True

    def _start_here(
        self, walk: _Walk, wanted: int | None, now: dt.datetime, *, first_run: bool
    ) -> str | None:
        """Trim a first poll's items to the start position; return the cursor to move to."""
        newest = walk.newest
        if not first_run:
            return newest
        if self.start == "now":
            walk.items = []  # what is already there is not delivered
            return newest if newest is not None else str(snowflake_floor(now) - 1)
        if wanted is not None:
            walk.items = sorted(walk.items, key=lambda i: int(i.id))[-wanted:]
        return newest

    # -- the backlog: an unfetched window below the cursor --------------------------------

    def _walk_backlog(
        self,
        kind: Kind,
        unit: Unit,
        stream: Stream,
        backlogs: dict[str, tuple[str | None, str]],
        outcome: Outcome,
    ) -> tuple[int, int]:
        since, until = backlogs[stream.name]
        state = self.states[stream.name]
        now = self.clock.now()
        gap: str | None = None
        if kind.reach is not None:
            floor = now - kind.reach
            days = kind.reach.days
            if snowflake_time(until) <= floor:
                gap = (
                    f"backlog {since}..{until} (before {_when(until)}) is older than the "
                    f"{days}-day {kind.name} window and cannot be fetched"
                )
                self._report_gap(stream.name, gap, outcome)
                self._clear_backlog(stream.name, backlogs)
                return 0, 0
            if since is not None and snowflake_time(since) < floor:
                gap = (
                    f"backlog {since}..{until} reaches back to {_when(since)}, older than the "
                    f"{days}-day {kind.name} window: posts before "
                    f"{floor:%Y-%m-%d %H:%M} UTC cannot be fetched"
                )
        window = Window(None if gap is not None else since, until)
        alone = Unit((stream,), stream.query, unit.expansions)
        walk = self._fetch(kind, alone, window, self.max_pages, one_page=False)
        if walk.pages == 0:
            return 0, 0
        state.depth += len(walk.items)
        if kind.cap is not None and gap is None and walk.complete and state.depth >= kind.cap:
            gap = (
                f"backlog {since}..{until}: {state.depth} {kind.name} since it began, and X keeps "
                f"only the {kind.cap} most recent, so older ones may be missing for good"
            )
        delivered = self._deliver(kind, alone, walk, None, outcome)
        if gap is not None:
            self._report_gap(stream.name, gap, outcome)  # reported before it is cleared
        oldest = walk.oldest
        if walk.complete:
            self._clear_backlog(stream.name, backlogs)
        else:
            low = None if gap is not None else since
            top = oldest if oldest is not None else until
            self.store.set_backlog(stream.name, since_id=low, until_id=top)
            backlogs[stream.name] = (low, top)
        return delivered, walk.used

    def _clear_backlog(self, name: str, backlogs: dict[str, tuple[str | None, str]]) -> None:
        self.store.set_backlog(name, since_id=None, until_id=None)
        backlogs.pop(name, None)
        self.states[name].depth = 0

    # -- shared ---------------------------------------------------------------------------

    def _deliver(
        self,
        kind: Kind,
        unit: Unit,
        walk: _Walk,
        accept: Callable[[Stream, Item], bool] | None,
        outcome: Outcome,
    ) -> int:
        if kind.carries_posts and walk.items:
            self._users(kind, unit, walk)
        return self.delivery.deliver(
            kind,
            unit,
            walk.items,
            walk.users,
            fresh_users=walk.fresh,
            brand=self.brand_user_id(),
            include_retweets=self.include_retweets,
            accept=accept if accept is not None else (lambda _s, _i: True),
            outcome=outcome,
        )

    def _users(self, kind: Kind, unit: Unit, walk: _Walk) -> None:
        """Complete ``walk.users`` with the users its posts need, paying for as few as X allows.

        Runs just before delivery, on what is delivered (a first poll's ``start``
        has trimmed the walk already; the brand's own posts and dropped reposts need
        nobody). Needed: every inbound post's author (alerts carry it), and for a
        packed unit, which sorts results back with ``Query.matches``, reply targets
        too (``to:``). A user the page did not expand is taken from the store (free:
        X bills reads, not what we keep). Under the author policy
        (``unit.looks_up_authors``), and for every packed unit (whose sorting needs
        them), the users still missing are read in one batched ``GET /2/users?ids=``:
        X bills only the users it returns, where an ``author_id`` expansion bills
        every author of the page not read that UTC day, known or not.

        Raises:
            PlatformError: the lookup failed (the poll fails; the cursor stays).
            StorageError: the store failed.
        """
        brand = self.brand_user_id()
        packed = len(unit.streams) > 1
        wanted: set[str] = set()
        for item in walk.items:
            if not isinstance(item, Post):
                continue
            if not kind.inbound(item, brand, include_retweets=self.include_retweets):
                continue
            if item.author_id is not None:
                wanted.add(item.author_id)
            if packed and item.in_reply_to_user_id is not None:
                wanted.add(item.in_reply_to_user_id)
        missing = sorted(wanted - walk.users.keys())
        if not missing:
            return
        for user in self.store.get_users(missing):
            walk.users[user.id] = user
        missing = [i for i in missing if i not in walk.users]
        if not missing or not (unit.looks_up_authors or packed):
            return
        page = self.platform.get_users(missing)
        for _ in range(0, len(missing), 100):  # X looks up 100 ids per request
            self.requests += 1
            self.budget.spend(GET_USERS.name)
        fetched = {user.id: user for user in page.items}
        walk.users.update(fetched)
        walk.fresh.update(fetched)
        self._price_users(list(fetched))

    def _fetch(
        self, kind: Kind, unit: Unit, window: Window, pages: int, *, one_page: bool
    ) -> _Walk:
        """Fetch ``window`` newest first until it ends, ``pages`` pages or the rate budget."""
        walk = _Walk()
        token: str | None = None
        until = window.until_id
        while True:
            if not self._first and not self.budget.available(
                unit.endpoint, self.platform.rate_limits().get(unit.endpoint)
            ):
                walk.complete = False
                return walk
            self._first = False
            self._count(unit)
            page = kind.fetch(self.request, unit, window, token)
            walk.pages += 1
            items: Sequence[Item] = page.items
            if until is not None and not kind.native_until:
                items = [i for i in items if int(i.id) < int(until)]
                walk.used += 1 if items else 0  # pages above the window cost requests only
            else:
                walk.used += 1
            walk.items.extend(items)
            walk.users.update((u.id, u) for u in page.includes.users)
            walk.fresh.update((u.id, u) for u in page.includes.users)
            self._price(unit, len(page.items), [u.id for u in page.includes.users])
            token = page.next_token
            if token is None or one_page:
                return walk
            if walk.used >= pages:
                walk.complete = False
                return walk

    def _price(self, unit: Unit, items: int, user_ids: Sequence[str]) -> None:
        """Add what X bills for a page: its items at the endpoint's read price, new users."""
        self.cost += READ_PRICES.get(unit.endpoint, Decimal(0)) * items
        self._price_users(user_ids)

    def _price_users(self, user_ids: Sequence[str]) -> None:
        """Add the user reads X bills: users not read yet this UTC day (by this monitor)."""
        day = self.clock.now().astimezone(dt.timezone.utc).date()
        if self._users_read[0] != day:
            self._users_read = (day, set())
        read = self._users_read[1]
        new = [i for i in dict.fromkeys(user_ids) if i not in read]
        read.update(new)
        self.cost += USER_READ_PRICE * len(new)

    def _count(self, unit: Unit) -> None:
        """Book one platform request against the unit's streams and the endpoint budget."""
        self.requests += 1
        self.budget.spend(unit.endpoint)
        for stream in unit.streams:
            self.states[stream.name].requests += 1

    def _report_gap(self, stream: str, gap: str, outcome: Outcome) -> None:
        log.warning("stream %s: %s", stream, gap)
        self.store.append_audit(
            "monitor.gap", actor=self.actor, subject=stream, detail={"gap": gap}
        )
        self.states[stream].gap = gap
        outcome.gaps.append((stream, gap))
