"""Custodial keys: Ed25519 seeds the server holds for organisations that chose it.

Seeds are sealed with AES-256-GCM under the deployment's master key before they touch the
database (the key id is the associated data, so a sealed seed cannot be moved to another
key's row). The master key comes from `OPENSCF_MASTER_KEY` (base64 of 32 bytes) or from a
key file created on first use with mode 0600: next to a SQLite database
(`openscf.db` -> `openscf.db.key`), else `$OPENSCF_DATA_DIR/master.key`
(default `~/.local/share/openscf/master.key`). Secrets are never logged or exported.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from openscf.errors import InternalError
from openscf.settings import load_settings

__all__ = ["MasterKey", "MasterKeyError", "install_master_key", "master_key_path"]


class MasterKeyError(InternalError):
    """The system's: the deployment's master key is missing, unreadable or malformed, so
    custodial keys cannot be used. The operator fixes the configuration."""

    code = "master_key_unavailable"

    def __init__(self, message: str) -> None:
        super().__init__(type(self).code, message)


class MasterKey:
    __slots__ = ("_aead",)

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise MasterKeyError("the master key must be 32 bytes")
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return "MasterKey(<sealed>)"

    @classmethod
    def for_database(cls, url: str) -> MasterKey:
        settings = load_settings()
        configured = settings.master_key
        if configured:
            try:
                return cls(base64.b64decode(configured, validate=True))
            except ValueError:
                raise MasterKeyError("OPENSCF_MASTER_KEY is not base64 of 32 bytes") from None
        return cls.from_file(master_key_path(url))

    @classmethod
    def from_file(cls, path: Path) -> MasterKey:
        """Read the key file, or create it (0600, exclusive) when it does not exist."""
        try:
            return cls(path.read_bytes())
        except FileNotFoundError:
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        key = os.urandom(32)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process won the race: use its key
            return cls(path.read_bytes())
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
        return cls(key)

    def seal(self, key_id: str, seed: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, seed, key_id.encode())

    def unseal(self, key_id: str, sealed: bytes) -> bytes:
        try:
            return self._aead.decrypt(sealed[:12], sealed[12:], key_id.encode())
        except Exception:
            raise MasterKeyError(
                f"cannot unseal custodial key {key_id}: wrong master key or damaged row"
            ) from None


def master_key_path(url: str) -> Path:
    """Where the master key file of the database at `url` lives (when OPENSCF_MASTER_KEY
    is not set): next to a SQLite file, else under $OPENSCF_DATA_DIR."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        return Path(url[len("sqlite:///") :] + ".key")
    base = load_settings().data_dir or str(Path.home() / ".local" / "share" / "openscf")
    return Path(base) / "master.key"


def install_master_key(source: Path, url: str) -> Path:
    """Copy a backed-up master key file to where the database at `url` looks for it (mode
    0600). Refuses a file that is not a key, and a different key already in place."""
    try:
        key = source.read_bytes()
    except OSError as exc:
        raise MasterKeyError(f"cannot read the master key file {source}: {exc.strerror}") from None
    MasterKey(key)  # 32 bytes, or one line saying so
    target = master_key_path(url)
    if target.exists():
        if target.read_bytes() != key:
            raise MasterKeyError(
                f"{target} holds another master key; move it away first (custodial keys "
                "sealed under it would be lost)"
            )
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return target
