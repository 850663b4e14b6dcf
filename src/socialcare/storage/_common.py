"""Argument checks and small rules every backend shares."""

from __future__ import annotations

import datetime as dt
import math

from socialcare.models._care import Lease, OutboxRecord

__all__ = [
    "check_backlog",
    "check_key",
    "check_limit",
    "check_since_id",
    "check_ttl",
    "id_order",
    "lease_expiry",
    "lease_refused",
    "not_sendable",
    "schema_help",
]


def check_key(name: str, value: str) -> str:
    """``value`` if it is a non-empty string, else a ``ValueError`` naming ``name``."""
    given: object = value
    if not isinstance(given, str) or not given:
        msg = f"{name} must be a non-empty string, got {value!r}"
        raise ValueError(msg)
    return value


def check_since_id(since_id: str | None) -> str | None:
    """``since_id`` if it is ``None`` or a decimal post id, as X sends them."""
    given: object = since_id
    if given is not None and not (
        isinstance(given, str) and given.isascii() and given.isdigit() and given[0] != "0"
    ):
        msg = f"since_id must be a decimal post id without leading zeros, got {since_id!r}"
        raise ValueError(msg)
    return since_id


def check_backlog(since_id: str | None, until_id: str | None) -> None:
    """Check a backlog window for :meth:`Store.set_backlog`."""
    check_since_id(since_id)
    given: object = until_id
    if given is not None and not (
        isinstance(given, str) and given.isascii() and given.isdigit() and given[0] != "0"
    ):
        msg = f"until_id must be a decimal post id without leading zeros, got {until_id!r}"
        raise ValueError(msg)
    if until_id is None:
        if since_id is not None:
            msg = "a backlog needs until_id when since_id is given"
            raise ValueError(msg)
        return
    if since_id is not None and id_order(since_id) >= id_order(until_id):
        msg = f"backlog since_id {since_id} must be older than until_id {until_id}"
        raise ValueError(msg)


def check_limit(limit: int) -> int:
    """``limit`` if it is a positive integer."""
    given: object = limit
    if isinstance(given, bool) or not isinstance(given, int) or given < 1:
        msg = f"limit must be a positive integer, got {limit!r}"
        raise ValueError(msg)
    return limit


def check_ttl(ttl: float) -> float:
    """``ttl`` if it is a positive, finite number of seconds."""
    given: object = ttl
    if isinstance(given, bool) or not isinstance(given, int | float) or not math.isfinite(given):
        msg = f"ttl must be a positive number of seconds, got {ttl!r}"
        raise ValueError(msg)
    if given <= 0:
        msg = f"ttl must be a positive number of seconds, got {ttl!r}"
        raise ValueError(msg)
    return float(ttl)


def lease_expiry(now: dt.datetime, ttl: float) -> dt.datetime:
    """When a lease taken ``now`` for ``ttl`` seconds lapses (microsecond precision)."""
    return now + dt.timedelta(microseconds=round(check_ttl(ttl) * 1_000_000))


def id_order(post_id: str) -> tuple[int, str]:
    """Sort key that orders decimal ids numerically (shorter is smaller, then text)."""
    return (len(post_id), post_id)


def schema_help(where: str, found: int | None, expected: int) -> str:
    """The message of a :class:`~socialcare.errors.SchemaVersionError`, saying what to do."""
    if found is None:
        return (
            f"{where} has no socialcare schema; create it explicitly by opening the store "
            "with create_schema=True (it runs store.create_schema(), which is idempotent)"
        )
    if found < expected:
        return (
            f"{where} has socialcare schema version {found}, this code needs {expected}; "
            "migrate it explicitly by opening the store with create_schema=True "
            "(store.create_schema() applies the forward migrations); back it up first"
        )
    return (
        f"{where} has socialcare schema version {found}, newer than this code's {expected}; "
        "upgrade socialcare (pip install -U socialcare) in every process that uses it"
    )


def not_sendable(record: OutboxRecord) -> str:
    """Why ``record`` cannot be marked sent (or failed) now."""
    if record.status == "sent":
        return (
            f"outbox action {record.key!r} was already sent as {record.remote_id!r}; "
            "it cannot be marked again"
        )
    return f"outbox action {record.key!r} has failed ({record.error}); reserve a new key to retry"


def lease_refused(key: str, owner: str, held: Lease | None, now: dt.datetime) -> str:
    """Why ``owner`` cannot renew the lease on ``key`` (``held`` is its current state)."""
    if held is None or held.owner != owner:
        holder = "nobody" if held is None or held.expires_at <= now else repr(held.owner)
        return f"lease {key!r} is not held by {owner!r} (held by {holder}); claim it first"
    return f"lease {key!r} of {owner!r} expired at {held.expires_at.isoformat()}; claim it again"
