"""The REST API adapter under `/v1`: `create_app(engine, clock)`.

May import: `openscf.app` and everything it may import.
"""

from openscf.api.app import create_app

__all__ = ["create_app"]
