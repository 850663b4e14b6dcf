"""The own-account guard: outbound activity nobody sent, unknown links, phishing.

:class:`AccountGuard` reads the brand account's own posts and sent DMs on a schedule
(only what is new since its last check: high-water marks in the store) and compares
them with the outbox and the audit log. Anything neither knows is unrecognised
outbound activity, a possible hijack: an alert through the alert sinks
(:mod:`socialcare.alerts`) and, by policy, ``pause_all()`` on the store so every
sender stops until a person resumes. Links in own posts and DMs to domains off an
allow-list are flagged, and inbound DMs and mentions are scanned for phishing by a
pure :class:`PhishingDetector` whose patterns are data.

Example:
    >>> from socialcare.guard import PhishingDetector
    >>> detector = PhishingDetector(brand_names=("acme",), brand_domains=("acme.example",))
    >>> matches = detector.scan("Please verify your account at acme-help.net/login")
    >>> print(*(m.pattern for m in matches))
    verify_account lookalike_domain login_link
"""

from __future__ import annotations

from socialcare._exports import publish
from socialcare.guard._detect import (
    DEFAULT_PHISHING_PATTERNS,
    PhishingDetector,
    PhishingMatch,
    PhishingPattern,
    domain_allowed,
    domain_of,
    links_in,
)
from socialcare.guard._guard import (
    AccountGuard,
    FindingChannel,
    FindingKind,
    GuardFinding,
    GuardPlatform,
    GuardReport,
    GuardStore,
    OnUnrecognised,
)

__all__ = [
    "DEFAULT_PHISHING_PATTERNS",
    "AccountGuard",
    "FindingChannel",
    "FindingKind",
    "GuardFinding",
    "GuardPlatform",
    "GuardReport",
    "GuardStore",
    "OnUnrecognised",
    "PhishingDetector",
    "PhishingMatch",
    "PhishingPattern",
    "domain_allowed",
    "domain_of",
    "links_in",
]

publish(__name__, globals(), __all__)
