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

__all__ = ["MasterKey", "MasterKeyError"]


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
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            path = Path(url[len("sqlite:///") :] + ".key")
        else:
            base = settings.data_dir or str(Path.home() / ".local" / "share" / "openscf")
            path = Path(base) / "master.key"
        return cls.from_file(path)

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
