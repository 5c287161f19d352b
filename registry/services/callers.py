"""Who calls: the one place a bearer token, an enrolled tablet or a signed-in account becomes the
audience a signature is shown to, or the ids a new record names.

Views pass in what the request carries (the ``Authorization`` header, the session's kiosk ids, the
signed-in account) and prove CSRF for browser sessions themselves; the kiosk's own pages resolve
their tablet with :func:`registry.services.credentials.live_device`, the same device check.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from registry.core import codes
from registry.core.errors import N_, FormatError
from registry.models import Credential, User
from registry.services import credentials
from registry.services.audience import Audience, for_role
from registry.services.errors import Forbidden, Unauthorized

SIGNING_KINDS = ("device", "operator")
SIGNING_ROLES = ("operator", "admin")


@dataclass(frozen=True)
class Caller:
    """Who submits a signing: the ids the record will name, and the commitment a device is locked to."""

    client_id: str
    operator: str | None
    device: str | None
    locked_to: str | None


def bearer_credential(header: str | None) -> Credential | None:
    """The live credential an ``Authorization: Bearer ikr_…`` header names; None without the header.

    A malformed, unknown or revoked token, or one whose account is disabled, is Unauthorized:
    a caller who sent a token must learn it no longer works rather than be served as anonymous.
    """
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(N_("send the credential as 'Authorization: Bearer ikr_…'"))
    credential = credentials.authenticate(token.strip())
    if credential is None:
        raise Unauthorized(N_("the bearer token is unknown, revoked or malformed"))
    if not credentials.owner_active(credential):  # a device ends with the operator who enrolled it
        raise Unauthorized(N_("the account this credential belongs to is disabled"))
    return credential


def reader(header: str | None, user: User | None) -> Audience:
    """Who reads: an auditor bearer token, else the signed-in account's role, else the public.

    Device and operator tokens read as the public: they exist to sign, not to look people up.
    """
    credential = bearer_credential(header)
    if credential is not None:
        owner = credential.user
        if credential.kind == "auditor" and owner is not None and owner.role in ("auditor", "admin"):
            return Audience.AUDITOR
        return Audience.PUBLIC
    if user is not None:
        return for_role(user.role)
    return Audience.PUBLIC


def holds_code(code: str, given: str | None) -> bool:
    """Whether ``given`` is this record's verification code in any printed form (constant time).

    The code printed on the certificate is the signer's capability (registry/services/audience.py).
    """
    if given is None or len(given) > 64:
        return False
    try:
        normalised = codes.normalise_code(given)
    except FormatError:
        return False
    return hmac.compare_digest(normalised.encode("ascii"), code.encode("ascii"))


def _from_credential(credential: Credential) -> Caller:
    owner = credential.user
    if not credentials.owner_active(credential):
        raise Unauthorized(N_("the account this credential belongs to is disabled"))
    return Caller(
        client_id=credential.id,
        operator=owner.public_id if owner is not None else None,
        device=credential.id,
        locked_to=credential.commitment.slug if credential.commitment is not None else None,
    )


def signer(header: str | None, kiosk_device: object, kiosk_operator: object, user: User | None) -> Caller:
    """A bearer token, else an enrolled tablet's session, else a signed-in operator or admin.

    ``kiosk_device`` and ``kiosk_operator`` are what the session holds (registry/web/kiosk.py);
    the view has already proved CSRF when the caller is a browser session.
    """
    credential = bearer_credential(header)
    if credential is not None:
        if credential.kind not in SIGNING_KINDS:
            raise Forbidden(N_("an auditor token only reads; sign with a device or operator token"))
        return _from_credential(credential)
    if isinstance(kiosk_device, str):
        device = credentials.enrolled_device(kiosk_device)
        if device is None:
            raise Unauthorized(
                N_("this tablet's enrolment was withdrawn; ask the operator to enrol it again")
            )
        caller = _from_credential(device)
        operator = kiosk_operator if isinstance(kiosk_operator, str) else caller.operator
        return Caller(caller.client_id, operator, caller.device, caller.locked_to)
    if user is not None and user.role in SIGNING_ROLES:
        return Caller(user.public_id, user.public_id, None, None)
    if user is not None:
        raise Forbidden(N_("only operators and admins may sign on someone's behalf"))
    raise Unauthorized(N_("sign in, enrol this tablet, or send a bearer token"))


def browser_signer(header: str | None, kiosk_device: object, user: User | None) -> bool:
    """Whether :func:`signer` will take this caller from a browser session, which must prove CSRF."""
    staff = user is not None and user.role in SIGNING_ROLES
    return header is None and (isinstance(kiosk_device, str) or staff)
