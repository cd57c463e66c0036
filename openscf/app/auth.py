"""Authentication: API keys, browser sessions with CSRF tokens, and demo password logins.

Credentials are not network state: they are not events, never enter the log, and live in
their own tables (`api_keys`, `auth_sessions`, `user_passwords`). What a credential
authenticates is a *user*; what that user may do is decided per request by the policy
(`openscf.app.policy`, for commands) and by the read rules (`openscf.app.queries`).

API keys
    ``sk_<8 hex>_<43 base64url>``: 32 random bytes from `secrets`, shown once when the
    key is created. The first part (``sk_<8 hex>``) is stored in clear as the key's
    visible prefix so people can tell keys apart; the whole key is stored only as its
    SHA-256. A fast hash is the right choice here (unlike for passwords): the secret has
    256 bits of entropy, so there is nothing for a slow hash to protect against, and
    every API request pays for the hash. Lookup is by that hash (a unique index); the
    stored hash is then compared again with `hmac.compare_digest`, and the timing of an
    index lookup on a hash tells an attacker nothing about a valid key.

Browser sessions
    A random session id (`secrets.token_urlsafe(32)`) in a ``Secure; HttpOnly;
    SameSite=Lax`` cookie; the server keeps only its SHA-256, the user, an absolute
    expiry and a CSRF synchronizer token. Every state-changing request authenticated by
    the cookie must echo the token (header ``X-CSRF-Token``, or a form field for the
    dashboard); the comparison is constant-time. Logging out ends the session row.

Passwords (for the demo's users)
    ``hashlib.scrypt`` with OWASP's parameters (n=2**17, r=8, p=1; 16-byte salt, 32-byte
    output). Each hash stores its parameters (``scrypt:n:r:p``) and is verified with
    them, so older, cheaper hashes keep working and are re-hashed at the current cost on
    the next successful login. A login name maps to one user. Unknown logins still cost
    one scrypt, so timing does not reveal which logins exist.

Where credentials come from, and how they end
    A session remembers the API key it was opened with (None: a password login), and a
    key remembers the key whose request minted it (directly or through such a session).
    Revoking a key ends, in the same transaction, every session opened with it (keys
    created through it live on, as key rotation needs; they name it, and disabling the
    user ends everything). Disabling a user revokes its keys, ends
    its sessions and refuses its logins until an admin enables it again. Every request
    checks its credential against the database (key or session row, the key a session
    came from, the user's disabled mark: primary-key lookups in one query), so a
    revocation is seen by every worker as soon as it is committed, which is before it is
    acknowledged.

Throttling
    Failed password logins are counted per login name and per client address in
    `login_throttles` (shared by every worker). After `LOGIN_FREE_FAILURES` failures of a
    login (`ADDRESS_FREE_FAILURES` from one address) the scope is locked for 1 s, doubling
    with each further failure up to `BACKOFF_CAP`; a locked scope is refused at once
    (`LoginThrottled`, HTTP 429 with Retry-After) without checking the password. A
    success clears the login's count (not the address's: an attacker could interleave
    its own valid login). A count restarts after `FAILURE_WINDOW` without failures.

Audit trail
    `auth_events` records logins (failed, succeeded, throttled), keys minted and revoked,
    users disabled and enabled, sessions ended: when, which organisation and user, who
    acted, from which address. Never a password, key or cookie.

Nothing here logs a secret; `Principal` and the records never hold one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from openscf.app.clock import Clock, IdFactory, SystemClock
from openscf.domain.errors import (
    Conflict,
    InvalidRequest,
    NotFound,
    PermissionDenied,
)
from openscf.domain.events import format_instant, parse_instant
from openscf.domain.model import APPROVAL_PERMISSIONS
from openscf.errors import AuthenticationFailed, LoginThrottled
from openscf.store import tables as t

__all__ = [
    "DEFAULT_PASSWORD_COST",
    "ApiKey",
    "AuthEvent",
    "AuthenticationFailed",
    "Authenticator",
    "LoginThrottled",
    "NewApiKey",
    "NewSession",
    "Principal",
    "ScryptCost",
    "SessionRecord",
    "hash_secret",
]

API_KEY_PATTERN = re.compile(r"^sk_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$")
SESSION_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")
LOGIN_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
PUBLIC_SESSION_PATTERN = re.compile(r"^ses_[0-9a-f]{24}$")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
FULL_READERS = frozenset({"auditor", "operator"})

LOGIN_FREE_FAILURES = 5  # failures of one login before it is locked
ADDRESS_FREE_FAILURES = 20  # failures from one address (several people may share one)
BACKOFF_BASE = timedelta(seconds=1)
BACKOFF_CAP = timedelta(minutes=15)
FAILURE_WINDOW = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class ScryptCost:
    """scrypt's work factors, stored with each hash as ``scrypt:n:r:p``."""

    n: int
    r: int
    p: int

    @property
    def text(self) -> str:
        return f"scrypt:{self.n}:{self.r}:{self.p}"

    @classmethod
    def parse(cls, text: str) -> ScryptCost:
        kind, n, r, p = text.split(":")
        if kind != "scrypt":
            raise ValueError(f"not an scrypt hash: {text!r}")
        return cls(int(n), int(r), int(p))


# OWASP Password Storage Cheat Sheet: scrypt with N=2^17, r=8, p=1 (128 MiB per hash).
DEFAULT_PASSWORD_COST = ScryptCost(2**17, 8, 1)
# What new hashes use when an Authenticator is given no cost. Only tests lower it (a
# fixture in tests/conftest.py), and a test checks that the default is the strong one.
PASSWORD_COST = DEFAULT_PASSWORD_COST


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: a user of an organisation, as authenticated for this request."""

    user_id: str
    org_id: str
    roles: tuple[str, ...]
    permissions: tuple[str, ...]
    method: str  # "api_key" | "session"
    credential_id: str  # the key id, or the session's id hash (never the secret)
    csrf_token: str | None = None  # sessions only
    session_expires_at: datetime | None = None
    # The API key behind this request: the key itself, or the key the session was opened
    # with (None for a password session). Keys created by this request name it.
    origin_key_id: str | None = None

    @property
    def reads_everything(self) -> bool:
        """Auditors and the operator see every record (read-only for auditors)."""
        return bool(FULL_READERS & set(self.roles))

    def has_role(self, role: str) -> bool:
        return role in self.roles


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    user_id: str
    org_id: str
    name: str
    prefix: str
    created_by: str
    created_at: datetime
    revoked_at: datetime | None
    origin_key_id: str | None = None  # the key whose request created this one


@dataclass(frozen=True, slots=True)
class NewApiKey:
    key: ApiKey
    # The key itself: returned once, at creation, and never again (None on a replay).
    secret: str | None
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class NewSession:
    session_id: str  # the cookie value: a secret
    principal: Principal
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A session as its organisation's admins see it (no cookie, no CSRF token)."""

    id: str  # "ses_" + the first 24 hex digits of the cookie's SHA-256
    user_id: str
    org_id: str
    api_key_id: str | None  # the key it was opened with; None: a password login
    address: str | None
    created_at: datetime
    expires_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True, slots=True)
class AuthEvent:
    id: str
    occurred_at: datetime
    kind: str
    org_id: str | None
    user_id: str | None
    actor_id: str | None
    address: str | None
    login: str | None
    credential_id: str | None
    detail: str | None


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _scrypt(password: str, salt: bytes, cost: ScryptCost) -> str:
    # OpenSSL needs 128*r*(n+2) bytes for V plus 128*r*p for B.
    maxmem = 128 * cost.r * (cost.n + 2 + cost.p) + (1 << 20)
    return hashlib.scrypt(
        password.encode(), salt=salt, n=cost.n, r=cost.r, p=cost.p, dklen=32, maxmem=maxmem
    ).hex()


def public_session_id(id_hash: str) -> str:
    return "ses_" + id_hash[:24]


_DUMMY_SALT = b"openscf-no-such-login"


def _key_from_row(row: Any) -> ApiKey:
    m = row._mapping
    return ApiKey(
        m["id"],
        m["user_id"],
        m["org_id"],
        m["name"],
        m["prefix"],
        m["created_by"],
        parse_instant(m["created_at"]),
        None if m["revoked_at"] is None else parse_instant(m["revoked_at"]),
        m["origin_key_id"],
    )


class Authenticator:
    """Issues, checks and revokes credentials, throttles password guessing, and keeps the
    audit trail of all of it.

    `engine` takes writes; `read_engine` (default: the same) serves the per-request
    lookups. Every request is checked against the database. `cache_seconds` > 0 caches a
    successful lookup in this process for that long: a revocation made by another
    worker is then seen only after up to `cache_seconds` (this process forgets its
    cache at once on its own revocations). The default, 0, is what keeps the promise
    that a revoked key or ended session is refused by every worker once acknowledged.
    `password_cost` is the scrypt cost of new hashes (default `PASSWORD_COST`).
    """

    def __init__(
        self,
        engine: Engine,
        clock: Clock | None = None,
        *,
        read_engine: Engine | None = None,
        session_ttl: timedelta = timedelta(hours=8),
        cache_seconds: float = 0.0,
        seed: int | None = None,
        password_cost: ScryptCost | None = None,
    ) -> None:
        self.engine = engine
        self.read_engine = read_engine or engine
        self.clock = clock or SystemClock()
        self.ids = IdFactory(self.clock, seed)
        self.session_ttl = session_ttl
        self.cache_seconds = cache_seconds
        self.password_cost = password_cost
        self._cache: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    # --- helpers ---------------------------------------------------------------------

    def _now(self) -> datetime:
        return self.clock.now()

    def _cost(self) -> ScryptCost:
        return self.password_cost or PASSWORD_COST

    def _actor(self, user_id: str) -> tuple[str, tuple[str, ...], tuple[str, ...]] | None:
        """(org id, org roles, user permissions) of a user, or None."""
        with self.read_engine.connect() as conn:
            row = conn.execute(
                select(t.users.c.org_id, t.organisations.c.roles, t.users.c.permissions)
                .join(t.organisations, t.organisations.c.id == t.users.c.org_id)
                .where(t.users.c.id == user_id)
            ).first()
        if row is None:
            return None
        return row[0], tuple(json.loads(row[1])), tuple(json.loads(row[2]))

    def _is_disabled(self, conn: Connection, user_id: str) -> bool:
        return (
            conn.execute(
                select(t.disabled_users.c.user_id).where(t.disabled_users.c.user_id == user_id)
            ).first()
            is not None
        )

    def _cached(self, digest: str) -> Principal | None:
        entry = self._cache.get(digest)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def _remember(self, digest: str, principal: Principal) -> None:
        if self.cache_seconds <= 0:
            return
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[digest] = (time.monotonic() + self.cache_seconds, principal)

    def _forget_all(self) -> None:
        """After a revocation, a disable or an ended session: what it ends may be cached
        under several digests (a user's keys, the sessions opened with a key)."""
        with self._lock:
            self._cache.clear()

    def _record(
        self,
        conn: Connection,
        kind: str,
        *,
        org_id: str | None = None,
        user_id: str | None = None,
        actor_id: str | None = None,
        address: str | None = None,
        login: str | None = None,
        credential_id: str | None = None,
        detail: str | None = None,
    ) -> None:
        """One row of the audit trail, in the caller's transaction. Never a secret."""
        conn.execute(
            insert(t.auth_events).values(
                id="aev_" + self.ids.new("evt").split("_", 1)[1],
                occurred_at=format_instant(self._now()),
                kind=kind,
                org_id=org_id,
                user_id=user_id,
                actor_id=actor_id,
                address=(address or None) and address[:64],
                login=login if login and LOGIN_PATTERN.match(login) else None,
                credential_id=credential_id,
                detail=detail and detail[:200],
            )
        )

    # --- API keys --------------------------------------------------------------------

    def new_key_id(self) -> str:
        """`akey_` + a time-sortable id body (`key_` names organisations' signing keys)."""
        return "akey_" + self.ids.new("key").split("_", 1)[1]

    def issue_api_key(
        self,
        user_id: str,
        name: str = "default",
        *,
        created_by: str = "cli",
        idempotency_key: str | None = None,
        request_hash: str | None = None,
        origin_key_id: str | None = None,
        address: str | None = None,
    ) -> NewApiKey:
        """Create a key for `user_id` without an authorization check (trusted callers:
        the CLI, the demo, and `create_api_key` after its own check). A disabled user
        gets no key."""
        name = _check_name(name)
        actor = self._actor(user_id)
        if actor is None:
            raise NotFound("unknown_user", f"no user {user_id!r}", "user_id")
        if idempotency_key is not None:
            found = self._replay(idempotency_key, request_hash or "")
            if found is not None:
                return found
        visible = "sk_" + secrets.token_hex(4)
        secret = f"{visible}_{secrets.token_urlsafe(32)}"
        now = self._now()
        key = ApiKey(
            self.new_key_id(),
            user_id,
            actor[0],
            name,
            visible,
            created_by,
            now,
            None,
            origin_key_id,
        )
        try:
            with self.engine.begin() as conn:
                if self._is_disabled(conn, user_id):
                    raise PermissionDenied(
                        "user_disabled",
                        "this user is disabled; an admin of its organisation can enable it",
                        "user_id",
                    )
                if (
                    origin_key_id is not None
                    and conn.execute(
                        select(t.api_keys.c.revoked_at).where(t.api_keys.c.id == origin_key_id)
                    ).scalar()
                    is not None
                ):
                    raise AuthenticationFailed(
                        "api_key_revoked", "the API key behind this request was revoked"
                    )
                conn.execute(
                    insert(t.api_keys).values(
                        id=key.id,
                        user_id=user_id,
                        org_id=key.org_id,
                        name=name,
                        prefix=visible,
                        secret_hash=hash_secret(secret),
                        created_by=created_by,
                        created_at=format_instant(now),
                        revoked_at=None,
                        idempotency_key=idempotency_key,
                        request_hash=request_hash,
                        origin_key_id=origin_key_id,
                    )
                )
                self._record(
                    conn,
                    "api_key_created",
                    org_id=key.org_id,
                    user_id=user_id,
                    actor_id=created_by,
                    address=address,
                    credential_id=key.id,
                    detail=None if origin_key_id is None else f"created through {origin_key_id}",
                )
        except IntegrityError:
            if idempotency_key is None:
                raise
            found = self._replay(idempotency_key, request_hash or "")
            if found is None:
                raise
            return found
        return NewApiKey(key, secret)

    def _replay(self, idempotency_key: str, request_hash: str) -> NewApiKey | None:
        with self.read_engine.connect() as conn:
            row = conn.execute(
                select(t.api_keys).where(t.api_keys.c.idempotency_key == idempotency_key)
            ).first()
        if row is None:
            return None
        if not hmac.compare_digest(row._mapping["request_hash"] or "", request_hash):
            raise Conflict(
                "idempotency_key_reused",
                "this Idempotency-Key was already used for a different request",
                "idempotency_key",
            )
        return NewApiKey(_key_from_row(row), None, replayed=True)

    def _target_org(self, principal: Principal, user_id: str) -> str:
        """The org of `user_id`, if `principal` may know the user exists."""
        actor = self._actor(user_id)
        if actor is None or not (
            principal.user_id == user_id
            or principal.reads_everything
            or principal.org_id == actor[0]
        ):
            raise NotFound("unknown_user", f"no user {user_id!r}", "user_id")
        return actor[0]

    def _may_manage(self, principal: Principal, user_id: str, *, operator_may: bool) -> str:
        """The org of `user_id`, if `principal` may act on that user's credentials: the
        user itself, or an admin of its organisation; and, where `operator_may` (acts that
        stop credentials, never ones that start them), an admin of the operator."""
        org_id = self._target_org(principal, user_id)
        if principal.user_id == user_id:
            return org_id
        if "admin" in principal.permissions and (
            principal.org_id == org_id or (operator_may and principal.has_role("operator"))
        ):
            return org_id
        raise PermissionDenied(
            "permission_required",
            "only the user itself or an admin of its organisation may do this"
            + (" (or an operator admin)" if operator_may else ""),
            "user_id",
        )

    def create_api_key(
        self,
        principal: Principal,
        user_id: str | None,
        name: str,
        *,
        idempotency_key: str | None = None,
        address: str | None = None,
    ) -> NewApiKey:
        """A user creates a key for itself; an admin for a user of its own organisation.
        Nobody, the operator included, mints keys for another organisation's users (the
        first key of a new organisation comes from `issue_api_key`: the CLI)."""
        target = user_id or principal.user_id
        self._may_manage(principal, target, operator_may=False)
        self._approvers_keys_are_their_own(principal, target)
        scoped = None if idempotency_key is None else f"{principal.user_id}:{idempotency_key}"
        request_hash = hash_secret(f"{target}\x00{name}")
        return self.issue_api_key(
            target,
            name,
            created_by=principal.user_id,
            idempotency_key=scoped,
            request_hash=request_hash,
            origin_key_id=principal.origin_key_id,
            address=address,
        )

    def _approvers_keys_are_their_own(self, principal: Principal, user_id: str) -> None:
        """Separation of duties (docs/security.md): an admin hands a checker at most its
        first key; once the checker holds a key, only the checker creates more, so that no
        admin can act as an existing checker."""
        actor = self._actor(user_id)
        if (
            principal.user_id == user_id
            or actor is None
            or not (set(actor[2]) & set(APPROVAL_PERMISSIONS))
        ):
            return
        with self.read_engine.connect() as conn:
            held = conn.execute(
                select(func.count())
                .select_from(t.api_keys)
                .where(t.api_keys.c.user_id == user_id, t.api_keys.c.revoked_at.is_(None))
            ).scalar()
        if held:
            raise PermissionDenied(
                "approver_keys_are_personal",
                f"{user_id} is a checker and already holds an API key: only it creates more "
                "(POST /v1/api_keys, authenticated as itself)",
                "user_id",
            )

    def get_api_key(self, principal: Principal, key_id: str) -> ApiKey:
        with self.read_engine.connect() as conn:
            row = conn.execute(select(t.api_keys).where(t.api_keys.c.id == key_id)).first()
        if row is None:
            raise NotFound("unknown_api_key", f"no API key {key_id!r}", "key_id")
        key = _key_from_row(row)
        if not (
            key.user_id == principal.user_id
            or principal.reads_everything
            or (key.org_id == principal.org_id and "admin" in principal.permissions)
        ):
            raise NotFound("unknown_api_key", f"no API key {key_id!r}", "key_id")
        return key

    def list_api_keys(
        self, principal: Principal, *, limit: int = 20, starting_after: str | None = None
    ) -> tuple[list[ApiKey], bool]:
        """Own keys; an admin also sees its organisation's; operator and auditor all."""
        query = select(t.api_keys).order_by(t.api_keys.c.id).limit(limit + 1)
        if not principal.reads_everything:
            if "admin" in principal.permissions:
                query = query.where(t.api_keys.c.org_id == principal.org_id)
            else:
                query = query.where(t.api_keys.c.user_id == principal.user_id)
        if starting_after:
            query = query.where(t.api_keys.c.id > starting_after)
        with self.read_engine.connect() as conn:
            keys = [_key_from_row(r) for r in conn.execute(query)]
        return keys[:limit], len(keys) > limit

    def revoke_api_key(
        self, principal: Principal, key_id: str, *, address: str | None = None
    ) -> ApiKey:
        """Revoke a key and end every session opened with it: one transaction, committed
        before this returns. Revoking twice is
        harmless. The key's user, an admin of its organisation, or an operator admin."""
        key = self.get_api_key(principal, key_id)
        self._may_manage(principal, key.user_id, operator_may=True)
        now = self._now()
        with self.engine.begin() as conn:
            self._revoke_keys(
                conn, [key_id], now, principal.user_id, address, f"revoked by {principal.user_id}"
            )
            revoked = conn.execute(
                select(t.api_keys.c.revoked_at).where(t.api_keys.c.id == key_id)
            ).scalar_one()
        self._forget_all()
        return replace(key, revoked_at=parse_instant(revoked))

    def _revoke_keys(
        self,
        conn: Connection,
        key_ids: Iterable[str],
        now: datetime,
        actor_id: str,
        address: str | None,
        reason: str,
    ) -> None:
        """Revoke `key_ids` and end the sessions opened with any of them. Keys created
        through them are not revoked (that is how a key is rotated); they name their
        `origin_key_id`, and disabling the user ends everything. Audit rows for what
        actually changed."""
        ids = sorted(set(key_ids))
        if not ids:
            return
        for row in conn.execute(
            select(t.api_keys.c.id, t.api_keys.c.org_id, t.api_keys.c.user_id)
            .where(t.api_keys.c.id.in_(ids), t.api_keys.c.revoked_at.is_(None))
            .order_by(t.api_keys.c.id)
        ).all():
            self._record(
                conn,
                "api_key_revoked",
                org_id=row[1],
                user_id=row[2],
                actor_id=actor_id,
                address=address,
                credential_id=row[0],
                detail=reason,
            )
        conn.execute(
            update(t.api_keys)
            .where(and_(t.api_keys.c.id.in_(ids), t.api_keys.c.revoked_at.is_(None)))
            .values(revoked_at=format_instant(now))
        )
        self._end_sessions(
            conn,
            t.auth_sessions.c.api_key_id.in_(ids),
            now,
            actor_id,
            address,
            "its API key was revoked",
        )

    def _end_sessions(
        self,
        conn: Connection,
        which: Any,
        now: datetime,
        actor_id: str,
        address: str | None,
        reason: str,
    ) -> int:
        live = conn.execute(
            select(t.auth_sessions.c.id_hash, t.auth_sessions.c.user_id, t.users.c.org_id)
            .join(t.users, t.users.c.id == t.auth_sessions.c.user_id)
            .where(which, t.auth_sessions.c.ended_at.is_(None))
        ).all()
        for id_hash, user_id, org_id in live:
            self._record(
                conn,
                "session_ended",
                org_id=org_id,
                user_id=user_id,
                actor_id=actor_id,
                address=address,
                credential_id=public_session_id(id_hash),
                detail=reason,
            )
        if live:
            conn.execute(
                update(t.auth_sessions)
                .where(t.auth_sessions.c.id_hash.in_([r[0] for r in live]))
                .values(ended_at=format_instant(now))
            )
        return len(live)

    def authenticate_api_key(self, secret: str) -> Principal:
        if not API_KEY_PATTERN.match(secret):
            raise AuthenticationFailed(
                "invalid_api_key", "the API key is malformed; keys look like sk_..._..."
            )
        digest = hash_secret(secret)
        cached = self._cached(digest)
        if cached is not None:
            return cached
        with self.read_engine.connect() as conn:
            row = conn.execute(
                select(
                    t.api_keys.c.id,
                    t.api_keys.c.secret_hash,
                    t.api_keys.c.revoked_at,
                    t.users.c.id,
                    t.users.c.org_id,
                    t.users.c.permissions,
                    t.organisations.c.roles,
                    t.disabled_users.c.user_id,
                )
                .join(t.users, t.users.c.id == t.api_keys.c.user_id)
                .join(t.organisations, t.organisations.c.id == t.users.c.org_id)
                .outerjoin(t.disabled_users, t.disabled_users.c.user_id == t.users.c.id)
                .where(t.api_keys.c.secret_hash == digest)
            ).first()
        if row is None or not hmac.compare_digest(row[1], digest):
            raise AuthenticationFailed("invalid_api_key", "no such API key")
        if row[2] is not None:
            raise AuthenticationFailed("api_key_revoked", "this API key was revoked")
        if row[7] is not None:
            raise AuthenticationFailed(
                "user_disabled", "this user is disabled; an admin of its organisation can enable it"
            )
        principal = Principal(
            row[3],
            row[4],
            tuple(json.loads(row[6])),
            tuple(json.loads(row[5])),
            "api_key",
            row[0],
            origin_key_id=row[0],
        )
        self._remember(digest, principal)
        return principal

    # --- passwords (demo logins) -----------------------------------------------------

    def set_password(self, user_id: str, login: str, password: str) -> None:
        """Give a user a login name and password (trusted callers: the demo, the CLI)."""
        if not LOGIN_PATTERN.match(login):
            raise InvalidRequest(
                "invalid_login", "a login is 1-64 of a-z, 0-9, '.', '_', '-'", "login"
            )
        if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            raise InvalidRequest(
                "invalid_password",
                f"a password has {MIN_PASSWORD}-{MAX_PASSWORD} characters",
                "password",
            )
        if self._actor(user_id) is None:
            raise NotFound("unknown_user", f"no user {user_id!r}", "user_id")
        self._store_password(user_id, login, password)

    def _store_password(self, user_id: str, login: str, password: str) -> None:
        salt = secrets.token_bytes(16)
        cost = self._cost()
        with self.engine.begin() as conn:
            conn.execute(
                t.user_passwords.delete().where(
                    or_(t.user_passwords.c.login == login, t.user_passwords.c.user_id == user_id)
                )
            )
            conn.execute(
                insert(t.user_passwords).values(
                    login=login,
                    user_id=user_id,
                    scrypt_hash=_scrypt(password, salt, cost),
                    salt=salt.hex(),
                    params=cost.text,
                    created_at=format_instant(self._now()),
                )
            )

    def check_password(self, login: str, password: str) -> str:
        """The user id for a correct login and password. The hash is checked with the
        parameters it was made with; one made at a lower cost than today's is replaced
        by one at today's cost."""
        row = None
        if LOGIN_PATTERN.match(login) and len(password) <= MAX_PASSWORD:
            with self.read_engine.connect() as conn:
                row = conn.execute(
                    select(
                        t.user_passwords.c.user_id,
                        t.user_passwords.c.scrypt_hash,
                        t.user_passwords.c.salt,
                        t.user_passwords.c.params,
                    ).where(t.user_passwords.c.login == login)
                ).first()
        if row is None:
            _scrypt(password[:MAX_PASSWORD], _DUMMY_SALT, self._cost())  # same cost
            raise AuthenticationFailed("invalid_login", "wrong login or password")
        cost = ScryptCost.parse(row[3])
        if not hmac.compare_digest(_scrypt(password, bytes.fromhex(row[2]), cost), row[1]):
            raise AuthenticationFailed("invalid_login", "wrong login or password")
        if cost != self._cost() and cost.n * cost.r * cost.p < _work(self._cost()):
            self._store_password(str(row[0]), login, password)
        return str(row[0])

    # --- throttling ------------------------------------------------------------------

    @staticmethod
    def _scopes(login: str, address: str | None) -> list[str]:
        # A login that cannot exist may be a password typed in the wrong field: only its
        # hash is kept.
        scopes = [
            "login:" + (login if LOGIN_PATTERN.match(login) else "#" + hash_secret(login)[:32])
        ]
        if address:
            scopes.append("address:" + address[:64])
        return scopes

    def _check_throttle(self, scopes: list[str], now: datetime) -> None:
        with self.read_engine.connect() as conn:
            locks = (
                conn.execute(
                    select(t.login_throttles.c.locked_until).where(
                        t.login_throttles.c.scope.in_(scopes),
                        t.login_throttles.c.locked_until.is_not(None),
                    )
                )
                .scalars()
                .all()
            )
        until = max((parse_instant(x) for x in locks), default=None)
        if until is not None and until > now:
            raise LoginThrottled(max(1, math.ceil((until - now).total_seconds())))

    def _count_failure(self, conn: Connection, scope: str, now: datetime) -> datetime | None:
        """Count one failure of `scope`; the instant it is now locked until, if it is."""
        row = conn.execute(
            select(t.login_throttles.c.failures, t.login_throttles.c.last_failure_at)
            .where(t.login_throttles.c.scope == scope)
            .with_for_update()
        ).first()
        stamp = format_instant(now)
        if row is None:
            failures = 1
            conn.execute(
                insert(t.login_throttles).values(
                    scope=scope, failures=1, last_failure_at=stamp, locked_until=None
                )
            )
        else:
            fresh = parse_instant(row[1]) + FAILURE_WINDOW < now
            failures = 1 if fresh else int(row[0]) + 1
        free = LOGIN_FREE_FAILURES if scope.startswith("login:") else ADDRESS_FREE_FAILURES
        until = None
        if failures >= free:
            wait = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** min(failures - free, 30))
            until = now + wait
        if row is not None:
            conn.execute(
                update(t.login_throttles)
                .where(t.login_throttles.c.scope == scope)
                .values(
                    failures=failures,
                    last_failure_at=stamp,
                    locked_until=None if until is None else format_instant(until),
                )
            )
        return until

    def _login_failed(self, login: str, address: str | None, now: datetime) -> None:
        who = None
        if LOGIN_PATTERN.match(login):
            with self.read_engine.connect() as conn:
                who = conn.execute(
                    select(t.user_passwords.c.user_id, t.users.c.org_id)
                    .join(t.users, t.users.c.id == t.user_passwords.c.user_id)
                    .where(t.user_passwords.c.login == login)
                ).first()
        user_id, org_id = (who[0], who[1]) if who is not None else (None, None)
        for attempt in range(3):
            try:
                with self.engine.begin() as conn:
                    self._record(
                        conn,
                        "login_failed",
                        org_id=org_id,
                        user_id=user_id,
                        address=address,
                        login=login,
                        detail="wrong password" if who is not None else "unknown login",
                    )
                    for scope in self._scopes(login, address):
                        until = self._count_failure(conn, scope, now)
                        if until is not None:
                            self._record(
                                conn,
                                "login_throttled",
                                org_id=org_id,
                                user_id=user_id,
                                address=address,
                                login=login,
                                detail=f"{scope.split(':')[0]} locked for "
                                f"{(until - now).total_seconds():g} s",
                            )
                return
            except IntegrityError:  # another worker counted the first failure at once
                if attempt == 2:
                    raise

    def login_with_password(
        self, login: str, password: str, *, address: str | None = None
    ) -> NewSession:
        """Check a password and open a session, unless this login or this address is
        locked after too many failures (`LoginThrottled`: the password is then not even
        checked). Failures are counted, and every outcome recorded in the audit trail."""
        now = self._now()
        scopes = self._scopes(login, address)
        self._check_throttle(scopes, now)
        try:
            user_id = self.check_password(login, password)
        except AuthenticationFailed:
            self._login_failed(login, address, now)
            raise
        with self.engine.begin() as conn:
            conn.execute(delete(t.login_throttles).where(t.login_throttles.c.scope == scopes[0]))
        return self.start_session(user_id, address=address, login=login)

    # --- sessions --------------------------------------------------------------------

    def start_session(
        self,
        user_id: str,
        *,
        api_key_id: str | None = None,
        address: str | None = None,
        login: str | None = None,
    ) -> NewSession:
        """A browser session for a user whose credentials were just checked; it remembers
        the API key it was opened with (`api_key_id`; None for a password)."""
        actor = self._actor(user_id)
        if actor is None:
            raise AuthenticationFailed("invalid_login", "wrong login or password")
        session_id = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = self._now()
        expires = now + self.session_ttl
        digest = hash_secret(session_id)
        with self.engine.begin() as conn:
            if self._is_disabled(conn, user_id):
                raise AuthenticationFailed(
                    "user_disabled",
                    "this user is disabled; an admin of its organisation can enable it",
                )
            conn.execute(
                insert(t.auth_sessions).values(
                    id_hash=digest,
                    user_id=user_id,
                    csrf_token=csrf,
                    created_at=format_instant(now),
                    expires_at=format_instant(expires),
                    ended_at=None,
                    api_key_id=api_key_id,
                    address=(address or None) and address[:64],
                )
            )
            self._record(
                conn,
                "login_succeeded",
                org_id=actor[0],
                user_id=user_id,
                actor_id=user_id,
                address=address,
                login=login,
                credential_id=public_session_id(digest),
                detail="with API key " + api_key_id if api_key_id else "with password",
            )
        principal = Principal(
            user_id, actor[0], actor[1], actor[2], "session", digest, csrf, expires, api_key_id
        )
        return NewSession(session_id, principal, expires)

    def login_with_api_key(self, secret: str, *, address: str | None = None) -> NewSession:
        key = self.authenticate_api_key(secret)
        return self.start_session(key.user_id, api_key_id=key.credential_id, address=address)

    def authenticate_session(self, session_id: str) -> Principal:
        if not SESSION_PATTERN.match(session_id):
            raise AuthenticationFailed("invalid_session", "no such session; log in again")
        digest = hash_secret(session_id)
        principal = self._cached(digest)
        if principal is None:
            with self.read_engine.connect() as conn:
                row = conn.execute(
                    select(
                        t.auth_sessions.c.id_hash,
                        t.auth_sessions.c.csrf_token,
                        t.auth_sessions.c.expires_at,
                        t.auth_sessions.c.ended_at,
                        t.users.c.id,
                        t.users.c.org_id,
                        t.users.c.permissions,
                        t.organisations.c.roles,
                        t.auth_sessions.c.api_key_id,
                        t.api_keys.c.revoked_at,
                        t.disabled_users.c.user_id,
                    )
                    .join(t.users, t.users.c.id == t.auth_sessions.c.user_id)
                    .join(t.organisations, t.organisations.c.id == t.users.c.org_id)
                    .outerjoin(t.api_keys, t.api_keys.c.id == t.auth_sessions.c.api_key_id)
                    .outerjoin(t.disabled_users, t.disabled_users.c.user_id == t.users.c.id)
                    .where(t.auth_sessions.c.id_hash == digest)
                ).first()
            if row is None or not hmac.compare_digest(row[0], digest) or row[3] is not None:
                raise AuthenticationFailed("invalid_session", "no such session; log in again")
            if row[9] is not None:
                raise AuthenticationFailed(
                    "invalid_session",
                    "the API key this session was opened with was revoked; log in again",
                )
            if row[10] is not None:
                raise AuthenticationFailed(
                    "user_disabled",
                    "this user is disabled; an admin of its organisation can enable it",
                )
            principal = Principal(
                row[4],
                row[5],
                tuple(json.loads(row[7])),
                tuple(json.loads(row[6])),
                "session",
                digest,
                row[1],
                parse_instant(row[2]),
                row[8],
            )
            self._remember(digest, principal)
        assert principal.session_expires_at is not None
        if principal.session_expires_at <= self._now():
            raise AuthenticationFailed("session_expired", "the session has expired; log in again")
        return principal

    def end_session(self, principal: Principal, *, address: str | None = None) -> None:
        """Log out: end the caller's own session."""
        if principal.method != "session":
            return
        with self.engine.begin() as conn:
            self._end_sessions(
                conn,
                t.auth_sessions.c.id_hash == principal.credential_id,
                self._now(),
                principal.user_id,
                address,
                "logged out",
            )
        self._forget_all()

    def _session_row(self, conn: Connection, session_id: str) -> Any:
        prefix = session_id[4:] if PUBLIC_SESSION_PATTERN.match(session_id) else None
        if prefix is None:
            return None
        # A range on the primary key: the public id is a prefix of the stored hash.
        return conn.execute(
            select(t.auth_sessions, t.users.c.org_id)
            .join(t.users, t.users.c.id == t.auth_sessions.c.user_id)
            .where(t.auth_sessions.c.id_hash >= prefix, t.auth_sessions.c.id_hash < prefix + "g")
        ).first()

    def list_sessions(
        self,
        principal: Principal,
        *,
        limit: int = 20,
        starting_after: str | None = None,
        include_ended: bool = False,
        user_id: str | None = None,
    ) -> tuple[list[SessionRecord], bool]:
        """Sessions of the caller's own organisation (an admin) or its own (anyone else);
        live ones unless `include_ended`. Never another organisation's, operator or not."""
        now = format_instant(self._now())
        query = (
            select(t.auth_sessions, t.users.c.org_id)
            .join(t.users, t.users.c.id == t.auth_sessions.c.user_id)
            .where(t.users.c.org_id == principal.org_id)
            .order_by(t.auth_sessions.c.id_hash)
            .limit(limit + 1)
        )
        if "admin" not in principal.permissions:
            query = query.where(t.auth_sessions.c.user_id == principal.user_id)
        if user_id is not None:
            query = query.where(t.auth_sessions.c.user_id == user_id)
        if not include_ended:
            query = query.where(
                t.auth_sessions.c.ended_at.is_(None), t.auth_sessions.c.expires_at > now
            )
        if starting_after:
            if not PUBLIC_SESSION_PATTERN.match(starting_after):
                raise InvalidRequest(
                    "invalid_cursor",
                    "starting_after is a session id (ses_ and 24 hex digits)",
                    "starting_after",
                )
            query = query.where(t.auth_sessions.c.id_hash >= starting_after[4:] + "g")
        with self.read_engine.connect() as conn:
            rows = [_session_from_row(r) for r in conn.execute(query)]
        return rows[:limit], len(rows) > limit

    def end_session_by_id(
        self, principal: Principal, session_id: str, *, address: str | None = None
    ) -> SessionRecord:
        """End one session: its own user, or an admin of that user's organisation.
        Ending an ended session is harmless."""
        with self.read_engine.connect() as conn:
            row = self._session_row(conn, session_id)
        if row is None or not (row.user_id == principal.user_id or row.org_id == principal.org_id):
            raise NotFound("unknown_session", f"no session {session_id!r}", "session_id")
        if row.user_id != principal.user_id and "admin" not in principal.permissions:
            raise PermissionDenied(
                "permission_required",
                "only the session's user or an admin of its organisation ends a session",
                "session_id",
            )
        with self.engine.begin() as conn:
            self._end_sessions(
                conn,
                t.auth_sessions.c.id_hash == row.id_hash,
                self._now(),
                principal.user_id,
                address,
                f"ended by {principal.user_id}",
            )
            fresh = self._session_row(conn, session_id)
        self._forget_all()
        return _session_from_row(fresh)

    # --- users -----------------------------------------------------------------------

    def disable_user(
        self, principal: Principal, user_id: str, *, address: str | None = None
    ) -> None:
        """Disable a user at once: its keys are revoked, its
        sessions end, and it cannot log in or get a key until enabled again. An admin of
        its organisation, or an operator admin (stopping credentials, never starting
        them); not oneself."""
        org_id = self._may_manage(principal, user_id, operator_may=True)
        if principal.user_id == user_id:
            raise PermissionDenied(
                "cannot_disable_self",
                "ask another admin of your organisation to disable this user",
                "user_id",
            )
        now = self._now()
        with self.engine.begin() as conn:
            if not self._is_disabled(conn, user_id):
                conn.execute(
                    insert(t.disabled_users).values(
                        user_id=user_id,
                        org_id=org_id,
                        disabled_by=principal.user_id,
                        disabled_at=format_instant(now),
                    )
                )
                self._record(
                    conn,
                    "user_disabled",
                    org_id=org_id,
                    user_id=user_id,
                    actor_id=principal.user_id,
                    address=address,
                )
            keys = (
                conn.execute(select(t.api_keys.c.id).where(t.api_keys.c.user_id == user_id))
                .scalars()
                .all()
            )
            self._revoke_keys(conn, keys, now, principal.user_id, address, "its user was disabled")
            self._end_sessions(
                conn,
                t.auth_sessions.c.user_id == user_id,
                now,
                principal.user_id,
                address,
                "its user was disabled",
            )
        self._forget_all()

    def enable_user(
        self, principal: Principal, user_id: str, *, address: str | None = None
    ) -> None:
        """Let a disabled user log in again (its old keys stay revoked). An admin of its
        organisation only."""
        org_id = self._may_manage(principal, user_id, operator_may=False)
        if principal.user_id == user_id:
            raise PermissionDenied(
                "permission_required", "an admin of your organisation enables you", "user_id"
            )
        with self.engine.begin() as conn:
            gone = conn.execute(
                delete(t.disabled_users).where(t.disabled_users.c.user_id == user_id)
            ).rowcount
            if gone:
                self._record(
                    conn,
                    "user_enabled",
                    org_id=org_id,
                    user_id=user_id,
                    actor_id=principal.user_id,
                    address=address,
                )

    def user_disabled(self, user_id: str) -> bool:
        with self.read_engine.connect() as conn:
            return self._is_disabled(conn, user_id)

    # --- audit trail -----------------------------------------------------------------

    def list_auth_events(
        self,
        principal: Principal,
        *,
        limit: int = 20,
        starting_after: str | None = None,
        kind: str | None = None,
        user_id: str | None = None,
    ) -> tuple[list[AuthEvent], bool]:
        """The audit trail: an admin sees its organisation's; an operator admin sees
        everything (failed logins of unknown names included). Oldest first."""
        if "admin" not in principal.permissions:
            raise PermissionDenied(
                "permission_required", "only admins read the security audit trail", "user_id"
            )
        query = select(t.auth_events).order_by(t.auth_events.c.id).limit(limit + 1)
        if not principal.has_role("operator"):
            query = query.where(t.auth_events.c.org_id == principal.org_id)
        if kind is not None:
            query = query.where(t.auth_events.c.kind == kind)
        if user_id is not None:
            query = query.where(t.auth_events.c.user_id == user_id)
        if starting_after:
            query = query.where(t.auth_events.c.id > starting_after)
        with self.read_engine.connect() as conn:
            rows = [_event_from_row(r) for r in conn.execute(query)]
        return rows[:limit], len(rows) > limit

    # --- CSRF ------------------------------------------------------------------------

    @staticmethod
    def check_csrf(principal: Principal, token: str | None) -> None:
        """Cookie-authenticated state changes must echo the session's CSRF token."""
        if principal.method != "session":
            return
        if not token:
            raise PermissionDenied(
                "csrf_token_missing",
                "send the session's CSRF token in the X-CSRF-Token header",
                "X-CSRF-Token",
            )
        expected = principal.csrf_token or ""
        if not hmac.compare_digest(token.encode(), expected.encode()):
            raise PermissionDenied(
                "csrf_token_invalid",
                "the CSRF token does not match the session; reload the page",
                "X-CSRF-Token",
            )

    def count_sessions(self) -> int:
        with self.read_engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(t.auth_sessions)).scalar_one())


def _work(cost: ScryptCost) -> int:
    return cost.n * cost.r * cost.p


def _session_from_row(row: Any) -> SessionRecord:
    m = row._mapping
    return SessionRecord(
        public_session_id(m["id_hash"]),
        m["user_id"],
        m["org_id"],
        m["api_key_id"],
        m["address"],
        parse_instant(m["created_at"]),
        parse_instant(m["expires_at"]),
        None if m["ended_at"] is None else parse_instant(m["ended_at"]),
    )


def _event_from_row(row: Any) -> AuthEvent:
    m = row._mapping
    return AuthEvent(
        m["id"],
        parse_instant(m["occurred_at"]),
        m["kind"],
        m["org_id"],
        m["user_id"],
        m["actor_id"],
        m["address"],
        m["login"],
        m["credential_id"],
        m["detail"],
    )


def _check_name(name: str) -> str:
    if not 1 <= len(name) <= 100 or any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise InvalidRequest("invalid_name", "a key name is 1-100 printable characters", "name")
    return name
