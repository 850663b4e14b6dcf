"""The public API is flat, sorted and complete."""

from __future__ import annotations

import importlib
import inspect
import types

import pytest

import socialcare


def test_all_is_sorted() -> None:
    assert socialcare.__all__ == sorted(socialcare.__all__)


def test_all_has_no_duplicates() -> None:
    assert len(set(socialcare.__all__)) == len(socialcare.__all__)


def test_all_equals_the_public_names() -> None:
    public = {
        name
        for name in dir(socialcare)
        if not name.startswith("_") and not isinstance(getattr(socialcare, name), types.ModuleType)
    }
    public.add("__version__")
    assert set(socialcare.__all__) == public


def test_unknown_names_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = socialcare.no_such_name  # type: ignore[attr-defined]


def test_every_name_lives_at_a_public_path() -> None:
    for name in socialcare.__all__:
        value = getattr(socialcare, name)
        if isinstance(value, type) or inspect.isfunction(value):
            module = value.__module__
            assert not any(part.startswith("_") for part in module.split(".")), (name, module)
            assert getattr(importlib.import_module(module), name) is value, (name, module)


def test_every_name_resolves() -> None:
    for name in socialcare.__all__:
        assert getattr(socialcare, name) is not None


def test_version_is_a_string() -> None:
    assert isinstance(socialcare.__version__, str)
    assert socialcare.__version__[0].isdigit()


def test_every_error_derives_from_the_root() -> None:
    errors = [
        value
        for value in vars(socialcare).values()
        if isinstance(value, type) and issubclass(value, Exception)
    ]
    assert len(errors) >= 15
    for error in errors:
        assert issubclass(error, socialcare.SocialCareError)


def test_error_tree_is_drawn_in_the_docstring() -> None:
    doc = socialcare.errors.__doc__ or ""
    for name in socialcare.errors.__all__:
        assert name in doc, f"{name} missing from the tree in errors.py's docstring"
