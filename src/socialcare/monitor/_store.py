"""The store methods the monitor uses, as one narrow protocol.

At merge time this becomes the union of ``socialcare.storage``'s narrow
protocols (PostStore, UserStore, DMStore, CursorStore, OutboxStore, AuditLog,
LeaseStore); every :class:`~socialcare.storage.Store` satisfies it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from socialcare.models import DirectMessage, Post, User
from socialcare.models._care import (
    AuditEntry,
    OutboxRecord,
    OutboxStatus,
    Reservation,
    StreamCursor,
)

__all__ = ["MonitorStore"]


class MonitorStore(Protocol):
    """Exactly what a monitor asks of its store (contracts: ``socialcare.storage.Store``)."""

    def upsert_posts(self, posts: Iterable[Post]) -> int: ...
    def get_posts(self, post_ids: Iterable[str]) -> list[Post]: ...
    def upsert_users(self, users: Iterable[User]) -> int: ...
    def upsert_dms(self, messages: Iterable[DirectMessage]) -> int: ...
    def get_dm(self, event_id: str) -> DirectMessage | None: ...
    def get_cursor(self, stream: str) -> StreamCursor | None: ...
    def advance_cursor(self, stream: str, *, since_id: str | None = None) -> StreamCursor: ...
    def record_stream_error(self, stream: str, message: str) -> StreamCursor: ...
    def set_backlog(
        self, stream: str, *, since_id: str | None, until_id: str | None
    ) -> StreamCursor: ...
    def reserve_action(
        self, key: str, *, kind: str, payload: Mapping[str, object]
    ) -> Reservation: ...
    def claim_actions(
        self, owner: str, *, ttl: float, limit: int = 10, kind: str | None = None
    ) -> list[OutboxRecord]: ...
    def mark_sent(self, key: str, *, remote_id: str) -> OutboxRecord: ...
    def mark_failed(self, key: str, *, reason: str, retry: bool = False) -> OutboxRecord: ...
    def list_actions(
        self, *, status: OutboxStatus | None = None, kind: str | None = None, limit: int = 100
    ) -> list[OutboxRecord]: ...
    def append_audit(
        self,
        action: str,
        *,
        actor: str,
        subject: str | None = None,
        detail: Mapping[str, object] | None = None,
    ) -> AuditEntry: ...
    def claim_lease(self, key: str, owner: str, *, ttl: float) -> bool: ...
    def release_lease(self, key: str, owner: str) -> bool: ...
