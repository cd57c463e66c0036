"""What an operator's probes and metrics read: readiness checks and the log's gauges.

`readiness_checks` answers "can this process serve and commit right now?" one check at a
time: the database answers, its schema is this code's, the master key opens the log's
signing key, and the log head is covered by a recent signed checkpoint. Each check says
what failed in words safe to show anyone (no secret, no driver message, no URL).

`log_gauges` reads, in one snapshot, what the metrics endpoint exports about the log:
its size, the latest signed checkpoint's size and time, and the largest size each witness
cosigned. `pool_use` describes the engine's connection pool.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, func, select, text

from openscf.app.clock import Clock
from openscf.app.keys import MasterKeyError
from openscf.app.service import NetworkService
from openscf.store import check_schema
from openscf.store import queries as q
from openscf.store import tables as t
from openscf.store.db import SchemaMismatch
from openscf.store.queries import LOG_KEY_ID

__all__ = ["Check", "LogGauges", "log_gauges", "pool_use", "readiness_checks"]

log = logging.getLogger("openscf.app.health")


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True, slots=True)
class LogGauges:
    size: int
    checkpoint_size: int
    checkpoint_signed_at: datetime | None
    witnesses: dict[str, int] = field(default_factory=dict)


def _parse_instant(text_value: str) -> datetime:
    return datetime.fromisoformat(text_value.replace("Z", "+00:00"))


def log_gauges(engine: Engine) -> LogGauges:
    with engine.connect() as conn:
        size = conn.execute(select(t.log_head.c.size)).scalar() or 0
        head = conn.execute(
            select(t.checkpoints.c.size, t.checkpoints.c.signed_at)
            .order_by(t.checkpoints.c.size.desc())
            .limit(1)
        ).first()
        cosigned = conn.execute(
            select(t.cosignatures.c.witness, func.max(t.cosignatures.c.size)).group_by(
                t.cosignatures.c.witness
            )
        ).all()
        registered = conn.execute(select(t.witnesses.c.name)).scalars().all()
    witnesses = dict.fromkeys(registered, 0)
    witnesses.update({name: int(largest) for name, largest in cosigned})
    return LogGauges(
        int(size),
        int(head.size) if head is not None else 0,
        _parse_instant(head.signed_at) if head is not None else None,
        witnesses,
    )


def pool_use(engine: Engine) -> dict[str, int]:
    """size (connections kept), checked_out (in use), overflow (beyond size); {} when the
    pool keeps no count (e.g. a pool that opens a connection per use)."""
    pool = engine.pool
    try:
        return {
            "size": int(pool.size()),  # type: ignore[attr-defined]
            "checked_out": int(pool.checkedout()),  # type: ignore[attr-defined]
            "overflow": max(0, int(pool.overflow())),  # type: ignore[attr-defined]
        }
    except AttributeError:
        return {}


def _check(name: str, run: Callable[[], str]) -> Check:
    try:
        return Check(name, True, run())
    except _Failed as exc:
        return Check(name, False, str(exc))
    except (SchemaMismatch, MasterKeyError) as exc:  # messages that name no secret
        return Check(name, False, exc.message)
    except Exception as exc:
        # The driver's message may name hosts or users: the log gets it, the probe does not.
        log.warning("readiness check %s failed: %s", name, type(exc).__name__, exc_info=True)
        return Check(name, False, f"{name} check failed ({type(exc).__name__})")


class _Failed(Exception):
    """A check's failure, in words safe to show."""


def readiness_checks(
    engine: Engine,
    service: NetworkService,
    clock: Clock,
    *,
    checkpoint_max_age_seconds: float,
) -> list[Check]:
    """The database, migrations, master key and log head checks (in that order; after a
    failed database check the others are reported as not run)."""

    def database() -> str:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return "answers"

    first = _check("database", database)
    if not first.ok:
        skipped = "not checked: the database does not answer"
        return [first] + [
            Check(n, False, skipped) for n in ("migrations", "master_key", "log_head")
        ]

    def migrations() -> str:
        status = check_schema(engine)
        if status.state == "empty":
            raise _Failed("the database has no schema yet: run `openscf db upgrade`")
        return f"at {status.code}"

    def master_key() -> str:
        with engine.connect() as conn:
            try:
                _origin, sealed = q.log_identity_and_secret(conn)
            except LookupError:
                raise _Failed(
                    "the log has no identity yet: the network is not bootstrapped"
                ) from None
        service.master_key.unseal(LOG_KEY_ID, sealed)
        return "opens the log's signing key"

    def log_head() -> str:
        gauges = log_gauges(engine)
        if gauges.size == gauges.checkpoint_size:
            return f"{gauges.size} events, all covered by a signed checkpoint"
        if gauges.checkpoint_signed_at is None:
            raise _Failed(f"{gauges.size} events and no signed checkpoint")
        age = (clock.now() - gauges.checkpoint_signed_at).total_seconds()
        uncovered = gauges.size - gauges.checkpoint_size
        if age > checkpoint_max_age_seconds:
            raise _Failed(
                f"{uncovered} events not covered by a checkpoint, and the latest was signed "
                f"{age:.0f} s ago (more than {checkpoint_max_age_seconds:g} s)"
            )
        return f"{uncovered} events await the next checkpoint (latest signed {age:.0f} s ago)"

    return [
        first,
        _check("migrations", migrations),
        _check("master_key", master_key),
        _check("log_head", log_head),
    ]
