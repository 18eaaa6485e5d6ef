"""Reading the EHR's FHIR server for one CDS Hooks call: bounded in time, in size and in where it connects.

:class:`HttpFhirReader` has the shape of prefetch's ``FhirReader`` port (``prevention_cds/hooks/prefetch.py``,
which reads searches and follows their pages), so the protocol layer does not depend on HTTP; the service
layer (``evaluate.py``) wires the two. One reader serves one call, and all its fetches share:

* **a deadline** (``deadline_seconds`` from the reader's creation): a timer shuts down every connection still
  open when it passes, so a server that trickles its answer one byte at a time, hangs after its headers or sends
  a body that never ends cannot hold the call (a read timeout alone never fires while bytes keep coming);
  :meth:`HttpFhirReader.close` does the same at once, when the call needs no more;
* **a byte budget** (``max_response_bytes``): what all the call's answers may add up to, so parallel fetches cannot
  each take the whole cap;
* **one parse of the fhirServer URL**, by urllib3, the parser of the HTTP client itself: the origin that is
  checked (allow-list, loopback in development) is the one requests connect to, a URL with a backslash or
  user information is refused (parsers disagree on where its host is), and in development the connected peer
  is checked to be a loopback address. Environment proxies are not used.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import re
import socket
import threading
import time
from dataclasses import dataclass
from functools import cache
from typing import Any

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import LocationParseError
from urllib3.util import Url, parse_url

from prevention_cds.errors import DataUnavailable, InvalidRequest

logger = logging.getLogger(__name__)

CHUNK_BYTES = 65536
_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")  # a URL that starts with its scheme
DEFAULT_PORTS = {"http": 80, "https": 443}


class FhirFetchFailed(DataUnavailable):
    """The FHIR server did not give usable data. The message names the cause, never data or tokens."""


class UnusableFhirUrl(InvalidRequest):
    """A fhirServer URL (or a paging link) that the service will not read; the message says why."""


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str  # as urllib3 normalises it: lower case, IPv6 in brackets
    port: int

    def __str__(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    @property
    def is_loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host.strip("[]")).is_loopback
        except ValueError:
            return False


def parse_fhir_url(url: str) -> Url:
    """``url`` parsed once, by urllib3: an absolute http(s) URL with a host and neither user information nor a
    backslash nor a control character (where URL parsers disagree, a check could read one host and the client
    connect to another). Raises :class:`UnusableFhirUrl`."""
    if "\\" in url:
        raise UnusableFhirUrl("a URL with a backslash is refused")
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        raise UnusableFhirUrl("a URL with a space or a control character is refused")
    try:
        parsed = parse_url(url)
    except LocationParseError:
        raise UnusableFhirUrl("not a valid URL") from None
    if parsed.scheme not in DEFAULT_PORTS:
        raise UnusableFhirUrl("must be an http(s) URL")
    if not parsed.host:
        raise UnusableFhirUrl("not a valid URL")
    if parsed.auth is not None:
        raise UnusableFhirUrl("a URL with user information is refused")
    return parsed


def origin_of(parsed: Url) -> Origin:
    scheme = parsed.scheme or "http"
    return Origin(scheme, (parsed.host or "").lower(), parsed.port or DEFAULT_PORTS[scheme])


@cache
def allowed_origins(configured: tuple[str, ...]) -> frozenset[Origin]:
    """The configured ``scheme://host[:port]`` origins, parsed as fhirServer URLs are (one that cannot be parsed
    allows nothing, and is logged)."""
    origins = set()
    for text in configured:
        try:
            origins.add(origin_of(parse_fhir_url(text)))
        except UnusableFhirUrl as exc:
            logger.error("PREVENTION_CDS_FHIR_ALLOWED_ORIGINS: %r ignored: %s", text, exc)
    return frozenset(origins)


def is_allowed_origin(url: str, configured_origins: tuple[str, ...]) -> bool:
    try:
        return origin_of(parse_fhir_url(url)) in allowed_origins(configured_origins)
    except UnusableFhirUrl:
        return False


def fhir_server_refusal(url: str, configured_origins: tuple[str, ...], dev: bool) -> str | None:
    """Why the service will not call this fhirServer, or None when it may (a URL it does not read, see
    :func:`parse_fhir_url`, is refused too: callers that answer it as the client's error parse it first)."""
    try:
        origin = origin_of(parse_fhir_url(url))
    except UnusableFhirUrl as exc:
        return f"fhirServer: {exc}"
    if origin in allowed_origins(configured_origins) or (dev and origin.is_loopback):
        return None
    if origin.scheme == "http":
        return "fhirServer must use https (plain http only for loopback in development)"
    return "fhirServer origin is not on the allow-list (PREVENTION_CDS_FHIR_ALLOWED_ORIGINS)"


# --- one call's connections: opened, watched, shut down -----------------------------------------------------


class _CallConnections:
    """The connections of one call's fetches. Any of them can be shut down from another thread (the deadline's
    timer, or :meth:`HttpFhirReader.close`): a read blocked on it then returns at once."""

    def __init__(self, loopback_only: bool) -> None:
        self.loopback_only = loopback_only
        self._lock = threading.Lock()
        self._open: set[HTTPConnection] = set()
        self.ended: str | None = None  # why no fetch may run any more: the deadline passed, or the call closed

    def opened(self, connection: HTTPConnection) -> None:
        with self._lock:
            if self.ended is None:
                self._open.add(connection)
                return
        _shut_down(connection)

    def closing(self, connection: HTTPConnection) -> None:
        with self._lock:
            self._open.discard(connection)

    def end(self, why: str) -> None:
        with self._lock:
            if self.ended is None:
                self.ended = why
            connections, self._open = self._open, set()
        for connection in connections:
            _shut_down(connection)


def _shut_down(connection: HTTPConnection) -> None:
    sock = connection.sock
    if sock is None:
        return
    # the plain socket's shutdown, also for a TLS socket (whose own shutdown would drop its TLS state under a
    # thread still reading): the peer and any blocked read see the connection end
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


_CURRENT = threading.local()  # the _CallConnections of the fetch running in this thread


class _WatchedConnection:
    """Mixed into urllib3's connections: every connection a fetch opens is registered with its call, and in
    development its peer must be a loopback address (what was checked is what is connected to)."""

    def connect(self) -> None:
        connections: _CallConnections | None = getattr(_CURRENT, "connections", None)
        super().connect()  # type: ignore[misc]
        sock = self.sock  # type: ignore[attr-defined]
        if connections is not None and connections.loopback_only:
            peer = sock.getpeername()[0]
            if not ipaddress.ip_address(peer).is_loopback:
                self.close()
                raise FhirFetchFailed("fhirServer resolved to an address that is not loopback")
        self._connections = connections
        if connections is not None:
            connections.opened(self)  # type: ignore[arg-type]

    def close(self) -> None:
        connections: _CallConnections | None = getattr(self, "_connections", None)
        if connections is not None:
            connections.closing(self)  # type: ignore[arg-type]
        super().close()  # type: ignore[misc]


class _WatchedHTTPConnection(_WatchedConnection, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_WatchedConnection, HTTPSConnection):
    pass


class _WatchedHTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _WatchedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class _ByteBudget:
    """What all the answers of one call may add up to."""

    def __init__(self, max_bytes: int) -> None:
        self.left = max_bytes
        self._lock = threading.Lock()

    def take(self, count: int) -> None:
        with self._lock:
            self.left -= count
            if self.left < 0:
                raise FhirFetchFailed("FHIR answers of this call larger than the configured cap")


# --- the reader ---------------------------------------------------------------------------------------------


class HttpFhirReader:
    def __init__(
        self,
        base_url: str,
        access_token: str | None,
        *,
        timeout_seconds: float,
        deadline_seconds: float,
        max_response_bytes: int,
        loopback_only: bool = False,
    ) -> None:
        """``max_response_bytes``: what all the answers of this reader (one call) may add up to.
        ``loopback_only``: the fhirServer was let through as a loopback address (development); every
        connection's peer is then checked to be one."""
        parsed = parse_fhir_url(base_url)
        self._origin = origin_of(parsed)
        self._base = f"{self._origin}{(parsed.path or '/').rstrip('/')}/"
        self._token = access_token
        self._timeout = timeout_seconds
        self._deadline = time.monotonic() + deadline_seconds
        self._budget = _ByteBudget(max_response_bytes)
        self._connections = _CallConnections(loopback_only)
        self._session = requests.Session()
        self._session.trust_env = False  # no proxy from the environment, no .netrc credentials
        adapter = _WatchedAdapter(max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._timer = threading.Timer(deadline_seconds, self._connections.end, args=("deadline",))
        self._timer.daemon = True
        self._timer.start()

    def seconds_left(self) -> float:
        return self._deadline - time.monotonic()

    def close(self) -> None:
        """No fetch of this call is needed any more: the ones still running end now, connections are released."""
        self._timer.cancel()
        self._connections.end("closed")
        self._session.close()

    def fetch(self, path: str) -> dict[str, Any] | None:
        """The FHIR resource at ``path`` (relative to the fhirServer, or a paging link on its origin): a JSON object
        with a ``resourceType``; None when the server answers 404 or 410."""
        body = self._get(self._url(path))
        if body is None:
            return None
        try:
            document = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise FhirFetchFailed("FHIR server sent invalid JSON") from exc
        finally:
            del body
        if not isinstance(document, dict) or not isinstance(document.get("resourceType"), str):
            raise FhirFetchFailed("FHIR server sent something that is not a FHIR resource")
        return document

    def _url(self, path: str) -> str:
        """The URL to request: on the fhirServer's origin, rebuilt from urllib3's parse of ``path``."""
        if not _ABSOLUTE.match(path):
            if "\\" in path:
                raise FhirFetchFailed("a FHIR path with a backslash is refused")
            return self._base + path.lstrip("/")
        try:
            link = parse_fhir_url(path)
        except UnusableFhirUrl as exc:
            raise FhirFetchFailed(f"a paging link is refused: {exc}") from None
        if origin_of(link) != self._origin:
            raise FhirFetchFailed("a link points outside the fhirServer origin")
        return f"{self._origin}{link.request_uri}"

    def _failed(self, cause: str) -> FhirFetchFailed:
        if self._connections.ended == "deadline" or self.seconds_left() <= 0:
            return FhirFetchFailed("FHIR fetch deadline exceeded")
        if self._connections.ended == "closed":
            return FhirFetchFailed("FHIR fetch cancelled: the call needs no more")
        return FhirFetchFailed(cause)

    def _get(self, url: str) -> bytearray | None:
        remaining = self.seconds_left()
        if remaining <= 0 or self._connections.ended is not None:
            raise self._failed("FHIR fetch deadline exceeded")
        headers = {"Accept": "application/fhir+json, application/json"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        timeout = min(self._timeout, remaining)
        _CURRENT.connections = self._connections
        try:
            with self._session.get(
                url, headers=headers, timeout=(timeout, timeout), stream=True, allow_redirects=False
            ) as response:
                if response.status_code in (404, 410):
                    return None
                if response.status_code != 200:
                    raise FhirFetchFailed(f"FHIR server answered HTTP {response.status_code}")
                return self._read_capped(response)
        except requests.Timeout as exc:
            raise self._failed("FHIR server timed out") from exc
        except (requests.RequestException, OSError, ValueError) as exc:
            raise self._failed(f"FHIR server unreachable ({type(exc).__name__})") from exc
        finally:
            _CURRENT.connections = None

    def _read_capped(self, response: requests.Response) -> bytearray:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self._budget.left:
            raise FhirFetchFailed("FHIR answers of this call larger than the configured cap")
        body = bytearray()
        try:
            for chunk in response.iter_content(chunk_size=CHUNK_BYTES):
                self._budget.take(len(chunk))
                body += chunk
        except BaseException:
            body.clear()  # the error's traceback keeps this frame, not the bytes read
            raise
        return body
