"""Reading the EHR's FHIR server: one bounded GET at a time (time, size, origin), never retried on a client error.

:class:`HttpFhirReader` has the shape of prefetch's ``FhirReader`` port (``prevention_cds/hooks/prefetch.py``,
which reads searches and follows their pages), so the protocol layer does not depend on HTTP; the service
layer (``evaluate.py``) wires the two.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import time
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from prevention_cds.errors import DataUnavailable

logger = logging.getLogger(__name__)


class FhirFetchFailed(DataUnavailable):
    """The FHIR server did not give usable data. The message names the cause, never data or tokens."""


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def is_loopback(url: str) -> bool:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def fhir_server_refusal(url: str, allowed_origins: tuple[str, ...], dev: bool) -> str | None:
    """Why the service will not call this fhirServer, or None when it may."""
    try:
        scheme, host = urlsplit(url).scheme, urlsplit(url).hostname
    except ValueError:
        return "fhirServer is not a valid URL"
    if not host:
        return "fhirServer is not a valid URL"
    if scheme not in ("https", "http"):
        return "fhirServer must be an http(s) URL"
    loopback_dev = dev and is_loopback(url)
    if scheme == "http" and not loopback_dev and origin_of(url) not in allowed_origins:
        return "fhirServer must use https (plain http only for loopback in development)"
    if loopback_dev or origin_of(url) in {o.lower() for o in allowed_origins}:
        return None
    return "fhirServer origin is not on the allow-list (PREVENTION_CDS_FHIR_ALLOWED_ORIGINS)"


class HttpFhirReader:
    def __init__(
        self,
        base_url: str,
        access_token: str | None,
        *,
        timeout_seconds: float,
        deadline_seconds: float,
        max_response_bytes: int,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self._token = access_token
        self._timeout = timeout_seconds
        self._deadline = time.monotonic() + deadline_seconds
        self._max_bytes = max_response_bytes
        self._session = session or requests.Session()

    def _get(self, url: str) -> dict[str, Any] | None:
        if origin_of(url) != origin_of(self.base_url):
            raise FhirFetchFailed("a link points outside the fhirServer origin")
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise FhirFetchFailed("FHIR fetch deadline exceeded")
        headers = {"Accept": "application/fhir+json, application/json"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        timeout = min(self._timeout, remaining)
        try:
            with self._session.get(
                url, headers=headers, timeout=(timeout, timeout), stream=True, allow_redirects=False
            ) as response:
                if response.status_code in (404, 410):
                    return None
                if response.status_code != 200:
                    raise FhirFetchFailed(f"FHIR server answered HTTP {response.status_code}")
                body = self._read_capped(response)
        except requests.Timeout as exc:
            raise FhirFetchFailed("FHIR server timed out") from exc
        except requests.RequestException as exc:
            raise FhirFetchFailed(f"FHIR server unreachable ({type(exc).__name__})") from exc
        try:
            document = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise FhirFetchFailed("FHIR server sent invalid JSON") from exc
        if not isinstance(document, dict) or not isinstance(document.get("resourceType"), str):
            raise FhirFetchFailed("FHIR server sent something that is not a FHIR resource")
        return document

    def _read_capped(self, response: requests.Response) -> bytes:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(chunk_size=65536):
            size += len(chunk)
            if size > self._max_bytes:
                raise FhirFetchFailed("FHIR response larger than the configured cap")
            if time.monotonic() > self._deadline:
                raise FhirFetchFailed("FHIR fetch deadline exceeded")
            chunks.append(chunk)
        return b"".join(chunks)

    def fetch(self, path: str) -> dict[str, Any] | None:
        """The FHIR resource at ``path`` (relative to the fhirServer, or a paging link on its origin): a JSON object
        with a ``resourceType``; None when the server answers 404 or 410."""
        return self._get(urljoin(self.base_url, path))
