"""phonenumbers and python-stdnum load on first need, not with compose or escalation."""

from __future__ import annotations

from tests.test_imports import heavy, modules_after

LIBRARIES = ("phonenumbers", "stdnum", "vaderSentiment")


def libraries(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules if m.split(".")[0] in LIBRARIES}


def test_importing_the_packages_loads_no_library() -> None:
    loaded = modules_after("import socialcare.compose, socialcare.privacy, socialcare.escalation")
    assert libraries(loaded) == set()
    assert heavy(loaded) == set()


def test_a_scan_loads_only_what_the_text_needs() -> None:
    plain = modules_after(
        "from socialcare.privacy import PrivateDataGuard\n"
        "PrivateDataGuard().scan('@acme my parcel is late, mail me at ann@example.com')"
    )
    assert libraries(plain) == set()
    numbers = modules_after(
        "from socialcare.privacy import PrivateDataGuard\n"
        "PrivateDataGuard().scan('call (415) 555-0132, IBAN DE89 3704 0044 0532 0130 00')"
    )
    assert libraries(numbers) == {"phonenumbers", "stdnum"}
