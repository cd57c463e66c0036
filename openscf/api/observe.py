"""What an operator sees of a running API: Prometheus metrics and one log line per request.

`Metrics` holds one app's collectors in a registry of its own (several apps in one process,
as in the tests, never collide). Labels are bounded: route *templates*
(`/v1/receivables/{receivable_id}`, never a raw path), HTTP methods and statuses, command
types, outcomes and error codes (closed sets in the code), document kinds, witness names
(the witnesses registered with the log). No organisation, user or request id is a label.

    openscf_http_requests_total{method,route,status}
    openscf_http_request_duration_seconds{method,route}         histogram
    openscf_commands_total{command,outcome,code}                outcome: accepted|refused|failed
    openscf_commit_batch_size                                   histogram (group commit)
    openscf_writer_queue_depth, openscf_writer_busy_seconds
    openscf_documents_validated_total{kind,outcome}
    openscf_log_size, openscf_checkpoint_size, openscf_checkpoint_age_seconds
    openscf_witness_cosigned_size{witness}
    openscf_db_pool_connections{state}                          state: size|checked_out|overflow

The log and pool gauges are read when Prometheus scrapes (one short read of the database).

`RequestMiddleware` gives every request an id (a well-formed incoming `Request-Id` is
kept, else a new one), echoes it in the `Request-Id` response header, and when the
request ends writes one log record (logger `openscf.api.requests`: method, route
template, status, duration; the request id, organisation and user ids come from
`openscf.logs.request_context`) and counts it in the metrics.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from openscf.api.middleware import ASGIApp, Message, Receive, Scope, Send
from openscf.app.clock import Clock
from openscf.app.health import log_gauges, pool_use
from openscf.app.queries import Database
from openscf.logs import RequestContext, request_context

__all__ = ["REQUEST_ID_HEADER", "Metrics", "RequestMiddleware", "route_of"]

REQUEST_ID_HEADER = "Request-Id"
_WELL_FORMED_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))
_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128)

log = logging.getLogger("openscf.api.requests")


class _Gauges(Collector):
    """The gauges read on each scrape: the log, the witnesses, the pool, the writer."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        m = self.metrics
        writer_depth = GaugeMetricFamily(
            "openscf_writer_queue_depth", "Commands waiting for the group-commit writer."
        )
        writer_busy = GaugeMetricFamily(
            "openscf_writer_busy_seconds",
            "Seconds the writer has spent on its current batch (0: idle).",
        )
        if m.writer is not None:
            writer_depth.add_metric([], m.writer.queue_depth())
            busy = m.writer.busy_for()
            writer_busy.add_metric([], busy if busy != float("inf") else -1.0)
        yield writer_depth
        yield writer_busy
        if m.engine is None:
            return
        pool = GaugeMetricFamily(
            "openscf_db_pool_connections",
            "Database connections of this process's pool.",
            labels=["state"],
        )
        for state, count in pool_use(m.engine).items():
            pool.add_metric([state], count)
        yield pool
        try:
            gauges = log_gauges(m.engine)
        except Exception:  # the database is down: readiness says so; the rest still scrapes
            logging.getLogger("openscf.api").warning("metrics: cannot read the log", exc_info=True)
            return
        yield GaugeMetricFamily("openscf_log_size", "Events in the log.", value=gauges.size)
        yield GaugeMetricFamily(
            "openscf_checkpoint_size",
            "Events covered by the latest signed checkpoint.",
            value=gauges.checkpoint_size,
        )
        if gauges.checkpoint_signed_at is not None and m.clock is not None:
            age = (m.clock.now() - gauges.checkpoint_signed_at).total_seconds()
            yield GaugeMetricFamily(
                "openscf_checkpoint_age_seconds",
                "Seconds since the latest checkpoint was signed.",
                value=max(0.0, age),
            )
        cosigned = GaugeMetricFamily(
            "openscf_witness_cosigned_size",
            "The largest log size each registered witness cosigned (0: none yet).",
            labels=["witness"],
        )
        for name, size in sorted(gauges.witnesses.items()):
            cosigned.add_metric([name], size)
        yield cosigned


class Metrics:
    """One app's metrics. `engine`, `clock` and `writer` are attached by `create_app`."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.engine: Database | None = None
        self.clock: Clock | None = None
        self.writer: Any = None
        r = self.registry
        self.requests = Counter(
            "openscf_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "openscf_http_request_duration_seconds",
            "Time from a request's start to its last response byte, by route template.",
            ["method", "route"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.commands = Counter(
            "openscf_commands",
            "Commands run, by type and outcome (accepted, refused: the caller's error, "
            "failed: the system's), with the error code of a refusal or failure.",
            ["command", "outcome", "code"],
            registry=r,
        )
        self.batch_size = Histogram(
            "openscf_commit_batch_size",
            "Commands per group-commit batch.",
            buckets=_BATCH_BUCKETS,
            registry=r,
        )
        self.documents = Counter(
            "openscf_documents_validated",
            "Documents validated, by kind and outcome (valid, invalid, unreadable; on "
            "import: imported, refused).",
            ["kind", "outcome"],
            registry=r,
        )
        r.register(_Gauges(self))

    def command(self, command: str, outcome: str, code: str | None) -> None:
        self.commands.labels(command, outcome, code or "").inc()

    def batch(self, size: int) -> None:
        self.batch_size.observe(size)

    def document(self, kind: str, outcome: str) -> None:
        self.documents.labels(kind, outcome).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def route_of(scope: Scope) -> str:
    """The route template that answered (bounded), never the raw path.

    A route included under a prefix (`include_router(..., prefix="/v1")`) knows only its
    own template; the prefix is the part of the path before what its pattern matches."""
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    if not isinstance(template, str) or not template:
        return "unmatched"
    pattern = getattr(route, "path_regex", None)
    path = str(scope.get("path", ""))
    if pattern is None or pattern.match(path):
        return template
    for cut, char in enumerate(path):
        if char == "/" and cut and pattern.match(path[cut:]):
            return path[:cut] + template
    return template


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers") or []:
        if name == b"request-id":
            given = str(value.decode("latin-1"))
            if _WELL_FORMED_ID.match(given):
                return given
            break
    return "req_" + secrets.token_hex(12)


class RequestMiddleware:
    """The request id, the request's log line, and its metrics (pure ASGI)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        context = RequestContext(request_id=request_id, org_id=None, user_id=None)
        token = request_context.set(context)
        started = time.perf_counter()
        status = 500
        header = (REQUEST_ID_HEADER.lower().encode(), request_id.encode())

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except BaseException:
            # The error handler outside this middleware answers 500; it logs the incident
            # under this request's id (the context stays set for it) and echoes the id.
            self._done(scope, 500, started)
            raise
        self._done(scope, status, started)
        request_context.reset(token)

    def _done(self, scope: Scope, status: int, started: float) -> None:
        duration = time.perf_counter() - started
        route = route_of(scope)
        method = str(scope.get("method", ""))
        if method not in _METHODS:
            method = "OTHER"
        if route != "/metrics":  # a scrape is not traffic
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(duration)
        log.log(
            logging.WARNING if status >= 500 else logging.INFO,
            "%s %s %d",
            method,
            route,
            status,
            extra={
                "method": method,
                "route": route,
                "status": status,
                "duration_ms": round(duration * 1000, 2),
            },
        )
