"""``care.toml``: the settings of ``socialcare monitor``, ``links`` and ``webhook serve``.

Read with :mod:`tomllib` (``tomli`` on Python 3.10) and validated here: an unknown key, a
wrong type or a bad value is a :class:`~socialcare.errors.ConfigurationError` naming the
file, the line and the key (``care.toml:7: monitor.poll_interval must be ...``).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NoReturn

import attrs

from socialcare.errors import ConfigurationError, QueryError
from socialcare.query import Query

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

__all__ = ["CareConfig", "SearchConfig", "load_config", "parse_config"]

_Path = tuple[str | int, ...]


@attrs.frozen
class SearchConfig:
    """One ``[[monitor.search]]`` table: a named recent-search stream."""

    name: str
    query: str


@attrs.frozen
class CareConfig:
    """The validated contents of a ``care.toml`` (every key optional).

    Attributes:
        store_url: ``[store] url``, an ``open_store`` URL.
        brand: ``[brand] username``, the brand's handle (the sandbox account with
            ``--sandbox``; on X the credentials decide).
        poll_interval: ``[monitor] poll_interval``, seconds between polls of a stream.
        mentions: ``[monitor] mentions``, listen to the brand's mentions.
        direct_messages: ``[monitor] direct_messages``, listen to DM events.
        searches: ``[[monitor.search]]`` streams.
        link_base_url: ``[links] base_url``, the short-link domain.
        source: the file read (for messages).
    """

    store_url: str | None = None
    brand: str = "acmehelp"
    poll_interval: float = 60.0
    mentions: bool = True
    direct_messages: bool = False
    searches: tuple[SearchConfig, ...] = ()
    link_base_url: str | None = None
    source: str = "<defaults>"


_SCHEMA: dict[str, frozenset[str]] = {
    "store": frozenset({"url"}),
    "brand": frozenset({"username"}),
    "monitor": frozenset({"poll_interval", "mentions", "direct_messages", "search"}),
    "links": frozenset({"base_url"}),
}
_SEARCH_KEYS = frozenset({"name", "query"})
_HANDLE = re.compile(r"[A-Za-z0-9_]{1,15}")


def load_config(path: str | Path) -> CareConfig:
    """Read and validate a ``care.toml``.

    Raises:
        ConfigurationError: the file is missing or unreadable, is not valid TOML (the
            line is named), or a key is unknown, of the wrong type or out of range (the
            key and its line are named).
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigurationError(f"config file {file} not found") from None
    except (OSError, UnicodeError) as exc:
        raise ConfigurationError(f"config file {file} cannot be read: {exc}") from exc
    return parse_config(text, source=str(file))


def parse_config(text: str, *, source: str = "care.toml") -> CareConfig:
    """Validate a ``care.toml``'s text; see :func:`load_config`."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{source}: not valid TOML: {exc}") from exc
    checker = _Checker(text, source)
    for table, value in data.items():
        if table not in _SCHEMA:
            checker.fail((table,), f"unknown table [{table}]; known: {', '.join(sorted(_SCHEMA))}")
        if not isinstance(value, Mapping):
            checker.fail((table,), f"{table} must be a table ([{table}])")
        for key in value:
            if key not in _SCHEMA[table]:
                known = ", ".join(sorted(_SCHEMA[table]))
                checker.fail((table, key), f"unknown key {table}.{key}; known: {known}")
    store = data.get("store", {})
    brand = data.get("brand", {})
    monitor = data.get("monitor", {})
    links = data.get("links", {})
    url = checker.string(store, ("store", "url"))
    handle = checker.string(brand, ("brand", "username"))
    if handle is not None and not _HANDLE.fullmatch(handle.removeprefix("@")):
        checker.fail(("brand", "username"), "brand.username must be 1-15 letters, digits or _")
    interval = monitor.get("poll_interval", 60.0)
    if isinstance(interval, bool) or not isinstance(interval, (int, float)) or interval < 1:
        checker.fail(
            ("monitor", "poll_interval"),
            f"monitor.poll_interval must be a number of seconds >= 1, got {interval!r}",
        )
    base = checker.string(links, ("links", "base_url"))
    if base is not None and not base.startswith(("https://", "http://")):
        checker.fail(("links", "base_url"), f"links.base_url must be an http(s) URL: {base!r}")
    return CareConfig(
        store_url=url,
        brand=(handle or "acmehelp").removeprefix("@"),
        poll_interval=float(interval),
        mentions=checker.boolean(monitor, ("monitor", "mentions"), default=True),
        direct_messages=checker.boolean(monitor, ("monitor", "direct_messages"), default=False),
        searches=checker.searches(monitor.get("search", [])),
        link_base_url=base,
        source=source,
    )


class _Checker:
    def __init__(self, text: str, source: str) -> None:
        self.lines = text.splitlines()
        self.source = source

    def fail(self, path: _Path, message: str) -> NoReturn:
        line = _line_of(self.lines, path)
        where = f"{self.source}:{line}" if line is not None else self.source
        raise ConfigurationError(f"{where}: {message}")

    def string(self, table: Mapping[str, object], path: _Path) -> str | None:
        value = table.get(str(path[-1]))
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(path, f"{_dotted(path)} must be a non-empty string, got {value!r}")
        return str(value)

    def boolean(self, table: Mapping[str, object], path: _Path, *, default: bool) -> bool:
        value = table.get(str(path[-1]), default)
        if not isinstance(value, bool):
            self.fail(path, f"{_dotted(path)} must be true or false, got {value!r}")
        return bool(value)

    def searches(self, value: object) -> tuple[SearchConfig, ...]:
        if not isinstance(value, Sequence) or isinstance(value, str):
            self.fail(("monitor", "search"), "monitor.search must be tables ([[monitor.search]])")
        found: list[SearchConfig] = []
        names: set[str] = set()
        for index, item in enumerate(value):
            where: _Path = ("monitor", "search", index)
            if not isinstance(item, Mapping):
                self.fail(where, "monitor.search must be tables ([[monitor.search]])")
            for key in item:
                if key not in _SEARCH_KEYS:
                    self.fail(
                        (*where, key), f"unknown key monitor.search.{key}; known: name, query"
                    )
            name = self.string(item, (*where, "name"))
            query = self.string(item, (*where, "query"))
            if name is None or query is None:
                self.fail(where, "each [[monitor.search]] needs a name and a query")
            if name in names:
                self.fail((*where, "name"), f"monitor.search.name {name!r} is used twice")
            try:
                Query.parse(str(query))
            except QueryError as exc:
                self.fail((*where, "query"), f"monitor.search.query is not X search syntax: {exc}")
            names.add(str(name))
            found.append(SearchConfig(str(name), str(query)))
        return tuple(found)


def _dotted(path: _Path) -> str:
    return ".".join(str(p) for p in path if isinstance(p, str))


_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")


def _line_of(lines: Sequence[str], path: _Path) -> int | None:
    """The 1-based line that sets ``path`` (a key, a table or an array-of-tables item)."""
    if any(isinstance(p, int) for p in path):
        at = next(i for i, p in enumerate(path) if isinstance(p, int))
        table = tuple(str(p) for p in path[:at])
        index: int | None = int(path[at])
        rest = [str(p) for p in path[at + 1 :]]
        key = rest[0] if rest else None
    elif len(path) > 1:
        table, index, key = tuple(str(p) for p in path[:-1]), None, str(path[-1])
    else:
        table, index, key = tuple(str(p) for p in path), None, None
    whole = (*table, key) if key is not None else table
    key_re = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=") if key else None
    current: tuple[str, ...] = ()
    seen: dict[tuple[str, ...], int] = {}
    fallback: int | None = None
    for number, line in enumerate(lines, start=1):
        header = _HEADER.match(line)
        if header:
            current = tuple(part.strip().strip("\"'") for part in header[2].split("."))
            seen[current] = seen.get(current, 0) + 1
            item = index is None or seen[current] - 1 == index
            if current == table and item and key is None:
                return number
            if current in (table, whole) and item and fallback is None:
                fallback = number
            continue
        item = index is None or seen.get(current, 0) - 1 == index
        if key_re is not None and current == table and item and key_re.match(line):
            return number
    return fallback
