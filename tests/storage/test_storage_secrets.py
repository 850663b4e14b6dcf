"""Passwords in store URLs and DSNs never reach a message, a repr, a cause or a log."""

from __future__ import annotations

import logging
import socket
import sys

import pytest
from storage_support import require_driver

from socialcare import ConfigurationError, SocialCareError, StorageError
from socialcare.storage import open_store
from socialcare.storage._common import redact_dsn, scrub

SECRET = "Zq9-SECRET-pw"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def everything_said(exc: BaseException, caplog: pytest.LogCaptureFixture) -> str:
    said = [str(exc), repr(exc)]
    seen: BaseException | None = exc
    while seen is not None:
        said += [str(seen), repr(seen), *map(str, seen.args)]
        seen = seen.__cause__ or seen.__context__
    said += [r.getMessage() for r in caplog.records]
    return "\n".join(said)


@pytest.mark.parametrize(
    "url",
    [
        f"mysql://care:{SECRET}@db/care",
        f"sqlite://care:{SECRET}@host/care.db",
        f"sqlite://care:{SECRET}@host",
        f"redis://:{SECRET}@cache:6379/0",
    ],
)
def test_configuration_errors_hide_the_password(url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ConfigurationError) as caught:
        open_store(url)
    said = everything_said(caught.value, caplog)
    assert SECRET not in said
    assert "***" in str(caught.value)


@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "postgresql+psycopg"])
def test_connect_failures_hide_the_password(scheme: str, caplog: pytest.LogCaptureFixture) -> None:
    require_driver()
    caplog.set_level(logging.DEBUG)
    url = f"{scheme}://care:{SECRET}@127.0.0.1:{free_port()}/care?connect_timeout=1"
    with pytest.raises(StorageError, match="cannot connect") as caught:
        open_store(url)
    assert SECRET not in everything_said(caught.value, caplog)


def test_a_driver_message_quoting_the_password_is_not_chained(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    require_driver()
    import psycopg  # noqa: PLC0415 - only with the driver

    from socialcare.storage import postgres  # noqa: PLC0415

    def leaky(dsn: str, **_: object) -> None:
        raise psycopg.OperationalError(f"bad connection string {dsn}")

    monkeypatch.setattr(postgres.psycopg, "connect", leaky)
    with pytest.raises(StorageError, match=r"cannot connect.*\*\*\*") as caught:
        postgres.PostgresStore(f"postgresql://care:{SECRET}@db.example/care")
    assert SECRET not in everything_said(caught.value, caplog)


def test_a_missing_driver_is_a_configuration_error_without_the_password(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delitem(sys.modules, "socialcare.storage.postgres", raising=False)
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(SocialCareError) as caught:
        open_store(f"postgresql+psycopg://care:{SECRET}@db.example/care")
    assert isinstance(caught.value, ConfigurationError)
    assert "socialcare[postgres]" in str(caught.value)
    assert SECRET not in everything_said(caught.value, caplog)


@pytest.mark.parametrize(
    ("dsn", "shown"),
    [
        (f"postgresql://care:{SECRET}@db/care", "postgresql://care:***@db/care"),
        (f"host=db password={SECRET} user=care", "host=db password=*** user=care"),
        (f"host=db password='{SECRET} x' user=care", "host=db password=*** user=care"),
        ("postgresql://care@db/care", "postgresql://care@db/care"),
    ],
)
def test_redaction(dsn: str, shown: str) -> None:
    assert redact_dsn(dsn) == shown
    password = f"{SECRET} x" if f"'{SECRET} x'" in dsn else SECRET
    if password in dsn:
        assert scrub(f"driver said {password}!", dsn) == "driver said ***!"
    assert scrub("S%40CRET", "postgresql://u:S%2540CRET@h/d") == "***"
