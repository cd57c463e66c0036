"""The OpenAPI document, generated from the code and committed as `docs/openapi.json`.

.venv/bin/python -m openscf.api.openapi docs/openapi.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine

__all__ = ["REGENERATE", "openapi_document", "openapi_text"]

REGENERATE = ".venv/bin/python -m openscf.api.openapi docs/openapi.json"


def openapi_document() -> dict[str, Any]:
    from openscf.api import create_app

    # The document depends on the code only; an unused in-memory database stands in.
    document: dict[str, Any] = create_app(create_engine("sqlite://")).openapi()
    return document


def openapi_text() -> str:
    return json.dumps(openapi_document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    text = openapi_text()
    if args:
        Path(args[0]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
