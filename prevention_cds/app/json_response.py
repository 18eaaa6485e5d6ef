"""JSON responses serialised by pydantic-core's encoder instead of the standard library's.

Every answer of the service is a plain JSON value built by the cards and protocol layers (dicts, lists,
strings, numbers, booleans). A patient-view answer carries cards with their FHIR resources (about 8 KiB):
pydantic-core (already installed with fhir.resources) writes it about four times faster than ``json.dumps``,
with the same content: keys in insertion order, UTF-8 text unescaped, compact separators. Request bodies are
still read by the standard library (``body.py``), whose recursion limit bounds their nesting.

Beyond plain JSON, pydantic-core would write a date in ISO 8601 where Flask writes RFC 822: the service sends
no such value (FHIR dates in resources are already strings).
"""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.json.provider import DefaultJSONProvider
from pydantic_core import to_json


class ResponseJsonProvider(DefaultJSONProvider):
    sort_keys = False  # members in the order the builders wrote them
    ensure_ascii = False  # French texts as UTF-8, not \u escapes

    def response(self, *args: Any, **kwargs: Any) -> Response:
        document = self._prepare_response_obj(args, kwargs)
        readable = self.compact is False or (self.compact is None and self._app.debug)
        body = to_json(document, indent=2 if readable else None) + b"\n"
        return Response(body, mimetype=self.mimetype)
