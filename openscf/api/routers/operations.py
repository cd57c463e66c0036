"""For the operator's probes and Prometheus: `GET /v1/health`, `GET /v1/ready`, `GET /metrics`.

None of them asks for credentials and none of them shows a secret (no key, no URL, no
driver message, no organisation's data): a load balancer, an orchestrator and a
Prometheus server call them as they are. They are left out of the OpenAPI document (they
are not the network's API); docs/operations.md describes them.

- `/v1/health`: the process is up and answers HTTP (no database read). Always 200.
- `/v1/ready`: 200 when every check passes, else 503; the body names each check, whether
  it passed and why not (`openscf.app.health` plus the writer's).
- `/metrics`: the Prometheus text format (`openscf.api.observe`).
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from openscf.api.observe import Metrics
from openscf.api.security import services
from openscf.app.health import Check, readiness_checks
from openscf.settings import Settings

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

NO_STORE = {"Cache-Control": "no-store"}


def _settings(request: Request) -> Settings:
    found: Settings = request.app.state.openscf_settings
    return found


def _metrics(request: Request) -> Metrics:
    found: Metrics = request.app.state.openscf_metrics
    return found


@router.get("/v1/health")
def health() -> JSONResponse:
    """The process is alive."""
    return JSONResponse({"status": "ok"}, headers=NO_STORE)


def _writer_check(request: Request, stuck_seconds: float) -> Check:
    writer = services(request).writer
    busy = writer.busy_for()
    depth = writer.queue_depth()
    if math.isinf(busy):
        return Check("writer", False, f"the writer thread stopped with {depth} commands waiting")
    if busy > stuck_seconds:
        return Check(
            "writer",
            False,
            f"one batch has run for {busy:.0f} s (more than {stuck_seconds:g} s); "
            f"{depth} commands waiting",
        )
    return Check("writer", True, f"{depth} commands waiting")


@router.get("/v1/ready")
def ready(request: Request) -> JSONResponse:
    """Ready to serve and commit: database, migrations, master key, log head, writer."""
    settings = _settings(request)
    svc = services(request)
    checks = readiness_checks(
        svc.service.engine,
        svc.service,
        svc.service.clock,
        checkpoint_max_age_seconds=settings.ready_checkpoint_max_age_seconds,
    )
    checks.append(_writer_check(request, settings.ready_writer_stuck_seconds))
    failed = [c.name for c in checks if not c.ok]
    body: dict[str, Any] = {
        "status": "not_ready" if failed else "ready",
        "failed": failed,
        "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in checks],
    }
    return JSONResponse(body, status_code=503 if failed else 200, headers=NO_STORE)


@router.get("/metrics")
def metrics(request: Request) -> Response:
    """Prometheus metrics of this process."""
    return Response(
        _metrics(request).exposition(),
        media_type=CONTENT_TYPE_LATEST,
        headers=NO_STORE,
    )
