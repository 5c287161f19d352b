"""``ikrar keys upgrade``: rewrite every key file in the current format, optionally under a new passphrase."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from registry.core.errors import KeyRingError
from registry.core.passphrase import WeakPassphraseError, check_strength
from registry.services.keyring import KeySettings, passphrase


@dataclass(frozen=True)
class FileResult:
    kid: str
    before: str
    after: str | None  # None: the file was already current and was kept as it is


def upgrade(settings: KeySettings, new_passphrase: bytes | None = None) -> list[FileResult]:
    """Rewrite each key file that is legacy, below the current KDF parameters, or (with
    ``new_passphrase``) under the old passphrase. Every file is decrypted before any is rewritten.

    Re-running after an interruption is safe: a file that already opens with ``new_passphrase``
    and is current is kept.
    """
    directory = settings.key_directory()
    kids = list(directory.kids())
    if not kids:
        raise KeyRingError(f"no key files in {settings.directory}: nothing to upgrade")
    current = passphrase(settings)
    if new_passphrase == current:
        new_passphrase = None
    try:
        check_strength(new_passphrase or current)
    except WeakPassphraseError as exc:
        if new_passphrase is not None:
            raise KeyRingError(f"the new passphrase is refused: {exc}") from exc
        raise KeyRingError(
            f"IKRAR_KEY_PASSPHRASE is refused: {exc}. Choose a stronger one, put it in a file (mode "
            "0600) and run `ikrar keys upgrade --new-passphrase-file FILE`"
        ) from exc
    plan = []
    for kid in kids:
        info = directory.info(kid)
        try:
            signer, rekey = directory.load(kid, current), new_passphrase is not None
        except KeyRingError as first:
            if new_passphrase is None:
                raise
            try:
                signer, rekey = directory.load(kid, new_passphrase), False
            except KeyRingError:
                raise first from None
        plan.append((kid, info, signer, rekey or info.below(directory.kdf)))
    results = []
    for kid, info, signer, rewrite in plan:
        if rewrite:
            directory.replace(signer, new_passphrase or current)
            results.append(FileResult(kid, info.describe(), directory.info(kid).describe()))
        else:
            results.append(FileResult(kid, info.describe(), None))
    if new_passphrase is not None and not settings.passphrase:
        _replace_file(settings.passphrase_file, new_passphrase + b"\n")
    return results


def stale_files(settings: KeySettings) -> list[str]:
    """One warning per key file that `ikrar keys upgrade` would rewrite (legacy or weaker KDF)."""
    directory = settings.key_directory()
    warnings = []
    for kid in directory.kids():
        try:
            info = directory.info(kid)
        except KeyRingError as exc:
            warnings.append(f"key file unreadable: {exc}")
            continue
        if info.below(directory.kdf):
            warnings.append(
                f"{directory.file_for(kid)} is {info.describe()}, weaker than the current "
                f"{directory.kdf.describe()} with AES-256-GCM: run `ikrar keys upgrade`"
            )
    return warnings


def _replace_file(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
