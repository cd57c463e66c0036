"""The web dashboard adapter, one view per role.

May import: `openscf.app` and everything it may import, except SQL: no SQLAlchemy and no
store module that exposes tables or queries (the app layer's read model and services
answer instead; an import-linter contract holds this).

Server-rendered (Jinja2, autoescaped) with charts rendered to inline SVG on the server
by Vega-Lite (vl-convert; see `openscf.web.charts` for why), and a few lines of the
project's own script (`static/dashboard.js`) for htmx-style partial updates (the
auditor's verification button) and the price previews next to the bid and
early-payment forms. Every page also works without JavaScript. Nothing is
loaded from elsewhere: templates, stylesheet and script are files of this package.

Pages: ``/login``, ``/anchor``, ``/supplier``, ``/funder``, ``/auditor``,
``/receivables/{id}`` (one piece and its chain of custody, drawn as a graph); forms post
to ``/{role}/actions/{name}``. See `openscf.web.routes` for authentication, CSRF and
error handling, `openscf.web.views` for what each page shows.

The API (`openscf.api.create_app`) mounts the dashboard by calling `mount`; the two are
sibling adapters that do not import each other (the import-linter contract), so the API
names this module rather than importing it.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from openscf.app.auth import Authenticator
from openscf.app.queries import Database, ReadModel
from openscf.app.service import NetworkService

__all__ = ["mount"]

STATIC = Path(__file__).parent / "static"


def mount(
    app: FastAPI,
    *,
    engine: Database,
    service: NetworkService,
    authenticator: Authenticator,
    reads: ReadModel,
    secure_cookies: bool = True,
    **_ignored: Any,
) -> None:
    """Serve the dashboard from `app`: pages at the root, files under /static.

    `service` runs the forms' commands (its clock is the dashboard's "today"),
    `authenticator` checks logins, sessions and CSRF tokens, `reads` is the isolation read
    model every page reads through, and `engine` is what the auditor's verification runs
    over.
    """
    from openscf.web.routes import Dashboard, make_environment, router

    ttl = getattr(authenticator, "session_ttl", None)
    max_age = int(ttl.total_seconds()) if ttl is not None else 8 * 3600
    app.state.openscf_web = Dashboard(
        engine=engine,
        service=service,
        auth=authenticator,
        reads=reads,
        clock=service.clock,
        secure_cookies=secure_cookies,
        session_max_age=max_age,
        env=make_environment(),
    )
    app.include_router(router)
    # The chart renderer takes about a second to start: start it now, off the request path.
    from openscf.web.charts import warm_up

    threading.Thread(target=warm_up, name="openscf-chart-warm-up", daemon=True).start()
    app.mount("/static", StaticFiles(directory=STATIC), name="web-static")
