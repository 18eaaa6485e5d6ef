"""Who may call the service: the trusted JWT issuers, read from a JSON file (format in docs/authentication.md)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

SANDBOX_ISS = "https://sandbox.cds-hooks.org"
SANDBOX_JKU = "https://sandbox.cds-hooks.org/.well-known/jwks.json"
SANDBOX_KID = "44823f3d-0b01-4a6c-a80e-b9d3e8a7226f"
SANDBOX_JWKS_FILE = Path(__file__).with_name("sandbox-jwks.json")  # public part, shipped as package data

_ENTRY_KEYS = frozenset({"iss", "jwks_url", "jwks_file", "jwks", "allowed_jku", "tenants", "comment"})
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class TrustConfigError(ValueError):
    """The trusted-issuers file cannot be used; the message names the entry and the problem."""


@dataclass(frozen=True)
class TrustedIssuer:
    """An issuer whose JWTs the service accepts, and where its public keys come from.

    Keys come from ``jwks`` (inline) or ``jwks_file`` when set: they are *pinned*, and nothing is ever
    fetched for this issuer (an allow-listed ``jku`` in a token then only names that set). Otherwise they are
    fetched from the token's ``jku`` (which must be in ``allowed_jku``) or, without ``jku``, from ``jwks_url``.
    """

    iss: str
    jwks_url: str | None = None
    jwks_file: str | None = None
    jwks: dict[str, Any] | None = field(default=None, hash=False)
    allowed_jku: tuple[str, ...] = ()
    tenants: tuple[str, ...] = ()  # empty: any tenant (or none)

    def __post_init__(self) -> None:
        # lists given by Python callers become tuples, so the issuer stays immutable
        object.__setattr__(self, "allowed_jku", tuple(self.allowed_jku))
        object.__setattr__(self, "tenants", tuple(self.tenants))
        name = self.iss if isinstance(self.iss, str) and self.iss else "<no iss>"
        if not isinstance(self.iss, str) or not self.iss.strip() or self.iss != self.iss.strip():
            raise TrustConfigError("a trusted issuer needs a non-empty iss without surrounding spaces")
        pinned = [s for s in (self.jwks, self.jwks_file) if s is not None]
        if len(pinned) + (self.jwks_url is not None) > 1:
            raise TrustConfigError(f"issuer {name}: give at most one of jwks, jwks_file and jwks_url")
        if not pinned and self.jwks_url is None and not self.allowed_jku:
            raise TrustConfigError(f"issuer {name}: no key source (jwks, jwks_file, jwks_url or allowed_jku)")
        if self.jwks is not None and not isinstance(self.jwks, dict):
            raise TrustConfigError(f"issuer {name}: jwks must be a JWK Set object")
        for url in (self.jwks_url, *self.allowed_jku):
            if url is not None:
                _check_key_url(name, url)
        if any(not isinstance(t, str) or not t for t in self.tenants):
            raise TrustConfigError(f"issuer {name}: tenants must be non-empty strings")

    @property
    def pinned(self) -> bool:
        """Keys configured locally (inline or file): never fetched."""
        return self.jwks is not None or self.jwks_file is not None


def sandbox_issuer() -> TrustedIssuer:
    """The public CDS Hooks Sandbox: its JWK Set is the shipped copy, also used for its allow-listed ``jku``."""
    return TrustedIssuer(iss=SANDBOX_ISS, jwks_file=str(SANDBOX_JWKS_FILE), allowed_jku=(SANDBOX_JKU,))


def load_trusted_issuers(path: str | Path) -> tuple[TrustedIssuer, ...]:
    """Read a trusted-issuers file: a JSON array of issuer objects. A relative ``jwks_file`` is resolved against
    the directory of this file. Raises :class:`TrustConfigError` with a message naming the problem."""
    file = Path(path)
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TrustConfigError(f"cannot read trusted issuers file {file}: {exc.strerror or exc}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TrustConfigError(f"trusted issuers file {file} is not valid JSON: {exc}") from exc
    if not isinstance(document, list):
        raise TrustConfigError(f"trusted issuers file {file} must hold a JSON array of issuer objects")
    issuers: list[TrustedIssuer] = []
    seen: set[str] = set()
    for index, entry in enumerate(document):
        where = f"{file}, entry {index}"
        try:
            issuer = _issuer_from_json(entry, file.parent)
        except TrustConfigError as exc:
            raise TrustConfigError(f"{where}: {exc}") from None
        if issuer.iss in seen:
            raise TrustConfigError(f"{where}: issuer {issuer.iss} is listed twice")
        seen.add(issuer.iss)
        issuers.append(issuer)
    return tuple(issuers)


def _issuer_from_json(entry: Any, base: Path) -> TrustedIssuer:
    if not isinstance(entry, dict):
        raise TrustConfigError("an issuer must be a JSON object")
    unknown = sorted(set(entry) - _ENTRY_KEYS)
    if unknown:
        raise TrustConfigError(f"unknown member(s) {', '.join(unknown)} (allowed: {', '.join(sorted(_ENTRY_KEYS))})")
    iss = entry.get("iss")
    if not isinstance(iss, str):
        raise TrustConfigError("iss must be a string")
    jwks_url = _optional_string(entry, "jwks_url")
    jwks_file = _optional_string(entry, "jwks_file")
    if jwks_file is not None:
        jwks_file = str((base / jwks_file).resolve())
    jwks = entry.get("jwks")
    if jwks is not None and not isinstance(jwks, dict):
        raise TrustConfigError("jwks must be a JWK Set object")
    return TrustedIssuer(
        iss=iss,
        jwks_url=jwks_url,
        jwks_file=jwks_file,
        jwks=jwks,
        allowed_jku=_string_list(entry, "allowed_jku"),
        tenants=_string_list(entry, "tenants"),
    )


def _optional_string(entry: dict[str, Any], key: str) -> str | None:
    value = entry.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise TrustConfigError(f"{key} must be a non-empty string")
    return value


def _string_list(entry: dict[str, Any], key: str) -> tuple[str, ...]:
    value = entry.get(key, [])
    if not isinstance(value, Sequence) or isinstance(value, str) or any(not isinstance(v, str) or not v for v in value):
        raise TrustConfigError(f"{key} must be an array of non-empty strings")
    return tuple(value)


def _check_key_url(name: str, url: str) -> None:
    """Key sets are fetched over HTTPS only (plain HTTP is tolerated for loopback hosts, for tests)."""
    if not isinstance(url, str):
        raise TrustConfigError(f"issuer {name}: key URLs must be strings")
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS:
        return
    raise TrustConfigError(f"issuer {name}: {url!r} is not an https:// URL")
