"""The key directory: one encrypted PKCS#8 PEM file per private key, named by key id."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from registry.core.errors import KeyRingError
from registry.core.keys import Signer, decrypt_private_key, encrypt_private_key

_KID = re.compile(r"^[A-Za-z0-9_-]{43}$")


class KeyDirectory:
    """Private keys on disk. Files are created 0600 and never overwritten."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def file_for(self, kid: str) -> Path:
        if not _KID.fullmatch(kid):
            raise KeyRingError(f"not a key id: {kid!r}")
        return self.path / f"{kid}.pem"

    def store(self, signer: Signer, passphrase: bytes) -> Path:
        pem = encrypt_private_key(signer, passphrase)
        self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
        target = self.file_for(signer.kid)
        # O_EXCL: a key file, once written, is never replaced.
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        return target

    def load(self, kid: str, passphrase: bytes) -> Signer:
        """The signer for ``kid``; fails closed if the file is missing, unreadable or another key."""
        target = self.file_for(kid)
        try:
            mode = target.stat().st_mode
            pem = target.read_bytes()
        except FileNotFoundError as exc:
            raise KeyRingError(f"the private key {kid} is missing: no file {target}") from exc
        except OSError as exc:
            raise KeyRingError(f"cannot read the private key file {target}: {exc.strerror}") from exc
        _refuse_if_shared(target, mode)
        try:
            signer = decrypt_private_key(pem, passphrase)
        except KeyRingError as exc:
            raise KeyRingError(f"{target}: {exc}") from exc
        if signer.kid != kid:
            raise KeyRingError(f"{target} holds key {signer.kid}, not the key {kid} the database expects")
        return signer


def _refuse_if_shared(path: Path, mode: int) -> None:
    # A secret other users could read (or replace) is refused, not silently used.
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyRingError(f"{path} is readable by other users; run: chmod 600 {path}")


def read_passphrase(value: str | None, file: Path | None) -> bytes:
    """The passphrase from IKRAR_KEY_PASSPHRASE, or else from its file (refused unless 0600, like keys)."""
    if value:
        return value.encode("utf-8")
    if file is not None and file.is_file():
        _refuse_if_shared(file, file.stat().st_mode)
        text = file.read_text(encoding="utf-8").strip()
        if text:
            return text.encode("utf-8")
    raise KeyRingError("no key passphrase: set IKRAR_KEY_PASSPHRASE (or IKRAR_KEY_PASSPHRASE_FILE)")
