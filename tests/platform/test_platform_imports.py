"""Importing the platform and sandbox packages loads neither tweepy nor requests."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

HEAVY = ("tweepy", "requests", "requests_oauthlib", "oauthlib", "urllib3")


def _run(code: str) -> dict[str, object]:
    """Run ``code`` in a fresh interpreter; it prints one JSON object last."""
    prelude = textwrap.dedent(
        f"""
        import json, logging, sys
        HEAVY = {HEAVY!r}
        def heavy():
            return sorted({{m.split(".")[0] for m in sys.modules}} & set(HEAVY))
        def filtered(name):
            return [type(f).__name__ for f in logging.getLogger(name).filters]
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_platforms_and_x_loads_no_http_stack() -> None:
    out = _run(
        """
        import socialcare.platforms
        import socialcare.platforms.x
        from socialcare.platforms.x import MENTIONS, XPlatform
        print(json.dumps({"heavy": heavy(), "filters": filtered("tweepy.client"),
                          "module": XPlatform.__module__, "endpoint": MENTIONS.name}))
        """
    )
    assert out == {
        "heavy": [],
        "filters": [],
        "module": "socialcare.platforms.x",
        "endpoint": "GET /2/users/:id/mentions",
    }


def test_first_xplatform_loads_tweepy_and_attaches_redaction_once() -> None:
    out = _run(
        """
        from socialcare.platforms.x import XPlatform
        from socialcare.platforms.x._redact import THIRD_PARTY_LOGGERS
        before = heavy()
        XPlatform(bearer_token="first")
        XPlatform(bearer_token="second")
        print(json.dumps({"before": before, "after": heavy(),
                          "filters": {n: filtered(n) for n in THIRD_PARTY_LOGGERS}}))
        """
    )
    assert out["before"] == []
    assert {"tweepy", "requests"} <= set(out["after"])  # type: ignore[arg-type]
    filters = out["filters"]
    assert isinstance(filters, dict)
    assert len(filters) == 3
    for names in filters.values():
        assert names == ["_RedactCredentials"]  # attached by the first, not twice


def test_importing_the_sandbox_loads_no_http_stack() -> None:
    out = _run(
        """
        import socialcare.sandbox
        from socialcare.sandbox import Sandbox
        sandbox = Sandbox()
        sandbox.add_user("acme")
        after_import = heavy()
        from socialcare.sandbox import SandboxTransport
        transport = sandbox.transport()
        print(json.dumps({"import": after_import, "transport": heavy(),
                          "module": SandboxTransport.__module__,
                          "same": type(transport) is SandboxTransport}))
        """
    )
    assert out["import"] == []
    assert "requests" in out["transport"]  # type: ignore[operator]
    assert "tweepy" not in out["transport"]  # type: ignore[operator]
    assert out["module"] == "socialcare.sandbox"
    assert out["same"] is True
