"""A real HTTP server on loopback that misbehaves on purpose, for the FHIR-fault tests.

Modes (the first path segment after the base): ``ok`` (valid empty answers), ``status500``, ``status401``,
``slow`` (answers after ``delay`` seconds), ``garbage`` (not JSON), ``wrong-type`` (a Patient where a Bundle
is expected), ``loop`` (a Bundle whose next link is itself), ``huge`` (a body over the size cap).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FaultServer:
    def __init__(self, delay: float = 5.0) -> None:
        self.delay = delay
        self.requests: list[tuple[str, str | None]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output quiet
                return

            def do_GET(self) -> None:
                outer.requests.append((self.path, self.headers.get("Authorization")))
                mode = self.path.strip("/").split("/")[0]
                resource_path = self.path.split("/", 2)[2] if self.path.count("/") >= 2 else ""
                if mode == "slow":
                    time.sleep(outer.delay)
                if mode == "status500":
                    return self._send(500, b'{"resourceType":"OperationOutcome"}')
                if mode == "status401":
                    return self._send(401, b"{}")
                if mode == "garbage":
                    return self._send(200, b"<html>not json")
                if mode == "huge":
                    return self._send(200, b'{"resourceType":"Bundle","type":"searchset","entry":[' + b" " * 30_000_000
                                      + b"]}")
                is_read = "?" not in resource_path and resource_path.count("/") == 1
                if mode == "wrong-type" and not is_read:
                    return self._send(200, json.dumps({"resourceType": "Patient", "id": "x"}).encode())
                if is_read:
                    pid = resource_path.split("/")[1]
                    return self._send(200, json.dumps({"resourceType": "Patient", "id": pid,
                                                       "birthDate": "1990-01-01"}).encode())
                bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset", "entry": []}
                if mode == "loop":
                    bundle["link"] = [{"relation": "next", "url": f"http://127.0.0.1:{outer.port}{self.path}"}]
                return self._send(200, json.dumps(bundle).encode())

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/fhir+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def base(self, mode: str) -> str:
        return f"http://127.0.0.1:{self.port}/{mode}"

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
