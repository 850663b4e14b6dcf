"""The SQL schema, as a list of forward migration steps shared by the SQL backends.

Version ``n`` of the schema is the result of applying steps ``1..n`` in order.
Each step is a list of statements written once for both dialects, with
placeholders for the few types that differ (``{ts}`` times, ``{json}`` JSON
documents, ``{serial}`` the audit log's sequence, ``{bigint}`` counters); a
placeholder standing for a whole statement may render to nothing where a dialect
needs no change (the statement is then skipped). The
applied versions are recorded in ``sc_schema``; a step and its version record
commit together. Never edit a released step: append a new one.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "VERSION_TABLE", "render"]

VERSION_TABLE = (
    "CREATE TABLE IF NOT EXISTS sc_schema (version INTEGER PRIMARY KEY, applied_at {ts})"
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: every table of the store.
    (
        """CREATE TABLE sc_posts (
            id TEXT PRIMARY KEY,
            conversation_id TEXT,
            author_id TEXT,
            created_at {ts},
            data {json} NOT NULL)""",
        "CREATE INDEX sc_posts_conversation ON sc_posts (conversation_id, created_at)",
        """CREATE TABLE sc_users (
            id TEXT PRIMARY KEY,
            username TEXT NOT NULL,
            data {json} NOT NULL)""",
        """CREATE TABLE sc_dm_events (
            id TEXT PRIMARY KEY,
            dm_conversation_id TEXT,
            created_at {ts},
            data {json} NOT NULL)""",
        "CREATE INDEX sc_dm_events_conversation ON sc_dm_events (dm_conversation_id, created_at)",
        """CREATE TABLE sc_conversations (
            id TEXT PRIMARY KEY,
            channel TEXT NOT NULL,
            state TEXT NOT NULL,
            customer_id TEXT,
            assignee TEXT,
            tags {json} NOT NULL,
            priority INTEGER NOT NULL,
            first_inbound_at {ts},
            first_response_at {ts},
            last_activity_at {ts},
            waiting_since {ts})""",
        "CREATE INDEX sc_conversations_customer ON sc_conversations (customer_id)",
        "CREATE INDEX sc_conversations_assignee ON sc_conversations (assignee)",
        """CREATE TABLE sc_cursors (
            stream TEXT PRIMARY KEY,
            since_id TEXT,
            last_success_at {ts},
            last_error TEXT,
            last_error_at {ts},
            updated_at {ts})""",
        """CREATE TABLE sc_outbox (
            key TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            payload {json} NOT NULL,
            status TEXT NOT NULL,
            remote_id TEXT,
            error TEXT,
            attempts INTEGER NOT NULL,
            claimed_by TEXT,
            claim_expires_at {ts},
            created_at {ts} NOT NULL,
            updated_at {ts} NOT NULL)""",
        "CREATE INDEX sc_outbox_reserved ON sc_outbox (created_at, key) WHERE status = 'reserved'",
        """CREATE TABLE sc_audit (
            seq {serial},
            at {ts} NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            subject TEXT,
            detail {json} NOT NULL)""",
        "CREATE INDEX sc_audit_subject ON sc_audit (subject, seq)",
        """CREATE TABLE sc_short_links (
            code TEXT PRIMARY KEY,
            url TEXT NOT NULL,
            clicks {bigint} NOT NULL,
            conversation_id TEXT,
            created_at {ts} NOT NULL,
            last_clicked_at {ts})""",
        """CREATE TABLE sc_escalations (
            id TEXT PRIMARY KEY,
            conversation_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            reason TEXT NOT NULL,
            state TEXT NOT NULL,
            post_id TEXT,
            outbox_key TEXT,
            created_at {ts} NOT NULL,
            updated_at {ts} NOT NULL)""",
        "CREATE INDEX sc_escalations_conversation ON sc_escalations (conversation_id)",
        """CREATE TABLE sc_leases (
            key TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            acquired_at {ts} NOT NULL,
            expires_at {ts} NOT NULL,
            token {bigint} NOT NULL)""",
    ),
    # 2: the open-conversations queue reads this partial index in order, never scans.
    (
        """CREATE INDEX sc_conversations_open_queue
            ON sc_conversations (priority DESC, waiting_since, id) WHERE state = 'open'""",
    ),
    # 3: a monitor stream's unfetched backlog window; outbox claims by kind.
    (
        "ALTER TABLE sc_cursors ADD COLUMN backlog_since_id TEXT",
        "ALTER TABLE sc_cursors ADD COLUMN backlog_until_id TEXT",
        """CREATE INDEX sc_outbox_reserved_kind
            ON sc_outbox (kind, created_at, key) WHERE status = 'reserved'""",
    ),
    # 4: conversation priorities span the 64-bit range on every backend (SQLite's
    # INTEGER already does; the statement renders to nothing there).
    ("{widen_priority}",),
    # 5: one care state (socialcare.threads): open/pending/closed become
    # awaiting_brand/awaiting_customer/resolved, and the open queue serves every state
    # in which the customer waits for the brand (new, awaiting_brand).
    (
        """UPDATE sc_conversations SET state = CASE state
            WHEN 'open' THEN 'awaiting_brand'
            WHEN 'pending' THEN 'awaiting_customer'
            WHEN 'closed' THEN 'resolved'
            ELSE state END""",
        "DROP INDEX sc_conversations_open_queue",
        """CREATE INDEX sc_conversations_open_queue
            ON sc_conversations (priority DESC, waiting_since, id)
            WHERE state IN ('new', 'awaiting_brand')""",
    ),
    # 6: short links carry a campaign and count bots and link previews apart;
    # attribution reads links by conversation and by campaign.
    (
        "ALTER TABLE sc_short_links ADD COLUMN campaign TEXT",
        "ALTER TABLE sc_short_links ADD COLUMN bot_clicks {bigint} NOT NULL DEFAULT 0",
        "CREATE INDEX sc_short_links_conversation ON sc_short_links (conversation_id, created_at)",
        "CREATE INDEX sc_short_links_campaign ON sc_short_links (campaign, created_at)",
    ),
    # 7: a lease records its owner's last claim or renewal, so that a lease renewed in a
    # future the clock went back from is taken over (see LeaseStore); existing leases
    # count as renewed when they were taken.
    (
        "ALTER TABLE sc_leases ADD COLUMN renewed_at {ts}",
        "UPDATE sc_leases SET renewed_at = acquired_at WHERE renewed_at IS NULL",
    ),
    # 8: the outbox's send attempts (socialcare.outbox): when the first attempt
    # started (the reconciliation window), whether an attempt may have reached the
    # platform unanswered (in doubt: look before sending again), when a deferred
    # action may be claimed again (429 resets, back-off); the store-wide pause switch.
    (
        "ALTER TABLE sc_outbox ADD COLUMN first_attempt_at {ts}",
        "ALTER TABLE sc_outbox ADD COLUMN in_doubt INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE sc_outbox ADD COLUMN not_before {ts}",
        "CREATE TABLE sc_pause (name TEXT PRIMARY KEY, since {ts} NOT NULL)",
    ),
    # 9: what each monitor stream delivered, whichever source (real time or polling)
    # brought it, so that an item seen both ways is delivered once (SeenStore); a claim
    # has an owner and an expiry and is confirmed once delivered, so that an item whose
    # worker died mid-delivery is claimed again.
    (
        """CREATE TABLE sc_seen (
            stream TEXT NOT NULL,
            item_id TEXT NOT NULL,
            seen_at {ts} NOT NULL,
            claimed_by TEXT NOT NULL,
            claim_expires_at {ts} NOT NULL,
            delivered_at {ts},
            PRIMARY KEY (stream, item_id))""",
        "CREATE INDEX sc_seen_age ON sc_seen (stream, seen_at)",
        """CREATE INDEX sc_seen_open ON sc_seen (stream, claim_expires_at)
            WHERE delivered_at IS NULL""",
    ),
    # 10: OAuth 2.0 grants (TokenStore); the access and refresh tokens of a refresh are
    # written in one row, replaced by compare-and-swap on ``version``.
    (
        """CREATE TABLE sc_tokens (
            key TEXT PRIMARY KEY,
            access_token TEXT NOT NULL,
            expires_at {ts} NOT NULL,
            refresh_token TEXT,
            scopes {json} NOT NULL,
            account_id TEXT,
            version {bigint} NOT NULL,
            updated_at {ts} NOT NULL,
            problem TEXT)""",
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)
"""The schema version this code reads and writes."""


def render(statement: str, types: Mapping[str, str]) -> str:
    """``statement`` with the dialect's type names filled in."""
    return statement.format_map(types)
