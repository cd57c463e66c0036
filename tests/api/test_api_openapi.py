"""The committed OpenAPI document is the one the code generates."""

from __future__ import annotations

import json
from pathlib import Path

from openscf.api.openapi import REGENERATE, openapi_document, openapi_text

DOC = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_the_committed_openapi_document_matches_the_code() -> None:
    assert DOC.exists(), f"docs/openapi.json is missing; generate it with: {REGENERATE}"
    assert DOC.read_text(encoding="utf-8") == openapi_text(), (
        f"docs/openapi.json has drifted from the code; regenerate it with: {REGENERATE}"
    )


def test_every_post_accepts_an_idempotency_key_and_documents_the_error_shape() -> None:
    document = openapi_document()
    posts = [
        (path, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method == "post"
    ]
    assert len(posts) >= 25
    for path, op in posts:
        headers = {p["name"] for p in op.get("parameters", []) if p["in"] == "header"}
        assert "Idempotency-Key" in headers, path
        error = op["responses"].get("400", {}).get("content", {}).get("application/json", {})
        assert error.get("schema", {}).get("$ref", "").endswith("/ErrorBody"), path


def test_every_path_is_under_v1_and_every_operation_is_documented() -> None:
    document = openapi_document()
    assert all(path.startswith("/v1/") for path in document["paths"])
    for item in document["paths"].values():
        for op in item.values():
            assert op.get("summary") and op.get("tags"), json.dumps(op)[:200]
