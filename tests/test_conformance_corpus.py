"""The repository carries the conformance corpus its tests read, byte for byte as published.

A clone anywhere (no `../shared`) must run every conformance test: these tests fail, never
skip, when the copy in tests/conformance is incomplete or was edited.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .conftest import CORPUS_IN_REPOSITORY, conformance_root


def _manifest(root: Path) -> dict[str, str]:
    entries: dict[str, str] = {}
    for line in (root / "MANIFEST.sha256").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        entries[name.removeprefix("./")] = digest
    return entries


def test_the_repository_carries_every_corpus_file_unchanged():
    manifest = _manifest(CORPUS_IN_REPOSITORY)
    assert len(manifest) > 300, "the manifest lists the whole corpus"
    changed = [
        name
        for name, digest in manifest.items()
        if not (CORPUS_IN_REPOSITORY / name).is_file()
        or hashlib.sha256((CORPUS_IN_REPOSITORY / name).read_bytes()).hexdigest() != digest
    ]
    assert changed == []


def test_the_corpus_copy_holds_nothing_the_manifest_does_not_name():
    manifest = _manifest(CORPUS_IN_REPOSITORY)
    present = {
        p.relative_to(CORPUS_IN_REPOSITORY).as_posix()
        for p in CORPUS_IN_REPOSITORY.rglob("*")
        if p.is_file()
    }
    assert present - set(manifest) == {"MANIFEST.sha256"}


def test_the_corpus_carries_its_readme_with_sources_and_licences():
    readme = (conformance_root() / "README.md").read_text()
    for licence in ("Apache-2.0", "EUPL-1.2", "CC BY 4.0", "BSD-3-Clause"):
        assert licence in readme
