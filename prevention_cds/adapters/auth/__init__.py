"""Authentication of CDS Clients: the JWT presented on every call (docs/authentication.md).

The application builds one verifier at start-up with :func:`build_verifier` and, for each /cds-services request
(not OPTIONS preflights, not /health), calls
``verifier.verify(request.headers.get("Authorization"), expected_audience(settings.public_base_url,
request.url_root, request.path))``, which raises :class:`AuthenticationRefused` on any failure (the application
answers 401).
"""

from __future__ import annotations

import logging

from prevention_cds.adapters.auth.jwks import Fetch, HttpJwksFetcher, JwksCache, JwksError, parse_jwks
from prevention_cds.adapters.auth.jwt_verifier import (
    AuthenticationRefused,
    JwtVerifier,
    VerifiedCaller,
    expected_audience,
)
from prevention_cds.adapters.auth.replay import ReplayCache, ReplayStore, SqlReplayStore
from prevention_cds.adapters.auth.trust import (
    SANDBOX_ISS,
    SANDBOX_JKU,
    SANDBOX_KID,
    TrustConfigError,
    TrustedIssuer,
    load_trusted_issuers,
    sandbox_issuer,
)
from prevention_cds.settings import AUTH_MODES, PREFIX, ConfigError

__all__ = [
    "SANDBOX_ISS",
    "SANDBOX_JKU",
    "SANDBOX_KID",
    "AuthenticationRefused",
    "Fetch",
    "HttpJwksFetcher",
    "JwksCache",
    "JwksError",
    "JwtVerifier",
    "ReplayCache",
    "ReplayStore",
    "SqlReplayStore",
    "TrustConfigError",
    "TrustedIssuer",
    "VerifiedCaller",
    "build_verifier",
    "expected_audience",
    "load_trusted_issuers",
    "parse_jwks",
    "sandbox_issuer",
]

logger = logging.getLogger(__name__)


def build_verifier(
    auth_mode: str, trusted_issuers_file: str | None, replay_store: ReplayStore | None = None
) -> JwtVerifier | None:
    """The verifier for an authentication mode, or None when authentication is off.

    ``off``: None. ``sandbox``: the public CDS Hooks Sandbox, plus the issuers of ``trusted_issuers_file`` if
    given (an entry for the Sandbox's iss replaces the built-in one). ``required``: the issuers of
    ``trusted_issuers_file``, which is then mandatory. Raises :class:`~prevention_cds.settings.ConfigError` when the
    mode
    is unknown or the issuers or their pinned key sets cannot be used. ``replay_store``: where accepted ``jti``
    values are kept (default: the memory of this process).
    """
    if auth_mode not in AUTH_MODES:
        raise ConfigError(f"{PREFIX}AUTH_MODE must be one of {', '.join(AUTH_MODES)}")
    if auth_mode == "off":
        return None
    if auth_mode == "required" and not trusted_issuers_file:
        raise ConfigError(
            f"{PREFIX}AUTH_MODE=required needs {PREFIX}TRUSTED_ISSUERS_FILE, the JSON list of the JWT issuers "
            "(EHRs) allowed to call this service (see docs/authentication.md); use AUTH_MODE=sandbox to try "
            "the service with the public CDS Hooks Sandbox, or off for local development only"
        )
    try:
        from_file = load_trusted_issuers(trusted_issuers_file) if trusted_issuers_file else ()
    except TrustConfigError as exc:
        raise ConfigError(f"{PREFIX}TRUSTED_ISSUERS_FILE: {exc}") from None
    issuers = {issuer.iss: issuer for issuer in from_file}
    if auth_mode == "sandbox":
        issuers.setdefault(SANDBOX_ISS, sandbox_issuer())
    if not issuers:
        raise ConfigError(f"{PREFIX}TRUSTED_ISSUERS_FILE {trusted_issuers_file} trusts no issuer: nobody could call")
    try:
        verifier = JwtVerifier(issuers.values(), replay_store=replay_store)
    except (JwksError, ValueError) as exc:
        raise ConfigError(f"{PREFIX}TRUSTED_ISSUERS_FILE: {exc}") from None
    logger.info("JWT authentication %s: trusted issuers %s", auth_mode, ", ".join(sorted(issuers)))
    return verifier
