"""The package surface: one error tree with stable codes, and no imports from the rest."""

from __future__ import annotations

import inspect
import subprocess
import sys

import openscf.errors as root
import openscf.trust as trust
from openscf.trust import errors


def _error_classes() -> list[type[trust.TrustError]]:
    return [
        obj
        for _, obj in inspect.getmembers(errors, inspect.isclass)
        if issubclass(obj, trust.TrustError) and obj.__module__ == errors.__name__
    ]


def test_every_class_in_the_errors_module_is_a_trust_error() -> None:
    classes = [obj for _, obj in inspect.getmembers(errors, inspect.isclass)]
    assert classes
    assert all(issubclass(obj, trust.TrustError) for obj in classes)


def test_every_trust_error_derives_from_trust_error_and_value_error() -> None:
    for cls in _error_classes():
        assert issubclass(cls, trust.TrustError), cls
        assert issubclass(cls, ValueError), cls


def test_every_error_has_its_own_snake_case_code() -> None:
    codes = [cls.__dict__.get("code") for cls in _error_classes()]
    assert all(isinstance(code, str) and code.isidentifier() and code.islower() for code in codes)
    assert len(set(codes)) == len(codes)


def test_every_error_is_exported_and_drawn_in_the_one_tree() -> None:
    # The one drawing of every error class is the docstring of openscf.errors.
    doc = root.__doc__ or ""
    for cls in _error_classes():
        assert cls.__name__ in trust.__all__
        assert f"{cls.__name__} " in doc and cls.code in doc, cls


def test_everything_in_all_exists() -> None:
    for name in trust.__all__:
        assert hasattr(trust, name), name
    assert len(set(trust.__all__)) == len(trust.__all__)


def test_importing_trust_loads_nothing_else_from_openscf() -> None:
    # A fresh interpreter, so other tests' imports do not hide a stray dependency. The
    # parent package `openscf` itself is allowed, and the root of the error tree
    # (`openscf.errors`, which imports nothing: tests/test_error_tree.py); nothing else.
    code = (
        "import sys, openscf.trust\n"
        "bad = sorted(m for m in sys.modules if m.startswith('openscf.')"
        " and not m.startswith('openscf.trust') and m != 'openscf.errors')\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""
