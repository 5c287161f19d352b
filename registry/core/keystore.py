"""The key directory: one ikrar-key file per private key, named ``<kid>.pem`` (docs/FORMATS.md §2.1)."""

from __future__ import annotations

import os
import re
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path

from registry.core import keyfile
from registry.core.errors import KeyRingError
from registry.core.keyfile import KdfParams, KeyFileInfo
from registry.core.keys import Signer

_KID = re.compile(r"^[A-Za-z0-9_-]{43}$")


class KeyDirectory:
    """Private keys on disk. Files are 0600; a new key never replaces a file, an upgrade does atomically.

    ``kdf`` is what new files get: keyfile.DEFAULT, or keyfile.TEST_ONLY when the test suite
    sets IKRAR_TEST_FAST_KDF.
    """

    def __init__(self, path: Path, kdf: KdfParams = keyfile.DEFAULT) -> None:
        self.path = path
        self.kdf = kdf

    def file_for(self, kid: str) -> Path:
        if not _KID.fullmatch(kid):
            raise KeyRingError(f"not a key id: {kid!r}")
        return self.path / f"{kid}.pem"

    def kids(self) -> Iterator[str]:
        """The key ids of the key files present, in name order."""
        if not self.path.is_dir():
            return
        for child in sorted(self.path.iterdir()):
            if child.suffix == ".pem" and _KID.fullmatch(child.stem) and child.is_file():
                yield child.stem

    def store(self, signer: Signer, passphrase: bytes) -> Path:
        """Write a new key file; refuses a weak passphrase and never replaces an existing file."""
        data = keyfile.seal(signer, passphrase, self.kdf)
        target = self.file_for(signer.kid)
        temporary = self._write_temporary(target, data)
        try:
            # link() fails if the target exists: a key file, once written, is never replaced.
            os.link(temporary, target)
        except FileExistsError as exc:
            raise KeyRingError(f"{target} already exists; a key file is never overwritten") from exc
        finally:
            temporary.unlink()
        _sync_directory(self.path)
        return target

    def replace(self, signer: Signer, passphrase: bytes) -> Path:
        """Rewrite ``signer``'s key file in the current format, atomically (temp file, fsync, rename)."""
        data = keyfile.seal(signer, passphrase, self.kdf)
        target = self.file_for(signer.kid)
        os.replace(self._write_temporary(target, data), target)
        _sync_directory(self.path)
        return target

    def _write_temporary(self, target: Path, data: bytes) -> Path:
        # Only ever encrypted bytes reach the disk; the name cannot be mistaken for a key file.
        self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = self.path / f".{target.name}.{secrets.token_hex(6)}.tmp"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        return temporary

    def read(self, kid: str) -> bytes:
        target = self.file_for(kid)
        try:
            mode = target.stat().st_mode
            data = target.read_bytes()
        except FileNotFoundError as exc:
            raise KeyRingError(f"the private key {kid} is missing: no file {target}") from exc
        except OSError as exc:
            raise KeyRingError(f"cannot read the private key file {target}: {exc.strerror}") from exc
        _refuse_if_shared(target, mode)
        return data

    def info(self, kid: str) -> KeyFileInfo:
        """The format and KDF parameters of ``kid``'s file, read without the passphrase."""
        try:
            return keyfile.inspect(self.read(kid))
        except KeyRingError as exc:
            raise KeyRingError(f"{self.file_for(kid)}: {exc}") from exc

    def load(self, kid: str, passphrase: bytes) -> Signer:
        """The signer for ``kid``; fails closed if the file is missing, unreadable or another key."""
        target = self.file_for(kid)
        data = self.read(kid)
        try:
            info = keyfile.inspect(data)
            if info.kid is not None and info.kid != kid:
                # Said before the slow KDF; checked again below on the decrypted key itself.
                raise KeyRingError(f"holds key {info.kid}, not the key {kid} the database expects")
            signer = keyfile.load(data, passphrase)
        except KeyRingError as exc:
            raise KeyRingError(f"{target}: {exc}") from exc
        if signer.kid != kid:
            raise KeyRingError(f"{target} holds key {signer.kid}, not the key {kid} the database expects")
        return signer


def _sync_directory(path: Path) -> None:
    # The rename or link is durable only once the directory entry is on disk.
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
