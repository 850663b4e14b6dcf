"""The SQL both relational backends share: statements, row mapping, schema management.

:class:`SQLStore` implements every :class:`~socialcare.storage.Store` method once,
on top of four things a backend supplies: a transaction runner (``_write`` /
``_read``, which also map driver errors to ``StorageError`` at one choke point),
and the conversion of times and JSON between Python and its column types.
Statements use ``?`` placeholders; a backend may rewrite them.

Every decision between competing callers is one conditional statement
(``INSERT .. ON CONFLICT``, ``UPDATE .. WHERE .. RETURNING``), never a read
followed by a write.
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from socialcare._clock import Clock, SystemClock
from socialcare.errors import LeaseError, SchemaVersionError, StorageError
from socialcare.models import DirectMessage, Post, TokenRecord, User
from socialcare.models._care import (
    AuditEntry,
    Conversation,
    ConversationState,
    Escalation,
    EscalationState,
    Lease,
    OutboxRecord,
    OutboxStatus,
    Reservation,
    ShortLink,
    StreamCursor,
)
from socialcare.storage._codec import dump_json
from socialcare.storage._common import (
    TextError,
    check_aware,
    check_backlog,
    check_conversation,
    check_delay,
    check_escalation,
    check_json,
    check_key,
    check_keys,
    check_limit,
    check_optional,
    check_posts_text,
    check_since_id,
    check_text,
    check_token_record,
    check_ttl,
    clip,
    dm_document,
    id_order,
    lease_expiry,
    lease_refused,
    not_sendable,
    schema_help,
    seen_ids,
    storable_posts,
    user_document,
)
from socialcare.storage._schema import MIGRATIONS, SCHEMA_VERSION, VERSION_TABLE

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["Row", "SQLStore", "Tx"]

T = TypeVar("T")
Row = tuple[Any, ...]
"""A result row as the driver returns it."""

_IN_CHUNK = 500
_SEEN_CHUNK = 300  # rows per INSERT of seen ids (3 parameters each)

_CONV_COLS = (
    "id, channel, state, customer_id, assignee, tags, priority, first_inbound_at, "
    "first_response_at, last_activity_at, waiting_since"
)
_CURSOR_COLS = (
    "stream, since_id, last_success_at, last_error, last_error_at, updated_at, "
    "backlog_since_id, backlog_until_id"
)
_OUTBOX_COLS = (
    "key, kind, payload, status, remote_id, error, attempts, claimed_by, claim_expires_at, "
    "created_at, updated_at, first_attempt_at, in_doubt, not_before"
)
_AUDIT_COLS = "seq, at, actor, action, subject, detail"
_LINK_COLS = "code, url, clicks, conversation_id, created_at, last_clicked_at, campaign, bot_clicks"
_BOT_CLICK = "UPDATE sc_short_links SET bot_clicks = bot_clicks + 1 WHERE code = ?"
_PERSON_CLICK = "UPDATE sc_short_links SET clicks = clicks + 1, last_clicked_at = ? WHERE code = ?"
_ESC_COLS = (
    "id, conversation_id, user_id, reason, state, post_id, outbox_key, created_at, updated_at"
)
_LEASE_COLS = "key, owner, acquired_at, expires_at, token, renewed_at"
_GRANT_COLS = (
    "key, access_token, expires_at, refresh_token, scopes, account_id, version, updated_at, problem"
)
_GRANT_SET = (
    "access_token = ?, expires_at = ?, refresh_token = ?, scopes = ?, account_id = ?, "
    "updated_at = ?, problem = ?"
)

# A longer decimal id is larger; equal lengths compare as text (the C collation).
_NEWER_ID = (
    "length(excluded.since_id) > length(sc_cursors.since_id) OR "
    "(length(excluded.since_id) = length(sc_cursors.since_id) "
    "AND excluded.since_id > sc_cursors.since_id)"
)


class Tx(Protocol):
    """One open transaction, as the shared SQL code sees it."""

    def run(self, sql: str, params: Sequence[object] = ()) -> int:
        """Execute a statement; return the number of rows it changed."""
        ...

    def one(self, sql: str, params: Sequence[object] = ()) -> Row | None:
        """Execute a statement; return its first row, if any."""
        ...

    def all(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        """Execute a statement; return all its rows."""
        ...

    def many(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        """Execute a statement once per parameter row."""
        ...


class SQLStore(abc.ABC):
    """The shared implementation of :class:`~socialcare.storage.Store` over SQL."""

    _where: str
    """Names the database in messages, for example ``"SQLite database 'care.db'"``."""

    def __init__(self, *, clock: Clock | None) -> None:
        self._clock: Clock = clock if clock is not None else SystemClock()

    # -- what a backend supplies ------------------------------------------------------------------

    @abc.abstractmethod
    def _write(self, work: Callable[[Tx], T]) -> T:
        """Run ``work`` in a write transaction; commit, or roll back and raise ``StorageError``."""

    def _write_one(self, sql: str, params: Sequence[object]) -> Row | None:
        """Run one writing statement as its own transaction; its first returned row.

        Backends may override this with a cheaper path (SQLite: one autocommit
        statement); the statement must stay atomic and durable like :meth:`_write`.
        """
        return self._write(lambda tx: tx.one(sql, params))

    @abc.abstractmethod
    def _read(self, work: Callable[[Tx], T]) -> T:
        """Run ``work`` against a consistent snapshot; map errors to ``StorageError``."""

    @abc.abstractmethod
    def _ts(self, value: dt.datetime | None) -> object:
        """A time as the driver stores it."""

    @abc.abstractmethod
    def _dt(self, value: object) -> dt.datetime | None:
        """A stored time back as an aware UTC datetime."""

    @abc.abstractmethod
    def _json_out(self, value: object) -> Any:
        """A stored JSON document back as Python values."""

    @abc.abstractmethod
    def _has_version_table(self, tx: Tx) -> bool:
        """Whether the schema version table exists."""

    @abc.abstractmethod
    def _ddl(self, statement: str) -> str:
        """A schema statement with the dialect's types filled in."""

    _skip_locked = ""
    _for_update = ""
    """Appended to a row read that a write in the same transaction decides on (row lock)."""
    """Appended to row-claiming subqueries (``FOR UPDATE SKIP LOCKED`` where supported)."""

    def _serialize_schema_changes(self, tx: Tx) -> None:  # noqa: B027 - optional hook
        """Make concurrent ``create_schema`` calls wait for each other (if needed)."""

    def _serialize_audit(self, tx: Tx) -> None:  # noqa: B027 - optional hook
        """Make audit appends commit in ``seq`` order (if needed)."""

    # -- lifecycle --------------------------------------------------------------------------------

    def _now(self) -> dt.datetime:
        return self._clock.now()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections. Idempotent."""

    def _version_in(self, tx: Tx) -> int | None:
        if not self._has_version_table(tx):
            return None
        row = tx.one("SELECT max(version) FROM sc_schema")
        return None if row is None or row[0] is None else int(row[0])

    def schema_version(self) -> int | None:
        """The stored schema's version, or ``None`` when there is no schema yet."""
        return self._read(self._version_in)

    def _check_schema(self) -> None:
        found = self.schema_version()
        if found != SCHEMA_VERSION:
            raise SchemaVersionError(
                schema_help(self._where, found, SCHEMA_VERSION),
                found=found,
                expected=SCHEMA_VERSION,
            )

    def create_schema(self) -> None:
        """Create the tables or migrate them forward; see :meth:`Store.create_schema`."""
        for version, statements in enumerate(MIGRATIONS, start=1):

            def step(
                tx: Tx, version: int = version, statements: Sequence[str] = statements
            ) -> None:
                self._serialize_schema_changes(tx)
                tx.run(self._ddl(VERSION_TABLE))
                found = self._version_in(tx)
                if found is not None and found > SCHEMA_VERSION:
                    raise SchemaVersionError(
                        schema_help(self._where, found, SCHEMA_VERSION),
                        found=found,
                        expected=SCHEMA_VERSION,
                    )
                if found is not None and found >= version:
                    return
                for statement in statements:
                    rendered = self._ddl(statement)
                    if rendered.strip():
                        tx.run(rendered)
                tx.run(
                    "INSERT INTO sc_schema (version, applied_at) VALUES (?, ?)",
                    (version, self._ts(self._now())),
                )

            self._write(step)

    # -- posts, users, DM events --------------------------------------------------------

    def upsert_posts(self, posts: Iterable[Post]) -> int:
        """See :meth:`Store.upsert_posts`."""
        # Ids are checked before any transaction: a post that cannot round-trip is a
        # ValueError and nothing is written. Text is checked while it is encoded (a lone
        # surrogate cannot be encoded): the transaction rolls back, and the error names
        # the first such post in the order given, as on every backend.
        batch = storable_posts(posts)
        if batch:
            try:
                self._write_posts(list(batch))
            except TextError:
                check_posts_text(batch)
                raise
        return len(batch)

    @abc.abstractmethod
    def _write_posts(self, batch: list[Post]) -> None:
        """Upsert checked posts with distinct ids in one write transaction (all or nothing).

        Encode each post with ``stored_post_json`` (it raises ``TextError``).
        """

    def _post(self, value: object) -> Post:
        return Post.from_x(self._json_out(value))

    def get_post(self, post_id: str) -> Post | None:
        """See :meth:`Store.get_post`."""
        check_text("post_id", post_id)
        row = self._read(lambda tx: tx.one("SELECT data FROM sc_posts WHERE id = ?", (post_id,)))
        return None if row is None else self._post(row[0])

    def _by_ids(self, table: str, ids: Sequence[str]) -> dict[str, object]:
        def work(tx: Tx) -> dict[str, object]:
            found: dict[str, object] = {}
            for start in range(0, len(ids), _IN_CHUNK):
                chunk = ids[start : start + _IN_CHUNK]
                marks = ", ".join("?" * len(chunk))
                sql = f"SELECT id, data FROM {table} WHERE id IN ({marks})"
                found.update((row[0], row[1]) for row in tx.all(sql, chunk))
            return found

        return self._read(work) if ids else {}

    def get_posts(self, post_ids: Iterable[str]) -> list[Post]:
        """See :meth:`Store.get_posts`."""
        ids = check_keys("post_ids", post_ids)
        found = self._by_ids("sc_posts", list(dict.fromkeys(ids)))
        return [self._post(found[i]) for i in ids if i in found]

    def posts_in_conversation(self, conversation_id: str, *, limit: int = 1000) -> list[Post]:
        """See :meth:`Store.posts_in_conversation`."""
        check_text("conversation_id", conversation_id)
        rows = self._read(
            lambda tx: tx.all(
                "SELECT data FROM sc_posts WHERE conversation_id = ? "
                "ORDER BY created_at NULLS FIRST, length(id), id LIMIT ?",
                (conversation_id, check_limit(limit)),
            )
        )
        return [self._post(row[0]) for row in rows]

    def count_posts(self) -> int:
        """See :meth:`Store.count_posts`."""
        row = self._read(lambda tx: tx.one("SELECT count(*) FROM sc_posts"))
        return 0 if row is None else int(row[0])

    def upsert_users(self, users: Iterable[User]) -> int:
        """See :meth:`Store.upsert_users`."""
        batch = {u.id: user_document(u) for u in users}
        rows = [(u.id, u.username, data) for u, data in batch.values()]
        if rows:
            self._write(
                lambda tx: tx.many(
                    "INSERT INTO sc_users (id, username, data) VALUES (?, ?, ?) "
                    "ON CONFLICT (id) DO UPDATE SET username = excluded.username, "
                    "data = excluded.data",
                    rows,
                )
            )
        return len(rows)

    def get_user(self, user_id: str) -> User | None:
        """See :meth:`Store.get_user`."""
        check_text("user_id", user_id)
        row = self._read(lambda tx: tx.one("SELECT data FROM sc_users WHERE id = ?", (user_id,)))
        return None if row is None else User.from_x(self._json_out(row[0]))

    def get_users(self, user_ids: Iterable[str]) -> list[User]:
        """See :meth:`Store.get_users`."""
        ids = check_keys("user_ids", user_ids)
        found = self._by_ids("sc_users", list(dict.fromkeys(ids)))
        return [User.from_x(self._json_out(found[i])) for i in ids if i in found]

    def upsert_dms(self, messages: Iterable[DirectMessage]) -> int:
        """See :meth:`Store.upsert_dms`."""
        batch = {m.id: dm_document(m) for m in messages}
        rows = [
            (m.id, m.dm_conversation_id, self._ts(m.created_at), data) for m, data in batch.values()
        ]
        if rows:
            self._write(
                lambda tx: tx.many(
                    "INSERT INTO sc_dm_events (id, dm_conversation_id, created_at, data) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                    "dm_conversation_id = excluded.dm_conversation_id, "
                    "created_at = excluded.created_at, data = excluded.data",
                    rows,
                )
            )
        return len(rows)

    def get_dm(self, event_id: str) -> DirectMessage | None:
        """See :meth:`Store.get_dm`."""
        check_text("event_id", event_id)
        row = self._read(
            lambda tx: tx.one("SELECT data FROM sc_dm_events WHERE id = ?", (event_id,))
        )
        return None if row is None else DirectMessage.from_x(self._json_out(row[0]))

    def dms_in_conversation(
        self, dm_conversation_id: str, *, limit: int = 1000
    ) -> list[DirectMessage]:
        """See :meth:`Store.dms_in_conversation`."""
        check_text("dm_conversation_id", dm_conversation_id)
        rows = self._read(
            lambda tx: tx.all(
                "SELECT data FROM sc_dm_events WHERE dm_conversation_id = ? "
                "ORDER BY created_at NULLS FIRST, length(id), id LIMIT ?",
                (dm_conversation_id, check_limit(limit)),
            )
        )
        return [DirectMessage.from_x(self._json_out(row[0])) for row in rows]

    # -- conversations ----------------------------------------------------------------------------

    def _conversation(self, row: Row) -> Conversation:
        dt_ = self._dt
        return Conversation(
            id=row[0],
            channel=row[1],
            state=row[2],
            customer_id=row[3],
            assignee=row[4],
            tags=frozenset(self._json_out(row[5])),
            priority=int(row[6]),
            first_inbound_at=dt_(row[7]),
            first_response_at=dt_(row[8]),
            last_activity_at=dt_(row[9]),
            waiting_since=dt_(row[10]),
        )

    def put_conversation(self, conversation: Conversation) -> None:
        """See :meth:`Store.put_conversation`."""
        c, ts = check_conversation(conversation), self._ts
        params = (
            c.id,
            c.channel,
            c.state,
            c.customer_id,
            c.assignee,
            dump_json(sorted(c.tags)),
            c.priority,
            ts(c.first_inbound_at),
            ts(c.first_response_at),
            ts(c.last_activity_at),
            ts(c.waiting_since),
        )
        updates = ", ".join(f"{col} = excluded.{col}" for col in _CONV_COLS.split(", ")[1:])
        sql = (
            f"INSERT INTO sc_conversations ({_CONV_COLS}) VALUES ({', '.join('?' * 11)}) "
            f"ON CONFLICT (id) DO UPDATE SET {updates}"
        )
        self._write(lambda tx: tx.run(sql, params))

    def get_conversation(self, conversation_id: str) -> Conversation | None:
        """See :meth:`Store.get_conversation`."""
        check_text("conversation_id", conversation_id)
        row = self._read(
            lambda tx: tx.one(
                f"SELECT {_CONV_COLS} FROM sc_conversations WHERE id = ?",
                (conversation_id,),
            )
        )
        return None if row is None else self._conversation(row)

    def find_conversations(
        self,
        *,
        customer_id: str | None = None,
        state: ConversationState | None = None,
        assignee: str | None = None,
        limit: int = 100,
    ) -> list[Conversation]:
        """See :meth:`Store.find_conversations`."""
        check_optional("customer_id", customer_id)
        check_optional("assignee", assignee)
        where, params = _filters(customer_id=customer_id, state=state, assignee=assignee)
        sql = (
            f"SELECT {_CONV_COLS} FROM sc_conversations{where} "
            "ORDER BY last_activity_at DESC NULLS LAST, id LIMIT ?"
        )
        rows = self._read(lambda tx: tx.all(sql, (*params, check_limit(limit))))
        return [self._conversation(row) for row in rows]

    _QUEUE_SQL = (
        f"SELECT {_CONV_COLS} FROM sc_conversations WHERE state IN ('new', 'awaiting_brand') "
        "ORDER BY priority DESC, waiting_since, id LIMIT ?"
    )

    def open_queue(self, *, limit: int = 50) -> list[Conversation]:
        """See :meth:`Store.open_queue`."""
        rows = self._read(lambda tx: tx.all(self._QUEUE_SQL, (check_limit(limit),)))
        return [self._conversation(row) for row in rows]

    # -- monitor cursors --------------------------------------------------------------------------

    def _cursor(self, row: Row) -> StreamCursor:
        return StreamCursor(
            stream=row[0],
            since_id=row[1],
            last_success_at=self._dt(row[2]),
            last_error=row[3],
            last_error_at=self._dt(row[4]),
            updated_at=self._dt(row[5]),
            backlog_since_id=row[6],
            backlog_until_id=row[7],
        )

    def get_cursor(self, stream: str) -> StreamCursor | None:
        """See :meth:`Store.get_cursor`."""
        check_text("stream", stream)
        row = self._read(
            lambda tx: tx.one(
                f"SELECT {_CURSOR_COLS} FROM sc_cursors WHERE stream = ?",
                (stream,),
            )
        )
        return None if row is None else self._cursor(row)

    def list_cursors(self) -> list[StreamCursor]:
        """See :meth:`Store.list_cursors`."""
        rows = self._read(
            lambda tx: tx.all(f"SELECT {_CURSOR_COLS} FROM sc_cursors ORDER BY stream")
        )
        return [self._cursor(row) for row in rows]

    def advance_cursor(self, stream: str, *, since_id: str | None = None) -> StreamCursor:
        """See :meth:`Store.advance_cursor`."""
        check_key("stream", stream)
        check_since_id(since_id)
        now = self._ts(self._now())
        sql = (
            "INSERT INTO sc_cursors (stream, since_id, last_success_at, updated_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (stream) DO UPDATE SET since_id = CASE "
            "WHEN excluded.since_id IS NULL THEN sc_cursors.since_id "
            "WHEN sc_cursors.since_id IS NULL THEN excluded.since_id "
            f"WHEN {_NEWER_ID} THEN excluded.since_id ELSE sc_cursors.since_id END, "
            "last_success_at = excluded.last_success_at, updated_at = excluded.updated_at "
            f"RETURNING {_CURSOR_COLS}"
        )
        row = self._write(lambda tx: tx.one(sql, (stream, since_id, now, now)))
        assert row is not None  # noqa: S101 - an upsert always returns its row
        return self._cursor(row)

    def record_stream_error(self, stream: str, message: str) -> StreamCursor:
        """See :meth:`Store.record_stream_error`."""
        check_key("stream", stream)
        check_text("message", message)
        now = self._ts(self._now())
        sql = (
            "INSERT INTO sc_cursors (stream, last_error, last_error_at, updated_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (stream) DO UPDATE SET "
            "last_error = excluded.last_error, last_error_at = excluded.last_error_at, "
            f"updated_at = excluded.updated_at RETURNING {_CURSOR_COLS}"
        )
        row = self._write(lambda tx: tx.one(sql, (stream, message, now, now)))
        assert row is not None  # noqa: S101 - an upsert always returns its row
        return self._cursor(row)

    def set_backlog(
        self, stream: str, *, since_id: str | None, until_id: str | None
    ) -> StreamCursor:
        """See :meth:`Store.set_backlog`."""
        check_key("stream", stream)
        check_backlog(since_id, until_id)
        now = self._ts(self._now())
        sql = (
            "INSERT INTO sc_cursors (stream, backlog_since_id, backlog_until_id, updated_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (stream) DO UPDATE SET "
            "backlog_since_id = excluded.backlog_since_id, "
            "backlog_until_id = excluded.backlog_until_id, "
            f"updated_at = excluded.updated_at RETURNING {_CURSOR_COLS}"
        )
        row = self._write(lambda tx: tx.one(sql, (stream, since_id, until_id, now)))
        assert row is not None  # noqa: S101 - an upsert always returns its row
        return self._cursor(row)

    # -- outbox -----------------------------------------------------------------------------------

    def _action(self, row: Row) -> OutboxRecord:
        return OutboxRecord(
            key=row[0],
            kind=row[1],
            payload=self._json_out(row[2]),
            status=row[3],
            remote_id=row[4],
            error=row[5],
            attempts=int(row[6]),
            claimed_by=row[7],
            claim_expires_at=self._dt(row[8]),
            created_at=cast("dt.datetime", self._dt(row[9])),
            updated_at=cast("dt.datetime", self._dt(row[10])),
            first_attempt_at=self._dt(row[11]),
            in_doubt=bool(row[12]),
            not_before=self._dt(row[13]),
        )

    def _get_action(self, tx: Tx, key: str) -> OutboxRecord | None:
        row = tx.one(f"SELECT {_OUTBOX_COLS} FROM sc_outbox WHERE key = ?", (key,))
        return None if row is None else self._action(row)

    def reserve_action(self, key: str, *, kind: str, payload: Mapping[str, object]) -> Reservation:
        """See :meth:`Store.reserve_action`."""
        check_key("key", key)
        check_key("kind", kind)
        body = check_json("payload", payload)
        now = self._ts(self._now())
        sql = (
            f"INSERT INTO sc_outbox ({_OUTBOX_COLS}) "
            "VALUES (?, ?, ?, 'reserved', NULL, NULL, 0, NULL, NULL, ?, ?, NULL, 0, NULL) "
            f"ON CONFLICT (key) DO NOTHING RETURNING {_OUTBOX_COLS}"
        )

        def work(tx: Tx) -> Reservation:
            row = tx.one(sql, (key, kind, body, now, now))
            if row is not None:
                return Reservation(record=self._action(row), created=True)
            existing = self._get_action(tx, key)
            if existing is None:  # pragma: no cover - the conflicting row cannot vanish
                raise StorageError(f"outbox key {clip(key)} conflicted but cannot be read")
            return Reservation(record=existing, created=False)

        return self._write(work)

    def get_action(self, key: str) -> OutboxRecord | None:
        """See :meth:`Store.get_action`."""
        check_text("key", key)
        return self._read(lambda tx: self._get_action(tx, key))

    def claim_actions(
        self, owner: str, *, ttl: float, limit: int = 10, kind: str | None = None
    ) -> list[OutboxRecord]:
        """See :meth:`Store.claim_actions`."""
        check_key("owner", owner)
        check_optional("kind", kind)
        limit = check_limit(limit)
        now = self._now()
        expires = lease_expiry(now, check_ttl(ttl))
        sql = (
            "UPDATE sc_outbox SET claimed_by = ?, claim_expires_at = ?, "
            "attempts = attempts + 1, updated_at = ? WHERE key IN ("
            "SELECT key FROM sc_outbox WHERE status = 'reserved' "
            "AND (claim_expires_at IS NULL OR claim_expires_at <= ?) "
            "AND (not_before IS NULL OR not_before <= ?) "
            f"{'' if kind is None else 'AND kind = ? '}"
            f"ORDER BY created_at, key LIMIT ?{self._skip_locked}) RETURNING {_OUTBOX_COLS}"
        )
        t_now = self._ts(now)
        params: tuple[object, ...] = (owner, self._ts(expires), t_now, t_now, t_now)
        params += (limit,) if kind is None else (kind, limit)
        rows = self._write(lambda tx: tx.all(sql, params))
        claimed = [self._action(row) for row in rows]
        claimed.sort(key=lambda r: (r.created_at, r.key))
        return claimed

    def mark_sent(self, key: str, *, remote_id: str) -> OutboxRecord:
        """See :meth:`Store.mark_sent`."""
        check_text("key", key)
        check_key("remote_id", remote_id)
        now = self._ts(self._now())
        sql = (
            "UPDATE sc_outbox SET status = 'sent', remote_id = ?, claimed_by = NULL, "
            "claim_expires_at = NULL, in_doubt = 0, not_before = NULL, updated_at = ? "
            "WHERE key = ? AND status = 'reserved' "
            f"RETURNING {_OUTBOX_COLS}"
        )

        def work(tx: Tx) -> OutboxRecord:
            row = tx.one(sql, (remote_id, now, key))
            if row is not None:
                return self._action(row)
            record = self._get_action(tx, key)
            if record is None:
                raise StorageError(f"no outbox action with key {clip(key)}")
            if record.status == "sent" and record.remote_id == remote_id:
                return record
            raise StorageError(not_sendable(record))

        return self._write(work)

    def start_attempt(self, key: str, *, owner: str) -> OutboxRecord | None:
        """See :meth:`Store.start_attempt`."""
        check_text("key", key)
        check_key("owner", owner)
        now = self._ts(self._now())
        sql = (
            "UPDATE sc_outbox SET in_doubt = 1, "
            "first_attempt_at = COALESCE(first_attempt_at, ?), updated_at = ? "
            "WHERE key = ? AND status = 'reserved' AND claimed_by = ? "
            "AND claim_expires_at > ? AND NOT EXISTS (SELECT 1 FROM sc_pause) "
            f"RETURNING {_OUTBOX_COLS}"
        )
        row = self._write_one(sql, (now, now, key, owner, now))
        return None if row is None else self._action(row)

    def mark_failed(
        self,
        key: str,
        *,
        reason: str,
        retry: bool = False,
        delay: float = 0.0,
        not_sent: bool = False,
    ) -> OutboxRecord:
        """See :meth:`Store.mark_failed`."""
        check_text("key", key)
        check_text("reason", reason)
        check_delay(delay)
        at = self._now()
        now = self._ts(at)
        not_before = self._ts(lease_expiry(at, delay)) if retry and delay > 0 else None
        sql = (
            "UPDATE sc_outbox SET status = ?, error = ?, claimed_by = NULL, "
            "claim_expires_at = NULL, not_before = ?, "
            f"in_doubt = {'0' if not_sent else 'in_doubt'}, "
            "updated_at = ? WHERE key = ? AND status <> 'sent' "
            f"RETURNING {_OUTBOX_COLS}"
        )

        def work(tx: Tx) -> OutboxRecord:
            row = tx.one(sql, ("reserved" if retry else "failed", reason, not_before, now, key))
            if row is not None:
                return self._action(row)
            record = self._get_action(tx, key)
            if record is None:
                raise StorageError(f"no outbox action with key {clip(key)}")
            raise StorageError(not_sendable(record))

        return self._write(work)

    def list_actions(
        self, *, status: OutboxStatus | None = None, kind: str | None = None, limit: int = 100
    ) -> list[OutboxRecord]:
        """See :meth:`Store.list_actions`."""
        check_optional("kind", kind)
        where, params = _filters(status=status, kind=kind)
        sql = f"SELECT {_OUTBOX_COLS} FROM sc_outbox{where} ORDER BY created_at, key LIMIT ?"
        rows = self._read(lambda tx: tx.all(sql, (*params, check_limit(limit))))
        return [self._action(row) for row in rows]

    # -- pause switch -----------------------------------------------------------------------------

    def pause_all(self) -> bool:
        """See :meth:`Store.pause_all`."""
        sql = (
            "INSERT INTO sc_pause (name, since) VALUES ('all', ?) "
            "ON CONFLICT (name) DO NOTHING RETURNING name"
        )
        return self._write_one(sql, (self._ts(self._now()),)) is not None

    def resume_all(self) -> bool:
        """See :meth:`Store.resume_all`."""
        sql = "DELETE FROM sc_pause WHERE name = 'all' RETURNING name"
        return self._write_one(sql, ()) is not None

    def paused(self) -> bool:
        """See :meth:`Store.paused`."""
        row = self._read(lambda tx: tx.one("SELECT count(*) FROM sc_pause"))
        return row is not None and int(row[0]) > 0

    # -- audit log --------------------------------------------------------------------------------

    def _audit(self, row: Row) -> AuditEntry:
        return AuditEntry(
            seq=int(row[0]),
            at=cast("dt.datetime", self._dt(row[1])),
            actor=row[2],
            action=row[3],
            subject=row[4],
            detail=self._json_out(row[5]),
        )

    def append_audit(
        self,
        action: str,
        *,
        actor: str,
        subject: str | None = None,
        detail: Mapping[str, object] | None = None,
    ) -> AuditEntry:
        """See :meth:`Store.append_audit`."""
        check_key("action", action)
        check_key("actor", actor)
        check_optional("subject", subject)
        body = check_json("detail", detail)
        params = (self._ts(self._now()), actor, action, subject, body)
        sql = (
            "INSERT INTO sc_audit (at, actor, action, subject, detail) "
            f"VALUES (?, ?, ?, ?, ?) RETURNING {_AUDIT_COLS}"
        )

        def work(tx: Tx) -> Row | None:
            self._serialize_audit(tx)
            return tx.one(sql, params)

        row = self._write(work)
        assert row is not None  # noqa: S101 - an insert returns its row
        return self._audit(row)

    def audit_entries(
        self, *, subject: str | None = None, after_seq: int = 0, limit: int = 100
    ) -> list[AuditEntry]:
        """See :meth:`Store.audit_entries`."""
        check_optional("subject", subject)
        where, params = _filters(subject=subject)
        where = f"{where} AND seq > ?" if where else " WHERE seq > ?"
        sql = f"SELECT {_AUDIT_COLS} FROM sc_audit{where} ORDER BY seq LIMIT ?"
        rows = self._read(lambda tx: tx.all(sql, (*params, after_seq, check_limit(limit))))
        return [self._audit(row) for row in rows]

    # -- short links ------------------------------------------------------------------------------

    def _link(self, row: Row) -> ShortLink:
        return ShortLink(
            code=row[0],
            url=row[1],
            clicks=int(row[2]),
            conversation_id=row[3],
            created_at=cast("dt.datetime", self._dt(row[4])),
            last_clicked_at=self._dt(row[5]),
            campaign=row[6],
            bot_clicks=int(row[7]),
        )

    def put_short_link(
        self,
        code: str,
        url: str,
        *,
        conversation_id: str | None = None,
        campaign: str | None = None,
    ) -> ShortLink:
        """See :meth:`Store.put_short_link`."""
        check_key("code", code)
        check_key("url", url)
        check_optional("conversation_id", conversation_id)
        check_optional("campaign", campaign)
        params = (code, url, conversation_id, self._ts(self._now()), campaign)
        insert = (
            f"INSERT INTO sc_short_links ({_LINK_COLS}) VALUES (?, ?, 0, ?, ?, NULL, ?, 0) "
            f"ON CONFLICT (code) DO NOTHING RETURNING {_LINK_COLS}"
        )
        select = f"SELECT {_LINK_COLS} FROM sc_short_links WHERE code = ?"

        def work(tx: Tx) -> Row | None:
            return tx.one(insert, params) or tx.one(select, (code,))

        row = self._write(work)
        assert row is not None  # noqa: S101 - inserted or already there
        return self._link(row)

    def get_short_link(self, code: str) -> ShortLink | None:
        """See :meth:`Store.get_short_link`."""
        check_text("code", code)
        row = self._read(
            lambda tx: tx.one(
                f"SELECT {_LINK_COLS} FROM sc_short_links WHERE code = ?",
                (code,),
            )
        )
        return None if row is None else self._link(row)

    def _click(self, code: str, bot: bool, returning: str) -> Row | None:
        """Count one click on ``code`` in one ``UPDATE .. RETURNING`` statement."""
        check_text("code", code)
        if bot:
            sql = f"{_BOT_CLICK} RETURNING {returning}"
            return self._write_one(sql, (code,))
        sql = f"{_PERSON_CLICK} RETURNING {returning}"
        return self._write_one(sql, (self._ts(self._now()), code))

    def record_click(self, code: str, *, bot: bool = False) -> ShortLink | None:
        """See :meth:`Store.record_click`."""
        row = self._click(code, bot, _LINK_COLS)
        return None if row is None else self._link(row)

    def follow_short_link(self, code: str, *, bot: bool = False) -> str | None:
        """See :meth:`Store.follow_short_link`: only the target comes back."""
        row = self._click(code, bot, "url")
        return None if row is None else cast("str", row[0])

    def find_short_links(
        self,
        *,
        conversation_id: str | None = None,
        campaign: str | None = None,
        limit: int = 100,
    ) -> list[ShortLink]:
        """See :meth:`Store.find_short_links`."""
        check_optional("conversation_id", conversation_id)
        check_optional("campaign", campaign)
        where, params = _filters(conversation_id=conversation_id, campaign=campaign)
        sql = f"SELECT {_LINK_COLS} FROM sc_short_links{where} ORDER BY created_at, code LIMIT ?"
        rows = self._read(lambda tx: tx.all(sql, (*params, check_limit(limit))))
        return [self._link(row) for row in rows]

    # -- escalations ------------------------------------------------------------------------------

    def _escalation(self, row: Row) -> Escalation:
        return Escalation(
            id=row[0],
            conversation_id=row[1],
            user_id=row[2],
            reason=row[3],
            state=row[4],
            post_id=row[5],
            outbox_key=row[6],
            created_at=cast("dt.datetime", self._dt(row[7])),
            updated_at=cast("dt.datetime", self._dt(row[8])),
        )

    def put_escalation(self, escalation: Escalation) -> None:
        """See :meth:`Store.put_escalation`."""
        e = check_escalation(escalation)
        params = (
            e.id,
            e.conversation_id,
            e.user_id,
            e.reason,
            e.state,
            e.post_id,
            e.outbox_key,
            self._ts(e.created_at),
            self._ts(e.updated_at),
        )
        updates = ", ".join(f"{col} = excluded.{col}" for col in _ESC_COLS.split(", ")[1:])
        sql = (
            f"INSERT INTO sc_escalations ({_ESC_COLS}) VALUES ({', '.join('?' * 9)}) "
            f"ON CONFLICT (id) DO UPDATE SET {updates}"
        )
        self._write(lambda tx: tx.run(sql, params))

    def get_escalation(self, escalation_id: str) -> Escalation | None:
        """See :meth:`Store.get_escalation`."""
        check_text("escalation_id", escalation_id)
        row = self._read(
            lambda tx: tx.one(
                f"SELECT {_ESC_COLS} FROM sc_escalations WHERE id = ?",
                (escalation_id,),
            )
        )
        return None if row is None else self._escalation(row)

    def find_escalations(
        self,
        *,
        conversation_id: str | None = None,
        state: EscalationState | None = None,
        limit: int = 100,
    ) -> list[Escalation]:
        """See :meth:`Store.find_escalations`."""
        check_optional("conversation_id", conversation_id)
        where, params = _filters(conversation_id=conversation_id, state=state)
        sql = f"SELECT {_ESC_COLS} FROM sc_escalations{where} ORDER BY created_at, id LIMIT ?"
        rows = self._read(lambda tx: tx.all(sql, (*params, check_limit(limit))))
        return [self._escalation(row) for row in rows]

    # -- seen items ------------------------------------------------------------------------------

    def claim_seen(
        self, stream: str, item_ids: Iterable[str], *, owner: str, ttl: float
    ) -> list[str]:
        """See :meth:`Store.claim_seen`: one ``INSERT .. ON CONFLICT DO UPDATE .. WHERE`` per chunk.

        A conflicting row is taken over only when it is unconfirmed and expired; the
        row lock that ``ON CONFLICT`` takes makes the takeover exclusive.
        """
        check_key("stream", stream)
        check_key("owner", owner)
        check_ttl(ttl)
        ids = seen_ids(item_ids)
        if not ids:
            return []
        now = self._now()
        t_now, t_exp = self._ts(now), self._ts(lease_expiry(now, ttl))

        def work(tx: Tx) -> set[str]:
            fresh: set[str] = set()
            ordered = sorted(ids, key=id_order)  # one lock order: no deadlock between claimants
            for start in range(0, len(ordered), _SEEN_CHUNK):
                chunk = ordered[start : start + _SEEN_CHUNK]
                values = ", ".join("(?, ?, ?, ?, ?)" for _ in chunk)
                sql = (
                    "INSERT INTO sc_seen (stream, item_id, seen_at, claimed_by, claim_expires_at) "
                    f"VALUES {values} ON CONFLICT (stream, item_id) DO UPDATE SET "
                    "claimed_by = excluded.claimed_by, "
                    "claim_expires_at = excluded.claim_expires_at "
                    "WHERE sc_seen.delivered_at IS NULL AND sc_seen.claim_expires_at <= ? "
                    "RETURNING item_id"
                )
                params = [v for i in chunk for v in (stream, i, t_now, owner, t_exp)]
                fresh.update(row[0] for row in tx.all(sql, [*params, t_now]))
            return fresh

        fresh = self._write(work)
        return [i for i in ids if i in fresh]

    def confirm_seen(self, stream: str, item_ids: Iterable[str], *, owner: str) -> list[str]:
        """See :meth:`Store.confirm_seen`."""
        check_key("stream", stream)
        check_key("owner", owner)
        ids = seen_ids(item_ids)
        if not ids:
            return []
        t_now = self._ts(self._now())

        def work(tx: Tx) -> set[str]:
            done: set[str] = set()
            ordered = sorted(ids, key=id_order)
            for start in range(0, len(ordered), _SEEN_CHUNK):
                chunk = ordered[start : start + _SEEN_CHUNK]
                marks = ", ".join("?" for _ in chunk)
                sql = (
                    "UPDATE sc_seen SET delivered_at = ? WHERE stream = ? AND claimed_by = ? "
                    f"AND delivered_at IS NULL AND item_id IN ({marks}) RETURNING item_id"
                )
                done.update(row[0] for row in tx.all(sql, [t_now, stream, owner, *chunk]))
            return done

        done = self._write(work)
        return [i for i in ids if i in done]

    def expired_seen(self, stream: str, *, limit: int = 100) -> list[str]:
        """See :meth:`Store.expired_seen`."""
        check_key("stream", stream)
        t_now = self._ts(self._now())
        sql = (
            "SELECT item_id FROM sc_seen WHERE stream = ? AND delivered_at IS NULL "
            "AND claim_expires_at <= ? ORDER BY claim_expires_at, item_id LIMIT ?"
        )
        rows = self._read(lambda tx: tx.all(sql, (stream, t_now, check_limit(limit))))
        return [row[0] for row in rows]

    def forget_seen(self, stream: str, *, before: dt.datetime) -> int:
        """See :meth:`Store.forget_seen`."""
        check_key("stream", stream)
        cutoff = self._ts(check_aware("before", before))
        return self._write(
            lambda tx: tx.run(
                "DELETE FROM sc_seen WHERE stream = ? AND seen_at < ?", (stream, cutoff)
            )
        )

    # -- leases -----------------------------------------------------------------------------------

    def _lease(self, row: Row) -> Lease:
        acquired = cast("dt.datetime", self._dt(row[2]))
        renewed = self._dt(row[5])
        return Lease(
            key=row[0],
            owner=row[1],
            acquired_at=acquired,
            expires_at=cast("dt.datetime", self._dt(row[3])),
            token=int(row[4]),
            renewed_at=acquired if renewed is None else renewed,
        )

    def claim_lease(self, key: str, owner: str, *, ttl: float) -> bool:
        """See :meth:`Store.claim_lease`."""
        check_key("key", key)
        check_key("owner", owner)
        now = self._now()
        t_now, t_exp = self._ts(now), self._ts(lease_expiry(now, ttl))
        sql = (
            f"INSERT INTO sc_leases ({_LEASE_COLS}) VALUES (?, ?, ?, ?, 1, ?) "
            "ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, "
            "expires_at = excluded.expires_at, renewed_at = excluded.renewed_at, "
            "acquired_at = CASE "
            "WHEN sc_leases.owner = excluded.owner "
            "AND sc_leases.acquired_at <= excluded.acquired_at THEN sc_leases.acquired_at "
            "ELSE excluded.acquired_at END, token = CASE "
            "WHEN sc_leases.owner = excluded.owner THEN sc_leases.token "
            "ELSE sc_leases.token + 1 END "
            "WHERE sc_leases.owner = excluded.owner OR sc_leases.owner = '' "
            "OR sc_leases.expires_at <= ? "
            "RETURNING owner"
        )

        def work(tx: Tx) -> bool:
            if tx.one(sql, (key, owner, t_now, t_exp, t_now, t_now)) is not None:
                return True
            return self._take_from_the_future(tx, key, owner, ttl)

        return self._write(work)

    def _take_from_the_future(self, tx: Tx, key: str, owner: str, ttl: float) -> bool:
        """Take another owner's lease renewed later than now + ``ttl`` (see ``LeaseStore``).

        The clock is read after the row is locked (SQLite's ``BEGIN IMMEDIATE``, ``FOR
        UPDATE`` on PostgreSQL), so a claimant paused between reading its clock and
        writing never mistakes a lease taken meanwhile for one from the future.
        """
        held = tx.one(
            "SELECT COALESCE(renewed_at, acquired_at), token FROM sc_leases "
            f"WHERE key = ?{self._for_update}",
            (key,),
        )
        if held is None:
            return False
        now = self._now()
        renewed = cast("dt.datetime", self._dt(held[0]))
        expires = lease_expiry(now, ttl)
        if renewed <= expires:
            return False
        t_now = self._ts(now)
        taken = tx.one(
            "UPDATE sc_leases SET owner = ?, acquired_at = ?, renewed_at = ?, expires_at = ?, "
            "token = token + 1 WHERE key = ? AND token = ? RETURNING owner",
            (owner, t_now, t_now, self._ts(expires), key, held[1]),
        )
        return taken is not None

    def renew_lease(self, key: str, owner: str, *, ttl: float) -> Lease:
        """See :meth:`Store.renew_lease`."""
        check_text("key", key)
        check_key("owner", owner)
        now = self._now()
        t_now, t_exp = self._ts(now), self._ts(lease_expiry(now, ttl))
        sql = (
            "UPDATE sc_leases SET expires_at = ?, renewed_at = ?, acquired_at = CASE "
            "WHEN acquired_at > ? THEN ? ELSE acquired_at END WHERE key = ? AND owner = ? "
            f"AND expires_at > ? RETURNING {_LEASE_COLS}"
        )

        def work(tx: Tx) -> Lease:
            row = tx.one(sql, (t_exp, t_now, t_now, t_now, key, owner, t_now))
            if row is not None:
                return self._lease(row)
            held = tx.one(f"SELECT {_LEASE_COLS} FROM sc_leases WHERE key = ?", (key,))
            lease = None if held is None or not held[1] else self._lease(held)
            raise LeaseError(lease_refused(key, owner, lease, now))

        return self._write(work)

    def release_lease(self, key: str, owner: str) -> bool:
        """See :meth:`Store.release_lease`."""
        check_text("key", key)
        check_key("owner", owner)
        now = self._ts(self._now())
        # The row stays (owner '' = nobody) so the fencing token keeps growing.
        changed = self._write(
            lambda tx: tx.run(
                "UPDATE sc_leases SET owner = '', expires_at = ? WHERE key = ? AND owner = ?",
                (now, key, owner),
            )
        )
        return changed > 0

    def get_lease(self, key: str) -> Lease | None:
        """See :meth:`Store.get_lease`."""
        check_text("key", key)
        now = self._ts(self._now())
        row = self._read(
            lambda tx: tx.one(
                f"SELECT {_LEASE_COLS} FROM sc_leases "
                "WHERE key = ? AND owner <> '' AND expires_at > ?",
                (key, now),
            )
        )
        return None if row is None else self._lease(row)

    def list_leases(self, *, prefix: str = "") -> list[Lease]:
        """See :meth:`Store.list_leases`."""
        check_text("prefix", prefix)
        now = self._ts(self._now())
        sql = (
            f"SELECT {_LEASE_COLS} FROM sc_leases "
            "WHERE substr(key, 1, ?) = ? AND owner <> '' AND expires_at > ? ORDER BY key"
        )
        rows = self._read(lambda tx: tx.all(sql, (len(prefix), prefix, now)))
        return [self._lease(row) for row in rows]

    # -- OAuth 2.0 tokens -------------------------------------------------------------------------

    def _token(self, row: Row) -> TokenRecord:
        return TokenRecord(
            key=row[0],
            access_token=row[1],
            expires_at=cast("dt.datetime", self._dt(row[2])),
            refresh_token=row[3],
            scopes=tuple(self._json_out(row[4])),
            account_id=row[5],
            version=int(row[6]),
            updated_at=self._dt(row[7]),
            problem=row[8],
        )

    def _token_values(self, record: TokenRecord) -> tuple[object, ...]:
        r = check_token_record(record)
        return (
            r.access_token,
            self._ts(r.expires_at),
            r.refresh_token,
            dump_json(list(r.scopes)),
            r.account_id,
            self._ts(self._now()),
            r.problem,
        )

    def get_token(self, key: str) -> TokenRecord | None:
        """See :meth:`TokenStore.get_token`."""
        check_key("key", key)
        sql = f"SELECT {_GRANT_COLS} FROM sc_tokens WHERE key = ?"
        row = self._read(lambda tx: tx.one(sql, (key,)))
        return None if row is None else self._token(row)

    def put_token(self, record: TokenRecord) -> TokenRecord:
        """See :meth:`TokenStore.put_token`."""
        values = self._token_values(record)
        sql = (
            f"INSERT INTO sc_tokens ({_GRANT_COLS}) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET access_token = excluded.access_token, "
            "expires_at = excluded.expires_at, refresh_token = excluded.refresh_token, "
            "scopes = excluded.scopes, account_id = excluded.account_id, "
            "updated_at = excluded.updated_at, problem = excluded.problem, "
            f"version = sc_tokens.version + 1 RETURNING {_GRANT_COLS}"
        )
        row = self._write_one(sql, (record.key, *values))
        assert row is not None  # noqa: S101 - an upsert returns its row
        return self._token(row)

    def replace_token(self, record: TokenRecord, *, version: int) -> TokenRecord | None:
        """See :meth:`TokenStore.replace_token`."""
        values = self._token_values(record)
        sql = (
            f"UPDATE sc_tokens SET {_GRANT_SET}, version = version + 1 "
            f"WHERE key = ? AND version = ? RETURNING {_GRANT_COLS}"
        )
        row = self._write_one(sql, (*values, record.key, version))
        return None if row is None else self._token(row)

    def delete_token(self, key: str) -> bool:
        """See :meth:`TokenStore.delete_token`."""
        check_key("key", key)
        return self._write(lambda tx: tx.run("DELETE FROM sc_tokens WHERE key = ?", (key,))) > 0


def _filters(**equal: str | None) -> tuple[str, tuple[str, ...]]:
    """A ``WHERE`` clause for the given column = value filters (``None`` filters are left out)."""
    given = {col: value for col, value in equal.items() if value is not None}
    if not given:
        return "", ()
    return " WHERE " + " AND ".join(f"{col} = ?" for col in given), tuple(given.values())
