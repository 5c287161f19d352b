"""The ``ikrar-key`` v1 private key file (docs/FORMATS.md §2.1), and reading the legacy PKCS#8 one.

An Ed25519 private key (its 32-byte RFC 8032 seed) is encrypted with AES-256-GCM under a key
derived from the passphrase by argon2id. Every header line, including the argon2id parameters
and salt, is the AEAD's associated data: a change to any byte of the file is detected.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from argon2.low_level import ARGON2_VERSION, Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from registry.core.canonical import b64url_decode, b64url_encode
from registry.core.errors import FormatError, KeyRingError
from registry.core.keys import PUBLIC_KEY_SIZE, Signer, decrypt_private_key, key_id
from registry.core.passphrase import check_strength

BEGIN = "-----BEGIN IKRAR PRIVATE KEY-----"
END = "-----END IKRAR PRIVATE KEY-----"
LEGACY_BEGIN = b"-----BEGIN ENCRYPTED PRIVATE KEY-----"
# Also PKCS#8: the legacy reader refuses it with its own message ("not encrypted").
_PKCS8 = (LEGACY_BEGIN, b"-----BEGIN PRIVATE KEY-----")
FORMAT = "ikrar-key"
VERSION = 1
SALT_SIZE = 16
NONCE_SIZE = 12
SEED_SIZE = 32
TAG_SIZE = 16
_DERIVED_KEY_SIZE = 32  # AES-256


@dataclass(frozen=True)
class KdfParams:
    """argon2id cost parameters (RFC 9106): memory in KiB, passes, lanes."""

    memory_kib: int
    iterations: int
    parallelism: int

    def at_least(self, other: KdfParams) -> bool:
        return (
            self.memory_kib >= other.memory_kib
            and self.iterations >= other.iterations
            and self.parallelism >= other.parallelism
        )

    def describe(self) -> str:
        return f"argon2id m={self.memory_kib} KiB t={self.iterations} p={self.parallelism}"


# The floor every key file Ikrar writes in production meets: RFC 9106 §4's second recommended
# option with one lane (64 MiB, 3 passes), stronger than OWASP's and ASVS's argon2id minimums
# (19 MiB, t=2). Files state their parameters, so DEFAULT can rise later and `ikrar keys upgrade`
# rewrites older files.
FLOOR = KdfParams(memory_kib=65536, iterations=3, parallelism=1)
DEFAULT = FLOOR
# What a reader accepts before running the KDF: a crafted file must not make it allocate 1 TiB.
CEILING = KdfParams(memory_kib=4 * 1024 * 1024, iterations=64, parallelism=16)
# Only for the test suite (IKRAR_TEST_FAST_KDF): argon2's smallest parameters, no protection.
TEST_ONLY = KdfParams(memory_kib=8, iterations=1, parallelism=1)

# Header lines, in this order, each "Name: value".
_FIELDS = (
    "Format",
    "Version",
    "Key-Type",
    "Kid",
    "Public-Key",
    "KDF",
    "KDF-Version",
    "KDF-Memory-KiB",
    "KDF-Iterations",
    "KDF-Parallelism",
    "Salt",
    "AEAD",
    "Nonce",
)
_INTEGER = re.compile(r"[1-9][0-9]{0,9}")


@dataclass(frozen=True)
class KeyFileInfo:
    """What a key file says about itself, read without the passphrase."""

    format: str  # "ikrar-key v1" or "legacy PKCS#8"
    kid: str | None  # None for legacy files (their key id is only known once decrypted)
    params: KdfParams | None  # None for legacy files

    @property
    def legacy(self) -> bool:
        return self.params is None

    def describe(self) -> str:
        if self.params is None:
            return "legacy PKCS#8 (PBKDF2-HMAC-SHA256, AES-256-CBC without integrity)"
        return f"{self.format} ({self.params.describe()}, AES-256-GCM)"

    def below(self, target: KdfParams) -> bool:
        """Whether ``ikrar keys upgrade`` should rewrite this file to reach ``target``."""
        return self.params is None or not self.params.at_least(target)


@dataclass(frozen=True)
class _Parsed:
    header: bytes
    kid: str
    public_key: bytes
    params: KdfParams
    salt: bytes
    nonce: bytes
    sealed: bytes


def derive_key(passphrase: bytes, salt: bytes, params: KdfParams) -> bytes:
    return hash_secret_raw(
        secret=passphrase,
        salt=salt,
        time_cost=params.iterations,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        hash_len=_DERIVED_KEY_SIZE,
        type=Type.ID,
        version=ARGON2_VERSION,
    )


def seal(signer: Signer, passphrase: bytes, params: KdfParams = DEFAULT) -> bytes:
    """The ikrar-key v1 file of ``signer``'s private key; refuses a weak passphrase or weak params."""
    if not passphrase:
        raise KeyRingError("refusing to write a private key without a passphrase")
    check_strength(passphrase)
    if params != TEST_ONLY and not params.at_least(FLOOR):
        raise KeyRingError(f"refusing to write a key file with {params.describe()}: below {FLOOR.describe()}")
    _check_range(params)
    salt, nonce = os.urandom(SALT_SIZE), os.urandom(NONCE_SIZE)
    values = (
        FORMAT,
        str(VERSION),
        "Ed25519",
        signer.kid,
        b64url_encode(signer.public_key),
        "argon2id",
        str(ARGON2_VERSION),
        str(params.memory_kib),
        str(params.iterations),
        str(params.parallelism),
        b64url_encode(salt),
        "AES-256-GCM",
        b64url_encode(nonce),
    )
    lines = [BEGIN] + [f"{name}: {value}" for name, value in zip(_FIELDS, values, strict=True)]
    header = ("\n".join(lines) + "\n\n").encode("ascii")
    seed = signer.private_bytes_raw()
    sealed = AESGCM(derive_key(passphrase, salt, params)).encrypt(nonce, seed, header)
    return header + f"{b64url_encode(sealed)}\n{END}\n".encode("ascii")


def inspect(data: bytes) -> KeyFileInfo:
    """Which format a key file is in and, for ikrar-key, its key id and KDF parameters."""
    if data.startswith(_PKCS8):
        return KeyFileInfo("legacy PKCS#8", None, None)
    parsed = _parse(data)
    return KeyFileInfo(f"{FORMAT} v{VERSION}", parsed.kid, parsed.params)


def load(data: bytes, passphrase: bytes) -> Signer:
    """The signer in an ikrar-key file (or a legacy encrypted PKCS#8 PEM); fails closed."""
    if not passphrase:
        raise KeyRingError("no key passphrase: set IKRAR_KEY_PASSPHRASE")
    if data.startswith(_PKCS8):
        return decrypt_private_key(data, passphrase)
    parsed = _parse(data)
    try:
        seed = AESGCM(derive_key(passphrase, parsed.salt, parsed.params)).decrypt(
            parsed.nonce, parsed.sealed, parsed.header
        )
    except InvalidTag as exc:
        raise KeyRingError(
            "cannot decrypt the key file: wrong IKRAR_KEY_PASSPHRASE, or the file was altered "
            "or damaged (its AES-GCM tag does not match)"
        ) from exc
    signer = Signer.from_seed(seed)
    if signer.public_key != parsed.public_key:
        # Only someone who knew the passphrase could write this: refuse it all the same.
        raise KeyRingError("the key file's private key does not match its Public-Key line")
    return signer


def _parse(data: bytes) -> _Parsed:
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as exc:
        raise KeyRingError("not an Ikrar key file: it is not ASCII text") from exc
    lines = text.split("\n")
    if not lines or lines[0] != BEGIN:
        raise KeyRingError(f"not an Ikrar key file: the first line is not {BEGIN}")
    count = len(_FIELDS)
    if len(lines) != count + 5 or lines[count + 1] != "" or lines[count + 3] != END or lines[-1] != "":
        raise KeyRingError("malformed key file: expected header lines, an empty line, the sealed key, END")
    values: dict[str, str] = {}
    for name, line in zip(_FIELDS, lines[1 : count + 1], strict=True):
        prefix = f"{name}: "
        if not line.startswith(prefix):
            raise KeyRingError(f"malformed key file: expected a {name} line, found {line[:40]!r}")
        values[name] = line[len(prefix) :]
    if values["Format"] != FORMAT:
        raise KeyRingError(f"not an Ikrar key file: Format is {values['Format'][:20]!r}")
    if values["Version"] != str(VERSION):
        raise KeyRingError(
            f"key file version {values['Version'][:10]!r} is not supported: Ikrar reads version {VERSION}"
        )
    expected = {
        "Key-Type": "Ed25519",
        "KDF": "argon2id",
        "KDF-Version": str(ARGON2_VERSION),
        "AEAD": "AES-256-GCM",
    }
    for name, value in expected.items():
        if values[name] != value:
            raise KeyRingError(f"unsupported key file: {name} is {values[name][:20]!r}, not {value}")
    params = KdfParams(
        memory_kib=_integer(values, "KDF-Memory-KiB"),
        iterations=_integer(values, "KDF-Iterations"),
        parallelism=_integer(values, "KDF-Parallelism"),
    )
    _check_range(params)
    public_key = _binary(values, "Public-Key", PUBLIC_KEY_SIZE)
    try:
        kid = key_id(public_key)
    except KeyRingError as exc:
        raise KeyRingError(f"malformed key file: Public-Key: {exc}") from exc
    if values["Kid"] != kid:
        raise KeyRingError("malformed key file: Kid is not the key id of its Public-Key")
    header_end = len("\n".join(lines[: count + 2])) + 1
    return _Parsed(
        header=data[:header_end],
        kid=kid,
        public_key=public_key,
        params=params,
        salt=_binary(values, "Salt", SALT_SIZE),
        nonce=_binary(values, "Nonce", NONCE_SIZE),
        sealed=_binary({"sealed key": lines[count + 2]}, "sealed key", SEED_SIZE + TAG_SIZE),
    )


def _integer(values: dict[str, str], name: str) -> int:
    if not _INTEGER.fullmatch(values[name]):
        raise KeyRingError(f"malformed key file: {name} is not a decimal integer")
    return int(values[name])


def _binary(values: dict[str, str], name: str, size: int) -> bytes:
    try:
        raw = b64url_decode(values[name])
    except FormatError as exc:
        raise KeyRingError(f"malformed key file: {name}: {exc}") from exc
    if len(raw) != size:
        raise KeyRingError(f"malformed key file: {name} has {len(raw)} bytes, not {size}")
    return raw


def _check_range(params: KdfParams) -> None:
    # argon2 itself needs at least 8 KiB per lane; the ceiling bounds what a file can make us spend.
    if params.parallelism > CEILING.parallelism or params.iterations > CEILING.iterations:
        raise KeyRingError(f"key file KDF parameters out of range: {params.describe()}")
    if not 8 * params.parallelism <= params.memory_kib <= CEILING.memory_kib:
        raise KeyRingError(f"key file KDF parameters out of range: {params.describe()}")
