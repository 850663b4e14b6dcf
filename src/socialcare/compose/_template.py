"""Saved replies: templates filled by safe, single-pass substitution."""

from __future__ import annotations

import re
from collections.abc import Mapping

import attrs

from socialcare.errors import TemplateError

__all__ = ["Template"]

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_CLIP = 40


def _clip(text: str) -> str:
    return text if len(text) <= _CLIP else text[: _CLIP - 1] + "…"


def _compile(source: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[int, ...]]:
    """Literal chunks, the variable after each chunk (``""`` after the last) and positions."""
    literals: list[str] = []
    names: list[str] = []
    positions: list[int] = []
    chunk: list[str] = []
    last = 0
    for m in _TOKEN.finditer(source):
        chunk.append(source[last : m.start()])
        last = m.end()
        token = m.group(0)
        if token in {"{{", "}}"}:
            chunk.append(token[0])
            continue
        name = m.group(1)
        if name is None:
            msg = (
                f"template has an unmatched {token!r} at offset {m.start()} "
                f"(write {token * 2!r} for a literal brace)"
            )
            raise TemplateError(msg, variable=None, position=m.start())
        name = name.strip()
        if not _NAME.match(name):
            msg = (
                f"template has an invalid variable name {_clip(name)!r} at offset {m.start()}: "
                "use letters, digits and underscores, not starting with a digit"
            )
            raise TemplateError(msg, variable=None, position=m.start())
        literals.append("".join(chunk))
        chunk = []
        names.append(name)
        positions.append(m.start())
    chunk.append(source[last:])
    literals.append("".join(chunk))
    return tuple(literals), tuple(names), tuple(positions)


@attrs.frozen
class Template:
    """A saved reply with ``{variable}`` placeholders (``{{`` and ``}}`` are literal braces).

    Substitution is one pass over the template: a value is inserted as it is and never
    read as template syntax, so a customer's ``{name}`` in a value stays text.

    Example:
        >>> Template("Hi {name}, order {order} ships today.").render(name="Ann", order="{x}")
        'Hi Ann, order {x} ships today.'

    Attributes:
        source: the template text.
        name: an optional name for the saved reply (shown in errors).
    """

    source: str = attrs.field(validator=attrs.validators.instance_of(str))
    name: str | None = None
    _literals: tuple[str, ...] = attrs.field(init=False, repr=False, eq=False)
    _names: tuple[str, ...] = attrs.field(init=False, repr=False, eq=False)
    _positions: tuple[int, ...] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        try:
            literals, names, positions = _compile(self.source)
        except TemplateError as exc:
            if self.name is None:
                raise
            msg = f"saved reply {self.name!r}: {exc}"
            raise TemplateError(msg, variable=exc.variable, position=exc.position) from None
        object.__setattr__(self, "_literals", literals)
        object.__setattr__(self, "_names", names)
        object.__setattr__(self, "_positions", positions)

    @property
    def variables(self) -> frozenset[str]:
        """The names of the variables the template uses."""
        return frozenset(self._names)

    def render(self, variables: Mapping[str, object] | None = None, **more: object) -> str:
        """The template with every variable replaced by its value (``str()`` of it).

        Raises:
            TemplateError: a variable has no value (the error names the first missing one,
                its ``variable`` attribute too, and lists every missing name).
        """
        values: dict[str, object] = {**(variables or {}), **more}
        missing = [n for n in dict.fromkeys(self._names) if n not in values]
        if missing:
            first = missing[0]
            where = f"saved reply {self.name!r}" if self.name else "template"
            listed = ", ".join(repr(n) for n in missing)
            msg = f"{where} needs a value for variable {first!r} (missing: {listed})"
            raise TemplateError(
                msg, variable=first, position=self._positions[self._names.index(first)]
            )
        out = [self._literals[0]]
        for name, literal in zip(self._names, self._literals[1:], strict=True):
            out.append(str(values[name]))
            out.append(literal)
        return "".join(out)
