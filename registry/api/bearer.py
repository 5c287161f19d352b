"""``Authorization: Bearer ikr_…``: the one place a request's bearer credential is resolved."""

from __future__ import annotations

from flask import request

from registry.core.errors import N_, IkrarError
from registry.models import Credential
from registry.services import credentials


class Unauthorized(IkrarError):
    pass


class Forbidden(IkrarError):
    pass


def bearer_credential() -> Credential | None:
    """The live credential the request's bearer token names; None without the header.

    A malformed, unknown or revoked token, or one whose account is disabled, is Unauthorized:
    a caller who sent a token must learn it no longer works rather than be served as anonymous.
    """
    header = request.headers.get("Authorization")
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
