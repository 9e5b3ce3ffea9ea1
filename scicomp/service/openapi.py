"""The OpenAPI document: request bodies, responses and security of every endpoint.

The compute endpoints read their bodies themselves (JSON or x-npy), so their
request and response schemas are written here from the pydantic models.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

__all__ = ["install_openapi", "ERROR_RESPONSES"]

ERROR_RESPONSES = {
    400: "Malformed request (an invalid Content-Length header)",
    401: "Missing, malformed, expired or wrongly signed token",
    403: "The token lacks this endpoint's permission",
    413: "The body exceeds the configured byte limit",
    415: "Unsupported Content-Type",
    422: "Invalid input: the message names the field",
    500: "Internal error (never a traceback)",
    504: "The computation exceeded the time limit",
}
_BINARY = {"type": "string", "format": "binary"}


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def install_openapi(app: FastAPI, prefix: str, operations: Sequence[Any], error_model: type[BaseModel], auth: bool) -> None:
    """Replace ``app.openapi`` with a generator that documents the hand-parsed endpoints."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        components = schema.setdefault("components", {})
        schemas = components.setdefault("schemas", {})

        def add(model: type[BaseModel], mode: str) -> None:
            body = model.model_json_schema(ref_template="#/components/schemas/{model}", mode=mode)
            schemas.update(body.pop("$defs", {}))
            schemas[model.__name__] = body

        add(error_model, "serialization")
        error_content = {"application/json": {"schema": _ref(error_model)}}
        security = [{"bearer": []}] if auth else []
        if auth:
            components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
        for op in operations:
            add(op.request, "validation")
            add(op.response, "serialization")
            entry = {"summary": op.summary, "operationId": op.name.replace(".", "_"), "tags": [op.permission]}
            schema.setdefault("paths", {})[prefix + op.path] = {"post": entry}
            content: dict[str, Any] = {"application/json": {"schema": _ref(op.request)}}
            description = f"Needs the '{op.permission}' permission."
            if op.npy_field:
                content["application/x-npy"] = {"schema": _BINARY}
                description += (
                    f" The '{op.npy_field}' array may be sent as an application/x-npy body (a NumPy .npy file, "
                    "no pickles), with the other fields as query parameters."
                )
            entry["description"] = description
            entry["requestBody"] = {"required": True, "content": content}
            ok: dict[str, Any] = {"application/json": {"schema": _ref(op.response)}}
            if op.npy_rows:
                ok["application/x-npy"] = {"schema": _BINARY}
            responses: dict[str, Any] = {"200": {"description": "Success", "content": ok}}
            for code, text in ERROR_RESPONSES.items():
                if code in (401, 403) and not auth:
                    continue
                responses[str(code)] = {"description": text, "content": error_content}
            entry["responses"] = responses
            if security:
                entry["security"] = security
        detailed = schema["paths"]["/health/detailed"]["get"]
        if security:
            detailed["security"] = security
            for code in (401, 403):
                detailed["responses"][str(code)] = {"description": ERROR_RESPONSES[code], "content": error_content}
        detailed["responses"]["503"] = {
            "description": "A check failed",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DetailedHealthResponse"}}},
        }
        detailed["responses"]["504"] = {"description": ERROR_RESPONSES[504], "content": error_content}
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
