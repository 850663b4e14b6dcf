"""Read X search syntax into a clause tree.

Grammar (AND binds tighter than OR, as X documents: ``apple OR iphone ipad`` is
``apple OR (iphone ipad)``)::

    query   := or_expr END
    or_expr := and_expr ("OR" and_expr)*
    and_expr:= unary unary*
    unary   := "-" atom | "(" or_expr ")" | atom
    atom    := keyword | "phrase" | #tag | @user | $tag | name:value | name:"value"
"""

from __future__ import annotations

from typing import Final, Literal, cast

import attrs

from socialcare._text_repr import CLIP_LENGTH, first_surrogate
from socialcare.errors import QueryError
from socialcare.query._syntax import (
    ALIASES,
    FIELD_KINDS,
    AllOf,
    AnyOf,
    Atom,
    AtomKind,
    Clause,
    Negated,
    all_of,
    any_of,
)

__all__ = ["MAX_DEPTH", "parse_clause"]

_TokenKind = Literal["(", ")", "OR", "-", "word", "phrase", "field"]
_SIGIL_KINDS: Final[dict[str, AtomKind]] = {"#": "hashtag", "@": "mention", "$": "cashtag"}
_STOP: Final = frozenset(' \t\r\n()"')


@attrs.frozen
class _Token:
    kind: _TokenKind
    text: str
    pos: int
    name: str = ""


def _lex(text: str) -> list[_Token]:  # noqa: C901, PLR0912 - one branch per token shape
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            tokens.append(_Token(cast("_TokenKind", ch), ch, i))
            i += 1
        elif ch == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise QueryError(f"unbalanced quotes: the '\"' at position {i} is never closed")
            tokens.append(_Token("phrase", text[i + 1 : end], i))
            i = end + 1
        elif ch == "-":
            if i + 1 >= n or text[i + 1] in _STOP - {'"', "("}:
                raise QueryError(f"'-' at position {i} negates nothing")
            if text[i + 1] == "-":
                raise QueryError(f"double negation '--' at position {i}")
            tokens.append(_Token("-", ch, i))
            i += 1
        else:
            start = i
            while i < n and text[i] not in _STOP:
                i += 1
            word = text[start:i]
            if word.endswith(":") and i < n and text[i] == '"':
                end = text.find('"', i + 1)
                if end < 0:
                    raise QueryError(f"unbalanced quotes: the '\"' at position {i} is never closed")
                tokens.append(_Token("field", text[i + 1 : end], start, name=word[:-1]))
                i = end + 1
            elif word == "OR":
                tokens.append(_Token("OR", word, start))
            else:
                tokens.append(_Token("word", word, start))
    return tokens


def _atom(token: _Token) -> Atom:
    try:
        if token.kind == "phrase":
            return Atom.of("phrase", token.text)
        if token.kind == "field":
            return Atom.of(_field_kind(token.name), token.text)
        word = token.text
        kind = _SIGIL_KINDS.get(word[0])
        if kind is not None:
            return Atom.of(kind, word[1:])
        name, colon, value = word.partition(":")
        if colon:
            return Atom.of(_field_kind(name), value)
        return Atom.of("keyword", word)
    except QueryError as exc:
        raise QueryError(f"at position {token.pos}: {exc}") from None


def _field_kind(name: str) -> AtomKind:
    lowered = name.lower()
    lowered = ALIASES.get(lowered, lowered)
    if lowered not in FIELD_KINDS:
        shown = name if len(name) <= CLIP_LENGTH else name[:CLIP_LENGTH] + "…"
        raise QueryError(
            f"unknown operator '{shown}:'; quote the text to search for it "
            f'literally ("{shown}:...")'
        )
    return cast("AtomKind", lowered)


MAX_DEPTH: Final = 100
"""Deepest tree of alternating AND/OR groups a parsed query may have.

Redundant parentheses (``((a))``) cost nothing and may nest as deep as the text
allows; only groups that really alternate AND and OR count. Real queries stay
far below this; deeper ones are a :class:`QueryError`, never a ``RecursionError``.
"""


class _Group:
    """An open parenthesis (or the whole query) while it is being read."""

    __slots__ = ("branches", "open", "parts")

    def __init__(self, open_token: _Token | None) -> None:
        self.open = open_token
        self.branches: list[Clause] = []
        self.parts: list[Clause] = []


class _Parser:
    """An explicit-stack reader: nesting depth never touches Python's call stack."""

    def __init__(self, text: str) -> None:
        self.tokens = _lex(text)
        self.i = 0
        self.depths: dict[int, int] = {}

    def _depth(self, clause: Clause) -> int:
        return self.depths.get(id(clause), 1)

    def _join(self, clause: Clause | None, where: _Token | None) -> Clause:
        assert clause is not None  # noqa: S101 - never called with nothing to join
        if isinstance(clause, AllOf | AnyOf) and id(clause) not in self.depths:
            depth = 1 + max(self._depth(c) for c in clause.clauses)
            if depth > MAX_DEPTH:
                at = f" (the group at position {where.pos})" if where is not None else ""
                raise QueryError(
                    f"groups nest more than {MAX_DEPTH} levels deep{at}; "
                    "flatten the query or split it"
                )
            self.depths[id(clause)] = depth
        return clause

    def _close(self, group: _Group, token: _Token | None) -> Clause:
        """Finish ``group`` at ``token`` (``)``, or ``None`` at the end of the text)."""
        if not group.parts:
            if token is None:
                raise QueryError("the query ends where a clause was expected (after OR or '(')")
            raise QueryError(f"empty group or OR branch before ')' at position {token.pos}")
        group.branches.append(self._join(all_of(group.parts), group.open))
        return self._join(any_of(group.branches), group.open)

    def _negation(self, token: _Token) -> Clause:
        inner = self.tokens[self.i] if self.i < len(self.tokens) else None
        if inner is not None and inner.kind == "(":
            raise QueryError(
                f"X does not allow negating a group (position {token.pos}); "
                "negate each term instead: -a -b"
            )
        if inner is None or inner.kind not in ("word", "phrase", "field"):
            raise QueryError(f"'-' at position {token.pos} negates nothing")
        self.i += 1
        return Negated(_atom(inner))

    def parse(self) -> Clause | None:  # noqa: C901 - one branch per token kind
        if not self.tokens:
            return None
        stack = [_Group(None)]
        while self.i < len(self.tokens):
            token = self.tokens[self.i]
            self.i += 1
            group = stack[-1]
            if token.kind == "(":
                following = self.tokens[self.i] if self.i < len(self.tokens) else None
                if following is not None and following.kind == ")":
                    raise QueryError(f"empty group '()' at position {token.pos}")
                stack.append(_Group(token))
            elif token.kind == ")":
                if group.open is None:
                    raise QueryError(
                        f"unbalanced parentheses: ')' at position {token.pos} closes nothing"
                    )
                clause = self._close(group, token)
                stack.pop()
                stack[-1].parts.append(clause)
            elif token.kind == "OR":
                if not group.parts:
                    raise QueryError(f"OR at position {token.pos} has no clause before it")
                group.branches.append(self._join(all_of(group.parts), group.open))
                group.parts = []
            elif token.kind == "-":
                group.parts.append(self._negation(token))
            else:
                group.parts.append(_atom(token))
        group = stack[-1]
        clause = self._close(group, None)
        if group.open is not None:
            raise QueryError(
                f"unbalanced parentheses: '(' at position {group.open.pos} is never closed"
            )
        return clause


def parse_clause(text: str) -> Clause | None:
    """Parse X search syntax; ``None`` for a blank string.

    Parentheses may nest as deep as the text allows; alternating AND/OR groups
    at most :data:`MAX_DEPTH` deep.

    Raises:
        QueryError: the text is not valid X syntax (or not valid Unicode: a lone
            surrogate); the message gives the position.
    """
    surrogate = first_surrogate(text)
    if surrogate is not None:
        raise QueryError(
            f"at position {surrogate}: a lone surrogate (U+{ord(text[surrogate]):04X}) "
            "is not valid Unicode"
        )
    return _Parser(text).parse()
