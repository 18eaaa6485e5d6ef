"""Reading the EHR's FHIR server: bounded in time, size and pages; never retried on a client error.

The adapter sits behind ``FhirReader`` so the service layer and its tests do not depend on HTTP.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import time
from collections.abc import Collection
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

import requests

logger = logging.getLogger(__name__)


class FhirUnavailable(Exception):
    """The FHIR server did not give usable data. The message names the cause, never data or tokens."""


class FhirReader(Protocol):
    def read(self, path: str) -> dict[str, Any] | None: ...

    def search(self, path: str) -> list[dict[str, Any]]: ...

    def rest_of_bundle(self, bundle: dict[str, Any]) -> list[dict[str, Any]]: ...


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
        max_pages: int,
        max_response_bytes: int,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self._token = access_token
        self._timeout = timeout_seconds
        self._deadline = time.monotonic() + deadline_seconds
        self._max_pages = max_pages
        self._max_bytes = max_response_bytes
        self._session = session or requests.Session()

    def _get(self, url: str) -> dict[str, Any] | None:
        if origin_of(url) != origin_of(self.base_url):
            raise FhirUnavailable("a link points outside the fhirServer origin")
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise FhirUnavailable("FHIR fetch deadline exceeded")
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
                    raise FhirUnavailable(f"FHIR server answered HTTP {response.status_code}")
                body = self._read_capped(response)
        except requests.Timeout as exc:
            raise FhirUnavailable("FHIR server timed out") from exc
        except requests.RequestException as exc:
            raise FhirUnavailable(f"FHIR server unreachable ({type(exc).__name__})") from exc
        try:
            document = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise FhirUnavailable("FHIR server sent invalid JSON") from exc
        if not isinstance(document, dict) or not isinstance(document.get("resourceType"), str):
            raise FhirUnavailable("FHIR server sent something that is not a FHIR resource")
        return document

    def _read_capped(self, response: requests.Response) -> bytes:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(chunk_size=65536):
            size += len(chunk)
            if size > self._max_bytes:
                raise FhirUnavailable("FHIR response larger than the configured cap")
            if time.monotonic() > self._deadline:
                raise FhirUnavailable("FHIR fetch deadline exceeded")
            chunks.append(chunk)
        return b"".join(chunks)

    def read(self, path: str) -> dict[str, Any] | None:
        document = self._get(urljoin(self.base_url, path))
        if document is not None and document["resourceType"] == "OperationOutcome":
            raise FhirUnavailable("FHIR server answered with an OperationOutcome")
        return document

    def search(self, path: str) -> list[dict[str, Any]]:
        bundle = self._get(urljoin(self.base_url, path))
        if bundle is None:
            return []
        if bundle["resourceType"] != "Bundle":
            raise FhirUnavailable(f"search answered with {bundle['resourceType']}, not a Bundle")
        return entries_of(bundle) + self.rest_of_bundle(bundle)

    def rest_of_bundle(self, bundle: dict[str, Any]) -> list[dict[str, Any]]:
        """Resources of the pages after ``bundle`` (its ``next`` links), up to the page cap."""
        resources: list[dict[str, Any]] = []
        seen: set[str] = set()
        pages = 1
        page: dict[str, Any] | None = bundle
        while page is not None and (link := next_link(page)) is not None:
            if link in seen:
                raise FhirUnavailable("FHIR paging loops")
            seen.add(link)
            pages += 1
            if pages > self._max_pages:
                raise FhirUnavailable("FHIR search has more pages than the configured cap")
            page = self._get(urljoin(self.base_url, link))
            if page is None or page["resourceType"] != "Bundle":
                raise FhirUnavailable("a FHIR search page is not a Bundle")
            resources.extend(entries_of(page))
        return resources


def next_link(bundle: dict[str, Any]) -> str | None:
    links = bundle.get("link")
    for link in links if isinstance(links, list) else ():
        if isinstance(link, dict) and link.get("relation") == "next" and isinstance(link.get("url"), str):
            url: str = link["url"]
            return url
    return None


def entries_of(bundle: dict[str, Any], resource_types: Collection[str] | None = None) -> list[dict[str, Any]]:
    """The resources of a Bundle's entries (search outcomes left out), of ``resource_types`` when given."""
    entries = bundle.get("entry")
    found: list[dict[str, Any]] = []
    for entry in entries if isinstance(entries, list) else ():
        if not isinstance(entry, dict):
            continue
        resource = entry.get("resource")
        if not isinstance(resource, dict) or not isinstance(kind := resource.get("resourceType"), str):
            continue
        search = entry.get("search")
        if isinstance(search, dict) and search.get("mode") == "outcome":
            continue
        if resource_types is None or kind in resource_types:
            found.append(resource)
    return found
