"""Give re-exported names their public module path.

Every feature area is a public package made of private modules. A class or
function defined in ``socialcare.query._core`` is documented, pickled and shown
in reprs as ``socialcare.query.Query``: each public package calls
:func:`publish` on its ``__all__`` once its private modules are imported.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

__all__ = ["publish"]


def publish(module: str, namespace: Mapping[str, object], names: Iterable[str]) -> None:
    """Set ``__module__`` of each class and function in *names* to *module*.

    Values that are not defined by socialcare's private modules (type aliases,
    constants, objects re-exported from elsewhere) are left alone.
    """
    for name in names:
        value = namespace[name]
        owner = getattr(value, "__module__", None)
        if not isinstance(owner, str) or not owner.startswith("socialcare."):
            continue
        if not (isinstance(value, type) or callable(value)):
            continue
        if "._" not in owner and owner != module:
            continue  # already public elsewhere: keep its own home
        try:
            value.__module__ = module
        except (AttributeError, TypeError):  # pragma: no cover - builtins-like objects
            continue
