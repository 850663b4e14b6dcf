"""Every public package: a sorted ``__all__``, names at their public path, no private types.

A public signature that mentions a type importable only from a private module is a trap for
users (they cannot annotate their own code with it) and for the docs; these tests walk every
public package, every exported class and function, and every public method's annotations.
"""

from __future__ import annotations

import importlib
import inspect
import sys
import typing

import pytest

import socialcare

PACKAGES = [
    "socialcare",
    "socialcare.alerts",
    "socialcare.cli",
    "socialcare.conversations",
    "socialcare.compose",
    "socialcare.desk",
    "socialcare.errors",
    "socialcare.escalation",
    "socialcare.guard",
    "socialcare.links",
    "socialcare.models",
    "socialcare.monitor",
    "socialcare.outbox",
    "socialcare.platforms",
    "socialcare.platforms.x",
    "socialcare.privacy",
    "socialcare.query",
    "socialcare.sandbox",
    "socialcare.storage",
    "socialcare.testing",
    "socialcare.text",
    "socialcare.threads",
    "socialcare.webhooks",
]


def exported(package: str) -> list[tuple[str, object]]:
    module = importlib.import_module(package)
    return [(name, getattr(module, name)) for name in module.__all__]


def isort_style(name: str) -> tuple[int, str]:
    """Ruff's RUF022 order: CONSTANTS, then Classes, then functions and the rest."""
    if name.isupper() and len(name) > 1:
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


def is_private_path(module: str) -> bool:
    return any(part.startswith("_") for part in module.split("."))


@pytest.mark.parametrize("package", PACKAGES)
def test_all_is_sorted_and_resolves(package: str) -> None:
    module = importlib.import_module(package)
    names = list(module.__all__)
    assert names == sorted(names, key=isort_style)
    assert len(set(names)) == len(names)
    for name in names:
        assert hasattr(module, name), f"{package}.{name}"


@pytest.mark.parametrize("package", PACKAGES)
def test_exported_classes_and_functions_live_at_a_public_path(package: str) -> None:
    for name, value in exported(package):
        if not (inspect.isclass(value) or inspect.isfunction(value)):
            continue
        module = value.__module__
        assert not is_private_path(module), f"{package}.{name} says it lives in {module}"
        assert getattr(importlib.import_module(module), name) is value


def everything() -> dict[str, object]:
    """Names an annotation may use: every loaded socialcare module's globals, and the types
    that modules import only for type checkers (third-party, loaded lazily at run time)."""
    names: dict[str, object] = {
        "requests": importlib.import_module("requests"),
        "WSGIApplication": typing.Callable[..., typing.Iterable[bytes]],  # _typeshed only
    }
    for package in PACKAGES:  # load lazily exported names, so their modules count too
        exported(package)
    for module_name, module in list(sys.modules.items()):
        if module_name.startswith("socialcare"):
            names.update(vars(module))
    return names


def mentioned_types(annotation: object) -> typing.Iterator[type]:
    """Every class an annotation mentions, through unions, generics and aliases."""
    if inspect.isclass(annotation):
        yield annotation
    for arg in typing.get_args(annotation):
        if isinstance(arg, list):  # Callable[[A, B], R]
            for item in arg:
                yield from mentioned_types(item)
        else:
            yield from mentioned_types(arg)
    origin = typing.get_origin(annotation)
    if inspect.isclass(origin):
        yield origin


def public_callables(value: object) -> typing.Iterator[tuple[str, typing.Callable[..., object]]]:
    if inspect.isfunction(value):
        yield "", value
        return
    if not inspect.isclass(value):
        return
    for attr, member in vars(value).items():
        if attr.startswith("_") and attr != "__init__":
            continue
        func = member.__func__ if isinstance(member, (classmethod, staticmethod)) else member
        if isinstance(member, property) and member.fget is not None:
            func = member.fget
        if inspect.isfunction(func):
            yield f".{attr}", func


@pytest.mark.parametrize("package", PACKAGES)
def test_no_public_signature_mentions_a_private_type(package: str) -> None:
    problems = []
    for name, value in exported(package):
        for suffix, func in public_callables(value):
            try:
                hints = typing.get_type_hints(func, globalns={**everything(), **func.__globals__})
            except NameError as exc:  # an annotation that does not resolve at run time
                problems.append(f"{package}.{name}{suffix}: unresolvable annotation ({exc})")
                continue
            for where, annotation in hints.items():
                for mentioned in mentioned_types(annotation):
                    module = mentioned.__module__
                    if module.startswith("socialcare") and is_private_path(module):
                        problems.append(
                            f"{package}.{name}{suffix} ({where}): {module}.{mentioned.__qualname__}"
                        )
    assert problems == []


def test_top_level_names_are_the_packages_own_objects() -> None:
    for name in socialcare.__all__:
        value = getattr(socialcare, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            home = importlib.import_module(value.__module__)
            assert getattr(home, name) is value
