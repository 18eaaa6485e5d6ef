"""CORS for browser-based CDS clients (cds-hooks.md §1.10): preflight and grants on every endpoint."""

from __future__ import annotations

from flask import Flask, Response, request

ALLOW_METHODS = "GET, POST, OPTIONS"
ALLOW_HEADERS = "Authorization, Content-Type, Accept, Accept-Language, X-Request-Id"
EXPOSE_HEADERS = "X-Request-Id, Content-Language"


def init_cors(app: Flask, allowed_origins: tuple[str, ...]) -> None:
    allow_any = "*" in allowed_origins
    allowed = {o.rstrip("/").lower() for o in allowed_origins}

    @app.after_request
    def grant(response: Response) -> Response:
        origin = request.headers.get("Origin")
        if not origin or not (allow_any or origin.rstrip("/").lower() in allowed):
            return response
        response.headers["Access-Control-Allow-Origin"] = "*" if allow_any else origin
        if not allow_any:
            response.headers.add("Vary", "Origin")
        response.headers["Access-Control-Allow-Methods"] = ALLOW_METHODS
        response.headers["Access-Control-Allow-Headers"] = ALLOW_HEADERS
        response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
        response.headers["Access-Control-Max-Age"] = "600"
        return response
