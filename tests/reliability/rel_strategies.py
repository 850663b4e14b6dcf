"""Hypothesis strategies for fuzzing the public API: odd values and mutated real X payloads.

Real payloads come from ``../shared/data/x-api-v2-samples`` (loaded by the tests
through ``shared_path``); :func:`mutated` drops, replaces and retypes their fields
with the values below, at any depth.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

LONG = 100_000
"""Length of the "very long" strings: far beyond anything an error message should embed."""

ODD_STRINGS: tuple[str, ...] = (
    "",
    " ",
    "\ud800",  # lone high surrogate
    "\udfff",  # lone low surrogate
    "a\ud83dz",  # half an emoji pair
    "\x00",
    "id\x00123",
    "\x1b[2J\x07\x08\x7f",  # control characters
    "\ufffe",
    "\uffff",
    "\u202e\u200f\u200b\ufeff",  # bidi override, RTL mark, zero widths, BOM
    "\U0010ffff",
    "\uff11\uff12\uff13",  # fullwidth digits: str.isdigit() is true
    "١٢٣",  # Arabic-Indic digits: str.isdigit() is true
    "²³",  # superscripts: isdigit() true, int() fails
    "0",
    "007",
    "-1",
    "1e309",
    "9" * 400,
    "x" * LONG,
    "\ud800" * 1000,
    "é" * LONG,
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999999Z",
    "2021-02-30T00:00:00Z",
    "2021-04-01T15:52:31.000Z",
    "2021-04-01T15:52:31",
    "NaN",
    "null",
    "{}",
)

EXTREME_DATES: tuple[str, ...] = (
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59.999-12:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
)

odd_text = st.one_of(st.sampled_from(ODD_STRINGS), st.text(max_size=40))
"""Strings X never sends but a store, parser or header may still receive."""

any_text = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec=None), max_size=60),  # surrogates included
    st.sampled_from(ODD_STRINGS),
    st.builds(lambda a, b: a + b, st.sampled_from(ODD_STRINGS), st.text(max_size=20)),
)
"""Arbitrary text for text functions, queries, keys and headers."""


def deep(depth: int, *, leaf: object = 1) -> object:
    """A value nested ``depth`` levels deep (alternating objects and arrays)."""
    value: object = leaf
    for level in range(depth):
        value = {"x": value} if level % 2 else [value]
    return value


odd_json = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 2**63, 10**30, 1.5, float("nan"), float("inf"), -0.0]),
    odd_text,
    # fresh containers on every draw: a later mutation may write into them
    st.sampled_from([5, 50]).map(deep),  # deeper nesting: dedicated tests (reprs recurse)
    st.sampled_from([list, dict, lambda: [None], lambda: {"": None}]).map(lambda make: make()),
    st.lists(odd_text, max_size=3),
    st.dictionaries(odd_text, odd_text, max_size=3),
)
"""JSON-like values of every type, in odd shapes."""


def _paths(value: object, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if len(prefix) > 8:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value[:5]):
            yield from _paths(item, (*prefix, i))


def _set(root: Any, path: tuple[Any, ...], value: object, *, drop: bool) -> Any:
    if not path:
        return value
    container = root
    for step in path[:-1]:
        container = container[step]
    if drop:
        del container[path[-1]]
    else:
        container[path[-1]] = value
    return root


@st.composite
def mutated(draw: st.DrawFn, payloads: list[dict[str, Any]]) -> dict[str, Any]:
    """A real payload with one to four fields dropped, replaced or given odd values.

    Dates get extreme dates more often, ids odd digit strings, texts odd text.
    """
    root: Any = json.loads(json.dumps(draw(st.sampled_from(payloads))))
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p in _paths(root) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        name = str(path[-1])
        if "created_at" in name:
            value = draw(st.one_of(st.sampled_from(EXTREME_DATES), odd_json))
        elif name.endswith("id") or name == "id":
            value = draw(st.one_of(st.sampled_from(ODD_STRINGS[12:21]), odd_json))
        else:
            value = draw(odd_json)
        drop = isinstance(path[-1], str) and draw(st.booleans())
        root = _set(root, path, value, drop=drop)
    return root if isinstance(root, dict) else {"data": root}


# -- seeds from the shared recordings -----------------------------------------------------------


def load_pages(folder: Path) -> list[dict[str, Any]]:
    """Whole response pages: twarc pages (``data``/``includes``/``meta``/``errors``)."""
    pages = []
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                page = json.loads(line)
            except json.JSONDecodeError:
                continue  # one recorded line is deliberately broken
            if isinstance(page, dict) and "data" in page:
                page.pop("__twarc", None)
                pages.append(_trim(page))
    return pages


def _trim(page: dict[str, Any]) -> dict[str, Any]:
    """A page cut to a few items, so mutations land on interesting fields often."""
    out = dict(page)
    if isinstance(out.get("data"), list):
        out["data"] = out["data"][:3]
    includes = out.get("includes")
    if isinstance(includes, dict):
        out["includes"] = {k: v[:2] for k, v in includes.items() if isinstance(v, list)}
    if isinstance(out.get("errors"), list):
        out["errors"] = out["errors"][:2]
    return out


def load_responses(folder: Path) -> list[dict[str, Any]]:
    """Recorded tweepy response bodies (JSON objects)."""
    out = []
    for path in sorted(folder.glob("*.json")):
        body = json.loads(path.read_text(encoding="utf-8")).get("response_json")
        if isinstance(body, dict):
            out.append(body)
    return out


def items(pages: list[dict[str, Any]], *, section: str) -> list[dict[str, Any]]:
    """Single objects from pages: ``data`` items, or ``includes.<section>`` items."""
    found: list[dict[str, Any]] = []
    for page in pages:
        if section == "data":
            data = page.get("data")
            found += data if isinstance(data, list) else [data] if isinstance(data, dict) else []
        else:
            found += page.get("includes", {}).get(section, [])
    return [item for item in found if isinstance(item, dict)]
