"""The care desk: the queue, rules on ingest, assignment under leases, SLAs, audit, reports.

:class:`Desk` sits on a store shared by every agent and bot. :meth:`Desk.ingest` threads
inbound posts and applies a :class:`RuleSet` (rules as data: keywords, authors, VIPs,
followers, sentiment, language -> tag, priority, assign, hide the reply, resolve), each
decision explained and audited. :meth:`Desk.queue` orders the open conversations by
priority and SLA urgency. :meth:`Desk.assign` gives an agent a :class:`Claim` (a
renewed lease): a second agent gets :class:`~socialcare.errors.CollisionError` naming
the holder. :meth:`Desk.check` alerts SLA breaches and coverage gaps (an
:class:`SlaPolicy` of :class:`Team` targets on business hours) through alert sinks,
once per breach. :meth:`Desk.outbound` is the audit view of every outbound action and
:meth:`Desk.report` the figures (records, data frames, charts).

Example:
    >>> from socialcare.storage import MemoryStore
    >>> desk = Desk(MemoryStore(), brands=["1"])
    >>> desk.queue()
    []

See ``docs/desk.md``.
"""

from __future__ import annotations

from socialcare._exports import publish
from socialcare.desk._desk import (
    ALERT_KIND,
    LEASE_PREFIX,
    Claim,
    Desk,
    DeskStore,
    OutboundAction,
    QueueItem,
)
from socialcare.desk._report import ConversationRow, GroupStats, Report, ReportBy, percentile
from socialcare.desk._rules import Condition, DeskRule, RuleMatch, RuleSet, Triage
from socialcare.desk._sla import Breach, BreachKind, SlaPolicy, Team, business_deadline

__all__ = [
    "ALERT_KIND",
    "LEASE_PREFIX",
    "Breach",
    "BreachKind",
    "Claim",
    "Condition",
    "ConversationRow",
    "Desk",
    "DeskRule",
    "DeskStore",
    "GroupStats",
    "OutboundAction",
    "QueueItem",
    "Report",
    "ReportBy",
    "RuleMatch",
    "RuleSet",
    "SlaPolicy",
    "Team",
    "Triage",
    "business_deadline",
    "percentile",
]

publish(__name__, globals(), __all__)
