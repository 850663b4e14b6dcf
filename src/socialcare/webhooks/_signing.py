"""X's webhook security: the CRC challenge answer and the delivery signature.

Both are ``sha256=`` followed by the base64 HMAC-SHA256, keyed with the app's
consumer secret (OAuth 1.0a API secret; X also accepts the OAuth 2.0 client secret,
then with the ``x-twitter-webhooks-signature-oauth2`` header): of the ``crc_token``
for the CRC, of the raw request body for a delivery.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

__all__ = ["crc_response_token", "delivery_signature", "signature_matches"]


def _sign(secret: str, message: bytes) -> str:
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode("ascii")


def crc_response_token(crc_token: str, consumer_secret: str) -> str:
    """The ``response_token`` answering X's CRC challenge ``crc_token``.

    Example::

        {"response_token": crc_response_token(request.args["crc_token"], secret)}
    """
    return _sign(consumer_secret, crc_token.encode())


def delivery_signature(body: bytes, consumer_secret: str) -> str:
    """The ``x-twitter-webhooks-signature`` value X sends with ``body``."""
    return _sign(consumer_secret, body)


def signature_matches(body: bytes, signature: str | None, consumer_secret: str) -> bool:
    """Whether ``signature`` signs ``body`` with ``consumer_secret`` (constant-time compare)."""
    if not signature:
        return False
    expected = delivery_signature(body, consumer_secret).encode()
    return hmac.compare_digest(expected, signature.strip().encode("utf-8", "replace"))
