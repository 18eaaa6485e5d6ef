"""Start and stop the in-memory FHIR R4 test server (Medplum, ``tests/fhir_server``) from Python tests.

Install it once with ``bash .ci/install-fhir-server.sh`` (Node 22 + pinned npm packages, no other downloads).

    with MedplumServer() as server:
        response = server.load_bundle(path_to_synthea_bundle)
        requests.get(f"{server.base_url}/Immunization", params={"patient": server.patient_ids()[0]})
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

import requests

logger = logging.getLogger(__name__)

SERVER_DIR = Path(__file__).resolve().parent / "fhir_server"
NODE = SERVER_DIR / ".node" / "bin" / "node"
SERVER_SCRIPT = SERVER_DIR / "server.mjs"
INSTALL_COMMAND = "bash .ci/install-fhir-server.sh"
FHIR_BASE_PATH = "/fhir/R4"
_FHIR_JSON = "application/fhir+json"
_STOP_TIMEOUT = 5.0
_SERVER_ENV = ("PORT", "REQUIRE_BEARER", "DEFAULT_COUNT")


class MedplumServerError(RuntimeError):
    """The FHIR test server could not be started or answered with an error."""


class MedplumServer:
    """The Node FHIR server as a context manager, listening on a free port of 127.0.0.1.

    ``require_bearer``: the server then answers 401 to FHIR requests without ``Authorization: Bearer <token>``
    (this harness's own calls carry it). ``default_count``: page size of searches that give no ``_count``
    (default: whole result in one page). Every FHIR request, including this harness's, is recorded for
    :meth:`requests_seen`; call :meth:`clear_requests` after loading data.
    """

    def __init__(
        self,
        *,
        require_bearer: str | None = None,
        default_count: int | None = None,
        start_timeout: float = 30.0,
    ) -> None:
        self.require_bearer = require_bearer
        self.default_count = default_count
        self.start_timeout = start_timeout
        self._process: subprocess.Popen[str] | None = None
        self._port: int | None = None
        self._threads: list[threading.Thread] = []
        self._stderr_tail: list[str] = []
        self._session = requests.Session()
        if require_bearer is not None:
            self._session.headers["Authorization"] = f"Bearer {require_bearer}"

    @staticmethod
    def available() -> bool:
        """True when Node 22 and the server's node_modules are installed (see ``INSTALL_COMMAND``)."""
        if not (NODE.is_file() and (SERVER_DIR / "node_modules" / "@medplum" / "fhir-router").is_dir()):
            return False
        try:
            version = subprocess.run(
                [str(NODE), "--version"], capture_output=True, text=True, timeout=10, check=True
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return False
        return version.startswith("v22.")

    @property
    def port(self) -> int:
        if self._port is None:
            raise MedplumServerError("the FHIR server is not running")
        return self._port

    @property
    def root_url(self) -> str:
        """``http://127.0.0.1:<port>``, where the ``/__requests`` control endpoint lives."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """FHIR base URL, ``http://127.0.0.1:<port>/fhir/R4``."""
        return self.root_url + FHIR_BASE_PATH

    def start(self) -> Self:
        if self._process is not None:
            raise MedplumServerError("the FHIR server is already running")
        env = {key: value for key, value in os.environ.items() if key not in _SERVER_ENV}
        if self.require_bearer is not None:
            env["REQUIRE_BEARER"] = self.require_bearer
        if self.default_count is not None:
            env["DEFAULT_COUNT"] = str(self.default_count)
        started = time.monotonic()
        process = subprocess.Popen(
            [str(NODE), str(SERVER_SCRIPT), "0"],
            cwd=SERVER_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._process = process
        ready = threading.Event()
        assert process.stdout is not None and process.stderr is not None
        self._pump(process.stdout, "stdout", ready)
        self._pump(process.stderr, "stderr", None)
        if not ready.wait(self.start_timeout) or self._port is None:
            self.stop()
            tail = "\n".join(self._stderr_tail[-20:])
            raise MedplumServerError(f"FHIR server did not print READY within {self.start_timeout}s:\n{tail}")
        logger.info("FHIR server ready at %s in %.2fs", self.base_url, time.monotonic() - started)
        return self

    def _pump(self, stream: IO[str], name: str, ready: threading.Event | None) -> None:
        def run() -> None:
            for raw_line in stream:
                line = raw_line.rstrip("\n")
                if ready is not None and not ready.is_set() and line.startswith("READY "):
                    self._port = int(line.split()[1])
                    ready.set()
                    continue
                if name == "stderr":
                    self._stderr_tail = [*self._stderr_tail[-49:], line]
                logger.debug("fhir-server %s: %s", name, line)
            if ready is not None:
                ready.set()  # process ended before READY: stop waiting

        thread = threading.Thread(target=run, name=f"fhir-server-{name}", daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        """Terminate the server (SIGTERM, then SIGKILL after a few seconds). Safe to call twice."""
        process, self._process = self._process, None
        if process is not None:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(_STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    logger.warning("FHIR server did not stop on SIGTERM; killing it")
                    process.kill()
                    process.wait(_STOP_TIMEOUT)
            for thread in self._threads:
                thread.join(_STOP_TIMEOUT)
            for stream in (process.stdout, process.stderr):
                if stream is not None:
                    stream.close()
        self._threads = []
        self._port = None
        self._session.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def load_bundle(self, bundle: str | Path | Mapping[str, Any]) -> dict[str, Any]:
        """POST a transaction (or batch) Bundle, from a file path or a dict; returns the response Bundle.

        Server ids differ from the bundle's: read them from the response entries (``response.location``).
        """
        body = json.dumps(bundle) if isinstance(bundle, Mapping) else Path(bundle).read_text(encoding="utf-8")
        started = time.monotonic()
        response = self._session.post(
            self.base_url, data=body.encode("utf-8"), headers={"Content-Type": _FHIR_JSON}, timeout=60
        )
        result: dict[str, Any] = self._json(response)
        logger.info("loaded bundle (%d entries) in %.2fs", len(result.get("entry", [])), time.monotonic() - started)
        return result

    def patient_ids(self) -> list[str]:
        """Ids of all Patient resources on the server (follows search paging)."""
        ids: list[str] = []
        url: str | None = f"{self.base_url}/Patient?_count=100"
        while url:
            page = self._json(self._session.get(url, timeout=30))
            ids.extend(entry["resource"]["id"] for entry in page.get("entry", []))
            url = next((link["url"] for link in page.get("link", []) if link["relation"] == "next"), None)
        return ids

    def requests_seen(self) -> list[dict[str, str | None]]:
        """``{method, path, authorization}`` of each request received under the FHIR base, oldest first."""
        seen: list[dict[str, str | None]] = self._json(self._session.get(f"{self.root_url}/__requests", timeout=10))
        return seen

    def clear_requests(self) -> None:
        self._json(self._session.delete(f"{self.root_url}/__requests", timeout=10))

    @staticmethod
    def _json(response: requests.Response) -> Any:
        if not response.ok:
            raise MedplumServerError(
                f"{response.request.method} {response.url} -> {response.status_code}: {response.text[:500]}"
            )
        return response.json()
