"""The paths of the JSON and text API (/api/v1, /log, /.well-known), keyed by URL.

Schemas are references to the wire models (registry/wire/); only what belongs to one route
(its parameters, statuses and their meaning) is written here.
"""

from __future__ import annotations

from typing import Any

from registry.api.openapi_operations import (
    RECORD_ID,
    SLUG,
    in_query,
    json_body,
    opaque,
    operation,
    problems,
    text,
    whole_number,
)
from registry.wire.registry import JWKS, Commitment, CommitmentList, ConsistencyProof, InclusionProof
from registry.wire.signatures import Signature, VerifyStatus
from registry.wire.signing import SigningRequest, SigningResponse

INTEGRITY = "urn:ikrar:problem:integrity-error: the stored version no longer hashes to its "
SIGNING_DESCRIPTION = (
    "Authenticate with a device or operator bearer token (`ikrar tokens create`), or from an enrolled "
    "kiosk / signed-in browser session together with an X-CSRFToken header. Repeating a request with "
    "the same Idempotency-Key returns the first response unchanged (header Idempotent-Replayed: true), "
    "also when the repeats arrive concurrently; the same key with a different body is refused."
)
SIGNING_ERRORS = {
    400: "CSRF token missing or invalid (browser sessions).",
    401: "No valid credential.",
    403: "The device is locked to another commitment, or the role may not sign.",
    404: "No such commitment or invitee.",
    409: "`urn:ikrar:problem:already-signed`: this invitee, or the listed invitee a walk-in was "
    "recognised as, has a standing signature; `not-open`: signing closed.",
    413: "Body too large.",
    415: "Body is not application/json.",
    422: "A field is invalid; `field` names it.",
    429: "Too many requests; see Retry-After.",
    500: "urn:ikrar:problem:integrity-error: the commitment version no longer matches its log entry; "
    "nothing is signed.",
    503: "Nothing is signed; send the same request (same Idempotency-Key) again after Retry-After. "
    "`urn:ikrar:problem:storage-full`: the database's disk is full; `witness-unwritable`: the witness "
    "file cannot be written; `witness-missing`: the witness is gone and an operator must run "
    "`ikrar log accept-database --yes`.",
}
PDF = "PDF, with Content-Disposition naming ikrar-<code>-<name>.pdf."
OK = {"type": "string", "const": "ok\n"}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": True,
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,128}$"},
}


def commitment_paths() -> dict[str, Any]:
    return {
        "/api/v1/commitments": {
            "get": operation(
                "listCommitments",
                "The latest published version of every commitment.",
                {"200": json_body(CommitmentList, "Commitments.")},
            )
        },
        "/api/v1/commitments/{slug}": {
            "get": operation(
                "getCommitment",
                "A commitment's exact text and its hash (default: latest published version).",
                {"200": json_body(Commitment, "The commitment version.")}
                | problems(
                    {
                        404: "No such commitment or version.",
                        422: "Malformed version.",
                        500: INTEGRITY + "commitment:publish log entry (edited behind the registry's "
                        "back); it is not served.",
                    }
                ),
                parameters=[SLUG, in_query("version", {"type": "integer", "minimum": 1})],
            )
        },
        "/api/v1/commitments/{slug}/signatures": {
            "post": operation(
                "createSignature",
                "Sign the commitment's open version for one signatory.",
                {"201": json_body(SigningResponse, "Signed (or the replay of the first response).")}
                | problems(SIGNING_ERRORS),
                description=SIGNING_DESCRIPTION,
                security=[{"bearer": []}, {"kioskSession": []}],
                parameters=[SLUG, IDEMPOTENCY_KEY],
                request=SigningRequest,
            )
        },
    }


def signature_paths() -> dict[str, Any]:
    code = in_query(
        "code",
        {"type": "string", "maxLength": 64},
        "The record's verification code (any printed form): the signer's capability. Any other value "
        "gets the public view.",
    )
    token = in_query("t", {"type": "string"}, "Capability token from certificate_url.")
    return {
        "/api/v1/signatures/{record_id}": {
            "get": operation(
                "getSignature",
                "A signature by audience: the sealed record for auditors and admins, what the consent "
                "text promises for everyone else.",
                {"200": json_body(Signature, "The signature.")}
                | problems(
                    {
                        401: "A bearer token was sent but is malformed, unknown or revoked.",
                        404: "No such signature.",
                    }
                ),
                description="Send an auditor token (Authorization: Bearer ikr_aud_…) or sign in as an "
                "auditor or admin for SignatureFull; a bad token is 401. The signer (whoever holds the "
                "certificate's verification code, which the certificate PDF carries with its record "
                "anyway) gets SignatureFull with ?code=<that code>.",
                parameters=[RECORD_ID, code],
            )
        },
        "/api/v1/signatures/{record_id}/receipt": {
            "get": operation(
                "getReceipt",
                "Offline receipt: a C2SP tlog-proof of the signature's log entry.",
                {"200": text("c2sp.org/tlog-proof@v1 text.")} | problems({404: "No such signature."}),
                description="`extra` carries the entry's canonical bytes; the proof is against a "
                "checkpoint of size log_index+1, so the receipt's bytes never change.",
                parameters=[RECORD_ID],
            )
        },
        "/api/v1/signatures/{record_id}/certificate.pdf": {
            "get": operation(
                "getCertificate",
                "The signature's certificate PDF (embeds record.json, record.sig, receipt).",
                {
                    "200": opaque(
                        "PDF, with Content-Disposition naming ikrar-<code>-<name>.pdf.", "application/pdf"
                    )
                }
                | problems(
                    {403: "No valid token and no auditor or admin session.", 404: "No such signature."}
                ),
                description="Deterministic: the same record and withdrawal state give the same bytes. "
                "Its QR code encodes `<BASE>/v/<code>#<QR statement>` (docs/FORMATS.md). The PDF shows "
                "the handwritten signature, so it opens only with the link's token `t` (the signing "
                "response's certificate_url, the kiosk's QR) or for a signed-in auditor or admin (not "
                "operators; a bearer token opens nothing here).",
                parameters=[RECORD_ID, token],
            )
        },
        "/api/v1/verify/{code}": {
            "get": operation(
                "verifyCode",
                "Status of a signature by its verification code (allow-listed fields only).",
                {
                    "200": json_body(VerifyStatus, "A known signature: valid, withdrawn, erased or invalid."),
                    "404": json_body(VerifyStatus, "Unknown code: status `unknown`."),
                }
                | problems({429: "Too many requests; see Retry-After."}),
                description="The code as printed: case, spaces and dashes do not matter. Rate limited "
                "per client (429 with Retry-After). Save the answer for `ikrar verify --status`.",
                parameters=[{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}],
            )
        },
    }


def log_paths() -> dict[str, Any]:
    entries = {
        "description": "Entries.",
        "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
    }
    return {
        "/log/checkpoint": {
            "get": operation(
                "getCheckpoint",
                "The latest signed checkpoint (C2SP tlog-checkpoint as a signed note).",
                {"200": text("Signed note.")},
            )
        },
        "/log/key": {
            "get": operation(
                "getLogKey",
                "The log's verifier key string (name+keyid+base64).",
                {"200": text("Verifier key, one line.")},
            )
        },
        "/log/entries": {
            "get": operation(
                "getEntries",
                "Log entries [start, end) as JSON Lines, at most 1000 per response.",
                {"200": entries} | problems({422: "Range outside the log."}),
                description="Each line is exactly the entry's canonical bytes (the Merkle leaf) followed "
                "by a newline. Headers Ikrar-Log-Size and Ikrar-Range tell what was sent.",
                parameters=[whole_number("start"), whole_number("end")],
            )
        },
        "/log/proof/inclusion": {
            "get": operation(
                "getInclusionProof",
                "RFC 9162 inclusion proof of entry `index` in the tree of `size` entries.",
                {"200": json_body(InclusionProof, "Proof (hashes in base64).")}
                | problems({422: "Index or size out of range."}),
                parameters=[whole_number("index", True), whole_number("size")],
            )
        },
        "/log/proof/consistency": {
            "get": operation(
                "getConsistencyProof",
                "RFC 9162 consistency proof between tree sizes `old` and `new`.",
                {"200": json_body(ConsistencyProof, "Proof (hashes in base64).")}
                | problems({422: "Sizes out of range."}),
                parameters=[whole_number("old", True), whole_number("new")],
            )
        },
    }


def service_paths() -> dict[str, Any]:
    ok = {
        "description": "The text `ok`.",
        "content": {"text/plain": {"schema": {"type": "string", "const": "ok\n"}}},
    }
    return {
        "/audit": {
            "get": operation(
                "getAuditPage",
                "The auditors' page (HTML): checkpoint, verifier key, key history, how-to.",
                {"200": opaque("HTML page.", "text/html")},
            )
        },
        "/.well-known/jwks.json": {
            "get": operation(
                "getJwks",
                "Every public key the registry ever used, with status and validity window.",
                {"200": json_body(JWKS, "The key set.", "application/jwk-set+json")},
            )
        },
        "/healthz": {
            "get": operation(
                "getHealth", "Liveness probe: the process answers (no database or key access).", {"200": ok}
            )
        },
        "/openapi.json": {
            "get": operation(
                "getOpenApi",
                "This document.",
                {"200": json_body({"type": "object"}, "OpenAPI 3.1 document.")},
            )
        },
    }
