"""The demo's server, run for real (`openscf demo --serve` in a process of its own, JSON
logs): it exposes health, readiness and metrics, and after a run of logins, API keys, key
registration and document imports its log holds one JSON object per line and none of the
secrets the run used. On SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from openscf.trust.keys import SigningKey, encode_public_key

EXE = Path(sys.executable).parent / "openscf"
STARTUP_SECONDS = 300


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_up(proc: subprocess.Popen[bytes], base: str, out: Path, err: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(
                f"the demo exited ({proc.returncode}):\n{out.read_text()}\n{err.read_text()}"
            )
        try:
            if httpx.get(f"{base}/v1/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail(f"the demo's server did not answer within {STARTUP_SECONDS} s")


def _exercise(base: str, logins: dict[str, str], folder: Path) -> list[str]:
    """Logins, API keys, key registration, document import; the secrets it used."""
    used: list[str] = []
    http = httpx.Client(base_url=base, timeout=60)
    ready = http.get("/v1/ready")
    assert ready.status_code == 200, ready.text
    assert {c["name"] for c in ready.json()["checks"]} == {
        "database",
        "migrations",
        "master_key",
        "log_head",
        "writer",
    }
    for login in logins:
        password = f"demo-{login}"
        used.append(password)
        session = http.post("/v1/sessions", json={"login": login, "password": password})
        assert session.status_code in (200, 201), session.text
        used += [v for k, v in session.cookies.items() if k.startswith("openscf_")]
        used.append(session.json().get("csrf_token") or "")
        http.cookies.clear()
    wrong = "Wr0ng-pa55word-for-anchor"
    used.append(wrong)
    assert http.post("/v1/sessions", json={"login": "anchor", "password": wrong}).status_code == 401
    used.append("sk_live_not_a_real_key_0123456789")
    bad = {"Authorization": "Bearer sk_live_not_a_real_key_0123456789"}
    assert http.get("/v1/sessions/current", headers=bad).status_code == 401

    anchor = {"Authorization": f"Bearer {logins['anchor']}"}
    me = http.get("/v1/sessions/current", headers=anchor).json()
    issued = http.post("/v1/api_keys", json={"name": "ops scan"}, headers=anchor)
    assert issued.status_code == 201, issued.text
    fresh = issued.json()["secret"]
    used.append(fresh)
    assert http.get("/v1/sessions/current", headers={"Authorization": f"Bearer {fresh}"}).is_success

    key = SigningKey.generate()
    used += [base64.b64encode(key.seed).decode(), key.seed.hex()]
    registered = http.post(
        "/v1/keys",
        json={"org_id": me["org_id"], "public_key": encode_public_key(key.public_key)},
        headers=anchor,
    )
    assert registered.status_code == 201, registered.text

    files = folder / "today"
    order = next(files.glob("BRAN-PO-*.xml")).read_bytes()
    invoice = next(files.glob("INV-*.xml")).read_bytes()
    for kind, data in (("orders", order), ("invoices", invoice)):
        content = base64.b64encode(data).decode()
        used.append(content)
        body = {"kind": kind, "files": [{"filename": f"{kind}.xml", "content_base64": content}]}
        imported = http.post("/v1/documents", json=body, headers=anchor)
        assert imported.status_code in (201, 422), imported.text
    checked = http.post(
        "/v1/documents/validate",
        json={"filename": "inv.xml", "content_base64": base64.b64encode(invoice).decode()},
        headers=anchor,
    )
    assert checked.status_code == 200, checked.text
    metrics = http.get("/metrics")
    assert metrics.status_code == 200
    assert (
        'openscf_http_requests_total{method="POST",route="/v1/sessions",status="401"}'
        in metrics.text
    )
    assert "openscf_documents_validated_total" in metrics.text
    return [s for s in used if s]


def test_the_demo_server_exposes_probes_and_metrics_and_logs_no_secret(
    db_url: str, tmp_path: Path
) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "OPENSCF_HOST": "127.0.0.1",
        "OPENSCF_PORT": str(port),
        "OPENSCF_LOG_FORMAT": "json",
        "OPENSCF_DATA_DIR": str(tmp_path / "data"),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("OPENSCF_DATABASE_URL", None)
    env.pop("OPENSCF_MASTER_KEY", None)
    is_sqlite = db_url.startswith("sqlite")
    db = str(tmp_path / "demo.db") if is_sqlite else db_url
    out, err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen(
            [str(EXE), "demo", "--db", db, "--serve"],
            stdout=stdout,
            stderr=stderr,
            env=env,
            cwd=tmp_path,
        )
    try:
        _wait_until_up(proc, base, out, err)
        printed = out.read_text()
        logins = dict(re.findall(r"^  (\S+)\s+(sk_\S+)$", printed, re.MULTILINE))
        assert {"operator", "anchor", "supplier", "funder", "auditor"} <= set(logins), printed
        files = tmp_path / ("demo.db.files" if is_sqlite else "openscf-demo.files")
        used = _exercise(base, logins, files)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    key_file = tmp_path / "demo.db.key" if is_sqlite else tmp_path / "data" / "master.key"
    master = key_file.read_bytes()
    secrets = [*logins.values(), *used, base64.b64encode(master).decode(), master.hex()]
    secrets.append("urn:oasis:names:specification:ubl")  # document content

    log = err.read_text()
    lines = [line for line in log.splitlines() if line.strip()]
    records: list[dict[str, Any]] = []
    for line in lines:
        assert line.startswith("{"), f"not a JSON log line: {line[:300]}"
        records.append(json.loads(line))  # every line is one JSON object
    for secret in secrets:
        assert secret not in log, f"a secret of the run is in the log: {secret[:12]}..."
    requests = [r for r in records if r.get("logger") == "openscf.api.requests"]
    assert len(requests) >= 20
    for record in requests:
        assert {"time", "level", "request_id", "route", "status", "duration_ms"} <= set(record)
    created = next(r for r in requests if r["route"] == "/v1/api_keys" and r["status"] == 201)
    assert created["org_id"].startswith("org_") and created["user_id"].startswith("usr_")
    assert any(r["route"] == "/v1/ready" and r["status"] == 200 for r in requests)
