"""Who may see which fields of a signature: the one place the consent text's promise is kept.

The consent text (UU 27/2022) promises that, when the signer allows public display, the public sees
the status, the commitment's title, the name, position and institution, the signing time and the
key code — and nothing more; when they decline, the public learns only that a valid signature sits
at a log index. The verification code printed on the certificate is the signer's capability (it
opens ``/v/<code>``): it is never handed out by record id except to those who audit the registry.

This module imports neither Flask nor the database: callers build the full document from the
re-checked record (:mod:`registry.services.sealed`) and ask here which part of it a caller may see.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Audience(StrEnum):
    """The callers a signature is shown to (README, "Who may see what")."""

    PUBLIC = "public"  # anyone, signed in or not, without an audit role; device/operator tokens too
    SIGNER = "signer"  # holds the code or the certificate link: sees their own full record
    OPERATOR = "operator"  # signs on others' behalf; by record id sees what the public sees
    AUDITOR = "auditor"  # re-verifies every seal: the full document (session or auditor token)
    ADMIN = "admin"


# Everyone: enough to check the record against the log (the log itself holds no personal data).
# ``erasure`` is when and where (log index) an erased signature's personal data went.
LOG_FIELDS = ("id", "log_index", "status", "record_sha256", "erasure")
# Added for everyone when the signer allowed public display: what the consent text lists as public.
PUBLIC_FIELDS = ("name", "position", "institution", "signed_at", "kid", "commitment")
PUBLIC_COMMITMENT_FIELDS = ("id", "version", "title")
# Of a withdrawal: when and where for everyone; the reason text only with consent.
WITHDRAWAL_FIELDS = ("at", "log_index")
CONSENTED_WITHDRAWAL_FIELDS = ("at", "log_index", "reason")
# The full document: the signed record, its seal and code.
FULL_FIELDS = (
    "id",
    "code",
    "record",
    "signature",
    "kid",
    "log_index",
    "status",
    "record_sha256",
    "withdrawal",
    "erasure",
)

# Which audiences see the full document at GET /api/v1/signatures/<id> by their role. The signer
# sees their full record too, but only by proving their capability (the verification code printed
# on the certificate, whose PDF embeds the same record): never by record id alone.
FULL_BY_RECORD_ID = frozenset({Audience.AUDITOR, Audience.ADMIN})


def for_role(role: str | None) -> Audience:
    """The audience of a signed-in account's role (None: anonymous)."""
    if role == "admin":
        return Audience.ADMIN
    if role == "auditor":
        return Audience.AUDITOR
    if role == "operator":
        return Audience.OPERATOR
    return Audience.PUBLIC


def signature_view(audience: Audience, full: dict[str, Any], *, title: str | None = None) -> dict[str, Any]:
    """The part of ``full`` (every member of FULL_FIELDS) that ``audience`` may see by record id.

    ``title`` is the commitment version's title, shown with the public fields.
    """
    if audience in FULL_BY_RECORD_ID or audience is Audience.SIGNER:
        return {name: full[name] for name in FULL_FIELDS}
    view: dict[str, Any] = {name: full[name] for name in LOG_FIELDS}
    record = full["record"]
    consented = record is not None and bool(record["consent"]["public_display"])
    withdrawal = full["withdrawal"]
    shown = CONSENTED_WITHDRAWAL_FIELDS if consented else WITHDRAWAL_FIELDS
    view["withdrawal"] = None if withdrawal is None else {name: withdrawal[name] for name in shown}
    if consented:
        signatory, commitment = record["signatory"], record["commitment"]
        view["public"] = {
            "name": signatory["name"],
            "position": signatory["position"],
            "institution": signatory["institution"],
            "signed_at": record["signed_at"],
            "kid": record["kid"],
            "commitment": {"id": commitment["id"], "version": commitment["version"], "title": title},
        }
    return view
