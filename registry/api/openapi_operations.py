"""Small builders of OpenAPI operations, so the path tables read as tables."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from registry.wire.signatures import Problem

PROBLEM_MEDIA = "application/problem+json"


def ref(model: type[BaseModel] | str) -> dict[str, str]:
    """A reference to a generated component schema (by model, or by its name)."""
    name = model if isinstance(model, str) else model.__name__
    return {"$ref": f"#/components/schemas/{name}"}


def json_body(
    schema: type[BaseModel] | dict[str, Any], description: str, media: str = "application/json"
) -> dict[str, Any]:
    """A response whose body is the JSON of ``schema`` (a model, or an inline schema)."""
    inline = schema if isinstance(schema, dict) else ref(schema)
    return {"description": description, "content": {media: {"schema": inline}}}


def text(description: str, media: str = "text/plain") -> dict[str, Any]:
    return {"description": description, "content": {media: {"schema": {"type": "string"}}}}


def opaque(description: str, media: str) -> dict[str, Any]:
    """A response of ``media`` whose bytes the document does not describe (PDF, SVG, HTML)."""
    return {"description": description, "content": {media: {}}}


def problems(errors: dict[int, str]) -> dict[str, Any]:
    """RFC 9457 problem responses by status."""
    return {str(status): json_body(Problem, text_, PROBLEM_MEDIA) for status, text_ in errors.items()}


def in_path(name: str, description: str | None = None) -> dict[str, Any]:
    parameter: dict[str, Any] = {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
    if description:
        parameter["description"] = description
    return parameter


def in_query(
    name: str, schema: dict[str, Any], description: str | None = None, *, required: bool = False
) -> dict[str, Any]:
    parameter: dict[str, Any] = {"name": name, "in": "query", "required": required, "schema": schema}
    if description:
        parameter["description"] = description
    return parameter


def whole_number(name: str, required: bool = False) -> dict[str, Any]:
    return in_query(name, {"type": "integer", "minimum": 0}, required=required)


SLUG = in_path("slug", "Commitment id.")
RECORD_ID = in_path("record_id")


def operation(
    operation_id: str,
    summary: str,
    responses: dict[str, Any],
    *,
    description: str | None = None,
    parameters: list[dict[str, Any]] | None = None,
    security: list[dict[str, list[str]]] | None = None,
    request: type[BaseModel] | None = None,
) -> dict[str, Any]:
    """One OpenAPI operation object, with only the members given."""
    built: dict[str, Any] = {"operationId": operation_id, "summary": summary}
    if description:
        built["description"] = description
    if security is not None:
        built["security"] = security
    if parameters:
        built["parameters"] = parameters
    if request is not None:
        built["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref(request)}}}
    built["responses"] = responses
    return built
