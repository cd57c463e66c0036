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
    ``hashlib.scrypt`` (n=2**14, r=8, p=1, 16-byte salt, 32-byte output). A login name
    maps to one user. Unknown logins still cost one scrypt, so timing does not reveal
    which logins exist.

Nothing here logs a secret; `Principal` and the records never hold one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from openscf.app.clock import Clock, IdFactory, SystemClock
from openscf.domain.errors import (
    Conflict,
    InvalidRequest,
    NotFound,
    OpenSCFError,
    PermissionDenied,
)
from openscf.domain.events import format_instant, parse_instant
from openscf.domain.model import APPROVAL_PERMISSIONS
from openscf.store import tables as t

__all__ = [
    "ApiKey",
    "AuthenticationFailed",
    "Authenticator",
    "NewApiKey",
    "NewSession",
    "Principal",
    "hash_secret",
]

API_KEY_PATTERN = re.compile(r"^sk_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$")
SESSION_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")
LOGIN_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
FULL_READERS = frozenset({"auditor", "operator"})


class AuthenticationFailed(OpenSCFError):
    """No credentials, or credentials that are unknown, revoked, expired or malformed."""

    type = "authentication_error"


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


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _scrypt(password: str, salt: bytes) -> str:
    return hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
                          dklen=32, maxmem=64 * 1024 * 1024).hex()


_DUMMY_SALT = b"openscf-no-such-login"


def _key_from_row(row: Any) -> ApiKey:
    m = row._mapping
    return ApiKey(m["id"], m["user_id"], m["org_id"], m["name"], m["prefix"], m["created_by"],
                  parse_instant(m["created_at"]),
                  None if m["revoked_at"] is None else parse_instant(m["revoked_at"]))


class Authenticator:
    """Issues, checks and revokes credentials.

    `engine` takes writes; `read_engine` (default: the same) serves the per-request
    lookups. A successful lookup is cached for `cache_seconds` so a busy client costs no
    query per request; revoking or ending through this object drops the cache entry at
    once, and other processes see a revocation within `cache_seconds`.
    """

    def __init__(self, engine: Engine, clock: Clock | None = None, *,
                 read_engine: Engine | None = None,
                 session_ttl: timedelta = timedelta(hours=8),
                 cache_seconds: float = 2.0, seed: int | None = None) -> None:
        self.engine = engine
        self.read_engine = read_engine or engine
        self.clock = clock or SystemClock()
        self.ids = IdFactory(self.clock, seed)
        self.session_ttl = session_ttl
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    # --- helpers ---------------------------------------------------------------------

    def _now(self) -> datetime:
        return self.clock.now()

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

    def _forget(self, digest: str) -> None:
        with self._lock:
            self._cache.pop(digest, None)

    # --- API keys --------------------------------------------------------------------

    def new_key_id(self) -> str:
        """`akey_` + a time-sortable id body (`key_` names organisations' signing keys)."""
        return "akey_" + self.ids.new("key").split("_", 1)[1]

    def issue_api_key(self, user_id: str, name: str = "default", *,
                      created_by: str = "cli", idempotency_key: str | None = None,
                      request_hash: str | None = None) -> NewApiKey:
        """Create a key for `user_id` without an authorization check (trusted callers:
        the CLI, the demo, and `create_api_key` after its own check)."""
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
        key = ApiKey(self.new_key_id(), user_id, actor[0], name, visible, created_by, now,
                     None)
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(t.api_keys).values(
                    id=key.id, user_id=user_id, org_id=key.org_id, name=name, prefix=visible,
                    secret_hash=hash_secret(secret), created_by=created_by,
                    created_at=format_instant(now), revoked_at=None,
                    idempotency_key=idempotency_key, request_hash=request_hash))
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
            row = conn.execute(select(t.api_keys).where(
                t.api_keys.c.idempotency_key == idempotency_key)).first()
        if row is None:
            return None
        if not hmac.compare_digest(row._mapping["request_hash"] or "", request_hash):
            raise Conflict("idempotency_key_reused",
                           "this Idempotency-Key was already used for a different request",
                           "idempotency_key")
        return NewApiKey(_key_from_row(row), None, replayed=True)

    def _may_manage(self, principal: Principal, user_id: str) -> str:
        """The org of `user_id`, if `principal` may manage that user's keys."""
        actor = self._actor(user_id)
        if actor is None or not (
                principal.user_id == user_id or principal.reads_everything
                or principal.org_id == actor[0]):
            raise NotFound("unknown_user", f"no user {user_id!r}", "user_id")
        if principal.user_id == user_id:
            return actor[0]
        if "admin" not in principal.permissions or not (
                principal.org_id == actor[0] or principal.has_role("operator")):
            raise PermissionDenied(
                "permission_required",
                "only the user itself, an admin of its organisation or an operator admin "
                "manages its API keys", "user_id")
        return actor[0]

    def create_api_key(self, principal: Principal, user_id: str | None, name: str, *,
                       idempotency_key: str | None = None) -> NewApiKey:
        """A user creates a key for itself; an admin for a user of its organisation; an
        operator admin for any user (onboarding a new organisation)."""
        target = user_id or principal.user_id
        self._may_manage(principal, target)
        self._approvers_keys_are_their_own(principal, target)
        scoped = None if idempotency_key is None else f"{principal.user_id}:{idempotency_key}"
        request_hash = hash_secret(f"{target}\x00{name}")
        return self.issue_api_key(target, name, created_by=principal.user_id,
                                  idempotency_key=scoped, request_hash=request_hash)

    def _approvers_keys_are_their_own(self, principal: Principal, user_id: str) -> None:
        """Separation of duties (docs/security.md): an admin hands a checker at most its
        first key; once the checker holds a key, only the checker creates more, so that no
        admin can act as an existing checker."""
        actor = self._actor(user_id)
        if principal.user_id == user_id or actor is None or not (
                set(actor[2]) & set(APPROVAL_PERMISSIONS)):
            return
        with self.read_engine.connect() as conn:
            held = conn.execute(select(func.count()).select_from(t.api_keys).where(
                t.api_keys.c.user_id == user_id, t.api_keys.c.revoked_at.is_(None))).scalar()
        if held:
            raise PermissionDenied(
                "approver_keys_are_personal",
                f"{user_id} is a checker and already holds an API key: only it creates more "
                "(POST /v1/api_keys, authenticated as itself)", "user_id")

    def get_api_key(self, principal: Principal, key_id: str) -> ApiKey:
        with self.read_engine.connect() as conn:
            row = conn.execute(select(t.api_keys).where(t.api_keys.c.id == key_id)).first()
        if row is None:
            raise NotFound("unknown_api_key", f"no API key {key_id!r}", "key_id")
        key = _key_from_row(row)
        if not (key.user_id == principal.user_id or principal.reads_everything or (
                key.org_id == principal.org_id and "admin" in principal.permissions)):
            raise NotFound("unknown_api_key", f"no API key {key_id!r}", "key_id")
        return key

    def list_api_keys(self, principal: Principal, *, limit: int = 20,
                      starting_after: str | None = None) -> tuple[list[ApiKey], bool]:
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

    def revoke_api_key(self, principal: Principal, key_id: str) -> ApiKey:
        key = self.get_api_key(principal, key_id)
        self._may_manage(principal, key.user_id)
        if key.revoked_at is not None:
            return key  # revoking twice is harmless: same answer
        now = self._now()
        with self.engine.begin() as conn:
            conn.execute(update(t.api_keys).where(and_(
                t.api_keys.c.id == key_id, t.api_keys.c.revoked_at.is_(None))).values(
                revoked_at=format_instant(now)))
            digest = conn.execute(select(t.api_keys.c.secret_hash).where(
                t.api_keys.c.id == key_id)).scalar_one()
        self._forget(digest)
        return replace(key, revoked_at=now)

    def authenticate_api_key(self, secret: str) -> Principal:
        if not API_KEY_PATTERN.match(secret):
            raise AuthenticationFailed("invalid_api_key",
                                       "the API key is malformed; keys look like sk_..._...")
        digest = hash_secret(secret)
        cached = self._cached(digest)
        if cached is not None:
            return cached
        with self.read_engine.connect() as conn:
            row = conn.execute(
                select(t.api_keys.c.id, t.api_keys.c.secret_hash, t.api_keys.c.revoked_at,
                       t.users.c.id, t.users.c.org_id, t.users.c.permissions,
                       t.organisations.c.roles)
                .join(t.users, t.users.c.id == t.api_keys.c.user_id)
                .join(t.organisations, t.organisations.c.id == t.users.c.org_id)
                .where(t.api_keys.c.secret_hash == digest)
            ).first()
        if row is None or not hmac.compare_digest(row[1], digest):
            raise AuthenticationFailed("invalid_api_key", "no such API key")
        if row[2] is not None:
            raise AuthenticationFailed("api_key_revoked", "this API key was revoked")
        principal = Principal(row[3], row[4], tuple(json.loads(row[6])),
                              tuple(json.loads(row[5])), "api_key", row[0])
        self._remember(digest, principal)
        return principal

    # --- passwords (demo logins) -----------------------------------------------------

    def set_password(self, user_id: str, login: str, password: str) -> None:
        """Give a user a login name and password (trusted callers: the demo, the CLI)."""
        if not LOGIN_PATTERN.match(login):
            raise InvalidRequest("invalid_login", "a login is 1-64 of a-z, 0-9, '.', '_', '-'",
                                 "login")
        if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            raise InvalidRequest("invalid_password",
                                 f"a password has {MIN_PASSWORD}-{MAX_PASSWORD} characters",
                                 "password")
        if self._actor(user_id) is None:
            raise NotFound("unknown_user", f"no user {user_id!r}", "user_id")
        salt = secrets.token_bytes(16)
        with self.engine.begin() as conn:
            conn.execute(t.user_passwords.delete().where(or_(
                t.user_passwords.c.login == login, t.user_passwords.c.user_id == user_id)))
            conn.execute(insert(t.user_passwords).values(
                login=login, user_id=user_id, scrypt_hash=_scrypt(password, salt),
                salt=salt.hex(), params=f"scrypt:{SCRYPT_N}:{SCRYPT_R}:{SCRYPT_P}",
                created_at=format_instant(self._now())))

    def check_password(self, login: str, password: str) -> str:
        """The user id for a correct login and password."""
        row = None
        if LOGIN_PATTERN.match(login) and len(password) <= MAX_PASSWORD:
            with self.read_engine.connect() as conn:
                row = conn.execute(select(
                    t.user_passwords.c.user_id, t.user_passwords.c.scrypt_hash,
                    t.user_passwords.c.salt).where(t.user_passwords.c.login == login)).first()
        if row is None:
            _scrypt(password[:MAX_PASSWORD], _DUMMY_SALT)  # same cost as a real check
            raise AuthenticationFailed("invalid_login", "wrong login or password")
        if not hmac.compare_digest(_scrypt(password, bytes.fromhex(row[2])), row[1]):
            raise AuthenticationFailed("invalid_login", "wrong login or password")
        return str(row[0])

    # --- sessions --------------------------------------------------------------------

    def start_session(self, user_id: str) -> NewSession:
        """A browser session for a user whose credentials were just checked."""
        actor = self._actor(user_id)
        if actor is None:
            raise AuthenticationFailed("invalid_login", "wrong login or password")
        session_id = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = self._now()
        expires = now + self.session_ttl
        digest = hash_secret(session_id)
        with self.engine.begin() as conn:
            conn.execute(insert(t.auth_sessions).values(
                id_hash=digest, user_id=user_id, csrf_token=csrf,
                created_at=format_instant(now), expires_at=format_instant(expires),
                ended_at=None))
        principal = Principal(user_id, actor[0], actor[1], actor[2], "session", digest, csrf,
                              expires)
        return NewSession(session_id, principal, expires)

    def login_with_password(self, login: str, password: str) -> NewSession:
        return self.start_session(self.check_password(login, password))

    def login_with_api_key(self, secret: str) -> NewSession:
        return self.start_session(self.authenticate_api_key(secret).user_id)

    def authenticate_session(self, session_id: str) -> Principal:
        if not SESSION_PATTERN.match(session_id):
            raise AuthenticationFailed("invalid_session", "no such session; log in again")
        digest = hash_secret(session_id)
        principal = self._cached(digest)
        if principal is None:
            with self.read_engine.connect() as conn:
                row = conn.execute(
                    select(t.auth_sessions.c.id_hash, t.auth_sessions.c.csrf_token,
                           t.auth_sessions.c.expires_at, t.auth_sessions.c.ended_at,
                           t.users.c.id, t.users.c.org_id, t.users.c.permissions,
                           t.organisations.c.roles)
                    .join(t.users, t.users.c.id == t.auth_sessions.c.user_id)
                    .join(t.organisations, t.organisations.c.id == t.users.c.org_id)
                    .where(t.auth_sessions.c.id_hash == digest)
                ).first()
            if row is None or not hmac.compare_digest(row[0], digest) or row[3] is not None:
                raise AuthenticationFailed("invalid_session", "no such session; log in again")
            principal = Principal(row[4], row[5], tuple(json.loads(row[7])),
                                  tuple(json.loads(row[6])), "session", digest, row[1],
                                  parse_instant(row[2]))
            self._remember(digest, principal)
        assert principal.session_expires_at is not None
        if principal.session_expires_at <= self._now():
            raise AuthenticationFailed("session_expired", "the session has expired; log in again")
        return principal

    def end_session(self, principal: Principal) -> None:
        if principal.method != "session":
            return
        with self.engine.begin() as conn:
            conn.execute(update(t.auth_sessions).where(
                t.auth_sessions.c.id_hash == principal.credential_id).values(
                ended_at=format_instant(self._now())))
        self._forget(principal.credential_id)

    @staticmethod
    def check_csrf(principal: Principal, token: str | None) -> None:
        """Cookie-authenticated state changes must echo the session's CSRF token."""
        if principal.method != "session":
            return
        if not token:
            raise PermissionDenied("csrf_token_missing",
                                   "send the session's CSRF token in the X-CSRF-Token header",
                                   "X-CSRF-Token")
        expected = principal.csrf_token or ""
        if not hmac.compare_digest(token.encode(), expected.encode()):
            raise PermissionDenied("csrf_token_invalid", "the CSRF token does not match the "
                                   "session; reload the page", "X-CSRF-Token")

    def count_sessions(self) -> int:
        with self.read_engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(t.auth_sessions))
                       .scalar_one())


def _check_name(name: str) -> str:
    if not 1 <= len(name) <= 100 or any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise InvalidRequest("invalid_name", "a key name is 1-100 printable characters", "name")
    return name
