"""Multi-factor authentication for staff: TOTP (RFC 6238, via pyotp) and one-time recovery codes.

The TOTP secret is stored AES-GCM-encrypted under a key derived (HKDF-SHA-256) from the
application's SECRET_KEY, with the account's public id as associated data: a database dump alone
does not give the secrets, and a ciphertext copied to another account does not decrypt. Rotating
SECRET_KEY therefore makes every enrolled secret unreadable: each person enrols again after
``ikrar users mfa-reset``.

A code is accepted for the current 30-second step or one step either side (clock drift), and only
for a step later than the last one accepted: a code seen over a shoulder or replayed is refused.
Recovery codes (10, 80 bits each) are stored as SHA-256 and each works once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time

import pyotp
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import delete, update

from registry import security_log
from registry.core.errors import N_
from registry.db import utcnow, write_transaction
from registry.extensions import db
from registry.models import MfaRecoveryCode, User
from registry.services import checkpoints, log, sessions
from registry.services.accounts import by_username
from registry.services.errors import Conflict, InvalidInput, NotFound

ISSUER = "Ikrar"
ROLES_REQUIRING = ("admin", "auditor")
RECOVERY_CODES = 10
INTERVAL = 30
_INFO = b"ikrar mfa totp secret v1"


def required(user: User) -> bool:
    """Whether this account must pass a second factor: with IKRAR_MFA=required, every admin and
    auditor, and anyone (an operator) who enrolled of their own accord."""
    if current_app.config.get("IKRAR_MFA", "required") != "required":
        return False
    return user.role in ROLES_REQUIRING or bool(user.mfa_enabled)


def _key() -> bytes:
    secret = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret)


def _encrypt(secret: str, public_id: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(_key()).encrypt(nonce, secret.encode("ascii"), public_id.encode("ascii"))
    return "v1:" + base64.b64encode(nonce + sealed).decode("ascii")


def _decrypt(stored: str, public_id: str) -> str | None:
    """The secret, or None if it cannot be read (SECRET_KEY changed: the person must re-enrol)."""
    if not stored.startswith("v1:"):
        return None
    try:
        raw = base64.b64decode(stored[3:], validate=True)
        return AESGCM(_key()).decrypt(raw[:12], raw[12:], public_id.encode("ascii")).decode("ascii")
    except (InvalidTag, ValueError):
        return None


def _code_digest(code: str) -> str:
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def _normalise(code: str | None) -> str:
    return "".join(c for c in (code or "").lower() if c not in " -")[:64]


def _format_recovery(raw: str) -> str:
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def pending_secret(user_id: int) -> str:
    """Start (or continue) an enrolment: the secret to show, kept encrypted until it is confirmed."""

    def work() -> str:
        user = db.session.get(User, user_id)
        if user is None or not user.active:
            raise NotFound(N_("this account no longer exists or is disabled"))
        if user.mfa_enabled:
            raise Conflict(N_("this account already uses multi-factor authentication"))
        if user.mfa_secret:
            secret = _decrypt(user.mfa_secret, user.public_id)
            if secret is not None:
                return secret
        secret = pyotp.random_base32()
        user.mfa_secret = _encrypt(secret, user.public_id)
        user.mfa_last_step = None
        return secret

    return write_transaction(work)


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, interval=INTERVAL).provisioning_uri(name=user.username, issuer_name=ISSUER)


def _accept_totp(user: User, code: str) -> bool:
    """Accept a 6-digit code for the current step ±1 that is later than the last accepted one; the
    step is recorded with a conditional UPDATE, so two requests racing with one code cannot both pass."""
    if not (len(code) == 6 and code.isdigit()) or not user.mfa_secret:
        return False
    secret = _decrypt(user.mfa_secret, user.public_id)
    if secret is None:
        return False
    totp = pyotp.TOTP(secret, interval=INTERVAL)
    now_step = int(time.time()) // INTERVAL
    for step in (now_step - 1, now_step, now_step + 1):
        if user.mfa_last_step is not None and step <= user.mfa_last_step:
            continue
        if hmac.compare_digest(totp.at(step * INTERVAL), code):
            newer = (User.mfa_last_step.is_(None)) | (User.mfa_last_step < step)
            result = db.session.execute(
                update(User).where(User.id == user.id, newer).values(mfa_last_step=step)
            )
            return int(getattr(result, "rowcount", 0) or 0) == 1
    return False


def _accept_recovery(user: User, code: str) -> bool:
    if len(code) != 16:
        return False
    result = db.session.execute(
        update(MfaRecoveryCode)
        .where(
            MfaRecoveryCode.user_id == user.id,
            MfaRecoveryCode.code_sha256 == _code_digest(code),
            MfaRecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


def verify(user_id: int, code: str | None) -> bool:
    """Sign-in's second step: a TOTP code or an unused recovery code of this enrolled account."""
    normal = _normalise(code)

    def work() -> bool:
        user = db.session.get(User, user_id)
        if user is None or not user.active or not user.mfa_enabled:
            return False
        return _accept_totp(user, normal) or _accept_recovery(user, normal)

    return write_transaction(work)


def confirm_enrolment(user_id: int, code: str | None) -> list[str]:
    """Finish an enrolment with a code from the new device; returns the recovery codes, shown once."""
    normal = _normalise(code)
    codes = [base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower() for _ in range(RECOVERY_CODES)]

    def work() -> User:
        user = db.session.get(User, user_id)
        if user is None or not user.active:
            raise NotFound(N_("this account no longer exists or is disabled"))
        if user.mfa_enabled:
            raise Conflict(N_("this account already uses multi-factor authentication"))
        if not _accept_totp(user, normal):
            raise InvalidInput(N_("the code is wrong or already used"), field="code")
        user.mfa_enabled = True
        now = utcnow()
        db.session.execute(delete(MfaRecoveryCode).where(MfaRecoveryCode.user_id == user.id))
        for raw in codes:
            db.session.add(MfaRecoveryCode(user_id=user.id, code_sha256=_code_digest(raw), created_at=now))
        return user

    user = write_transaction(work)
    security_log.event("account.mfa_enrolled", account=user.username)
    return [_format_recovery(raw) for raw in codes]


def reset(username: str) -> User:
    """``ikrar users mfa-reset``: forget the account's device and recovery codes (a lost device);
    its sessions end and the next sign-in enrols again. The log records ``user:mfa_reset``."""

    def work(writer: log.LogWriter) -> User:
        user = by_username(username)
        if user is None:
            raise NotFound(N_("there is no user %(username).70r"), username=username)
        user.mfa_secret = None
        user.mfa_last_step = None
        user.mfa_enabled = False
        db.session.execute(delete(MfaRecoveryCode).where(MfaRecoveryCode.user_id == user.id))
        sessions.revoke_all_of(user.id, writer.now())
        writer.append("user:mfa_reset", {"user": user.public_id})
        return user

    changed = log.append_transaction(checkpoints.sealer(), work)
    security_log.event("account.mfa_reset", account=changed.username)
    return changed
