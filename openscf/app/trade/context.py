"""What every trade use case shares: the service it runs on, who may act, and ids.

`DeskContext` is the trade desk's configuration (the network service, where the rule
artefacts are, the fingerprint key, which validation stages run); the functions check an
actor's role and permission and find the anchor's program, inside one unit of work.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from openscf.app.service import NetworkService
from openscf.domain.errors import InvalidRequest, NotFound, PermissionDenied
from openscf.domain.events import format_instant
from openscf.domain.model import Organisation, Program, User
from openscf.store.trade_documents import TradeDocuments
from openscf.store.uow import UnitOfWork

T = TypeVar("T")


@dataclass(frozen=True)
class DeskContext:
    """The trade desk's configuration, passed to every use case."""

    service: NetworkService
    data_dir: Path | None
    fingerprint_key: tuple[str, bytes] | None
    validation_stages: tuple[str, ...]

    @property
    def engine(self) -> Any:
        return self.service.engine

    def now(self) -> str:
        return format_instant(self.service.clock.now())

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_" + self.service.ids.new("cmd")[4:]

    def transaction(self, work: Callable[[UnitOfWork], T]) -> T:
        return self.service.transaction(work)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def actor(
    uow: UnitOfWork, user_id: str, roles: tuple[str, ...], permission: str
) -> tuple[User, Organisation]:
    user, org = uow.state.actor(user_id)
    if user is None or org is None:
        raise PermissionDenied("unknown_user", f"no user {user_id!r}", "user_id")
    if roles and not set(roles) & set(org.roles):
        raise PermissionDenied(
            "role_required",
            f"this needs an organisation with role {' or '.join(roles)}; "
            f"{org.id} has {', '.join(org.roles)}",
            "user_id",
        )
    if permission not in user.permissions:
        raise PermissionDenied(
            "permission_required",
            f"this needs the {permission!r} permission; {user.id} has "
            f"{', '.join(user.permissions) or 'none'}",
            "user_id",
        )
    return user, org


def program_of(docs: TradeDocuments, org: Organisation, program_id: str | None) -> Program:
    mine = [p for p in docs.programs() if p.anchor_id == org.id]
    if program_id is not None:
        for found in mine:
            if found.id == program_id:
                return found
        raise NotFound("unknown_program", f"{org.id} runs no program {program_id!r}", "program_id")
    if len(mine) == 1:
        return mine[0]
    raise InvalidRequest(
        "program_required",
        f"{org.id} runs {len(mine)} programs; name one with --program",
        "program_id",
    )
