"""POST /api/v1/commitments/{slug}/signatures: the signing API the kiosk and other systems use."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Any

from flask import Response, current_app, jsonify, request, session
from flask_babel import gettext
from flask_wtf.csrf import CSRFError

from registry.api import bp
from registry.api.body import json_object
from registry.api.documents import full_signature_document
from registry.api.signatures import signed_in
from registry.core.errors import N_
from registry.extensions import csrf, limiter
from registry.http_problems import problem
from registry.services import callers, certificates, signing
from registry.services.callers import Caller
from registry.services.errors import Forbidden, InvalidInput
from registry.services.ranges import MAX_ROW_ID, YEARS, is_row_id
from registry.services.signing import Signatory, SigningRequest
from registry.wire import signing as wire

IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{8,128}$")
# RFC 3339 with a mandatory offset; fromisoformat alone would also take dates and offset-less times.
# re.ASCII: \d would also match other scripts' digits ("２０２４").
# An offset's minutes are checked here: fromisoformat reads "+07:60" as +08:00.
RFC3339 = re.compile(
    r"^\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d{1,9})?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$", re.ASCII
)
# The UTC year of claimed_time: four digits in UTC and in WIB, and within datetime's range.
CLAIMED_YEARS = YEARS
# The members are the wire model's (registry/wire/signing.py, the schema /openapi.json publishes);
# the checks below name the member at fault in the 422.
TOP_LEVEL = set(wire.SigningRequest.model_fields)
SIGNATORY_FIELDS = tuple(wire.SignatoryInput.model_fields)
CONSENT_FIELDS = set(wire.ConsentInput.model_fields)


def _caller() -> Caller:
    """A bearer token, else a kiosk or signed-in browser session (which must also prove CSRF)."""
    header = request.headers.get("Authorization")
    user = signed_in()
    if callers.browser_signer(header, session.get("kiosk_device"), user):
        csrf.protect()
    return callers.signer(header, session.get("kiosk_device"), session.get("kiosk_operator"), user)


def _string(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise InvalidInput(N_("%(member)s must be a string"), field=field, member=field)
    return value


def _boolean(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(N_("%(member)s must be true or false"), field=field, member=field)
    return value


def _claimed_time(claimed: str) -> datetime:
    """The tablet's clock as an aware UTC instant (docs/FORMATS.md §3, ``claimed_at``).

    The service truncates it to the millisecond; the year bounds keep every later step (the
    4-digit instant, storage, display in WIB) within what datetime can hold.
    """
    if not RFC3339.fullmatch(claimed):
        raise InvalidInput(N_("claimed_time must be an RFC 3339 time with an offset"), field="claimed_time")
    try:
        moment = datetime.fromisoformat(claimed.upper().replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        raise InvalidInput(N_("claimed_time is not a real time"), field="claimed_time") from None
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is in the year 0 in UTC
        moment = None
    if moment is None or not CLAIMED_YEARS[0] <= moment.year <= CLAIMED_YEARS[1]:
        raise InvalidInput(
            N_("claimed_time must lie in the years %(first)d–%(last)d in UTC"),
            field="claimed_time",
            first=CLAIMED_YEARS[0],
            last=CLAIMED_YEARS[1],
        )
    return moment


def _signing_request(slug: str, body: dict[str, Any], caller: Caller, key: str) -> SigningRequest:
    unknown = sorted(set(body) - TOP_LEVEL)
    if unknown:
        raise InvalidInput(N_("unknown field %(member).40r"), field=unknown[0][:40], member=unknown[0])
    signatory = None
    invitee_id = None
    if "signatory" in body and "invitee_id" in body:
        raise InvalidInput(N_("give either signatory or invitee_id, not both"), field="signatory")
    if "invitee_id" in body:
        value = body["invitee_id"]
        if not is_row_id(value):
            raise InvalidInput(
                N_("invitee_id must be an integer from 1 to %(max)d"), field="invitee_id", max=MAX_ROW_ID
            )
        invitee_id = value
    elif "signatory" in body:
        given = body["signatory"]
        if not isinstance(given, dict):
            raise InvalidInput(N_("signatory must be an object"), field="signatory")
        extra = sorted(set(given) - set(SIGNATORY_FIELDS))
        if extra:
            raise InvalidInput(
                N_("unknown signatory field %(member).40r"), field="signatory", member=extra[0]
            )
        missing = [f for f in SIGNATORY_FIELDS if f not in given]
        if missing:
            raise InvalidInput(N_("signatory.%(member)s is missing"), field=missing[0], member=missing[0])
        signatory = Signatory(**{f: _string(given[f], f) for f in SIGNATORY_FIELDS})
    else:
        raise InvalidInput(N_("give the signatory's details or an invitee_id"), field="signatory")
    consent = body.get("consent")
    if not isinstance(consent, dict):
        raise InvalidInput(N_("consent must be an object with accepted and public_display"), field="consent")
    if set(consent) != CONSENT_FIELDS:
        raise InvalidInput(N_("consent has exactly the fields accepted and public_display"), field="consent")
    accepted = _boolean(consent["accepted"], "consent.accepted")
    public_display = _boolean(consent["public_display"], "consent.public_display")
    if "dimensions" not in body:
        raise InvalidInput(N_("dimensions is missing"), field="dimensions")
    if "strokes" not in body:
        raise InvalidInput(N_("strokes is missing: draw the signature first"), field="strokes")
    link_invitee = True
    if "link_invitee" in body:
        if signatory is None:
            raise InvalidInput(N_("link_invitee goes with a signatory (a walk-in)"), field="link_invitee")
        link_invitee = _boolean(body["link_invitee"], "link_invitee")
    claimed_at = None
    if body.get("claimed_time") is not None:
        claimed_at = _claimed_time(_string(body["claimed_time"], "claimed_time"))
    return SigningRequest(
        commitment=slug,
        dimensions=body["dimensions"],
        consent_accepted=accepted,
        public_display=public_display,
        strokes=body["strokes"],
        invitee_id=invitee_id,
        signatory=signatory,
        claimed_at=claimed_at,
        operator=caller.operator,
        device=caller.device,
        client_id=caller.client_id,
        idempotency_key=key,
        link_invitee=link_invitee,
    )


def _signing_limit() -> str:
    return str(current_app.config.get("IKRAR_SIGNING_LIMIT", "600 per minute"))


def _limit_key() -> str:
    header = request.headers.get("Authorization")
    if header:
        return "token:" + hashlib.sha256(header.encode("utf-8", "replace")).hexdigest()[:32]
    return "client:" + str(session.get("kiosk_device") or request.remote_addr)


@bp.post("/commitments/<slug>/signatures")
@limiter.limit(_signing_limit, key_func=_limit_key)
def create_signature(slug: str) -> Response:
    """Sign a commitment for one signatory; repeats with the same Idempotency-Key return the first record."""
    try:
        caller = _caller()
    except CSRFError:
        return problem(
            400,
            "CSRF token missing or invalid",
            gettext(N_("the page has expired (CSRF token missing or invalid); reload it and try again")),
            slug="csrf",
        )
    if caller.locked_to is not None and caller.locked_to != slug:
        raise Forbidden(
            N_("this device is enrolled for %(locked)s, not %(asked)s"),
            locked=repr(caller.locked_to),
            asked=repr(slug[:70]),
        )
    key = request.headers.get("Idempotency-Key")
    if key is None:
        raise InvalidInput(
            N_("the Idempotency-Key header is required (8–128 of A–Z a–z 0–9 _ -)"), field="Idempotency-Key"
        )
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise InvalidInput(N_("Idempotency-Key must be 8–128 of A–Z a–z 0–9 _ -"), field="Idempotency-Key")
    result = signing.sign(
        _signing_request(slug, json_object(), caller, key), current_app.extensions["ikrar.signers"]
    )
    document = signing_response(result.record) | {
        "linked_invitee": result.linked,
        "listed_namesakes": list(result.namesakes),
    }
    response = jsonify(document)
    # A replay gets the first response unchanged, status included; the header tells them apart.
    response.status_code = 201
    response.headers["Location"] = document["url"]
    if not result.created:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def signing_response(row: Any) -> dict[str, Any]:
    base = str(current_app.config["IKRAR_BASE_URL"])
    # The signing caller just submitted this signatory's details: it gets the sealed record back.
    document = full_signature_document(row)
    return {
        "id": document["id"],
        "code": document["code"],
        "record": document["record"],
        "signature": document["signature"],
        "kid": document["kid"],
        "log_index": document["log_index"],
        "url": f"{base}/api/v1/signatures/{row.id}",
        "certificate_url": certificates.certificate_url(row),
        "verify_url": f"{base}/v/{row.code}",
    }
