"""Bearer credentials: devices locked to one commitment, operators' tokens, auditors' read tokens."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select

from registry.core.errors import N_
from registry.extensions import db
from registry.models import Commitment, Credential, User
from registry.services import checkpoints, log
from registry.services.accounts import new_public_id
from registry.services.errors import Conflict, InvalidInput, NotFound
from registry.services.text import clean_text

TOKEN = re.compile(r"^ikr_((?:dev|opr|aud)_[a-z2-7]{16})_([A-Za-z0-9_-]{43})$")
KINDS = ("device", "operator", "auditor")
PREFIX = {"device": "dev_", "operator": "opr_", "auditor": "aud_"}
# Who may hold a token of each kind; an auditor token reads full signature documents, never signs.
HOLDER_ROLES = {"operator": ("operator", "admin"), "auditor": ("auditor", "admin")}


@dataclass(frozen=True)
class Issued:
    credential: Credential
    token: str  # shown once; only its SHA-256 is stored


def _digest(secret: str) -> str:
    # The secret is 256 random bits, so a plain hash suffices (nothing to brute-force).
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def issue(kind: str, label: str, *, commitment: str | None = None, user: User | None = None) -> Issued:
    """A new credential; a device must name an open or published commitment it is locked to."""
    if kind not in KINDS:
        raise InvalidInput(N_("kind must be device, operator or auditor"), field="kind")
    label = clean_text(label, "label", max_length=200)
    if kind == "operator" and (user is None or user.role not in HOLDER_ROLES[kind]):
        raise InvalidInput(N_("an operator token belongs to an operator or admin"), field="user")
    if kind == "auditor" and (user is None or user.role not in HOLDER_ROLES[kind]):
        raise InvalidInput(N_("an auditor token belongs to an auditor or admin"), field="user")
    if kind == "auditor" and not user.active:  # type: ignore[union-attr]
        raise InvalidInput(N_("the account is disabled"), field="user")
    secret = secrets.token_urlsafe(32)
    user_id = user.id if user is not None else None

    def work(writer: log.LogWriter) -> Issued:
        commitment_row = None
        if kind == "device":
            if commitment is None:
                raise InvalidInput(
                    N_("a device is locked to one commitment: give its id"), field="commitment"
                )
            commitment_row = db.session.execute(
                select(Commitment).where(Commitment.slug == commitment)
            ).scalar_one_or_none()
            if commitment_row is None:
                raise NotFound(N_("there is no commitment %(slug).70r"), field="commitment", slug=commitment)
        credential = Credential(
            id=new_public_id(PREFIX[kind]),
            kind=kind,
            label=label,
            commitment_id=commitment_row.id if commitment_row else None,
            user_id=user_id,
            secret_sha256=_digest(secret),
            created_at=writer.now(),
        )
        db.session.add(credential)
        db.session.flush()
        payload = {
            "credential": credential.id,
            "kind": kind,
            "commitment": commitment_row.slug if commitment_row else None,
            "user": credential.user.public_id if credential.user else None,
        }
        writer.append("credential:issue", payload)
        return Issued(credential, f"ikr_{credential.id}_{secret}")

    return log.append_transaction(checkpoints.sealer(), work)


def authenticate(token: str) -> Credential | None:
    """The live credential this bearer token names, or None."""
    match = TOKEN.fullmatch(token or "")
    if match is None:
        return None
    credential = db.session.get(Credential, match.group(1))
    if credential is None or credential.revoked_at is not None:
        return None
    if not hmac.compare_digest(credential.secret_sha256, _digest(match.group(2))):
        return None
    return credential


def owner_active(credential: Credential) -> bool:
    """Whether the account behind ``credential`` may still act: a credential ends with its holder.

    A device enrolled by an operator (``Credential.user``) stops working as soon as that operator
    is disabled or gone, without anyone having to find and revoke the tablet; a device issued
    from the command line (``ikrar tokens create --commitment``) belongs to no account.
    Checked every time a credential is resolved rather than when an account is disabled, so a
    re-enabled operator's tablets work again and no disable path can forget them.
    """
    if credential.user_id is None:
        return True
    return credential.user is not None and credential.user.active


def enrolled_device(credential_id: object) -> Credential | None:
    """The device credential a kiosk session names, unless it is gone or revoked (owner unchecked)."""
    if not isinstance(credential_id, str):
        return None
    credential = db.session.get(Credential, credential_id)
    if credential is None or credential.revoked_at is not None or credential.kind != "device":
        return None
    return credential


def live_device(credential_id: object) -> Credential | None:
    """The enrolled device a kiosk session names, if it is still live (not revoked, owner active)."""
    credential = enrolled_device(credential_id)
    return credential if credential is not None and owner_active(credential) else None


def revoke(credential_id: str) -> Credential:
    def work(writer: log.LogWriter) -> Credential:
        credential = db.session.get(Credential, credential_id)
        if credential is None:
            raise NotFound(N_("there is no credential %(id).40r"), id=credential_id)
        if credential.revoked_at is not None:
            raise Conflict(N_("credential %(id)s is already revoked"), id=credential_id)
        credential.revoked_at = writer.now()
        writer.append("credential:revoke", {"credential": credential.id})
        return credential

    return log.append_transaction(checkpoints.sealer(), work)


def list_credentials() -> list[Credential]:
    return list(db.session.execute(select(Credential).order_by(Credential.created_at)).scalars())
