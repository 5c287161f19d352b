"""The OpenAPI 3.1 description of every public route (a test checks none is missing).

Generated: ``components/schemas`` from the wire models (registry/wire/), the JSON paths from the
tables in openapi_paths.py and openapi_screens.py, and the HTML pages and forms from the URL map.
"""

from __future__ import annotations

import functools
import inspect
import re
from typing import Any

from flask import current_app
from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, models_json_schema
from pydantic_core import CoreSchema
from werkzeug.routing import Rule

from registry import __version__
from registry.api.openapi_operations import opaque
from registry.api.openapi_paths import commitment_paths, log_paths, service_paths, signature_paths
from registry.api.openapi_screens import kiosk_paths, live_paths
from registry.wire.record import Record
from registry.wire.registry import JWK, JWKS, Commitment, CommitmentList, ConsistencyProof, InclusionProof
from registry.wire.screens import (
    KioskInvitees,
    KioskRoster,
    KioskState,
    LiveScreen,
    LiveScreenPoll,
    LiveScreenUnchanged,
    LiveSignature,
)
from registry.wire.signatures import Problem, Signature, SignatureFull, SignaturePublic, VerifyStatus
from registry.wire.signing import SigningRequest, SigningResponse

REF_TEMPLATE = "#/components/schemas/{model}"
# Every model a path refers to; the models they contain are added as they are met.
MODELS: tuple[type[BaseModel], ...] = (
    Record,
    Signature,
    SignatureFull,
    SignaturePublic,
    VerifyStatus,
    Problem,
    SigningRequest,
    SigningResponse,
    CommitmentList,
    Commitment,
    JWKS,
    JWK,
    InclusionProof,
    ConsistencyProof,
    LiveScreenPoll,
    LiveScreen,
    LiveScreenUnchanged,
    LiveSignature,
    KioskInvitees,
    KioskRoster,
    KioskState,
)
INFO = {
    "title": "Ikrar registry API",
    "description": "Signed public commitments. Signatures are electronic signatures *tidak "
    "tersertifikasi* (PP 71/2019), sealed with the registry's Ed25519 key. Byte formats: "
    "docs/FORMATS.md.",
}


class _Untitled(GenerateJsonSchema):
    """JSON Schema without a ``title`` per member (the member's name already says it)."""

    def field_title_should_be_set(self, schema: CoreSchema) -> bool:
        return False


@functools.cache
def schemas() -> dict[str, Any]:
    """``components/schemas``: one schema per wire model, generated."""
    _, top = models_json_schema(
        [(model, "validation") for model in MODELS], ref_template=REF_TEMPLATE, schema_generator=_Untitled
    )
    generated: dict[str, Any] = top["$defs"]
    for schema in generated.values():
        if "description" in schema:  # a docstring's line breaks are not paragraphs
            schema["description"] = " ".join(schema["description"].split())
    return dict(sorted(generated.items()))


def _security_schemes() -> dict[str, Any]:
    return {
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
            "description": "The browser session of an enrolled kiosk or a signed-in staff member; a "
            "staff session is checked against the server on every request and ends at logout, "
            "password change, account disable or role change.",
        },
    }


def document() -> dict[str, Any]:
    paths: dict[str, Any] = {
        **commitment_paths(),
        **signature_paths(),
        **log_paths(),
        **kiosk_paths(),
        **live_paths(),
        **service_paths(),
    }
    _add_pages(paths)
    return {
        "openapi": "3.1.0",
        "info": INFO | {"version": __version__},
        "paths": paths,
        "components": {"schemas": schemas(), "securitySchemes": _security_schemes()},
    }


_PATH_PARAM = re.compile(r"<(?:[^:>]+:)?([^>]+)>")


def _page_operation(rule: Rule, method: str) -> dict[str, Any]:
    """An HTML page or form, summarised from its view's docstring."""
    view = current_app.view_functions[rule.endpoint]
    responses: dict[str, Any] = (
        {"200": opaque("HTML page.", "text/html")}
        if method == "GET"
        else {
            "303": {"description": "Done; redirect to the next page."},
            "400": {"description": "Form invalid or CSRF token missing."},
        }
    )
    operation: dict[str, Any] = {
        "operationId": f"page_{rule.endpoint.replace('.', '_')}_{method.lower()}",
        "tags": ["pages"],
        "summary": (inspect.getdoc(view) or rule.endpoint).splitlines()[0],
        "responses": responses,
    }
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PATH_PARAM.findall(rule.rule)
    ]
    if parameters:
        operation["parameters"] = parameters
    return operation


def _add_pages(paths: dict[str, Any]) -> None:
    """List the HTML pages and forms too, so the document names every route the app answers.

    They are for browsers, not a contract for other systems: each is tagged ``pages``.
    """
    for rule in current_app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        item = paths.setdefault(_PATH_PARAM.sub(r"{\1}", rule.rule), {})
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if method.lower() not in item:
                item[method.lower()] = _page_operation(rule, method)
