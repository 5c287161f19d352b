"""Key ring use cases: first key generation, rotation, listing, and loading the active signers."""

from __future__ import annotations

import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from registry.core import keyfile
from registry.core.canonical import b64url_encode, format_instant
from registry.core.errors import KeyRingError
from registry.core.keys import KeyRing, Signer, VerifyingKey
from registry.core.keystore import KeyDirectory, read_passphrase
from registry.extensions import db
from registry.models import SigningKey
from registry.services import checkpoints, log


@dataclass(frozen=True)
class KeySettings:
    directory: Path
    passphrase: str | None
    passphrase_file: Path
    # IKRAR_TEST_FAST_KDF: the test suite's fast, unprotected KDF parameters (never in production).
    fast_test_kdf: bool = False

    def key_directory(self) -> KeyDirectory:
        return KeyDirectory(self.directory, keyfile.TEST_ONLY if self.fast_test_kdf else keyfile.DEFAULT)


def _verifying_key(row: SigningKey) -> VerifyingKey:
    return VerifyingKey(row.kid, row.public_key, row.purpose, row.status, row.not_before, row.not_after)


def keyring() -> KeyRing:
    """Every key ever used, as recorded in the database (the pinned ring)."""
    rows = db.session.execute(select(SigningKey)).scalars()
    return KeyRing(_verifying_key(row) for row in rows)


# The public verify endpoints answer many requests a second for a ring that changes only on a
# key rotation: they reuse a recent copy (docs/PERFORMANCE.md). A ring that does not know the
# asked-for key id is re-read at once, so a record signed with a just-rotated key verifies.
RING_TTL_SECONDS = 5.0


def recent_keyring(kid: str) -> KeyRing:
    """The pinned ring as read at most RING_TTL_SECONDS ago, or now if it lacks ``kid``."""
    # Kept on the application: one per app (and so per database), never shared between apps.
    cache: dict[str, tuple[float, KeyRing]] = current_app.extensions.setdefault("ikrar.recent_ring", {})
    cached = cache.get("ring")
    now = time.monotonic()
    if cached is not None and now - cached[0] < RING_TTL_SECONDS and kid in cached[1]:
        return cached[1]
    ring = keyring()
    cache["ring"] = (now, ring)
    return ring


def active_kid(purpose: str) -> str | None:
    return db.session.execute(
        select(SigningKey.kid).where(SigningKey.purpose == purpose, SigningKey.status == "active")
    ).scalar_one_or_none()


def _ensure_embedded_passphrase(settings: KeySettings) -> None:
    """In embedded mode, with no passphrase configured, create a random one in a 0600 file."""
    if settings.passphrase or settings.passphrase_file.exists():
        return
    settings.passphrase_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(settings.passphrase_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_urlsafe(32) + "\n")


def passphrase(settings: KeySettings) -> bytes:
    return read_passphrase(settings.passphrase, settings.passphrase_file)


def _record_new_key(writer: log.LogWriter, signer: Signer, purpose: str, action: str) -> SigningKey:
    moment = writer.now()
    row = SigningKey(
        kid=signer.kid,
        purpose=purpose,
        public_key=signer.public_key,
        status="active",
        not_before=moment,
        not_after=None,
    )
    db.session.add(row)
    writer.append(
        f"key:{action}",
        {
            "kid": signer.kid,
            "purpose": purpose,
            "x": b64url_encode(signer.public_key),
            "not_before": format_instant(moment),
        },
        moment,
    )
    return row


def initialise(settings: KeySettings) -> list[str]:
    """Generate the first record and log keys if the database has none; return the new key ids.

    This is the only place a key is ever generated without an explicit rotation.
    """
    directory = settings.key_directory()

    def work(writer: log.LogWriter) -> list[str]:
        existing = {row.purpose for row in db.session.execute(select(SigningKey)).scalars()}
        created = []
        for purpose in ("record", "log"):
            if purpose in existing:
                continue
            _ensure_embedded_passphrase(settings)
            signer = Signer.generate()
            directory.store(signer, passphrase(settings))
            _record_new_key(writer, signer, purpose, "generate")
            created.append(signer.kid)
        return created

    return log.append_transaction(checkpoints.sealer(), work)


def rotate(settings: KeySettings, purpose: str = "record") -> tuple[str, str]:
    """Make a new key the signer from now on; the old one stays for verification. Returns (old, new)."""
    if purpose != "record":
        raise KeyRingError("only record keys rotate here; a log key change needs a new log origin")
    directory = settings.key_directory()
    secret = passphrase(settings)

    def work(writer: log.LogWriter) -> tuple[str, str]:
        old = db.session.execute(
            select(SigningKey).where(SigningKey.purpose == purpose, SigningKey.status == "active")
        ).scalar_one_or_none()
        if old is None:
            raise KeyRingError("no active key to rotate: run `ikrar init` first")
        directory.load(old.kid, secret)  # refuse to rotate away from a key we cannot prove we hold
        signer = Signer.generate()
        directory.store(signer, secret)
        row = _record_new_key(writer, signer, purpose, "rotate")
        old.status, old.not_after = "retired", row.not_before
        return old.kid, signer.kid

    return log.append_transaction(checkpoints.sealer(), work)


class ActiveSigners:
    """The private keys this process signs with, reloaded when the database names another key."""

    def __init__(self, settings: KeySettings) -> None:
        self._settings = settings
        self._directory = settings.key_directory()
        self._cache: dict[str, Signer] = {}
        self._lock = threading.Lock()

    def for_purpose(self, purpose: str) -> Signer:
        """The signer the database says is active for ``purpose``; fails closed on any mismatch."""
        row = db.session.execute(
            select(SigningKey).where(SigningKey.purpose == purpose, SigningKey.status == "active")
        ).scalar_one_or_none()
        if row is None:
            raise KeyRingError(f"no active {purpose} key is recorded: run `ikrar init`")
        signer = self.by_kid(row.kid)
        # The file matched the key id; the key must also be the public key the ring pins (a
        # database row whose kid and public key disagree is refused here, not signed with).
        if signer.public_key != bytes(row.public_key):
            raise KeyRingError(
                f"the private key {row.kid} does not match the public key pinned for it in the database"
            )
        return signer

    def held(self, kid: str) -> Signer | None:
        """The private key ``kid`` while its file is present (removing a retired key's file is how
        an operator stops it signing QR statements), else None; decrypted once, then cached."""
        if not self._directory.file_for(kid).is_file():
            return None
        return self.by_kid(kid)

    def by_kid(self, kid: str) -> Signer:
        """The private key ``kid`` (active or retired), decrypted once per process: argon2id is slow."""
        with self._lock:
            signer = self._cache.get(kid)
            if signer is None:
                signer = self._directory.load(kid, passphrase(self._settings))
                self._cache[kid] = signer
        return signer
