"""The deployment files: the image definition (pinned base, non-root user, health check on
/v1/health, graceful stop) and the compose file (PostgreSQL, N API workers, a witness,
Prometheus scraping /metrics) say what docs/operations.md says they do. When a container
engine runs and can reach the base image, the image is built and served; otherwise that
test is skipped naming what is missing."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest

from ..conftest import REPO_ROOT
from .harness import free_port

DOCKERFILE = REPO_ROOT / "Dockerfile"
COMPOSE = REPO_ROOT / "deploy" / "compose.yaml"
PROMETHEUS = REPO_ROOT / "deploy" / "prometheus.yml"


def _instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]


def test_the_image_runs_as_a_non_root_user_from_a_pinned_base_with_a_health_check() -> None:
    steps = _instructions()
    base = next(arg for op, arg in steps if op == "ARG" and arg.startswith("PYTHON_IMAGE="))
    image = base.split("=", 1)[1]
    assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?", image), image
    assert all(arg.startswith("${PYTHON_IMAGE}") for op, arg in steps if op == "FROM")
    users = [arg for op, arg in steps if op == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    health = [arg for op, arg in steps if op == "HEALTHCHECK"]
    assert len(health) == 1 and "/v1/health" in health[0]
    assert ("STOPSIGNAL", "SIGTERM") in steps
    assert any(op == "ENTRYPOINT" and "openscf" in arg for op, arg in steps)


def test_the_compose_file_runs_postgresql_workers_a_witness_and_prometheus() -> None:
    yaml = pytest.importorskip("yaml", reason="PyYAML (a dev dependency's) reads compose.yaml")
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    assert set(services) == {"db", "api", "witness", "prometheus"}
    assert services["db"]["image"].startswith("postgres:15.")
    api = services["api"]
    assert "--workers" in api["command"] and "--shutdown-timeout" in api["command"]
    assert api["environment"]["OPENSCF_DATABASE_URL"].startswith("postgresql://")
    assert api["depends_on"]["db"]["condition"] == "service_healthy"
    grace = int(api["stop_grace_period"].rstrip("s"))
    timeout = int(api["command"][api["command"].index("--shutdown-timeout") + 1])
    assert grace > timeout  # the engine waits longer than the server's own drain
    assert "openscf witness" in " ".join(services["witness"]["command"])
    scrape = yaml.safe_load(PROMETHEUS.read_text())["scrape_configs"][0]
    assert scrape["metrics_path"] == "/metrics"
    assert scrape["static_configs"][0]["targets"] == ["api:8000"]
    for service in services.values():
        assert ":" in service.get("image", "x:y") and not service.get("image", "").endswith(
            ":latest"
        )


def _engine_problem() -> str | None:
    docker = shutil.which("docker")
    if docker is None:
        return "no container engine: the docker CLI is not installed"
    info = subprocess.run(
        [docker, "info", "--format", "{{.ServerVersion}}"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if info.returncode != 0:
        return f"no container engine: `docker info` failed ({info.stderr.strip()[:200]})"
    base = next(
        arg.split("=", 1)[1]
        for op, arg in _instructions()
        if op == "ARG" and arg.startswith("PYTHON_IMAGE=")
    )
    present = subprocess.run(
        [docker, "image", "inspect", base], capture_output=True, timeout=30, check=False
    )
    if present.returncode != 0:
        pulled = subprocess.run(
            [docker, "pull", base], capture_output=True, text=True, timeout=300, check=False
        )
        if pulled.returncode != 0:
            return (
                f"the container engine runs but the base image {base} is not local and "
                f"cannot be pulled ({pulled.stderr.strip()[:200]})"
            )
    return None


def test_the_image_builds_and_answers_its_health_check(tmp_path: Path) -> None:
    problem = _engine_problem()
    if problem:
        pytest.skip(problem)
    tag = f"openscf-test:{uuid.uuid4().hex[:8]}"
    built = subprocess.run(
        ["docker", "build", "-t", tag, str(REPO_ROOT)],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    port = free_port()
    name = f"openscf-test-{uuid.uuid4().hex[:8]}"
    subprocess.run(
        ["docker", "run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:8000", tag,
         "serve", "--host", "0.0.0.0", "--db", "/var/lib/openscf/openscf.db"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    try:
        user = subprocess.run(
            ["docker", "exec", name, "id", "-u"], capture_output=True, text=True, check=True
        )
        assert user.stdout.strip() == "10001"
        deadline, answered = time.monotonic() + 120, None
        while time.monotonic() < deadline and answered is None:
            try:
                answered = httpx.get(f"http://127.0.0.1:{port}/v1/openapi.json", timeout=3)
            except httpx.HTTPError:
                time.sleep(1)
        assert answered is not None and answered.status_code == 200
        stopped = subprocess.run(
            ["docker", "stop", "--time", "40", name], capture_output=True, timeout=60, check=False
        )
        assert stopped.returncode == 0
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True, check=False)
