"""Issuers' public keys: JWK Sets (RFC 7517) validated, fetched over HTTP with limits, and cached with a TTL."""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from jwt.exceptions import InvalidKeyError

logger = logging.getLogger(__name__)

Fetch = Callable[[str], Mapping[str, Any]]
"""Gets the JSON document at a URL; raises any exception when it cannot."""

MIN_RSA_BITS = 2048
# alg -> (kty, crv) of the keys that can verify it
_KEY_SHAPES: dict[str, tuple[str, str | None]] = {
    "ES384": ("EC", "P-384"),
    "ES256": ("EC", "P-256"),
    "RS384": ("RSA", None),
    "RS256": ("RSA", None),
}
_SUPPORTED_CURVES = frozenset({"P-256", "P-384"})
_SECRET_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


class JwksError(ValueError):
    """A JWK Set that cannot be used, or cannot be obtained."""


@dataclass(frozen=True)
class VerificationKey:
    """A public signature key of a JWK Set."""

    kid: str
    kty: str  # "EC" or "RSA"
    declared_alg: str | None  # the JWK's own "alg", when it has one
    crv: str | None
    key: EllipticCurvePublicKey | RSAPublicKey

    def supports(self, alg: str) -> bool:
        """Whether this key may verify a signature made with ``alg`` (type, curve, size and declared alg agree)."""
        shape = _KEY_SHAPES.get(alg)
        if shape is None or (self.kty, self.crv if self.kty == "EC" else None) != shape:
            return False
        if self.declared_alg is not None and self.declared_alg != alg:
            return False
        return not (isinstance(self.key, RSAPublicKey) and self.key.key_size < MIN_RSA_BITS)


def parse_jwks(document: Any) -> dict[str, VerificationKey]:
    """The signature keys of a JWK Set, by ``kid``.

    Rejected (:class:`JwksError`): a document that is not an object whose ``keys`` is a non-empty array of
    objects, duplicate ``kid`` values, private or secret key material, malformed EC/RSA keys, and a set with no
    usable key. Skipped: keys without ``kid`` (they cannot be selected), keys whose ``use`` is not ``sig``, and
    key types or curves this service does not verify with.
    """
    if not isinstance(document, Mapping):
        raise JwksError("a JWK Set must be a JSON object")
    members = document.get("keys")
    if not isinstance(members, list) or not members:
        raise JwksError("a JWK Set needs a non-empty 'keys' array")
    if any(not isinstance(jwk, dict) for jwk in members):
        raise JwksError("every member of 'keys' must be a JSON object")
    kids = [jwk["kid"] for jwk in members if "kid" in jwk]
    if any(not isinstance(kid, str) or not kid for kid in kids):
        raise JwksError("every 'kid' must be a non-empty string")
    if len(set(kids)) != len(kids):
        raise JwksError("the JWK Set has duplicate 'kid' values")
    if any(_SECRET_MEMBERS & set(jwk) for jwk in members):
        raise JwksError("the JWK Set holds private or secret key material; publish public keys only")
    keys: dict[str, VerificationKey] = {}
    for jwk in members:
        key = _verification_key(jwk)
        if key is not None:
            keys[key.kid] = key
    if not keys:
        raise JwksError("the JWK Set has no usable signature key (EC P-256/P-384 or RSA, with a kid)")
    return keys


def load_jwks_file(path: str | Path) -> dict[str, VerificationKey]:
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise JwksError(f"cannot read JWK Set file {path}: {exc.strerror or exc}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise JwksError(f"JWK Set file {path} is not valid JSON") from exc
    try:
        return parse_jwks(document)
    except JwksError as exc:
        raise JwksError(f"JWK Set file {path}: {exc}") from None


def _verification_key(jwk: dict[str, Any]) -> VerificationKey | None:
    kid, kty, use, alg = jwk.get("kid"), jwk.get("kty"), jwk.get("use"), jwk.get("alg")
    if kid is None or (use is not None and use != "sig"):
        return None
    if alg is not None and not isinstance(alg, str):
        raise JwksError(f"key {kid}: 'alg' must be a string")
    try:
        if kty == "EC":
            crv = jwk.get("crv")
            if crv not in _SUPPORTED_CURVES:
                return None
            ec_key = ECAlgorithm.from_jwk(jwk)
            if not isinstance(ec_key, EllipticCurvePublicKey):
                raise JwksError(f"key {kid} is not a public key")
            return VerificationKey(kid, "EC", alg, str(crv), ec_key)
        if kty == "RSA":
            rsa_key = RSAAlgorithm.from_jwk(jwk)
            if not isinstance(rsa_key, RSAPublicKey):
                raise JwksError(f"key {kid} is not a public key")
            return VerificationKey(kid, "RSA", alg, None, rsa_key)
    except (InvalidKeyError, ValueError, TypeError, KeyError) as exc:
        if isinstance(exc, JwksError):
            raise
        raise JwksError(f"key {kid} is not a valid {kty} public key") from exc
    return None


class HttpJwksFetcher:
    """GETs a JWK Set: no redirects, connect/read timeouts, an overall deadline and a response size cap."""

    def __init__(
        self,
        *,
        connect_timeout_seconds: float = 3.0,
        read_timeout_seconds: float = 5.0,
        deadline_seconds: float = 10.0,
        max_bytes: int = 256 * 1024,
    ) -> None:
        self.timeout = (connect_timeout_seconds, read_timeout_seconds)
        self.deadline_seconds = deadline_seconds
        self.max_bytes = max_bytes

    def __call__(self, url: str) -> dict[str, Any]:
        started = time.monotonic()
        headers = {"Accept": "application/jwk-set+json, application/json", "Accept-Encoding": "identity"}
        with requests.get(url, headers=headers, timeout=self.timeout, stream=True, allow_redirects=False) as response:
            if response.status_code != 200:
                raise JwksError(f"GET {url} answered HTTP {response.status_code}")
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise JwksError(f"GET {url}: JWK Set larger than {self.max_bytes} bytes")
            body = bytearray()
            for chunk in response.iter_content(chunk_size=16 * 1024):
                body += chunk
                if len(body) > self.max_bytes:
                    raise JwksError(f"GET {url}: JWK Set larger than {self.max_bytes} bytes")
                if time.monotonic() - started > self.deadline_seconds:
                    raise JwksError(f"GET {url}: took longer than {self.deadline_seconds} s")
        try:
            document = json.loads(bytes(body))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise JwksError(f"GET {url}: not JSON") from exc
        if not isinstance(document, dict):
            raise JwksError(f"GET {url}: not a JSON object")
        return document


@dataclass
class _Entry:
    keys: dict[str, VerificationKey] | None = None
    fetched_at: float = -math.inf  # last successful fetch
    attempted_at: float = -math.inf  # last fetch started, successful or not


class JwksCache:
    """JWK Sets fetched from URLs, kept ``ttl_seconds``.

    An unknown ``kid`` forces one re-fetch (key rotation), unless the set was fetched less than
    ``min_refresh_interval_seconds`` ago: random kids cannot make the service hammer an issuer. The same interval
    spaces out retries after a failure. When a re-fetch fails, the previous set keeps being used for at most
    ``max_stale_seconds`` past its TTL. At most ``max_entries`` URLs are kept (least recently used evicted).
    """

    def __init__(
        self,
        fetch: Fetch,
        *,
        ttl_seconds: float = 600.0,
        min_refresh_interval_seconds: float = 10.0,
        max_stale_seconds: float = 3600.0,
        max_entries: int = 64,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be positive")
        self._fetch = fetch
        self.ttl_seconds = ttl_seconds
        self.min_refresh_interval_seconds = min_refresh_interval_seconds
        self.max_stale_seconds = max_stale_seconds
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def key(self, url: str, kid: str) -> VerificationKey | None:
        """The key ``kid`` of the set at ``url``, or None if the set has no such key even after one refresh.

        Raises :class:`JwksError` when no usable set can be obtained from ``url``."""
        keys, fetched_now = self._keys(url, force=False)
        if kid in keys or fetched_now:
            return keys.get(kid)
        keys, _ = self._keys(url, force=True)
        return keys.get(kid)

    def _keys(self, url: str, *, force: bool) -> tuple[dict[str, VerificationKey], bool]:
        now = self._clock()
        with self._lock:
            entry = self._entries.get(url)
            if entry is None:
                entry = self._entries[url] = _Entry()
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
            self._entries.move_to_end(url)
            if entry.keys is not None and not force and now - entry.fetched_at < self.ttl_seconds:
                return entry.keys, False
            if now - entry.attempted_at < self.min_refresh_interval_seconds:
                return self._stale_or_raise(url, entry, now), False
            entry.attempted_at = now  # claimed: concurrent callers use what is there meanwhile
        try:
            keys = parse_jwks(self._fetch(url))
        except Exception as exc:  # any failure of the fetcher: the set is unavailable
            logger.warning("JWK Set %s unusable: %s", url, exc if isinstance(exc, JwksError) else type(exc).__name__)
            with self._lock:
                return self._stale_or_raise(url, entry, now), False
        with self._lock:
            entry.keys, entry.fetched_at = keys, now
        logger.info("JWK Set %s loaded: kids %s", url, ", ".join(sorted(keys)))
        return keys, True

    def _stale_or_raise(self, url: str, entry: _Entry, now: float) -> dict[str, VerificationKey]:
        if entry.keys is not None and now - entry.fetched_at < self.ttl_seconds + self.max_stale_seconds:
            return entry.keys
        raise JwksError(f"no usable JWK Set from {url}")
