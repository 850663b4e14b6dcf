"""Conversation threading: trees from posts in any order, placeholders for gaps, care on top.

Pure: no I/O. :class:`Threader` threads posts incrementally; :class:`Thread` is one
conversation's tree (with roles, the care state and response times). Fetching missing
posts from a platform and keeping threads in a store live in
:mod:`socialcare.conversations`.
"""

from __future__ import annotations

from socialcare._exports import publish
from socialcare.threads._care import (
    BusinessHours,
    CareEvent,
    Participant,
    Role,
    Timings,
    Turn,
    next_state,
    timings,
)
from socialcare.threads._thread import Placeholder, PlaceholderReason, Thread
from socialcare.threads._threader import Threader

__all__ = [
    "BusinessHours",
    "CareEvent",
    "Participant",
    "Placeholder",
    "PlaceholderReason",
    "Role",
    "Thread",
    "Threader",
    "Timings",
    "Turn",
    "next_state",
    "timings",
]

publish(__name__, globals(), __all__)
