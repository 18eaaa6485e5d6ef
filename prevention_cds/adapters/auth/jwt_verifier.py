"""Verification of the JWT a CDS Client presents on every call (CDS Hooks 2.0 security; cds-hooks.md §1.9)."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import math
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import jwt
from jwt.exceptions import InvalidSignatureError, PyJWTError

from prevention_cds.adapters.auth.jwks import (
    Fetch,
    HttpJwksFetcher,
    JwksCache,
    JwksError,
    VerificationKey,
    load_jwks_file,
    parse_jwks,
)
from prevention_cds.adapters.auth.replay import MAX_ID_CHARS, ReplayCache, ReplayStore
from prevention_cds.adapters.auth.trust import TrustedIssuer

logger = logging.getLogger(__name__)

ALGORITHMS = frozenset({"ES384", "RS384"})  # recommended by CDS Hooks
OPT_IN_ALGORITHMS = frozenset({"ES256", "RS256"})  # only with a key whose JWK declares exactly that "alg"
MAX_TOKEN_CHARS = 16 * 1024
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_PYJWS = jwt.PyJWS()


class AuthenticationRefused(Exception):
    """The caller's JWT is refused; ``reason`` is for the logs only (the client is told nothing more)."""

    def __init__(self, reason: str = "unauthorized") -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class VerifiedCaller:
    """Who called, once the JWT is verified."""

    iss: str
    tenant: str | None
    jti: str
    kid: str


@dataclass
class _Seen:
    """What the logs may say about a token: never the token itself."""

    iss: Any = None
    jti: Any = None
    tenant: Any = None
    kid: Any = None


class JwtVerifier:
    """Checks ``Authorization: Bearer <JWT>`` headers against trusted issuers (algorithm of cds-hooks.md §1.9).

    Raises :class:`AuthenticationRefused` on any failure (the application answers 401 without detail); the
    reason is logged with the token's ``iss``, ``jti``, ``tenant`` and ``kid``, never the token.
    """

    def __init__(
        self,
        issuers: Iterable[TrustedIssuer],
        *,
        leeway_seconds: float = 60,
        max_lifetime_seconds: float = 3600,
        replay_store: ReplayStore | None = None,
        replay_cache_size: int = 100_000,
        clock: Callable[[], float] = time.time,
        fetch: Fetch | None = None,
        jwks_ttl_seconds: float = 600,
        jwks_min_refresh_interval_seconds: float = 10,
    ) -> None:
        """``replay_store``: where accepted ``jti`` values are kept (default: this process's memory, bounded by
        ``replay_cache_size``). Raises :class:`~prevention_cds.adapters.auth.jwks.JwksError` for an unusable pinned
        JWK Set,
        ValueError otherwise."""
        self.issuers: dict[str, TrustedIssuer] = {}
        for issuer in issuers:
            if issuer.iss in self.issuers:
                raise ValueError(f"issuer {issuer.iss} is trusted twice")
            self.issuers[issuer.iss] = issuer
        if leeway_seconds < 0 or max_lifetime_seconds <= 0:
            raise ValueError("leeway must be >= 0 and the maximum lifetime > 0")
        self.leeway_seconds = leeway_seconds
        self.max_lifetime_seconds = max_lifetime_seconds
        self._clock = clock
        self._replay = replay_store if replay_store is not None else ReplayCache(replay_cache_size)
        self._pinned: dict[str, dict[str, VerificationKey]] = {}
        for issuer in self.issuers.values():
            if issuer.jwks is not None:
                try:
                    self._pinned[issuer.iss] = parse_jwks(issuer.jwks)
                except JwksError as exc:
                    raise JwksError(f"issuer {issuer.iss}: inline jwks: {exc}") from None
            elif issuer.jwks_file is not None:
                self._pinned[issuer.iss] = load_jwks_file(issuer.jwks_file)
        self._jwks = JwksCache(
            fetch if fetch is not None else HttpJwksFetcher(),
            ttl_seconds=jwks_ttl_seconds,
            min_refresh_interval_seconds=jwks_min_refresh_interval_seconds,
            clock=clock,
        )

    def verify(self, authorization_header: str | None, audience: str) -> VerifiedCaller:
        """Verify the header of a call to the endpoint whose external URL is ``audience``."""
        seen = _Seen()
        try:
            caller = self._verify(authorization_header, audience, seen)
        except AuthenticationRefused as rejected:
            logger.warning("JWT rejected: %s (iss=%s jti=%s tenant=%s kid=%s)", rejected.reason,
                           _loggable(seen.iss), _loggable(seen.jti), _loggable(seen.tenant), _loggable(seen.kid))
            raise AuthenticationRefused(rejected.reason) from None
        logger.debug("JWT accepted (iss=%s jti=%s tenant=%s kid=%s)", _loggable(caller.iss), _loggable(caller.jti),
                     _loggable(caller.tenant), _loggable(caller.kid))
        return caller

    def _verify(self, authorization_header: str | None, audience: str, seen: _Seen) -> VerifiedCaller:
        token = _bearer_token(authorization_header)
        header_segment, payload_segment, _ = token.split(".")

        # 2. the header, read without trusting it (the claims too, unverified, so that rejections can be logged)
        header, claims = _json_segment(header_segment), _json_segment(payload_segment)
        alg, kid = header.get("alg"), header.get("kid")
        seen.iss, seen.jti, seen.tenant, seen.kid = claims.get("iss"), claims.get("jti"), claims.get("tenant"), kid
        if not isinstance(alg, str) or alg not in ALGORITHMS | OPT_IN_ALGORITHMS:
            raise AuthenticationRefused("alg not allowed")  # none, HS*, anything not asymmetric and agreed
        typ = header.get("typ")
        if not isinstance(typ, str) or typ.upper() != "JWT":
            raise AuthenticationRefused("typ is not JWT")
        if not isinstance(kid, str) or not kid or len(kid) > MAX_ID_CHARS:
            raise AuthenticationRefused("kid missing")
        if "crit" in header:
            raise AuthenticationRefused("critical header extensions not supported")
        jku = header.get("jku")
        if jku is not None and not isinstance(jku, str):
            raise AuthenticationRefused("jku not allowed for iss")

        # 3. the issuer (unverified yet) must be trusted, and a jku allow-listed for it before anything is fetched
        iss = claims.get("iss")
        if not isinstance(iss, str) or iss not in self.issuers:
            raise AuthenticationRefused("iss not trusted")
        issuer = self.issuers[iss]
        if jku is not None and jku not in issuer.allowed_jku:
            raise AuthenticationRefused("jku not allowed for iss")

        # 4-5. the key, then the signature
        key = self._key(issuer, jku, kid)
        if not key.supports(alg) or (alg in OPT_IN_ALGORITHMS and key.declared_alg != alg):
            raise AuthenticationRefused("key does not match alg")
        try:
            payload = _PYJWS.decode(token, key=key.key, algorithms=[alg])
        except InvalidSignatureError:
            raise AuthenticationRefused("bad signature") from None
        except PyJWTError:
            raise AuthenticationRefused("malformed JWT") from None
        claims = _json_object(payload)

        # 6-7. audience and time
        _check_audience(claims.get("aud"), audience)
        now = self._clock()
        exp, iat, nbf = _number(claims, "exp"), _number(claims, "iat"), _number(claims, "nbf")
        if exp is None:
            raise AuthenticationRefused("exp missing")
        if iat is None:
            raise AuthenticationRefused("iat missing")
        if now >= exp + self.leeway_seconds:
            raise AuthenticationRefused("expired")
        if iat > now + self.leeway_seconds or (nbf is not None and nbf > now + self.leeway_seconds):
            raise AuthenticationRefused("issued in the future")
        if exp <= iat:
            raise AuthenticationRefused("exp not after iat")
        if exp - iat > self.max_lifetime_seconds:
            raise AuthenticationRefused("lifetime too long")

        # 8-9. jti (recorded last, once everything else holds) and tenant
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti or len(jti) > MAX_ID_CHARS:
            raise AuthenticationRefused("jti missing")
        tenant = claims.get("tenant")
        if tenant is not None and (not isinstance(tenant, str) or len(tenant) > MAX_ID_CHARS):
            raise AuthenticationRefused("tenant malformed")
        if issuer.tenants and tenant not in issuer.tenants:
            raise AuthenticationRefused("tenant not allowed")
        if not self._replay.add(iss, jti, exp + self.leeway_seconds, now):
            raise AuthenticationRefused("jti replayed")
        return VerifiedCaller(iss=iss, tenant=tenant, jti=jti, kid=kid)

    def _key(self, issuer: TrustedIssuer, jku: str | None, kid: str) -> VerificationKey:
        pinned = self._pinned.get(issuer.iss)
        if pinned is not None:  # keys configured locally: an allow-listed jku names them, nothing is fetched
            key = pinned.get(kid)
        else:
            url = jku or issuer.jwks_url
            if url is None:
                raise AuthenticationRefused("no JWK Set for iss without jku")
            try:
                key = self._jwks.key(url, kid)
            except JwksError:
                raise AuthenticationRefused("JWK Set unavailable") from None
        if key is None:
            raise AuthenticationRefused("unknown kid")
        return key


def expected_audience(public_base_url: str | None, request_url_root: str, path: str) -> str:
    """The URL a caller's JWT ``aud`` must name: the configured public base URL when set (right behind a proxy),
    else the request's URL root, joined with the endpoint path, e.g.
    ``https://cds.example.org/cds-services/ror-vaccination``. ``path`` is the path inside the application
    (Flask ``request.path``), without query string."""
    base = (public_base_url or request_url_root).rstrip("/")
    return f"{base}/{path.lstrip('/')}".rstrip("/")


def _bearer_token(authorization_header: str | None) -> str:
    if not authorization_header or not isinstance(authorization_header, str):
        raise AuthenticationRefused("missing Authorization header")
    scheme, _, token = authorization_header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise AuthenticationRefused("not a Bearer token")
    if len(token) > MAX_TOKEN_CHARS or not _COMPACT_JWS.fullmatch(token):
        raise AuthenticationRefused("malformed JWT")
    return token


def _json_segment(segment: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        raise AuthenticationRefused("malformed JWT") from None
    return _json_object(raw)


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise AuthenticationRefused("malformed JWT") from None
    if not isinstance(value, dict):
        raise AuthenticationRefused("malformed JWT")
    return value


def _check_audience(aud: Any, expected: str) -> None:
    values = [aud] if isinstance(aud, str) else aud
    if not isinstance(values, list) or not values or any(not isinstance(v, str) for v in values):
        raise AuthenticationRefused("aud missing")
    wanted = _without_trailing_slash(expected)
    if not any(_without_trailing_slash(v) == wanted for v in values):
        raise AuthenticationRefused("aud mismatch")


def _without_trailing_slash(url: str) -> str:
    return url[:-1] if url.endswith("/") else url


def _number(claims: dict[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AuthenticationRefused(f"{name} malformed")
    try:
        number = float(value)
    except OverflowError:
        raise AuthenticationRefused(f"{name} malformed") from None
    if not math.isfinite(number):
        raise AuthenticationRefused(f"{name} malformed")
    return number


def _loggable(value: Any) -> str:
    """A value from an untrusted token, safe for one log line."""
    if value is None:
        return "-"
    text = value if isinstance(value, str) else repr(value)
    text = "".join(c if c.isprintable() else "?" for c in text[:MAX_ID_CHARS])
    return text if len(text) <= 128 else text[:128] + "…"
