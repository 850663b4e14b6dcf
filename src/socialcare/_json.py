r"""Typed reading of untrusted JSON: every failure names the field that is wrong.

X's payloads arrive as ``dict[str, Any]``. The models read them through
:class:`Fields`, which checks each value's type and raises
:class:`~socialcare.errors.PayloadError` with a dotted path such as
``data[3].referenced_tweets[0].id`` when it is missing or of the wrong type.

Strings come out as valid Unicode: X never sends anything else, but a recorded or
hand-made payload may hold lone surrogates (``"\ud83d"`` in JSON); each one is
replaced by U+FFFD, as a decoder with ``errors="replace"`` would, so no store or
sink ever meets a string it cannot encode. Error messages show at most about 80
characters of an offending value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from typing import TypeVar, overload

from socialcare._text_repr import clip, valid_unicode
from socialcare.errors import PayloadError

__all__ = ["Fields", "format_time", "parse_time"]

T = TypeVar("T")

_MISSING = object()


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, Sequence):
        return "an array"
    return type(value).__name__


class Fields(Mapping[str, object]):
    """A JSON object being read, with the path that leads to it.

    It is itself a read-only mapping of the object, so a nested object can be handed
    to a model's public ``from_x`` (which takes any mapping) and keep its path.
    """

    __slots__ = ("_data", "path")

    def __init__(self, data: object, path: str) -> None:
        if not isinstance(data, Mapping):
            raise PayloadError(f"expected an object, got {_kind(data)}", field=path or "payload")
        self._data: Mapping[str, object] = data
        self.path = path

    def __getitem__(self, key: str) -> object:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def _where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def has(self, key: str) -> bool:
        """Whether ``key`` is present and not null."""
        return self._data.get(key) is not None

    def raw_mapping(self) -> Mapping[str, object]:
        """The object itself, already checked to be a mapping."""
        return self._data

    def raw(self, key: str) -> object:
        """The value at ``key`` unchecked (``None`` when absent)."""
        return self._data.get(key)

    def _get(self, key: str, *, required: bool) -> object:
        value = self._data.get(key, _MISSING)
        if value is _MISSING or value is None:
            if required:
                raise PayloadError("required field is missing", field=self._where(key))
            return None
        return value

    @overload
    def string(self, key: str) -> str: ...
    @overload
    def string(self, key: str, *, required: bool) -> str | None: ...
    def string(self, key: str, *, required: bool = True) -> str | None:
        """A string field (lone surrogates replaced by U+FFFD)."""
        value = self._get(key, required=required)
        if value is None:
            return None
        if isinstance(value, str):
            return value if value.isascii() else valid_unicode(value)
        raise PayloadError(f"expected a string, got {_kind(value)}", field=self._where(key))

    @overload
    def id(self, key: str) -> str: ...
    @overload
    def id(self, key: str, *, required: bool) -> str | None: ...
    def id(self, key: str, *, required: bool = True) -> str | None:
        """An id field: X sends ids as decimal strings; a bare integer is accepted too."""
        value = self._get(key, required=required)
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return str(value)
        if isinstance(value, str) and value.isascii() and value.isdigit():
            return value
        raise PayloadError(
            f"expected an id (a string of digits), got {_kind(value)} {clip(value)}",
            field=self._where(key),
        )

    def integer(self, key: str, *, required: bool = False) -> int | None:
        """An integer field."""
        value = self._get(key, required=required)
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        raise PayloadError(f"expected an integer, got {_kind(value)}", field=self._where(key))

    def boolean(self, key: str, *, required: bool = False) -> bool | None:
        """A boolean field."""
        value = self._get(key, required=required)
        if value is None or isinstance(value, bool):
            return value
        raise PayloadError(f"expected a boolean, got {_kind(value)}", field=self._where(key))

    def time(self, key: str, *, required: bool = False, exact: bool = False) -> dt.datetime | None:
        """An ISO 8601 timestamp field, returned as an aware UTC datetime.

        X's times have millisecond precision (``2021-04-01T15:52:31.000Z``); finer
        digits in a payload from elsewhere are dropped, so ``from_x(to_x())`` round-trips.
        ``exact=True`` keeps them, for socialcare's own records (microseconds).
        """
        value = self.string(key, required=required)
        if value is None:
            return None
        try:
            moment = parse_time(value)
            if exact:
                return moment
            return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
        except ValueError as exc:
            raise PayloadError(
                f"expected an ISO 8601 timestamp representable in UTC, got {clip(value)}",
                field=self._where(key),
            ) from exc

    def obj(self, key: str) -> Fields | None:
        """A nested object field, or ``None`` when absent."""
        value = self._get(key, required=False)
        if value is None:
            return None
        return Fields(value, self._where(key))

    def objs(self, key: str) -> list[Fields]:
        """An array of objects (empty when absent)."""
        return [Fields(item, path) for path, item in self._items(key)]

    def strings(self, key: str) -> tuple[str, ...]:
        """An array of strings (empty when absent; lone surrogates replaced by U+FFFD)."""
        out: list[str] = []
        for path, item in self._items(key):
            if not isinstance(item, str):
                raise PayloadError(f"expected a string, got {_kind(item)}", field=path)
            out.append(item if item.isascii() else valid_unicode(item))
        return tuple(out)

    def _items(self, key: str) -> list[tuple[str, object]]:
        value = self._get(key, required=False)
        if value is None:
            return []
        if isinstance(value, str | bytes) or not isinstance(value, Sequence):
            raise PayloadError(f"expected an array, got {_kind(value)}", field=self._where(key))
        where = self._where(key)
        return [(f"{where}[{i}]", item) for i, item in enumerate(value)]


def parse_time(value: str) -> dt.datetime:
    """Parse X's ``2021-04-01T15:52:31.000Z`` (or any ISO 8601 with offset) to aware UTC.

    Raises:
        ValueError: the text is not an ISO 8601 timestamp with a time zone, or its
            moment is outside what ``datetime`` holds in UTC (``0001-01-01T00:00:00+01:00``).
    """
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    parsed = dt.datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        msg = f"timestamp {clip(value)} has no time zone"
        raise ValueError(msg)
    try:
        return parsed.astimezone(dt.timezone.utc)
    except OverflowError as exc:
        msg = f"timestamp {clip(value)} is out of range in UTC"
        raise ValueError(msg) from exc


def format_time(value: dt.datetime) -> str:
    """Format an aware datetime the way X does: ``2021-04-01T15:52:31.000Z``."""
    utc = value.astimezone(dt.timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
