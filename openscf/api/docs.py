"""Interactive API docs at `/v1/docs`: off unless asked for, and never from a CDN.

`create_app(docs=True)` (`openscf serve --docs`, or `OPENSCF_DOCS=1`) mounts them, and
only when the optional `swagger-ui-py` package is installed (`pip install
'openscf[docs]'`): its Swagger UI files are served from this process, the page loads no
script or style from anywhere else, and it starts Swagger UI from a script file of its
own rather than an inline one, so the dashboard's Content-Security-Policy
(`default-src 'none'; script-src 'self'; ...`) and other security headers apply
unchanged. Without the package there is no docs UI; `/v1/openapi.json` is always served
(for any OpenAPI viewer, or `docs/openapi.json` in the repository).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

from openscf.web.routes import SECURITY_HEADERS

__all__ = ["DOCS_PATH", "mount_docs", "mount_openapi", "swagger_ui_dir"]

DOCS_PATH = "/v1/docs"
ASSETS = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
}

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>openscf API</title>
<link rel="stylesheet" href="/v1/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/v1/docs/assets/swagger-ui-bundle.js"></script>
<script src="/v1/docs/start.js"></script></body></html>
"""

START = """window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({url: "/v1/openapi.json", dom_id: "#swagger-ui",
                               deepLinking: false, validatorUrl: null});
});
"""


def swagger_ui_dir() -> Path | None:
    """Swagger UI's files (version 5, which reads OpenAPI 3.1) from the installed
    `swagger-ui-py` package, or None. The package is located, not imported."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "static"
    return path if all((path / name).is_file() for name in ASSETS) else None


def mount_docs(app: FastAPI) -> bool:
    """Serve the docs UI if its files are installed; say whether it is served."""
    folder = swagger_ui_dir()
    if folder is None:
        return False

    @app.get(DOCS_PATH, include_in_schema=False)
    def docs_page() -> Response:
        return HTMLResponse(PAGE, headers=SECURITY_HEADERS)

    @app.get(f"{DOCS_PATH}/start.js", include_in_schema=False)
    def docs_start() -> Response:
        return Response(
            START, media_type="text/javascript; charset=utf-8", headers=SECURITY_HEADERS
        )

    for name, media in ASSETS.items():
        app.add_api_route(
            f"{DOCS_PATH}/assets/{name}",
            _asset(folder / name, media),
            methods=["GET"],
            include_in_schema=False,
        )
    return True


def _asset(path: Path, media: str) -> Callable[[], Response]:
    def asset() -> Response:
        return FileResponse(path, media_type=media, headers=SECURITY_HEADERS)

    return asset


def mount_openapi(app: FastAPI, url: str) -> None:
    """The OpenAPI document at `url`, with the same security headers."""

    @app.get(url, include_in_schema=False)
    def openapi_document() -> Response:
        return JSONResponse(app.openapi(), headers=SECURITY_HEADERS)
