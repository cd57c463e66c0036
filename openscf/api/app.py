"""The FastAPI application: `create_app(engine, clock)` serves the network under `/v1`.

The OpenAPI document is at `/v1/openapi.json` (committed as `docs/openapi.json`); the
interactive docs at `/v1/docs` only with `docs=True` and the optional Swagger UI files
installed (`openscf.api.docs`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import anyio
from fastapi import FastAPI

from openscf import web
from openscf.api.docs import mount_docs, mount_openapi
from openscf.api.errors import install_error_handlers
from openscf.api.middleware import BodyLimitMiddleware
from openscf.api.observe import Metrics, RequestMiddleware
from openscf.api.routers import (
    documents,
    events,
    identity,
    keys,
    log,
    operations,
    programs,
    receivables,
    recovery,
    risk,
    trouble,
)
from openscf.api.security import Services
from openscf.app.auth import Authenticator
from openscf.app.clock import Clock, SystemClock
from openscf.app.queries import Database, ReadModel, read_engine_for
from openscf.app.service import NetworkService
from openscf.settings import Settings

__all__ = ["API_VERSION", "create_app"]

logger = logging.getLogger("openscf.api")

API_VERSION = "0.5.0"
MAX_BODY_BYTES = 1 << 20
BODY_TIMEOUT_SECONDS = 30.0
OPENAPI_URL = "/v1/openapi.json"

DESCRIPTION = """\
The openscf network as a service. Conventions:

* ids are prefixed (`org_`, `prg_`, `rcv_` ...); a client may supply the id of what it
  creates, in its organisation's namespace: `<prefix>_<org id without org_>.<your key>`
  (`inv_acme.erp-4711` for `org_acme`; any other id is refused with `invalid_id`), or
  leave it out and the network picks one; a retried create with the same id and content
  returns the original;
* lists are `{"object": "list", "data": [...], "has_more": bool}`, paged with `limit`
  and `starting_after` (the last id of the previous page);
* money is an integer count of minor units plus an ISO 4217 currency; instants are RFC
  3339 UTC; business dates `YYYY-MM-DD`;
* every POST accepts an `Idempotency-Key` header: a retry with the same key returns the
  first response (header `Idempotent-Replayed: true`); the same key with another body is
  refused with 409 `idempotency_key_reused`;
* state-changing responses name the events they logged in the `OpenSCF-Events` header;
* errors are `{"error": {"type", "code", "message", "param"}}`.

Authenticate with an API key (`Authorization: Bearer sk_...`) or a browser session
(`POST /v1/sessions`; cookie-authenticated POSTs must send `X-CSRF-Token`).
"""


def create_app(
    engine: Database,
    clock: Clock | None = None,
    *,
    service: NetworkService | None = None,
    authenticator: Authenticator | None = None,
    max_body_bytes: int = MAX_BODY_BYTES,
    body_timeout_seconds: float = BODY_TIMEOUT_SECONDS,
    docs: bool = False,
    secure_cookies: bool = True,
    session_ttl: timedelta = timedelta(hours=8),
    auth_cache_seconds: float = 0.0,
    settings: Settings | None = None,
    writer_drain_seconds: float = 30.0,
) -> FastAPI:
    """The API over one database. `clock` drives command time and session expiry.

    Every request checks its key or session in the database, so a revocation is refused
    by every worker once acknowledged; `auth_cache_seconds` > 0 trades that for one query
    less per request (another worker's revocation then takes up to that long).
    A request body must arrive whole within `body_timeout_seconds` (else 408) and be at
    most `max_body_bytes` (else 413). `docs` serves the Swagger UI at /v1/docs when its
    files are installed (`openscf.api.docs`); it is off by default.

    Shutting down (the lifespan's end: uvicorn runs it on SIGTERM once it has stopped
    listening and answered every request it accepted), the group-commit writer runs what
    is still queued, answers it and stops, waiting at most `writer_drain_seconds`."""
    clock = clock or SystemClock()
    settings = settings or Settings()
    metrics = Metrics()
    reader = read_engine_for(engine)
    svc = Services(
        service=service or NetworkService(engine, clock),
        auth=authenticator
        or Authenticator(
            engine,
            clock,
            read_engine=reader,
            session_ttl=session_ttl,
            cache_seconds=auth_cache_seconds,
        ),
        reads=ReadModel(reader),
        secure_cookies=secure_cookies,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        queued = svc.writer.queue_depth()
        logger.info("shutting down: draining the writer (%d commands queued)", queued)
        await anyio.to_thread.run_sync(svc.writer.close, writer_drain_seconds)

    app = FastAPI(
        lifespan=lifespan,
        title="openscf",
        version=API_VERSION,
        description=DESCRIPTION,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.openscf = svc
    app.state.openscf_settings = settings
    app.state.openscf_metrics = metrics
    svc.writer.on_batch = metrics.batch
    if svc.service.observer is None:
        svc.service.observer = metrics.command
    metrics.engine, metrics.clock, metrics.writer = engine, clock, svc.writer
    mount_openapi(app, OPENAPI_URL)
    if docs:
        mount_docs(app)
    install_error_handlers(app)
    app.include_router(operations.router)
    for module in (
        identity,
        programs,
        receivables,
        trouble,
        events,
        log,
        keys,
        documents,
        recovery,
        risk,
    ):
        app.include_router(module.router, prefix="/v1")
    # The dashboard is served by the same process; the layer contract lets the API mount
    # openscf.web but never the reverse.
    web.mount(
        app,
        engine=engine,
        service=svc.service,
        authenticator=svc.auth,
        reads=svc.reads,
        secure_cookies=secure_cookies,
    )
    app.add_middleware(
        BodyLimitMiddleware,
        max_body_bytes=max_body_bytes,
        body_timeout_seconds=body_timeout_seconds,
    )
    # Outermost of ours: the request id and the request's log line cover everything.
    app.add_middleware(RequestMiddleware, metrics=metrics)
    return app
