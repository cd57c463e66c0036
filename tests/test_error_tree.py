"""The one error tree (openscf.errors): its drawing lists exactly the classes that exist,
each under its real parent, with the fault and status the one table gives it; the root
imports nothing."""

from __future__ import annotations

import importlib
import pkgutil
import re
import subprocess
import sys
from dataclasses import dataclass

import pytest

import openscf
import openscf.errors as root
from openscf.errors import (
    STATUS_TABLE,
    InternalError,
    OpenSCFError,
    http_answer,
)

LINE = re.compile(
    r"^    (?P<branch>(?:[│ ]   )*(?:[├└]── )?)(?P<name>[A-Za-z]+) +"
    r"(?P<fault>caller|system) (?P<status>\d{3})(?: +(?P<code>[a-z_]+))?$"
)


@dataclass(frozen=True)
class Drawn:
    depth: int
    name: str
    fault: str
    status: int
    code: str | None
    parent: str | None


def drawing() -> list[Drawn]:
    rows: list[Drawn] = []
    last_at_depth: dict[int, str] = {}
    for line in (root.__doc__ or "").splitlines():
        found = LINE.match(line)
        if found is None:
            continue
        depth = len(found["branch"]) // 4
        rows.append(
            Drawn(
                depth,
                found["name"],
                found["fault"],
                int(found["status"]),
                found["code"],
                last_at_depth.get(depth - 1),
            )
        )
        last_at_depth[depth] = found["name"]
    return rows


def existing() -> dict[str, type[OpenSCFError]]:
    """Every subclass of the root that openscf defines, found by importing every module."""
    for info in pkgutil.walk_packages(openscf.__path__, "openscf."):
        if ".migrations" not in info.name:
            importlib.import_module(info.name)
    found: dict[str, type[OpenSCFError]] = {}
    todo: list[type[OpenSCFError]] = [OpenSCFError]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("openscf."):  # not a test's own subclass
            assert found.setdefault(cls.__name__, cls) is cls, f"two classes {cls.__name__}"
    return found


def test_the_drawing_lists_exactly_the_error_classes_that_exist() -> None:
    names = [row.name for row in drawing()]
    assert len(names) == len(set(names)), "a class is drawn twice"
    assert set(names) == set(existing())


def test_each_class_is_drawn_under_its_parent() -> None:
    classes = existing()
    rows = drawing()
    assert rows[0] == Drawn(0, "OpenSCFError", "system", 500, None, None)
    for row in rows[1:]:
        assert row.parent is not None, row
        parents = [b for b in classes[row.name].__bases__ if issubclass(b, OpenSCFError)]
        assert parents == [classes[row.parent]], row


def test_each_line_says_whose_fault_and_which_status_the_one_table_gives() -> None:
    classes = existing()
    for row in drawing():
        answer = http_answer(classes[row.name])
        assert (row.fault, row.status) == (answer.fault, answer.status), row


def test_each_class_with_a_fixed_code_shows_it() -> None:
    classes = existing()
    for row in drawing():
        assert row.code == classes[row.name].__dict__.get("code"), row


def test_the_table_says_caller_for_every_4xx_and_system_for_every_5xx() -> None:
    for cls, answer in STATUS_TABLE.items():
        assert answer.fault == ("caller" if 400 <= answer.status < 500 else "system"), cls
    assert http_answer(InternalError).status == 500
    assert http_answer(OpenSCFError).status == 500


@pytest.mark.parametrize("error", [RuntimeError("bug"), KeyError("x"), ValueError("v")])
def test_an_exception_outside_the_tree_is_the_systems_500(error: Exception) -> None:
    assert (http_answer(error).status, http_answer(error).fault) == (500, "system")


def test_the_log_fork_and_trust_errors_are_the_systems_never_a_4xx() -> None:
    classes = existing()
    for name in (
        "LogIntegrityError",
        "ForkDetected",
        "MasterKeyError",
        "TrustError",
        "RootMismatchError",
        "CanonicalEncodingError",
    ):
        assert http_answer(classes[name]).status == 500, name
        assert classes[name].__mro__[1:].count(OpenSCFError) == 1


def test_trust_errors_stay_value_errors_for_callers_that_catch_those() -> None:
    from openscf.trust.errors import RootMismatchError, TrustError

    error = RootMismatchError("the roots differ", expected=b"a", calculated=b"b")
    assert isinstance(error, ValueError) and isinstance(error, TrustError)
    assert isinstance(error, OpenSCFError)
    assert (error.code, error.message, str(error)) == (
        "root_mismatch",
        "the roots differ",
        "the roots differ",
    )


def test_importing_the_root_loads_nothing_else() -> None:
    # A fresh interpreter, so other tests' imports do not hide a dependency: trust derives
    # its errors from this module and may import nothing else from openscf.
    code = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "import openscf.errors\n"
        "new = sorted(m.split('.')[0] for m in set(sys.modules) - before)\n"
        "print(','.join(m for m in new if m != 'openscf'"
        " and m not in sys.stdlib_module_names))\n"
        "print(','.join(sorted(m for m in sys.modules if m.startswith('openscf.')"
        " and m != 'openscf.errors')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out == ["", ""]
