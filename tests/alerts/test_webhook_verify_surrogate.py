"""A receiver's secret that is not valid Unicode verifies nothing and never raises."""

from __future__ import annotations

import datetime as dt

from socialcare.alerts import sign_webhook, verify_webhook_signature

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.timezone.utc)


def test_a_secret_with_a_lone_surrogate_verifies_nothing() -> None:
    sent = int(NOW.timestamp())
    signature = sign_webhook("s3cret", b"{}", sent)
    assert not verify_webhook_signature(
        "\ud800", b"{}", timestamp=str(sent), signature=signature, now=NOW
    )
