"""The REST API adapter under `/v1`: `create_app(engine, clock)`.

May import: `openscf.app` and everything it may import, except SQL: no SQLAlchemy and no
store module that exposes tables or queries (the app layer's read model and services
answer instead; an import-linter contract holds this). Also `openscf.settings`,
`openscf.logs` and prometheus_client (the operator's endpoints, `openscf.api.observe`).
"""

from openscf.api.app import create_app

__all__ = ["create_app"]
