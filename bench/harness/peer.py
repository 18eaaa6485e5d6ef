"""The CDS Hooks reference service (``cds-hooks/sandbox-cds-services``, Node) as a peer of the benchmark.

The repository never holds its code: ``--peer-dir DIR`` names a checkout of it (for instance
``git --git-dir=<bare clone> archive HEAD | tar -x -C DIR``). :func:`prepare` makes it installable once (its
lockfile pins a package the registry no longer has: the lockfile is dropped and npm ``overrides`` pin
``@lhncbc/ucum-lhc`` and ``antlr4``, which crashes at start in later versions), then :func:`running_peer` starts it
with the project's Node 22 through ``bench/peer/launch.js``, which raises express's JSON body limit at run time.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.harness.processes import free_port, terminate
from bench.harness.server import ROOT, cpu_seconds, wait_until_answering

NODE = ROOT / "tests" / "fhir_server" / ".node" / "bin" / "node"  # bash .ci/install-fhir-server.sh
LAUNCHER = ROOT / "bench" / "peer" / "launch.js"
OVERRIDES = {"@lhncbc/ucum-lhc": "^5", "antlr4": "4.8.0"}
STAMP = Path("node_modules") / ".prevention-cds-bench"
PATIENT_VIEW_PATH = "/cds-services/patient-greeting"  # its patient-view service: reads prefetch.patient


def prepare(peer_dir: Path) -> None:
    """Once per directory: no lockfile, the overrides in package.json, ``npm install`` of the runtime packages."""
    package = peer_dir / "package.json"
    if not package.is_file():
        raise SystemExit(f"--peer-dir {peer_dir}: no package.json (a checkout of cds-hooks/sandbox-cds-services)")
    if (peer_dir / STAMP).is_file():
        return
    if not NODE.is_file():
        raise SystemExit(f"{NODE} missing: run bash .ci/install-fhir-server.sh")
    (peer_dir / "package-lock.json").unlink(missing_ok=True)
    document = json.loads(package.read_text(encoding="utf-8"))
    document["overrides"] = {**document.get("overrides", {}), **OVERRIDES}
    package.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"peer: npm install in {peer_dir} (lockfile dropped, overrides {OVERRIDES})", flush=True)
    subprocess.run(["npm", "install", "--omit=dev", "--no-audit", "--no-fund", "--loglevel=error"],
                   cwd=peer_dir, check=True)
    (peer_dir / STAMP).write_text(json.dumps(OVERRIDES) + "\n", encoding="utf-8")


@dataclass
class Peer:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.process.pid)  # one Node process


@contextmanager
def running_peer(peer_dir: Path, workdir: Path, startup_seconds: float = 30.0) -> Iterator[Peer]:
    prepare(peer_dir)
    port = free_port()
    log_path = workdir / "peer.log"
    env = {**os.environ, "PORT": str(port), "NODE_ENV": "production"}
    with open(log_path, "wb") as log:
        process = subprocess.Popen([str(NODE), str(LAUNCHER), str(peer_dir.resolve())], cwd=peer_dir, env=env,
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    peer = Peer(process, port, log_path)
    try:
        _wait_ready(peer, startup_seconds)
        print(f"peer ready on 127.0.0.1:{port}: node pid {process.pid} ({NODE.parent.parent.name} Node)", flush=True)
        yield peer
    finally:
        terminate(process, timeout=10)
        print(f"peer stopped (exit code {process.returncode})", flush=True)


def _wait_ready(peer: Peer, seconds: float) -> None:
    wait_until_answering(peer.process, peer.port, "/cds-services", seconds,
                         lambda: peer.log_path.read_text()[-2000:], what="peer")
