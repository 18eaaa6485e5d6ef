"""Settings, from ``PREVENTION_CDS_*`` environment variables, with embedded defaults that run anywhere."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from prevention_cds.rules.ruleset import RuleSettings

# French practice: "today" and times written without an offset are Paris time.
PRACTICE_TIMEZONE = ZoneInfo("Europe/Paris")

PREFIX = "PREVENTION_CDS_"
AUTH_MODES = ("required", "off", "sandbox")
LANGUAGES = ("fr", "en")


class ConfigError(ValueError):
    """A setting that cannot be used: the service refuses to start and says which one."""


def default_database_url(port: int) -> str:
    """The instance's own SQLite file, named by its port: two instances on one machine never share a database."""
    data_home = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "prevention-cds"
    return f"sqlite:///{data_home / f'prevention-cds-{port}.sqlite3'}"


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    public_base_url: str | None = None  # external URL of the service (JWT audience, links); None = from request
    database_url: str = ""  # empty: default_database_url(port)
    fhir_timeout_seconds: float = 5.0  # connect and read timeout of each FHIR request
    fhir_deadline_seconds: float = 10.0  # all FHIR fetches of one call
    fhir_max_pages: int = 20
    fhir_max_response_bytes: int = 20 * 1024 * 1024
    fhir_allowed_origins: tuple[str, ...] = ()  # scheme://host[:port] the service may call as fhirServer
    auth_mode: str = "required"
    trusted_issuers_file: str | None = None  # JSON list of trusted issuers (see docs/authentication.md)
    cors_allowed_origins: tuple[str, ...] = ()  # browser origins granted CORS; "*" for any
    default_language: str = "fr"
    max_body_bytes: int = 5 * 1024 * 1024
    header_timeout_seconds: int = 5  # a request's header block must arrive within it (and keep-alive idle time)
    body_timeout_seconds: float = 15.0  # a request's body must arrive within it
    trusted_proxies: tuple[str, ...] = ()  # addresses whose X-Forwarded-* headers are believed
    workers: int = 0  # gunicorn workers; 0 = one per usable core (long workspace actions give way: app/server.py)
    rifampicin_shortage_mode: bool = False
    info_card_when_up_to_date: bool = False
    secret_key: str | None = None  # signs the workspace's session cookies; None: one kept in the database
    # Fernet keys sealing the cards' explanation links (the first seals, all open: rotation); none = one per
    # process, links then last until a restart. See docs/cards.md.
    explanation_keys: tuple[str, ...] = field(default=(), repr=False)
    explanation_link_hours: int = 12  # how long a card's explanation link opens its page
    dev: bool = False

    def __post_init__(self) -> None:
        if not self.database_url:
            object.__setattr__(self, "database_url", default_database_url(self.port))
        if self.auth_mode not in AUTH_MODES:
            raise ConfigError(f"{PREFIX}AUTH_MODE must be one of {', '.join(AUTH_MODES)}")
        if self.default_language not in LANGUAGES:
            raise ConfigError(f"{PREFIX}DEFAULT_LANGUAGE must be fr or en")
        if not 1 <= self.port <= 65535:
            raise ConfigError(f"{PREFIX}PORT must be a TCP port")
        for name in ("fhir_timeout_seconds", "fhir_deadline_seconds", "fhir_max_pages", "fhir_max_response_bytes",
                     "max_body_bytes", "explanation_link_hours", "header_timeout_seconds", "body_timeout_seconds"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{PREFIX}{name.upper()} must be positive")
        if self.public_base_url and (not self.public_base_url.startswith(("https://", "http://"))
                                     or any(c in self.public_base_url for c in "?#\\")):
            raise ConfigError(f"{PREFIX}PUBLIC_BASE_URL must be an http(s) URL without query or fragment")
        for proxy in self.trusted_proxies:
            try:
                ipaddress.ip_network(proxy)
            except ValueError:
                raise ConfigError(f"{PREFIX}TRUSTED_PROXIES: {proxy!r} is not an IP address or network") from None
        for origin in self.fhir_allowed_origins:
            if not origin.startswith(("https://", "http://")) or origin.count("/") != 2:
                raise ConfigError(f"{PREFIX}FHIR_ALLOWED_ORIGINS: {origin!r} is not scheme://host[:port]")

    @property
    def rule_settings(self) -> RuleSettings:
        return RuleSettings(
            rifampicin_shortage_mode=self.rifampicin_shortage_mode,
            info_card_when_up_to_date=self.info_card_when_up_to_date,
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(PREFIX + f.name.upper())
            if raw is None or raw == "":
                continue
            values[f.name] = _parse(f.name, str(f.type), raw)
        values.update(overrides)
        return cls(**values)

    def with_changes(self, **changes: Any) -> Settings:
        if "port" in changes and "database_url" not in changes and self.database_url == default_database_url(self.port):
            changes["database_url"] = ""  # the default database follows the instance
        return replace(self, **changes)


def _parse(name: str, kind: str, raw: str) -> Any:
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "bool":
            if raw.lower() not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
                raise ValueError(raw)
            return raw.lower() in ("1", "true", "yes", "on")
        if kind.startswith("tuple"):
            return tuple(part.strip().rstrip("/") for part in raw.split(",") if part.strip())
    except ValueError as exc:
        raise ConfigError(f"{PREFIX}{name.upper()}: cannot read {raw!r} as {kind}") from exc
    return raw
