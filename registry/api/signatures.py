"""GET /api/v1/signatures/{id}: a signature as its reader may see it, its log receipt and its
certificate PDF."""

from __future__ import annotations

from flask import Response, jsonify, request
from flask_login import current_user

from registry.api import bp
from registry.api.documents import signature_document
from registry.core.errors import N_
from registry.http_problems import single_arg
from registry.models import User
from registry.services import callers, certificates, signing
from registry.services.audience import Audience
from registry.services.errors import Forbidden
from registry.services.receipts import signature_receipt


def signed_in() -> User | None:
    """The signed-in account, None for an anonymous request."""
    return current_user if current_user.is_authenticated else None


@bp.get("/signatures/<record_id>")
def get_signature(record_id: str) -> Response:
    audience = callers.reader(request.headers.get("Authorization"), signed_in())
    row = signing.get(record_id)
    if audience is Audience.PUBLIC and callers.holds_code(row.code, single_arg("code")):
        audience = Audience.SIGNER  # the certificate's code: the signer's own capability
    response = jsonify(signature_document(row, audience))
    # The answer depends on who asks: no shared cache may hand an auditor's copy to the public.
    response.headers["Cache-Control"] = "private, no-store"
    response.vary.add("Authorization")
    response.vary.add("Cookie")
    return response


@bp.get("/signatures/<record_id>/receipt")
def receipt(record_id: str) -> Response:
    row = signing.get(record_id)
    response = Response(signature_receipt(row.log_index), mimetype="text/plain")
    response.cache_control.no_cache = True
    return response


@bp.get("/signatures/<record_id>/certificate.pdf")
def certificate_pdf(record_id: str) -> Response:
    """The signature's certificate PDF (deterministic bytes); needs the link's token, an auditor or an admin.

    Operators run tablets and get no certificate without its link (README "Who may see what");
    a bearer token signs in no one here, so it opens nothing either.
    """
    row = signing.get(record_id)
    staff = current_user.is_authenticated and current_user.role in ("admin", "auditor")
    if not staff and not certificates.token_matches(row.id, request.args.get("t")):
        raise Forbidden(
            N_(
                "this certificate opens only from the link its signer received "
                "(or for a signed-in auditor or admin)"
            )
        )
    response = Response(certificates.certificate_pdf(row), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{certificates.certificate_filename(row)}"'
    response.cache_control.no_cache = True
    response.headers["X-Robots-Tag"] = "noindex, nofollow"  # a person's certificate: kept out of search
    return response
