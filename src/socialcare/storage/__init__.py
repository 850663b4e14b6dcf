"""Pluggable storage: the ``Store`` protocol and its backends.

Care work is state: what was seen, what was answered, who holds a conversation,
what was sent. Every socialcare component keeps it in a :class:`Store`:

* :class:`MemoryStore` for tests, notebooks and one-process scripts;
* :class:`SQLiteStore`, the embedded default, one file shared by threads and processes;
* :class:`~socialcare.storage.postgres.PostgresStore` (``pip install 'socialcare[postgres]'``)
  for many workers on many machines.

All three pass one conformance suite. :class:`Store` is the union of narrow
protocols, one per concern (:class:`PostStore`, :class:`CursorStore`,
:class:`LeaseStore`, ...): annotate a component with what it uses, and a backend for
one concern runs that concern's suite from :mod:`socialcare.testing`.

Open a store explicitly with its schema::

    from socialcare.storage import SQLiteStore

    store = SQLiteStore("care.db", create_schema=True)
    if store.claim_lease("conversation:123", "agent-7", ttl=300):
        ...
"""

from __future__ import annotations

from socialcare._exports import publish
from socialcare.storage._audit import audit_trail
from socialcare.storage._common import MAX_TTL
from socialcare.storage._crypto import EncryptedTokens
from socialcare.storage._memory import MemoryStore
from socialcare.storage._open import open_store
from socialcare.storage._protocol import (
    AuditLog,
    ConversationStore,
    CursorStore,
    DMStore,
    EscalationStore,
    LeaseStore,
    LinkStore,
    OutboxStore,
    PauseSwitch,
    PostStore,
    SeenStore,
    Store,
    StoreLifecycle,
    TokenStore,
    UserStore,
)
from socialcare.storage._schema import SCHEMA_VERSION
from socialcare.storage._sqlite import SQLiteStore

__all__ = [
    "MAX_TTL",
    "SCHEMA_VERSION",
    "AuditLog",
    "ConversationStore",
    "CursorStore",
    "DMStore",
    "EncryptedTokens",
    "EscalationStore",
    "LeaseStore",
    "LinkStore",
    "MemoryStore",
    "OutboxStore",
    "PauseSwitch",
    "PostStore",
    "SQLiteStore",
    "SeenStore",
    "Store",
    "StoreLifecycle",
    "TokenStore",
    "UserStore",
    "audit_trail",
    "open_store",
]

publish(__name__, globals(), __all__)
