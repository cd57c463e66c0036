# openscf: the API server image (`openscf serve`), also used for the witness and for
# `openscf backup` / `openscf restore` (PostgreSQL 15 client tools included).
#
#   docker build -t openscf:0.1.0 .
#   docker run -p 8000:8000 -e OPENSCF_DATABASE_URL=postgresql://... openscf:0.1.0
#
# The base is pinned by tag; pin it by digest too once you have pulled it
# (docker buildx imagetools inspect python:3.11.11-slim-bookworm) and pass it as
# --build-arg PYTHON_IMAGE=python:3.11.11-slim-bookworm@sha256:<digest>.
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY openscf ./openscf
RUN python -m venv /opt/openscf \
    && /opt/openscf/bin/pip install --upgrade pip \
    && /opt/openscf/bin/pip install .

FROM ${PYTHON_IMAGE}
# pg_dump / pg_restore of the same major version as the compose file's PostgreSQL (15).
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client-15 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/openscf /opt/openscf
# A user without a login shell or privileges; the data directory (master key file,
# validation rules) is its own and nothing else is writable.
RUN groupadd --system --gid 10001 openscf \
    && useradd --system --uid 10001 --gid openscf --home-dir /var/lib/openscf \
       --shell /usr/sbin/nologin openscf \
    && install -d -o openscf -g openscf -m 0700 /var/lib/openscf
ENV PATH=/opt/openscf/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    OPENSCF_DATA_DIR=/var/lib/openscf
USER 10001:10001
WORKDIR /var/lib/openscf
EXPOSE 8000
# Liveness: GET /v1/health answers 200 while the process serves HTTP (no curl in the
# slim image: Python's own client).
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/v1/health', timeout=4).status != 200)"]
# SIGTERM (docker stop) shuts down gracefully: give it --shutdown-timeout plus a margin
# (docker stop --time 40; compose's stop_grace_period).
STOPSIGNAL SIGTERM
ENTRYPOINT ["openscf"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
