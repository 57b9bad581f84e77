"""Every error code is a member of its app's enum, listed once, and never a bare string at a raise."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from enum import StrEnum
from pathlib import Path

import pytest

import fenxiao
from fenxiao.common.errors import CommonCode, DomainError

ROOT = Path(fenxiao.__file__).parent


def _source_files():
    for path in sorted(ROOT.rglob("*.py")):
        parts = set(path.relative_to(ROOT).parts)
        if "tests" in parts or "migrations" in parts:
            continue
        yield path


def _import_everything():
    importlib.import_module("config.urls")  # registers the path converters the apps' URL modules use
    for module in pkgutil.walk_packages([str(ROOT)], prefix="fenxiao."):
        if ".tests" in module.name or ".migrations" in module.name or ".management." in module.name:
            continue
        importlib.import_module(module.name)


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_app_error_declares_its_code_enum():
    _import_everything()
    missing = [
        f"{c.__module__}.{c.__qualname__}"
        for c in _subclasses(DomainError)
        if not c.__module__.startswith("tests") and c.codes is None
    ]
    assert not missing, f"error classes without a `codes` enum: {missing}"
    for cls in _subclasses(DomainError):
        if cls.codes is not None:
            assert issubclass(cls.codes, StrEnum)


def test_no_code_is_listed_twice_within_an_enum():
    _import_everything()
    for cls in {c.codes for c in _subclasses(DomainError) if c.codes is not None} | {CommonCode}:
        values = [member.value for member in cls]
        assert len(values) == len(set(values)), cls
        assert all(value == value.lower() and " " not in value for value in values), cls


def test_no_error_is_raised_with_a_bare_string_code():
    _import_everything()
    names = {c.__name__ for c in _subclasses(DomainError)} | {"DomainError"}
    offenders = []
    for path in _source_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names and node.args):
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                offenders.append(f"{path.relative_to(ROOT.parent)}:{node.lineno} {node.func.id}({first.value!r})")
    assert not offenders, "codes must be enum members:\n" + "\n".join(offenders)


def test_an_unknown_code_is_refused_at_the_raise():
    class SampleCode(StrEnum):
        KNOWN = "known"

    class SampleError(DomainError):
        codes = SampleCode

    assert SampleError(SampleCode.KNOWN, "m").code == "known"
    assert SampleError(CommonCode.OWN_OBJECT, "m").as_dict()["code"] == "own_object"
    with pytest.raises(TypeError):
        SampleError("unknown", "m")
