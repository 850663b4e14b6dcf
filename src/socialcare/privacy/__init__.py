"""Private data in text: find it, redact it, keep it out of public replies (pure).

:class:`PrivateDataGuard` finds payment card numbers (Luhn and the networks' IIN ranges),
IBANs (ISO 13616 mod-97 and country lengths), e-mail addresses, phone numbers
(phonenumbers), order and account numbers (named patterns), national ids (python-stdnum)
and passwords. Each :class:`Finding` has its kind, span, text and redacted form.
:meth:`PrivateDataGuard.check_public` raises :class:`~socialcare.PrivateDataError`, which
names the kinds (never the values) and suggests a direct message.
:meth:`PrivateDataGuard.redact_post` (and ``redact_dm``, ``redact_user``) give the values
to store, entity offsets intact; :class:`RedactingFilter` redacts log records.

Example:
    >>> guard = PrivateDataGuard()
    >>> text = "my card 4111 1111 1111 1111 was charged twice, mail me at ann@example.com"
    >>> tuple((f.kind, f.label) for f in guard.scan(text))
    (('card', 'visa'), ('email', 'example.com'))
    >>> guard.redact(text)
    'my card **** **** **** 1111 was charged twice, mail me at a***@example.com'

See ``docs/privacy.md``.
"""

from __future__ import annotations

from socialcare._exports import publish
from socialcare.privacy._guard import (
    DEFAULT_ACCOUNT_PATTERNS,
    DEFAULT_GUARD,
    DEFAULT_NATIONAL_IDS,
    DEFAULT_PHONE_REGIONS,
    KIND_NAMES,
    PRIVATE_KINDS,
    ROLE_MAILBOXES,
    Finding,
    PrivateDataGuard,
    PrivateKind,
)
from socialcare.privacy._logging import RedactingFilter

__all__ = [
    "DEFAULT_ACCOUNT_PATTERNS",
    "DEFAULT_GUARD",
    "DEFAULT_NATIONAL_IDS",
    "DEFAULT_PHONE_REGIONS",
    "KIND_NAMES",
    "PRIVATE_KINDS",
    "ROLE_MAILBOXES",
    "Finding",
    "PrivateDataGuard",
    "PrivateKind",
    "RedactingFilter",
]

publish(__name__, globals(), __all__)
