"""Every socialcare name a docstring mentions exists (``help()`` never sends users nowhere)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator
from types import ModuleType

import socialcare

DOTTED = re.compile(r"(?<![\w/.])(socialcare(?:\.\w+)+)")
ROLE = re.compile(r":(?:func|class|meth|data|attr|exc|mod):`~?([\w.]+)`")
MEMBER = re.compile(r"``([A-Z]\w*)\.([a-z_]\w*)(?:\(\))?``")
# Optional dependencies a module may need: those modules are skipped when absent.
OPTIONAL = ("psycopg", "pandas")


def _modules() -> Iterator[ModuleType]:
    yield socialcare
    for info in pkgutil.walk_packages(socialcare.__path__, "socialcare."):
        try:
            yield importlib.import_module(info.name)
        except ImportError as exc:  # pragma: no cover - only without an optional extra
            if not any(name in str(exc) for name in OPTIONAL):
                raise


MODULES = list(_modules())
PUBLIC = [m for m in MODULES if not any(p.startswith("_") for p in m.__name__.split("."))]


def _documented(module: ModuleType) -> Iterator[tuple[str, object, object | None]]:
    """``(qualified name, object, owning class)`` of the module and what it defines."""
    yield module.__name__, module, None
    for _, obj in inspect.getmembers(module):
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue
        if getattr(obj, "__module__", None) != module.__name__:
            continue
        yield f"{module.__name__}.{obj.__qualname__}", obj, None
        if inspect.isclass(obj):
            for attr, member in vars(obj).items():
                if inspect.isfunction(member) or isinstance(member, property):
                    yield f"{module.__name__}.{obj.__qualname__}.{attr}", member, obj


def _resolve_dotted(dotted: str) -> bool:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for part in parts[cut:]:
            if not hasattr(obj, part):
                return False
            obj = getattr(obj, part)
        return True
    return False


def _lookup(scope: object, dotted: str) -> object | None:
    found = scope
    for part in dotted.split("."):
        if hasattr(found, part):
            found = getattr(found, part)
        elif inspect.isclass(found) and _documented_attribute(found, part):
            return found
        else:
            return None
    return found


def _documented_attribute(cls: type, name: str) -> bool:
    """An instance attribute: an attrs field, or listed under the class's ``Attributes:``."""
    fields = getattr(cls, "__attrs_attrs__", ())
    if any(field.name == name for field in fields):
        return True
    return any(
        re.search(rf"^\s+{re.escape(name)}:", klass.__doc__ or "", re.MULTILINE)
        for klass in cls.__mro__
    )


def _resolve_in(scopes: list[object], dotted: str) -> bool:
    return any(_lookup(scope, dotted) is not None for scope in scopes)


def _unknown_names() -> list[str]:
    unknown: list[str] = []
    for module in MODULES:
        for where, obj, owner in _documented(module):
            doc = getattr(obj, "__doc__", None) or ""
            if not isinstance(doc, str):
                continue
            scopes: list[object] = [s for s in (owner, obj, module) if s is not None]
            scopes.extend(PUBLIC)
            unknown.extend(
                f"{where}: {name}"
                for name in DOTTED.findall(doc)
                if not _resolve_dotted(name.rstrip("."))
            )
            for name in ROLE.findall(doc):
                resolved = (
                    _resolve_dotted(name)
                    if name.startswith("socialcare")
                    else _resolve_in(scopes, name)
                )
                if not resolved:
                    unknown.append(f"{where}: :{name}:")
            for cls, attr in MEMBER.findall(doc):
                if _resolve_in(scopes, cls) and not _resolve_in(scopes, f"{cls}.{attr}"):
                    unknown.append(f"{where}: {cls}.{attr}")
    return list(dict.fromkeys(unknown))


def test_every_name_in_a_docstring_exists():
    assert _unknown_names() == []


def test_the_check_finds_a_missing_name(monkeypatch):
    from socialcare.sandbox import Sandbox  # noqa: PLC0415

    monkeypatch.setattr(
        Sandbox.seed_twcs,
        "__doc__",
        "See :func:`socialcare.sandbox.load_twcs` and ``Sandbox.nope()``.",
    )
    assert _unknown_names() == [
        "socialcare.sandbox.Sandbox.seed_twcs: socialcare.sandbox.load_twcs",
        "socialcare.sandbox.Sandbox.seed_twcs: :socialcare.sandbox.load_twcs:",
        "socialcare.sandbox.Sandbox.seed_twcs: Sandbox.nope",
    ]
