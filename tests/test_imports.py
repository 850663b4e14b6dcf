"""What each import loads: the pure parts never drag in the network, databases or the sandbox.

Each case runs in a fresh interpreter and compares ``sys.modules`` afterwards (no timing:
the time is measured by benchmarks/import_bench.py).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("tweepy", "requests", "psycopg", "psycopg_pool", "httpx", "urllib3", "sqlite3")


def modules_after(code: str) -> set[str]:
    script = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    return set(json.loads(result.stdout))


def heavy(modules: set[str]) -> set[str]:
    return {m for m in modules if m.split(".")[0] in HEAVY}


def ours(modules: set[str]) -> set[str]:
    return {m for m in modules if m == "socialcare" or m.startswith("socialcare.")}


def test_import_socialcare_loads_only_the_foundation() -> None:
    loaded = modules_after("import socialcare")
    assert heavy(loaded) == set()
    assert ours(loaded) == {
        "socialcare",
        "socialcare._clock",
        "socialcare._exports",
        "socialcare._version",
        "socialcare.errors",
    }


def test_import_socialcare_text_loads_the_text_engine_and_models_only() -> None:
    loaded = modules_after("import socialcare.text")
    assert heavy(loaded) == set()
    extra = {
        m
        for m in ours(loaded)
        if not m.startswith(("socialcare.text", "socialcare.models"))
        and m
        not in {
            "socialcare._json",
            "socialcare._text_repr",
            "socialcare._clock",
            "socialcare._exports",
        }
    }
    assert extra == {"socialcare", "socialcare._version", "socialcare.errors"}


@pytest.mark.parametrize(
    ("name", "package"),
    [
        ("Post", "socialcare.models"),
        ("Query", "socialcare.query"),
        ("parse_tweet", "socialcare.text"),
        ("MemoryStore", "socialcare.storage"),
    ],
)
def test_a_name_loads_its_own_package_and_no_platform(name: str, package: str) -> None:
    loaded = modules_after(f"import socialcare\nsocialcare.{name}")
    assert package in loaded
    assert not heavy(loaded) & {"tweepy", "requests", "psycopg", "httpx"}
    assert "socialcare.sandbox" not in loaded
    assert "socialcare.platforms.x" not in loaded


def test_xplatform_and_sandbox_load_on_first_use() -> None:
    loaded = modules_after("import socialcare\nsocialcare.XPlatform\nsocialcare.Sandbox")
    assert "socialcare.platforms.x" in loaded
    assert "socialcare.sandbox" in loaded
