"""What a monitor asks of its store: the union of eight narrow store protocols."""

from __future__ import annotations

from typing import Protocol

from socialcare.storage import (
    AuditLog,
    CursorStore,
    DMStore,
    LeaseStore,
    OutboxStore,
    PostStore,
    SeenStore,
    UserStore,
)

__all__ = ["MonitorStore"]


class MonitorStore(
    PostStore,
    UserStore,
    DMStore,
    CursorStore,
    OutboxStore,
    AuditLog,
    LeaseStore,
    SeenStore,
    Protocol,
):
    """The store a :class:`~socialcare.monitor.Monitor` needs.

    Posts, users and DM events it sees (``PostStore``, ``UserStore``, ``DMStore``),
    stream cursors and backlogs (``CursorStore``), undelivered alerts (``OutboxStore``,
    kind ``"alert"``), quarantine and gap records (``AuditLog``) and stream leases for
    many workers (``LeaseStore``) and what streams with a real-time source delivered,
    from either source (``SeenStore``). Every :class:`~socialcare.storage.Store` is one; a
    store built from separate backends per concern is one too when it has all eight.
    Each method's contract, atomicity included, is in its protocol's docstring.
    """
