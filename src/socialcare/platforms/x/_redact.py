"""Credential redaction: for third-party log records and for the requests behind errors.

tweepy logs request headers at DEBUG, and oauthlib logs the OAuth parameters
and signature base string. Every credential an ``XPlatform`` is given is
registered with :data:`REDACTOR` and replaced by ``***`` (raw and
percent-encoded), as are bearer tokens and OAuth parameters in general.

The filter is attached to those loggers by the first ``XPlatform``
(:func:`install`, idempotent), not when this module is imported.
"""

from __future__ import annotations

import logging
import re
import threading
import urllib.parse

__all__ = ["REDACTOR", "THIRD_PARTY_LOGGERS", "install"]

_SECRET_PATTERNS = (
    re.compile(r"(Bearer\s+)[^\s'\",}]+"),
    re.compile(r"(oauth_(?:token|signature|consumer_key|nonce)=\\?[\"']?)[^\"'&,\s\\]+"),
)

THIRD_PARTY_LOGGERS = ("tweepy.client", "requests_oauthlib.oauth1_auth", "oauthlib.oauth1.rfc5849")
"""The loggers that see credentials, and get the redaction filter."""


MIN_SECRET_LENGTH = 8
"""Shortest credential matched as plain text in log lines."""


class _RedactCredentials(logging.Filter):
    """Scrub registered credentials, bearer tokens and OAuth parameters from text."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()
        self._ordered: tuple[str, ...] = ()
        self._lock = threading.Lock()

    def register(self, *secrets: str | None) -> None:
        """Redact these values from now on.

        Values shorter than :data:`MIN_SECRET_LENGTH` are not matched as text (a test's
        ``bearer_token="t"`` would otherwise mask every "t" of every later log line); real
        X credentials are far longer, and the ``Bearer``/``oauth_*`` patterns still catch
        short ones where they are sent.
        """
        with self._lock:
            for secret in secrets:
                if secret and len(secret) >= MIN_SECRET_LENGTH:
                    once = urllib.parse.quote(secret, safe="~")
                    self._secrets.update((secret, once, urllib.parse.quote(once, safe="~")))
            self._ordered = tuple(sorted(self._secrets, key=len, reverse=True))

    def redact(self, text: str) -> str:
        """``text`` with every known credential and token pattern replaced by ``***``."""
        for secret in self._ordered:
            text = text.replace(secret, "***")
        for pattern in _SECRET_PATTERNS:
            text = pattern.sub(r"\1***", text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self.redact(message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        return True


REDACTOR = _RedactCredentials()
"""The process-wide redactor every ``XPlatform`` registers its credentials with."""

_installed = False
_install_lock = threading.Lock()


def install() -> None:
    """Attach :data:`REDACTOR` to the third-party loggers (once per process)."""
    global _installed  # noqa: PLW0603 - a process-wide, once-only switch
    with _install_lock:
        if _installed:
            return
        for name in THIRD_PARTY_LOGGERS:
            logger = logging.getLogger(name)
            if REDACTOR not in logger.filters:
                logger.addFilter(REDACTOR)
        _installed = True
