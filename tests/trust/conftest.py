"""Shared fixtures for the trust tests: where the conformance corpus lives.

The corpus is read in place, never copied: `OPENSCF_CONFORMANCE_DIR`, defaulting to
`../shared/conformance` seen from the repository root. Tests that need it skip, naming the
missing directory, when it is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

# (fixture name, folder under the corpus) for vector files parametrised one test per file.
_VECTOR_FIXTURES = {
    "inclusion_vector": "merkle/inclusion",
    "consistency_vector": "merkle/consistency",
}


def conformance_root() -> Path:
    configured = os.environ.get("OPENSCF_CONFORMANCE_DIR")
    if configured:
        return Path(configured)
    return REPO_ROOT / ".." / "shared" / "conformance"


def _missing(path: Path) -> str:
    return (
        f"conformance directory {path} is missing "
        "(set OPENSCF_CONFORMANCE_DIR to the shared conformance corpus)"
    )


@pytest.fixture
def conformance_dir() -> Path:
    root = conformance_root()
    if not root.is_dir():
        pytest.skip(_missing(root))
    return root


def conformance_file(relative: str) -> Path:
    """Path to one corpus file, or skip the calling test naming what is missing."""
    path = conformance_root() / relative
    if not path.is_file():
        pytest.skip(_missing(path.parent) if not path.parent.is_dir() else f"{path} is missing")
    return path


@pytest.fixture
def roots_json() -> Path:
    return conformance_file("merkle/roots.json")


@pytest.fixture
def signed_note_json() -> Path:
    return conformance_file("merkle/signed-note.json")


@pytest.fixture
def specs_dir() -> Path:
    root = conformance_root() / "specs"
    if not root.is_dir():
        pytest.skip(_missing(root))
    return root


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    for fixture, folder in _VECTOR_FIXTURES.items():
        if fixture not in metafunc.fixturenames:
            continue
        root = conformance_root() / folder
        files = sorted(root.rglob("*.json")) if root.is_dir() else []
        if files:
            metafunc.parametrize(fixture, files, ids=[str(f.relative_to(root)) for f in files])
        else:
            metafunc.parametrize(
                fixture,
                [pytest.param(None, marks=pytest.mark.skip(reason=_missing(root)))],
            )
