"""Shared fixtures for the trust tests: the corpus's Merkle vectors and C2SP specs.

The corpus is carried in tests/conformance (`conformance_root` in tests/conftest.py); a
missing file or folder fails the tests that need it, naming what is missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ..conftest import (
    conformance_file,
    conformance_folder,
    conformance_missing,
    conformance_root,
)

# (fixture name, folder under the corpus) for vector files parametrised one test per file.
_VECTOR_FIXTURES = {
    "inclusion_vector": "merkle/inclusion",
    "consistency_vector": "merkle/consistency",
}


@pytest.fixture
def conformance_dir() -> Path:
    return conformance_folder("")


@pytest.fixture
def roots_json() -> Path:
    return conformance_file("merkle/roots.json")


@pytest.fixture
def signed_note_json() -> Path:
    return conformance_file("merkle/signed-note.json")


@pytest.fixture
def specs_dir() -> Path:
    return conformance_folder("specs")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    for fixture, folder in _VECTOR_FIXTURES.items():
        if fixture not in metafunc.fixturenames:
            continue
        root = conformance_root() / folder
        files = sorted(root.rglob("*.json")) if root.is_dir() else []
        if files:
            metafunc.parametrize(fixture, files, ids=[str(f.relative_to(root)) for f in files])
        else:
            # A missing folder fails the test (reading the path raises), never skips it.
            metafunc.parametrize(fixture, [root], ids=[conformance_missing(root)])
