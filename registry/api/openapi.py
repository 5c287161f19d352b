"""The OpenAPI 3.1 description of every public route (a test checks none is missing)."""

from __future__ import annotations

import inspect
import re
from typing import Any

from flask import current_app

from registry import __version__
from registry.api.openapi_live import LIVE_PATHS, LIVE_SCHEMAS
from registry.services.audience import FULL_FIELDS, LOG_FIELDS

_HEX64 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
_RECORD_SHA256 = {
    "type": ["string", "null"],
    "pattern": "^[0-9a-f]{64}$",
    "description": "hex SHA-256 of JCS(record), as in its signature:create entry; null when invalid.",
}
_INSTANT = {"type": "string", "format": "date-time", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"}
# When and by which signature:erase entry a signature's personal data were erased (FORMATS.md §7).
_ERASURE = {
    "oneOf": [
        {"type": "null"},
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["at", "ground", "log_index"],
            "properties": {
                "at": _INSTANT,
                "ground": {
                    "enum": ["request", "retention"],
                    "description": "request: the data subject asked; retention: the retention period ended.",
                },
                "log_index": {"type": "integer", "minimum": 0, "description": "Its signature:erase entry."},
            },
        },
    ],
    "description": "Only for status 'erased' (else null): its signature:erase entry's time, ground, index.",
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str, media: str = "application/json") -> dict[str, Any]:
    return {"description": description, "content": {media: {"schema": schema}}}


def _problem(description: str) -> dict[str, Any]:
    return _json(_ref("Problem"), description, "application/problem+json")


SCHEMAS: dict[str, Any] = {
    "VerifyStatus": {
        "type": "object",
        "description": "What the registry says about a verification code; only allow-listed fields.",
        "required": ["status", "code"],
        "properties": {
            "status": {
                "type": "string",
                "enum": ["valid", "withdrawn", "erased", "invalid", "unknown"],
                "description": "invalid: the stored record no longer verifies against the registry's keys. "
                "erased: the signature was made, sealed and logged, but its personal data were erased "
                "(name, position and institution are null; see 'erasure').",
            },
            "code": {"type": ["string", "null"], "description": "Compact code (null if mistyped)."},
            "id": {"type": "string"},
            "commitment": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "version": {"type": "integer"},
                    "title": {"type": "string"},
                },
            },
            "name": {"type": ["string", "null"], "description": "null when erased."},
            "position": {"type": ["string", "null"], "description": "null when erased."},
            "institution": {"type": ["string", "null"], "description": "null when erased."},
            "signed_at": {"type": "string", "format": "date-time"},
            "kid": {"type": "string"},
            "log_index": {"type": "integer"},
            "record_sha256": {
                "type": "string",
                "description": "SHA-256 (hex) of the record's canonical bytes.",
            },
            "public_display": {"type": "boolean"},
            "withdrawal": {
                "type": ["object", "null"],
                "properties": {
                    "at": {"type": "string", "format": "date-time"},
                    "reason": {"type": ["string", "null"], "description": "null when erased."},
                },
            },
            "erasure": {
                "type": "object",
                "description": "Only with status 'erased'.",
                "required": ["at", "ground", "log_index"],
                "properties": {
                    "at": {"type": "string", "format": "date-time"},
                    "ground": {"enum": ["request", "retention"]},
                    "log_index": {"type": "integer", "minimum": 0},
                },
            },
        },
    },
    "Problem": {
        "type": "object",
        "description": "RFC 9457 problem details.",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string", "description": "`about:blank` or `urn:ikrar:problem:<slug>`"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string", "description": "What exactly was wrong."},
            "field": {"type": "string", "description": "The request field at fault, when there is one."},
        },
    },
    "Choice": {
        "type": "object",
        "required": ["id", "label"],
        "properties": {
            "id": {"type": "string"},
            "label": {"type": "string"},
            "description": {"type": "string"},
        },
    },
    "CommitmentSummary": {
        "type": "object",
        "required": ["id", "version", "title", "status", "text_sha256", "place", "event_date", "url"],
        "properties": {
            "id": {"type": "string", "description": "Stable commitment id (slug)."},
            "version": {"type": "integer", "minimum": 1},
            "title": {"type": "string"},
            "status": {"enum": ["open", "closed"]},
            "text_sha256": _HEX64 | {"description": "SHA-256 of the UTF-8 text."},
            "place": {"type": "string"},
            "event_date": {"type": "string", "format": "date"},
            "url": {"type": "string", "format": "uri"},
        },
    },
    "Commitment": {
        "allOf": [
            _ref("CommitmentSummary"),
            {
                "type": "object",
                "required": [
                    "text",
                    "dimensions",
                    "categories",
                    "consent_text",
                    "consent_sha256",
                    "version_sha256",
                    "issuer",
                    "emblem_sha256",
                    "emblem_url",
                    "versions",
                ],
                "properties": {
                    "text": {"type": "string", "description": "The exact text signatories read (NFC)."},
                    "dimensions": {"type": "array", "items": _ref("Choice")},
                    "categories": {"type": "array", "items": _ref("Choice")},
                    "consent_text": {"type": "string"},
                    "consent_sha256": _HEX64,
                    "version_sha256": _HEX64
                    | {
                        "description": "SHA-256 of the canonical version document (docs/FORMATS.md §4); "
                        "equals the version_sha256 of the version's commitment:publish log entry."
                    },
                    "issuer": {
                        "oneOf": [{"type": "string"}, {"type": "null"}],
                        "description": "Who issues the commitment, printed above its title (e.g. "
                        "PEMERINTAH KABUPATEN PURBALINGGA); in the version document when not null.",
                    },
                    "emblem_sha256": {
                        "oneOf": [_HEX64, {"type": "null"}],
                        "description": "SHA-256 of the issuer's emblem (PNG as re-encoded by Ikrar, served "
                        "at emblem_url); in the version document when not null.",
                    },
                    "emblem_url": {"oneOf": [{"type": "string", "format": "uri"}, {"type": "null"}]},
                    "opened_at": {"oneOf": [_INSTANT, {"type": "null"}]},
                    "closed_at": {
                        "oneOf": [_INSTANT, {"type": "null"}],
                        "description": "When signing closed; null while open, also after a reopening "
                        "(the log's commitment:close and commitment:reopen entries keep the history).",
                    },
                    "versions": {
                        "type": "array",
                        "items": {"type": "integer"},
                        "description": "Published version numbers.",
                    },
                },
            },
        ],
    },
    "Record": {
        "type": "object",
        "description": "The signed record (ikrar.signature.v1); see docs/FORMATS.md. "
        "Its signature covers the RFC 8785 canonical bytes of this object.",
        "required": [
            "type",
            "id",
            "code",
            "commitment",
            "signatory",
            "dimensions",
            "consent",
            "handwriting",
            "signed_at",
            "claimed_at",
            "operator",
            "device",
            "kid",
        ],
        "additionalProperties": False,
        "properties": {
            "type": {"const": "ikrar.signature.v1"},
            "id": {"type": "string", "pattern": "^[a-z2-7]{26}$"},
            "code": {"type": "string", "pattern": "^[0-9A-HJKMNP-TV-Z]{11}$"},
            "commitment": {
                "type": "object",
                "required": ["id", "version", "text_sha256"],
                "properties": {
                    "id": {"type": "string"},
                    "version": {"type": "integer"},
                    "text_sha256": _HEX64,
                },
            },
            "signatory": {
                "type": "object",
                "required": ["name", "position", "institution", "category"],
                "properties": {
                    k: {"type": "string"} for k in ("name", "position", "institution", "category")
                },
            },
            "dimensions": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            "consent": {
                "type": "object",
                "required": ["text_sha256", "public_display"],
                "properties": {"text_sha256": _HEX64, "public_display": {"type": "boolean"}},
            },
            "handwriting": {
                "type": "object",
                "required": ["strokes_sha256"],
                "properties": {"strokes_sha256": _HEX64},
            },
            "signed_at": _INSTANT,
            "claimed_at": {"oneOf": [_INSTANT, {"type": "null"}]},
            "operator": {"type": ["string", "null"]},
            "device": {"type": ["string", "null"]},
            "kid": {"type": "string", "description": "RFC 7638 thumbprint of the signing key."},
        },
    },
    "Signature": {
        "description": "A stored signature after the registry re-checked it, shaped by who asks "
        "(docs/FORMATS.md §3): auditors and admins get SignatureFull, everyone else SignaturePublic.",
        "oneOf": [_ref("SignatureFull"), _ref("SignaturePublic")],
    },
    "SignatureFull": {
        "type": "object",
        "description": "For auditors and admins (a signed-in session or an auditor bearer token). "
        "status 'invalid' means the stored data no longer verify (seal, strokes, commitment version "
        "or withdrawal against the log): then code, record, signature, kid and record_sha256 are "
        "null and nothing of the row is vouched for. status 'erased' means the signer's personal "
        "data were erased (a signature:erase entry, docs/FORMATS.md §7): record and signature are "
        "null, record_sha256 is the hash the signature:create entry committed to, a withdrawal's "
        "reason is null, and 'erasure' says when, why and at which log index.",
        "additionalProperties": False,
        # The members the service fills (services/audience.py), so schema and code cannot drift.
        "required": list(FULL_FIELDS),
        "properties": {
            "id": {"type": "string"},
            "code": {"type": ["string", "null"]},
            "record": {"oneOf": [_ref("Record"), {"type": "null"}]},
            "signature": {
                "type": ["string", "null"],
                "description": "base64url (no padding) Ed25519 signature, 64 bytes.",
            },
            "kid": {"type": ["string", "null"]},
            "log_index": {"type": "integer", "minimum": 0},
            "status": {"enum": ["valid", "withdrawn", "erased", "invalid"]},
            "record_sha256": _RECORD_SHA256,
            "withdrawal": {
                "oneOf": [
                    {"type": "null"},
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["at", "reason", "log_index"],
                        "properties": {
                            "at": _INSTANT,
                            "reason": {"type": ["string", "null"], "description": "null when erased."},
                            "log_index": {"type": "integer"},
                        },
                    },
                ]
            },
            "erasure": _ERASURE,
        },
    },
    "SignaturePublic": {
        "type": "object",
        "description": "For everyone else, what the consent text promises: without the signer's "
        "consent to public display only that a signature exists at a log index; with it also "
        "'public' and the withdrawal reason. Never the code, certificate link, record or seal. "
        "An erased signature: id, log_index, status 'erased', record_sha256, erasure and the "
        "withdrawal's time and index only.",
        "additionalProperties": False,
        "required": [*LOG_FIELDS, "withdrawal"],
        "properties": {
            "id": {"type": "string"},
            "log_index": {"type": "integer", "minimum": 0},
            "status": {"enum": ["valid", "withdrawn", "erased", "invalid"]},
            "record_sha256": _RECORD_SHA256,
            "withdrawal": {
                "oneOf": [
                    {"type": "null"},
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["at", "log_index"],
                        "properties": {
                            "at": _INSTANT,
                            "reason": {
                                "type": "string",
                                "description": "Only with consent (never when erased).",
                            },
                            "log_index": {"type": "integer"},
                        },
                    },
                ]
            },
            "erasure": _ERASURE,
            "public": {
                "type": "object",
                "description": "Only when the signer allowed public display (never when erased).",
                "additionalProperties": False,
                "required": ["name", "position", "institution", "signed_at", "kid", "commitment"],
                "properties": {
                    "name": {"type": "string"},
                    "position": {"type": "string"},
                    "institution": {"type": "string"},
                    "signed_at": _INSTANT,
                    "kid": {"type": "string"},
                    "commitment": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["id", "version", "title"],
                        "properties": {
                            "id": {"type": "string"},
                            "version": {"type": "integer", "minimum": 1},
                            "title": {"type": "string"},
                        },
                    },
                },
            },
        },
    },
    "SigningRequest": {
        "type": "object",
        "description": "Give either signatory (a walk-in) or invitee_id (someone on the list). "
        "Unknown fields, "
        "duplicate keys, NaN and non-finite numbers are refused.",
        "additionalProperties": False,
        "required": ["dimensions", "consent", "strokes"],
        "properties": {
            "signatory": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "position", "institution", "category"],
                "properties": {
                    "name": {"type": "string", "maxLength": 200},
                    "position": {"type": "string", "maxLength": 200},
                    "institution": {"type": "string", "maxLength": 200},
                    "category": {"type": "string", "description": "A category id of the commitment."},
                },
            },
            "invitee_id": {"type": "integer", "minimum": 1, "maximum": 2147483647},
            "link_invitee": {
                "type": "boolean",
                "default": True,
                "description": "With a signatory only. A walk-in whose name, category and institution "
                "match exactly one listed invitee (rules in registry/services/walk_ins.py) signs as that "
                "invitee; false when the signer said the listed namesake is someone else.",
            },
            "dimensions": {
                "type": "array",
                "minItems": 1,
                "items": {"type": "string"},
                "description": "Dimension ids of the commitment version.",
            },
            "consent": {
                "type": "object",
                "additionalProperties": False,
                "required": ["accepted", "public_display"],
                "properties": {"accepted": {"const": True}, "public_display": {"type": "boolean"}},
            },
            "strokes": {
                "type": "array",
                "description": "Handwritten signature: strokes of points; x, y in pad pixels "
                "(0–10000), t in ms (non-decreasing), p pressure 0–1. Numbers are read at the exact "
                "value of their decimal text (at most 30 significant digits, exponent within ±30) and "
                "rounded half to even (docs/FORMATS.md §5). At most 200 strokes and 6000 points; a "
                "trivial scribble is refused.",
                "items": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["x", "y", "t"],
                        "properties": {
                            "x": {"type": "number"},
                            "y": {"type": "number"},
                            "t": {"type": "number"},
                            "p": {"type": "number", "minimum": 0, "maximum": 1},
                        },
                    },
                },
            },
            "claimed_time": {
                "type": ["string", "null"],
                "format": "date-time",
                "description": "The tablet's clock: RFC 3339 with a mandatory offset (Z or ±HH:MM), "
                "an optional fraction of 1–9 digits, UTC year 1000–9998. Converted to UTC and truncated "
                "(not rounded) to the millisecond, it is the record's claimed_at (docs/FORMATS.md §3). "
                "The server's time is the signing time.",
            },
        },
    },
    "SigningResponse": {
        "type": "object",
        "required": [
            "id",
            "code",
            "record",
            "signature",
            "kid",
            "log_index",
            "url",
            "certificate_url",
            "verify_url",
            "linked_invitee",
            "listed_namesakes",
        ],
        "properties": {
            "id": {"type": "string"},
            "code": {
                "type": "string",
                "description": "The short verification code printed on the certificate.",
            },
            "record": _ref("Record"),
            "signature": {
                "type": "string",
                "description": "base64url Ed25519 signature over the record's JCS bytes.",
            },
            "kid": {"type": "string"},
            "log_index": {"type": "integer", "minimum": 0},
            "linked_invitee": {
                "type": "boolean",
                "description": "A walk-in (signatory) was recognised as a listed invitee: the signature "
                "counts for that invitee; the record keeps the details the signer typed.",
            },
            "listed_namesakes": {
                "type": "array",
                "items": {"type": "integer"},
                "description": "Ids of listed invitees with the walk-in's name it was not linked to "
                "(a doubt for the operator, e.g. two namesakes or another institution).",
            },
            "url": {"type": "string", "format": "uri"},
            "certificate_url": {"type": "string", "format": "uri"},
            "verify_url": {"type": "string", "format": "uri"},
        },
    },
    "JWK": {
        "type": "object",
        "required": ["kty", "crv", "x", "kid", "alg", "use", "purpose", "status", "not_before"],
        "properties": {
            "kty": {"const": "OKP"},
            "crv": {"const": "Ed25519"},
            "x": {"type": "string", "description": "base64url public key (RFC 8037)."},
            "kid": {"type": "string"},
            "alg": {"const": "EdDSA"},
            "use": {"const": "sig"},
            "key_ops": {"type": "array", "items": {"const": "verify"}},
            "purpose": {"enum": ["record", "log"]},
            "status": {"enum": ["active", "retired"]},
            "not_before": _INSTANT,
            "not_after": _INSTANT,
        },
    },
    "InclusionProof": {
        "type": "object",
        "required": ["index", "size", "leaf_hash", "root", "proof"],
        "properties": {
            "index": {"type": "integer"},
            "size": {"type": "integer"},
            "leaf_hash": {"type": "string"},
            "root": {"type": "string"},
            "proof": {"type": "array", "items": {"type": "string"}},
        },
    },
    "ConsistencyProof": {
        "type": "object",
        "required": ["old", "new", "old_root", "new_root", "proof"],
        "properties": {
            "old": {"type": "integer"},
            "new": {"type": "integer"},
            "old_root": {"type": "string"},
            "new_root": {"type": "string"},
            "proof": {"type": "array", "items": {"type": "string"}},
        },
    },
    "JWKS": {
        "type": "object",
        "required": ["keys"],
        "properties": {"keys": {"type": "array", "items": _ref("JWK")}},
    },
}


def _text(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"text/plain": {"schema": {"type": "string"}}}}


def _int_param(name: str, required: bool) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": {"type": "integer", "minimum": 0}}


def document() -> dict[str, Any]:
    slug = {
        "name": "slug",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": "Commitment id.",
    }
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "Ikrar registry API",
            "version": __version__,
            "description": "Signed public commitments. Signatures are electronic signatures "
            "*tidak tersertifikasi* (PP 71/2019), sealed with the registry's Ed25519 key. "
            "Byte formats: docs/FORMATS.md.",
        },
        "paths": {
            "/api/v1/commitments": {
                "get": {
                    "operationId": "listCommitments",
                    "summary": "The latest published version of every commitment.",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "properties": {
                                    "commitments": {"type": "array", "items": _ref("CommitmentSummary")}
                                },
                            },
                            "Commitments.",
                        )
                    },
                }
            },
            "/api/v1/commitments/{slug}": {
                "get": {
                    "operationId": "getCommitment",
                    "summary": "A commitment's exact text and its hash (default: latest published version).",
                    "parameters": [
                        slug,
                        {
                            "name": "version",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "integer", "minimum": 1},
                        },
                    ],
                    "responses": {
                        "200": _json(_ref("Commitment"), "The commitment version."),
                        "404": _problem("No such commitment or version."),
                        "422": _problem("Malformed version."),
                        "500": _problem(
                            "urn:ikrar:problem:integrity-error: the stored version no longer hashes to "
                            "its commitment:publish log entry (edited behind the registry's back); "
                            "it is not served."
                        ),
                    },
                }
            },
            "/api/v1/commitments/{slug}/signatures": {
                "post": {
                    "operationId": "createSignature",
                    "summary": "Sign the commitment's open version for one signatory.",
                    "description": "Authenticate with a device or operator bearer token (`ikrar "
                    "tokens create`), "
                    "or from an enrolled kiosk / signed-in browser session together with an "
                    "X-CSRFToken header. "
                    "Repeating a request with the same Idempotency-Key returns the first response unchanged "
                    "(header Idempotent-Replayed: true), also when the repeats arrive concurrently; "
                    "the same key "
                    "with a different body is refused.",
                    "security": [{"bearer": []}, {"kioskSession": []}],
                    "parameters": [
                        slug,
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "required": True,
                            "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,128}$"},
                        },
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("SigningRequest")}},
                    },
                    "responses": {
                        "201": _json(
                            _ref("SigningResponse"), "Signed (or the replay of the first response)."
                        ),
                        "400": _problem("CSRF token missing or invalid (browser sessions)."),
                        "401": _problem("No valid credential."),
                        "403": _problem(
                            "The device is locked to another commitment, or the role may not sign."
                        ),
                        "404": _problem("No such commitment or invitee."),
                        "409": _problem(
                            "`urn:ikrar:problem:already-signed`: this invitee, or the listed invitee a "
                            "walk-in was recognised as, has a standing signature; `not-open`: signing closed."
                        ),
                        "413": _problem("Body too large."),
                        "415": _problem("Body is not application/json."),
                        "422": _problem("A field is invalid; `field` names it."),
                        "429": _problem("Too many requests; see Retry-After."),
                        "500": _problem(
                            "urn:ikrar:problem:integrity-error: the commitment version no longer matches "
                            "its log entry; nothing is signed."
                        ),
                        "503": _problem(
                            "Nothing is signed; send the same request (same Idempotency-Key) again after "
                            "Retry-After. `urn:ikrar:problem:storage-full`: the database's disk is full; "
                            "`witness-unwritable`: the witness file cannot be written; `witness-missing`: "
                            "the witness is gone and an operator must run `ikrar log accept-database --yes`."
                        ),
                    },
                }
            },
            "/api/v1/signatures/{record_id}": {
                "get": {
                    "operationId": "getSignature",
                    "summary": "A signature by audience: the sealed record for auditors and admins, "
                    "what the consent text promises for everyone else.",
                    "description": "Send an auditor token (Authorization: Bearer ikr_aud_…) or sign in "
                    "as an auditor or admin for SignatureFull; a bad token is 401. The signer (whoever "
                    "holds the certificate's verification code, which the certificate PDF carries with "
                    "its record anyway) gets SignatureFull with ?code=<that code>.",
                    "parameters": [
                        {"name": "record_id", "in": "path", "required": True, "schema": {"type": "string"}},
                        {
                            "name": "code",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "maxLength": 64},
                            "description": "The record's verification code (any printed form): the "
                            "signer's capability. Any other value gets the public view.",
                        },
                    ],
                    "responses": {
                        "200": _json(_ref("Signature"), "The signature."),
                        "401": _problem("A bearer token was sent but is malformed, unknown or revoked."),
                        "404": _problem("No such signature."),
                    },
                }
            },
            "/api/v1/signatures/{record_id}/receipt": {
                "get": {
                    "operationId": "getReceipt",
                    "summary": "Offline receipt: a C2SP tlog-proof of the signature's log entry.",
                    "description": "`extra` carries the entry's canonical bytes; the proof is against a "
                    "checkpoint of size log_index+1, so the receipt's bytes never change.",
                    "parameters": [
                        {"name": "record_id", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {
                        "200": _text("c2sp.org/tlog-proof@v1 text."),
                        "404": _problem("No such signature."),
                    },
                }
            },
            "/api/v1/signatures/{record_id}/certificate.pdf": {
                "get": {
                    "operationId": "getCertificate",
                    "summary": "The signature's certificate PDF (embeds record.json, record.sig, receipt).",
                    "description": "Deterministic: the same record and withdrawal state give the same bytes. "
                    "Its QR code encodes `<BASE>/v/<code>#<QR statement>` (docs/FORMATS.md). The PDF shows "
                    "the handwritten signature, so it opens only with the link's token `t` (the signing "
                    "response's certificate_url, the kiosk's QR) or for a signed-in auditor or admin "
                    "(not operators; a bearer token opens nothing here).",
                    "parameters": [
                        {"name": "record_id", "in": "path", "required": True, "schema": {"type": "string"}},
                        {
                            "name": "t",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string"},
                            "description": "Capability token from certificate_url.",
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "PDF, with Content-Disposition naming ikrar-<code>-<name>.pdf.",
                            "content": {"application/pdf": {}},
                        },
                        "403": _problem("No valid token and no auditor or admin session."),
                        "404": _problem("No such signature."),
                    },
                }
            },
            "/api/v1/verify/{code}": {
                "get": {
                    "operationId": "verifyCode",
                    "summary": "Status of a signature by its verification code (allow-listed fields only).",
                    "description": "The code as printed: case, spaces and dashes do not matter. Rate limited "
                    "per client (429 with Retry-After). Save the answer for `ikrar verify --status`.",
                    "parameters": [
                        {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {
                        "200": _json(
                            _ref("VerifyStatus"), "A known signature: valid, withdrawn, erased or invalid."
                        ),
                        "404": _json(_ref("VerifyStatus"), "Unknown code: status `unknown`."),
                        "429": _problem("Too many requests; see Retry-After."),
                    },
                }
            },
            "/log/checkpoint": {
                "get": {
                    "operationId": "getCheckpoint",
                    "summary": "The latest signed checkpoint (C2SP tlog-checkpoint as a signed note).",
                    "responses": {"200": _text("Signed note.")},
                }
            },
            "/log/key": {
                "get": {
                    "operationId": "getLogKey",
                    "summary": "The log's verifier key string (name+keyid+base64).",
                    "responses": {"200": _text("Verifier key, one line.")},
                }
            },
            "/log/entries": {
                "get": {
                    "operationId": "getEntries",
                    "summary": "Log entries [start, end) as JSON Lines, at most 1000 per response.",
                    "description": "Each line is exactly the entry's canonical bytes (the Merkle leaf) "
                    "followed by a newline. Headers Ikrar-Log-Size and Ikrar-Range tell what was sent.",
                    "parameters": [_int_param("start", False), _int_param("end", False)],
                    "responses": {
                        "200": {
                            "description": "Entries.",
                            "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
                        },
                        "422": _problem("Range outside the log."),
                    },
                }
            },
            "/log/proof/inclusion": {
                "get": {
                    "operationId": "getInclusionProof",
                    "summary": "RFC 9162 inclusion proof of entry `index` in the tree of `size` entries.",
                    "parameters": [_int_param("index", True), _int_param("size", False)],
                    "responses": {
                        "200": _json(_ref("InclusionProof"), "Proof (hashes in base64)."),
                        "422": _problem("Index or size out of range."),
                    },
                }
            },
            "/log/proof/consistency": {
                "get": {
                    "operationId": "getConsistencyProof",
                    "summary": "RFC 9162 consistency proof between tree sizes `old` and `new`.",
                    "parameters": [_int_param("old", True), _int_param("new", False)],
                    "responses": {
                        "200": _json(_ref("ConsistencyProof"), "Proof (hashes in base64)."),
                        "422": _problem("Sizes out of range."),
                    },
                }
            },
            "/audit": {
                "get": {
                    "operationId": "getAuditPage",
                    "summary": "The auditors' page (HTML): checkpoint, verifier key, key history, how-to.",
                    "responses": {"200": {"description": "HTML page.", "content": {"text/html": {}}}},
                }
            },
            **KIOSK_PATHS,
            **LIVE_PATHS,
            "/.well-known/jwks.json": {
                "get": {
                    "operationId": "getJwks",
                    "summary": "Every public key the registry ever used, with status and validity window.",
                    "responses": {"200": _json(_ref("JWKS"), "The key set.", "application/jwk-set+json")},
                }
            },
            "/healthz": {
                "get": {
                    "operationId": "getHealth",
                    "summary": "Liveness probe: the process answers (no database or key access).",
                    "responses": {
                        "200": {
                            "description": "The text `ok`.",
                            "content": {"text/plain": {"schema": {"type": "string", "const": "ok\n"}}},
                        }
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "getOpenApi",
                    "summary": "This document.",
                    "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1 document.")},
                }
            },
        },
        "components": {
            "schemas": SCHEMAS | LIVE_SCHEMAS,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "ikr_dev_… or ikr_opr_… token (signing); ikr_aud_… auditor token "
                    "(full signature documents, never signing).",
                },
                "kioskSession": {
                    "type": "apiKey",
                    "in": "cookie",
                    # __Host-ikrar_session when the base URL is https (Secure, Path=/, no Domain).
                    "name": current_app.config["SESSION_COOKIE_NAME"],
                    "description": "The browser session of an enrolled kiosk or a signed-in staff "
                    "member; a staff session is checked against the server on every request and "
                    "ends at logout, password change, account disable or role change.",
                },
            },
        },
    }
    _add_pages(document["paths"])
    return document


# The kiosk's own browser endpoints (registry/web/kiosk.py): only for an enrolled tablet's session.
KIOSK_PATHS: dict[str, Any] = {
    "/kiosk/invitees": {
        "get": {
            "operationId": "kioskSearchInvitees",
            "summary": "Invitees of the tablet's commitment matching `q` (≥ 2 characters, ≤ 8 results).",
            "security": [{"kioskSession": []}],
            "parameters": [{"name": "q", "in": "query", "required": False, "schema": {"type": "string"}}],
            "responses": {
                "200": {
                    "description": "Matches (empty for a query under 2 characters).",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "invitees": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "properties": {
                                                "id": {"type": "integer"},
                                                "name": {"type": "string"},
                                                "position": {"type": "string"},
                                                "institution": {"type": "string"},
                                                "category": {"type": "string"},
                                                "category_label": {"type": "string"},
                                                "signed": {"type": "boolean"},
                                            },
                                        },
                                    }
                                },
                            }
                        }
                    },
                },
                "401": {"description": "This browser holds no live tablet enrolment."},
            },
        }
    },
    "/kiosk/state": {
        "get": {
            "operationId": "kioskState",
            "summary": "A fresh CSRF token for the tablet and whether its commitment is open.",
            "security": [{"kioskSession": []}],
            "responses": {
                "200": {
                    "description": "State.",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "csrf_token": {"type": "string"},
                                    "open": {"type": "boolean"},
                                    "device": {"type": "string"},
                                },
                            }
                        }
                    },
                },
                "401": {"description": "This browser holds no live tablet enrolment."},
            },
        }
    },
    "/kiosk/qr/{record_id}.svg": {
        "get": {
            "operationId": "kioskCertificateQr",
            "summary": "QR code (SVG) of the certificate URL of a signature this tablet made just now "
            "(within the last 2 minutes).",
            "security": [{"kioskSession": []}],
            "parameters": [
                {"name": "record_id", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "responses": {
                "200": {"description": "SVG image.", "content": {"image/svg+xml": {}}},
                "401": {"description": "This browser holds no live tablet enrolment."},
                "404": {"description": "No signature this tablet made in the last 2 minutes has this id."},
            },
        }
    },
}

_PATH_PARAM = re.compile(r"<(?:[^:>]+:)?([^>]+)>")


def _add_pages(paths: dict[str, Any]) -> None:
    """List the HTML pages and forms too, so the document names every route the app answers.

    They are for browsers, not a contract for other systems: each is tagged ``pages`` and
    summarised from its view's docstring.
    """
    for rule in current_app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = _PATH_PARAM.sub(r"{\1}", rule.rule)
        item = paths.setdefault(path, {})
        view = current_app.view_functions[rule.endpoint]
        summary = (inspect.getdoc(view) or rule.endpoint).splitlines()[0]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if method.lower() in item:
                continue
            responses: dict[str, Any] = (
                {"200": {"description": "HTML page.", "content": {"text/html": {}}}}
                if method == "GET"
                else {
                    "303": {"description": "Done; redirect to the next page."},
                    "400": {"description": "Form invalid or CSRF token missing."},
                }
            )
            parameters = [
                {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                for name in _PATH_PARAM.findall(rule.rule)
            ]
            operation: dict[str, Any] = {
                "operationId": f"page_{rule.endpoint.replace('.', '_')}_{method.lower()}",
                "tags": ["pages"],
                "summary": summary,
                "responses": responses,
            }
            if parameters:
                operation["parameters"] = parameters
            item[method.lower()] = operation
