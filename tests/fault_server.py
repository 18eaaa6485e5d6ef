"""A real HTTP server on loopback that misbehaves on purpose, alone or as a proxy in front of a FHIR server.

URL: ``/{mode}[~{ResourceType}]/{FHIR path}``. With ``~Type`` the fault hits only requests for that resource
type; the others are answered normally (proxied to ``upstream`` when one is given, else with an empty result).
Modes: ``ok``, ``status500``, ``status401``, ``slow`` (answers after ``delay`` s), ``garbage`` (not JSON),
``wrong-type`` (a Patient where a Bundle is expected), ``loop`` (a Bundle whose next link is itself),
``huge`` (a body over the size cap, with its Content-Length), ``huge-chunked`` (``huge_chunked_bytes`` of JSON
whitespace, chunked: the size is known only once read). Modes that never finish, ended by the client closing the connection (or
after ``SLOW_MODE_MAX_SECONDS``): ``trickle`` (headers, then the body one byte every ``trickle_interval`` s),
``trickle-headers`` (the header block one byte at a time), ``hang`` (headers, then nothing), ``endless`` (a
chunked body whose chunks never end). :attr:`FaultServer.open_connections` counts the requests still being
answered, and :attr:`FaultServer.ended` records when each slow answer ended (monotonic).
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

FAULTS = ("status500", "status401", "slow", "garbage", "wrong-type", "loop", "huge")
SLOW_MODES = ("trickle", "trickle-headers", "hang", "endless")
STREAMED_MODES = ("huge-chunked",)
SLOW_MODE_MAX_SECONDS = 120.0


class FaultServer:
    def __init__(self, delay: float = 5.0, upstream: str | None = None, trickle_interval: float = 0.5,
                 host: str = "127.0.0.1", huge_chunked_bytes: int = 8 * 1024 * 1024) -> None:
        self.delay = delay
        self.trickle_interval = trickle_interval
        self.huge_chunked_bytes = huge_chunked_bytes
        self.upstream = upstream.rstrip("/") if upstream else None
        self.requests: list[tuple[str, str | None]] = []
        self.open_connections = 0
        self.ended: list[float] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output quiet
                return

            def do_GET(self) -> None:
                outer.requests.append((self.path, self.headers.get("Authorization")))
                prefix, _, fhir_path = self.path.lstrip("/").partition("/")
                mode, _, only = prefix.partition("~")
                resource_type = fhir_path.split("?")[0].split("/")[0]
                if only and resource_type != only:
                    mode = "ok"
                if mode in SLOW_MODES:
                    outer.serve_slowly(mode, self.connection)
                    return
                if mode in STREAMED_MODES:
                    outer.stream_huge(self.connection)
                    return
                status, body = outer.answer(mode, prefix, fhir_path, self.headers.get("Authorization"))
                self.send_response(status)
                self.send_header("Content-Type", "application/fhir+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

        self.host = host
        self._server = ThreadingHTTPServer((host, 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def answer(self, mode: str, prefix: str, fhir_path: str, authorization: str | None) -> tuple[int, bytes]:
        if mode == "slow":
            time.sleep(self.delay)
        if mode == "status500":
            return 500, b'{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"exception"}]}'
        if mode == "status401":
            return 401, b"{}"
        if mode == "garbage":
            return 200, b"<html>not json"
        if mode == "huge":
            return 200, b'{"resourceType":"Bundle","type":"searchset","entry":[' + b" " * 30_000_000 + b"]}"
        is_read = "?" not in fhir_path and fhir_path.count("/") == 1
        if mode == "wrong-type" and not is_read:
            return 200, json.dumps({"resourceType": "Patient", "id": "x"}).encode()
        if mode == "loop":
            bundle = {"resourceType": "Bundle", "type": "searchset", "entry": [],
                      "link": [{"relation": "next", "url": f"{self.base(prefix)}/{fhir_path}"}]}
            return 200, json.dumps(bundle).encode()
        if self.upstream is not None:
            headers = {"Authorization": authorization} if authorization else {}
            upstream = requests.get(f"{self.upstream}/{fhir_path}", headers=headers, timeout=10)
            # paging links must come back through the proxy
            return upstream.status_code, upstream.content.replace(self.upstream.encode(), self.base(prefix).encode())
        if is_read:
            pid = fhir_path.split("/")[1]
            return 200, json.dumps({"resourceType": "Patient", "id": pid, "birthDate": "1990-01-01"}).encode()
        return 200, json.dumps({"resourceType": "Bundle", "type": "searchset", "entry": []}).encode()

    def serve_slowly(self, mode: str, connection: socket.socket) -> None:
        """Answer in ``mode`` until the client closes the connection (or SLOW_MODE_MAX_SECONDS)."""
        if mode == "trickle-headers":
            head, drip = b"HTTP/1.1 200 OK\r\n", b"X-Padding: " + b"a" * 100_000
        elif mode == "endless":
            head = b"HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nTransfer-Encoding: chunked\r\n\r\n"
            drip = b'{"resourceType":"Bundle","type":"searchset","entry":[' + b'{},' * 1_000_000
        else:
            head = b"HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nContent-Length: 100000\r\n\r\n"
            drip = b'{"resourceType":"Bundle","type":"searchset","entry":[' + b" " * 100_000
        with self._lock:
            self.open_connections += 1
        started = time.monotonic()
        try:
            connection.sendall(head)
            for position in range(len(drip)):
                if self._client_closed(connection) or time.monotonic() - started > SLOW_MODE_MAX_SECONDS:
                    return
                if mode == "hang":
                    continue
                piece = drip[position:position + 1]
                connection.sendall(b"1\r\n" + piece + b"\r\n" if mode == "endless" else piece)
        except OSError:
            return
        finally:
            with self._lock:
                self.open_connections -= 1
                self.ended.append(time.monotonic())

    def stream_huge(self, connection: socket.socket) -> None:
        """A searchset Bundle of ``huge_chunked_bytes`` (whitespace inside), chunked, as fast as it is read."""
        piece = b" " * 65536
        with contextlib.suppress(OSError):
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\n"
                               b"Transfer-Encoding: chunked\r\n\r\n")
            for chunk in (b'{"resourceType":"Bundle","type":"searchset","entry":[',
                          *(piece for _ in range(self.huge_chunked_bytes // len(piece))), b"]}"):
                connection.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            connection.sendall(b"0\r\n\r\n")

    def _client_closed(self, connection: socket.socket) -> bool:
        """Waits ``trickle_interval``; True when the client closed its end (or reset it) meanwhile."""
        poller = select.poll()  # not select.select: the test process may hold more than 1024 descriptors
        poller.register(connection, select.POLLIN)
        if not poller.poll(self.trickle_interval * 1000):
            return False
        try:
            return connection.recv(4096, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def base(self, mode: str) -> str:
        return f"http://{self.host}:{self.port}/{mode}"

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def refused_keys(client: Any, url: str, body: dict[str, Any], missing: str, server: FaultServer, mode: str) -> Any:
    """Post ``body`` without its ``missing`` prefetch key, to be fetched from ``server`` in ``mode``: the prefetch
    keys a 412 answer names (``issue.expression``), or the status code of any other answer."""
    del body["prefetch"][missing]
    with server:
        body["fhirServer"] = server.base(mode)
        response = client.post(url, json=body)
    return response.get_json()["issue"][0]["expression"] if response.status_code == 412 else response.status_code
