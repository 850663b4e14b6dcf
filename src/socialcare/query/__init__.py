"""X search queries: build, render, parse, pack and match them locally.

The public names are re-exported from :mod:`socialcare`.
"""

from __future__ import annotations

from socialcare._exports import publish
from socialcare.query._core import Query
from socialcare.query._matcher import PostView
from socialcare.query._pack import pack_terms
from socialcare.query._set import QuerySet
from socialcare.query._syntax import AllOf, AnyOf, Atom, AtomKind, Clause, Negated

__all__ = [
    "AllOf",
    "AnyOf",
    "Atom",
    "AtomKind",
    "Clause",
    "Negated",
    "PostView",
    "Query",
    "QuerySet",
    "pack_terms",
]

publish(__name__, globals(), __all__)
