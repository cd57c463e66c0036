"""The operator's side of the API, on SQLite and PostgreSQL: health and readiness (each
check failing on its own and named), Prometheus metrics with bounded labels, a request id
on every response, and one structured log line per request naming who asked."""

from __future__ import annotations

import io
import json
import logging
import re
import time
import warnings
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from openscf.api import create_app
from openscf.app import NetworkService
from openscf.app.keys import MasterKey
from openscf.app.witness import run_witness
from openscf.domain import commands as c
from openscf.logs import JsonFormatter
from openscf.settings import Settings
from openscf.store import code_revision, make_engine

from .conftest import DUE, World

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def _ready(client: Any) -> tuple[int, dict[str, Any]]:
    r = client.get("/v1/ready")
    return r.status_code, r.json()


def _checks(body: dict[str, Any]) -> dict[str, bool]:
    return {check["name"]: check["ok"] for check in body["checks"]}


def test_health_answers_without_credentials(world: World) -> None:
    r = world.client.get("/v1/health")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    assert r.headers["cache-control"] == "no-store"


def test_a_served_network_is_ready_and_names_every_check(world: World) -> None:
    world.confirm(number="READY-1")
    status, body = _ready(world.client)
    assert status == 200, body
    assert body["status"] == "ready" and body["failed"] == []
    assert _checks(body) == dict.fromkeys(
        ("database", "migrations", "master_key", "log_head", "writer"), True
    )


def test_a_wrong_master_key_makes_the_server_not_ready(world: World) -> None:
    service = NetworkService(world.engine, world.net.clock, master_key=MasterKey(b"\x01" * 32))
    app = create_app(world.engine, world.net.clock, service=service)
    with TestClient(app, base_url="https://testserver") as client:
        status, body = _ready(client)
    assert status == 503 and body["failed"] == ["master_key"], body
    assert "wrong master key" in json.dumps(body)


def previous_revision() -> str:
    """The revision before this code's head (what an older openscf left behind)."""
    from alembic.script import ScriptDirectory

    import openscf.store

    scripts = ScriptDirectory(str(Path(openscf.store.__file__).parent / "migrations"))
    down = scripts.get_revision(code_revision()).down_revision
    assert isinstance(down, str)
    return down


@pytest.mark.parametrize(
    ("revision", "says"), [("previous", "openscf db upgrade"), ("9999_from_the_future", "newer")]
)
def test_a_schema_older_or_newer_than_the_code_makes_the_server_not_ready(
    world: World, revision: str, says: str
) -> None:
    revision = previous_revision() if revision == "previous" else revision
    with world.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": revision})
    status, body = _ready(world.client)
    assert status == 503 and body["failed"] == ["migrations"], body
    detail = next(ch["detail"] for ch in body["checks"] if ch["name"] == "migrations")
    assert says in detail and revision in detail


def test_events_left_unsigned_for_longer_than_the_setting_make_the_server_not_ready(
    world: World,
) -> None:
    clock = world.net.clock
    unsigned = NetworkService(world.engine, clock, checkpoint_every_commit=False)
    settings = Settings(ready_checkpoint_max_age_seconds=600)
    app = create_app(world.engine, clock, service=world.net.svc, settings=settings)
    with TestClient(app, base_url="https://testserver") as client:
        world.confirm(number="SIGNED-1")  # signed with its commit
        unsigned.handle(
            world.users["A"],
            c.ConfirmInvoice(
                world.programs["P"],
                world.orgs["S0"],
                "UNSIGNED-1",
                1_000_00,
                "EUR",
                date.fromisoformat(DUE),
            ),
        )
        status, body = _ready(client)
        assert status == 200, body  # uncovered, but the last checkpoint is fresh
        clock.advance(seconds=601)
        status, body = _ready(client)
        assert status == 503 and body["failed"] == ["log_head"], body
        unsigned.sign_checkpoint()
        status, body = _ready(client)
        assert status == 200, body  # everything covered again: an idle log stays ready


def test_a_writer_stuck_on_one_batch_makes_the_server_not_ready(world: World) -> None:
    writer = world.client.app.state.openscf.writer  # type: ignore[attr-defined]
    writer._busy_since = time.monotonic() - 31  # the default limit is 30 s
    try:
        status, body = _ready(world.client)
    finally:
        writer._busy_since = None
    assert status == 503 and body["failed"] == ["writer"], body
    assert _ready(world.client)[0] == 200


def test_a_database_that_does_not_answer_is_reported_without_its_address(
    tmp_path: Path,
) -> None:
    engine = make_engine(
        "postgresql://scf:pw-hidden@127.0.0.1:1/scf", connect_args={"connect_timeout": 2}
    )
    with TestClient(create_app(engine), base_url="https://testserver") as client:
        status, body = _ready(client)
        assert client.get("/v1/health").status_code == 200
    assert status == 503 and body["failed"][0] == "database"
    assert set(body["failed"]) == {"database", "migrations", "master_key", "log_head"}
    shown = json.dumps(body)
    assert "127.0.0.1" not in shown and "pw-hidden" not in shown and "scf@" not in shown


# --- metrics ---------------------------------------------------------------------------


def _scrape(client: Any) -> dict[str, list[tuple[dict[str, str], float]]]:
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(r.text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
    return found


def _value(samples: list[tuple[dict[str, str], float]], **labels: str) -> float:
    return sum(v for got, v in samples if all(got.get(k) == x for k, x in labels.items()))


def test_metrics_count_requests_commands_batches_documents_and_the_log(
    world: World, tmp_path: Path
) -> None:
    w = world
    piece = w.confirm(number="MET-1")
    w.get("S0", f"/v1/receivables/{piece['receivable_id']}")
    w.get("S0", "/v1/receivables/rcv_nosuch")
    refused = w.post("S0", "/v1/confirmations", {**w.seen[-1], "invoice_number": "MET-2"})
    assert refused.status_code == 403
    w.post("A", "/v1/documents/validate", {"filename": "x.xml", "content_base64": "bm90IHhtbA=="})
    run_witness(
        w.engine, tmp_path / "witness.json", "witness.example/w1", w.orgs["F"], w.net.clock.now()
    )
    m = _scrape(w.client)

    requests = m["openscf_http_requests_total"]
    routes = {labels["route"] for labels, _ in requests}
    assert "/v1/receivables/{receivable_id}" in routes and "/v1/confirmations" in routes
    assert _value(requests, route="/v1/receivables/{receivable_id}", status="404") == 1
    assert _value(requests, route="/v1/confirmations", method="POST", status="403") == 1
    every_label = {v for labels, _ in requests for v in labels.values()}
    assert not any(v.startswith(("rcv_", "org_", "usr_")) for v in every_label)
    assert _value(m["openscf_http_request_duration_seconds_count"], route="/v1/confirmations") == 2

    commands = m["openscf_commands_total"]
    assert _value(commands, command="ConfirmInvoice", outcome="accepted") >= 1
    code = refused.json()["error"]["code"]
    assert _value(commands, command="ConfirmInvoice", outcome="refused", code=code) == 1
    assert _value(m["openscf_commit_batch_size_count"]) >= 2
    assert (
        _value(m["openscf_documents_validated_total"], kind="invoices", outcome="unreadable") == 1
    )

    assert _value(m["openscf_log_size"]) == w.log_size()
    assert _value(m["openscf_checkpoint_size"]) == w.log_size()
    assert _value(m["openscf_checkpoint_age_seconds"]) >= 0
    assert _value(m["openscf_witness_cosigned_size"], witness="witness.example/w1") == w.log_size()
    assert _value(m["openscf_writer_queue_depth"]) == 0
    assert {labels["state"] for labels, _ in m["openscf_db_pool_connections"]} >= {"checked_out"}


def test_metrics_and_probes_need_no_credentials_and_show_no_secret(world: World) -> None:
    world.confirm(number="MET-3")
    bodies = [world.client.get(p).text for p in ("/metrics", "/v1/ready", "/v1/health")]
    for secret in world.keys.values():
        assert all(secret not in body for body in bodies)
    assert all(org not in body for org in world.orgs.values() for body in bodies)


# --- request ids and the request's log line -----------------------------------------------


def test_every_response_carries_a_request_id_and_a_well_formed_one_is_kept(world: World) -> None:
    fresh = world.get("S0", "/v1/receivables").headers["request-id"]
    assert re.fullmatch(r"req_[0-9a-f]{24}", fresh)
    assert world.get("S0", "/v1/receivables").headers["request-id"] != fresh
    kept = world.client.get("/v1/health", headers={"Request-Id": "lb-7f3a.42:x"})
    assert kept.headers["request-id"] == "lb-7f3a.42:x"
    for bad in ("has space", "x" * 129, "semi;colon"):
        replaced = world.client.get("/v1/health", headers={"Request-Id": bad})
        assert re.fullmatch(r"req_[0-9a-f]{24}", replaced.headers["request-id"])


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(previous)


def test_each_request_writes_one_json_line_naming_the_caller_route_status_and_duration(
    world: World, json_log: io.StringIO
) -> None:
    piece = world.confirm(number="LOG-A")
    r = world.get("S0", f"/v1/receivables/{piece['receivable_id']}")
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    requests = [line for line in lines if line["logger"] == "openscf.api.requests"]
    mine = next(line for line in requests if line["request_id"] == r.headers["request-id"])
    assert mine["route"] == "/v1/receivables/{receivable_id}" and mine["status"] == 200
    assert mine["org_id"] == world.orgs["S0"] and mine["user_id"] == world.users["S0"]
    assert mine["level"] == "info" and mine["method"] == "GET" and mine["duration_ms"] >= 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", mine["time"])
    ours = [line for line in lines if line["logger"].startswith("openscf")]
    assert piece["receivable_id"] not in json.dumps(ours)  # a route template, not the path


def test_an_internal_error_is_logged_and_answered_under_the_request_id(
    world: World, json_log: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("on fire")

    monkeypatch.setattr(world.client.app.state.openscf.reads, "receivable", explode)  # type: ignore[attr-defined]
    client = TestClient(
        world.client.app, base_url="https://testserver", raise_server_exceptions=False
    )
    r = client.get("/v1/receivables/rcv_any", headers=world.h("S0"))
    assert r.status_code == 500
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    incident = next(line for line in lines if "incident" in line)
    assert incident["request_id"] == r.headers["request-id"]
    assert incident["level"] == "error" and "on fire" in incident["exception"]
    logged = next(line for line in lines if line.get("logger") == "openscf.api.requests")
    assert logged["status"] == 500 and logged["request_id"] == r.headers["request-id"]


def _base(name: str) -> str:
    return re.sub(r"_(bucket|count|sum|total|created)$", "", name)


def test_the_grafana_dashboard_shows_only_metrics_the_server_exports(world: World) -> None:
    dashboard = json.loads(
        (Path(__file__).parents[2] / "docs" / "grafana-openscf.json").read_text()
    )
    shown = {
        _base(name)
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"\bopenscf_[a-z_]+", target["expr"])
    }
    exported = {
        _base(line.split()[2])
        for line in world.client.get("/metrics").text.splitlines()
        if line.startswith("# HELP openscf_")
    }
    assert shown and shown <= exported, shown - exported
    assert exported <= shown, f"exported but on no panel: {exported - shown}"
