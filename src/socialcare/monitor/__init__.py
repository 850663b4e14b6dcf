"""Monitoring: named streams polled inside X's rate limits, with persisted cursors.

A :class:`Monitor` owns :class:`Stream` s (recent search, mentions, DM events),
polls them through a :class:`~socialcare.platforms.Platform`, stores what it
sees in a store, hands new posts to handlers and alert sinks, and reports each
cycle (:class:`CycleReport`) and its health (:class:`MonitorHealth`).
"""

from __future__ import annotations

from socialcare._exports import publish
from socialcare.monitor._monitor import (
    CostBasis,
    CycleReport,
    Monitor,
    MonitorHealth,
    RealtimeConnection,
    RealtimeEvent,
    SourceHealth,
    Stream,
    StreamHealth,
    StreamKind,
)
from socialcare.monitor._store import MonitorStore

__all__ = [
    "CostBasis",
    "CycleReport",
    "Monitor",
    "MonitorHealth",
    "MonitorStore",
    "RealtimeConnection",
    "RealtimeEvent",
    "SourceHealth",
    "Stream",
    "StreamHealth",
    "StreamKind",
]

publish(__name__, globals(), __all__)
