"""JWT authentication of CDS Clients: checklist J01-J15 of cds-hooks.md §3.4, with really signed tokens.

No test touches the network: key sets come from a fake fetcher, pinned sets, or a loopback HTTP server.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm, get_default_algorithms

from prevention_cds.adapters.auth import (
    SANDBOX_ISS,
    SANDBOX_JKU,
    SANDBOX_KID,
    AuthenticationRefused,
    HttpJwksFetcher,
    JwksError,
    JwtVerifier,
    TrustConfigError,
    TrustedIssuer,
    build_verifier,
    expected_audience,
    load_trusted_issuers,
    parse_jwks,
    sandbox_issuer,
)
from prevention_cds.adapters.auth.jwks import load_jwks_file
from prevention_cds.adapters.auth.replay import ReplayCache
from prevention_cds.app.errors import answer_for, outcome_of
from prevention_cds.settings import ConfigError

NOW = 1_760_000_000.0
ISS = "https://ehr.example.org"
OTHER_ISS = "https://other-ehr.example.net"
JWKS_URL = "https://ehr.example.org/.well-known/jwks.json"
BASE = "https://cds.example.org"
DISCOVERY = f"{BASE}/cds-services"
SERVICE = f"{BASE}/cds-services/ror-vaccination"
FEEDBACK = f"{SERVICE}/feedback"
# The CDS Hooks Sandbox's published public key (GitHub cds-hooks/sandbox, build/.well-known/jwks.json, commit
# 3b7e25546771c6e7fc5e360aa7db6eb64af0b8b6): the shipped copy must be exactly this key.
SANDBOX_PUBLIC_KEY = {
    "kty": "EC", "crv": "P-384", "kid": "44823f3d-0b01-4a6c-a80e-b9d3e8a7226f", "use": "sig", "alg": "ES384",
    "x": "dw_JGR8nB2I6XveNxUOl2qk699ZPLM2nYI5STSdiEl9avAkrm3CkfYMbrrjr8laB",
    "y": "Sm3mLE-n1zYNla_aiE3cb3nZsL51RbC7ysw3q8aJLxGm-hx79RPMYpITDjp7kgzy",
}
DROP = object()  # a header member or claim to leave out


# --- keys, tokens, clock and fetcher -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TestKey:
    __test__ = False  # not a test class

    kid: str
    alg: str
    private: Any
    declare_alg: bool = True

    def jwk(self) -> dict[str, Any]:
        public = self.private.public_key()
        jwk: dict[str, Any] = (
            ECAlgorithm.to_jwk(public, as_dict=True) if self.alg.startswith("ES") else RSAAlgorithm.to_jwk(
                public, as_dict=True)
        )
        jwk.update(kid=self.kid, use="sig")
        if self.declare_alg:
            jwk["alg"] = self.alg
        return jwk

    def with_kid(self, kid: str) -> TestKey:
        return TestKey(kid, self.alg, self.private, self.declare_alg)


def jwks(*keys: TestKey) -> dict[str, Any]:
    return {"keys": [k.jwk() for k in keys]}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(value: Any) -> str:
    return b64(json.dumps(value, separators=(",", ":")).encode())


def sign_segments(header: dict[str, Any], claims: dict[str, Any], alg: str, key: Any) -> str:
    signing_input = f"{b64json(header)}.{b64json(claims)}"
    signature = get_default_algorithms()[alg].sign(signing_input.encode(), key)
    return f"{signing_input}.{b64(signature)}"


def _apply(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = {**base, **changes}
    return {k: v for k, v in merged.items() if v is not DROP}


def make_token(key: TestKey, *, header: dict[str, Any] | None = None, now: float = NOW, **claims: Any) -> str:
    """A token signed by ``key``; ``header``/``claims`` override the defaults (DROP removes a member)."""
    base_header = {"alg": key.alg, "typ": "JWT", "kid": key.kid}
    base_claims = {"iss": ISS, "aud": SERVICE, "iat": int(now), "exp": int(now) + 300, "jti": str(uuid.uuid4())}
    return sign_segments(_apply(base_header, header or {}), _apply(base_claims, claims), key.alg, key.private)


def bearer(token: str) -> str:
    return f"Bearer {token}"


class FakeClock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class FakeFetcher:
    documents: dict[str, Any] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def __call__(self, url: str) -> dict[str, Any]:
        self.calls.append(url)
        if url not in self.documents:
            raise ConnectionError(f"no route to {url}")
        document: dict[str, Any] = copy.deepcopy(self.documents[url])
        return document


@pytest.fixture(scope="module")
def ec384() -> TestKey:
    return TestKey("ec384-1", "ES384", ec.generate_private_key(ec.SECP384R1()))


@pytest.fixture(scope="module")
def ec384_other() -> TestKey:
    return TestKey("ec384-2", "ES384", ec.generate_private_key(ec.SECP384R1()))


@pytest.fixture(scope="module")
def rsa2048() -> TestKey:
    return TestKey("rsa-2048", "RS384", rsa.generate_private_key(public_exponent=65537, key_size=2048))


@pytest.fixture(scope="module")
def rsa3072() -> TestKey:
    return TestKey("rsa-3072", "RS384", rsa.generate_private_key(public_exponent=65537, key_size=3072), False)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fetcher(ec384: TestKey, rsa2048: TestKey, rsa3072: TestKey) -> FakeFetcher:
    return FakeFetcher({JWKS_URL: jwks(ec384, rsa2048, rsa3072)})


VerifierFactory = Callable[..., JwtVerifier]


@pytest.fixture
def make_verifier(clock: FakeClock, fetcher: FakeFetcher) -> VerifierFactory:
    def factory(*issuers: TrustedIssuer, **options: Any) -> JwtVerifier:
        options.setdefault("clock", clock)
        options.setdefault("fetch", fetcher)
        return JwtVerifier(issuers or (TrustedIssuer(ISS, jwks_url=JWKS_URL),), **options)

    return factory


@pytest.fixture
def verifier(make_verifier: VerifierFactory) -> JwtVerifier:
    return make_verifier()


def rejected(verifier: JwtVerifier, header: str | None, reason: str, audience: str = SERVICE) -> None:
    with pytest.raises(AuthenticationRefused) as caught:
        verifier.verify(header, audience)
    assert caught.value.reason == reason


# --- J01-J15 ------------------------------------------------------------------------------------------------------


def test_J01_no_authorization_header(verifier: JwtVerifier, fetcher: FakeFetcher) -> None:
    rejected(verifier, None, "missing Authorization header")
    rejected(verifier, "", "missing Authorization header")
    assert fetcher.calls == []


def test_J02_non_bearer_scheme_or_non_jwt_token(verifier: JwtVerifier, ec384: TestKey) -> None:
    good = make_token(ec384)
    for header in ("Basic dXNlcjpwYXNzd29yZA==", "Bearer", "Bearer   ", f"Token {good}", good, f"Bearer{good}"):
        rejected(verifier, header, "not a Bearer token")
    for token in (
        "not-a-jwt",
        "a.b",
        f"{good}.extra.parts",  # JWE-like five segments
        good.replace(".", ". ", 1),
        "Zm9v.Zm9v.Zm9v",  # segments that are not JSON
        f"{b64json(['alg'])}.{b64json({})}.c2ln",  # header not an object
        f"{good[:-1]}+",  # not base64url
        "x" * 20_000 + ".a.b",  # oversized
    ):
        rejected(verifier, bearer(token), "malformed JWT")
    assert verifier.verify(f"bearer {good}", SERVICE).iss == ISS  # the scheme is case-insensitive


def test_J03_alg_none_and_hmac_rejected(verifier: JwtVerifier, fetcher: FakeFetcher, ec384: TestKey) -> None:
    claims = {"iss": ISS, "aud": SERVICE, "iat": int(NOW), "exp": int(NOW) + 300, "jti": "j3"}
    for alg in ("none", "None", "NONE", ""):
        unsigned = f"{b64json({'alg': alg, 'typ': 'JWT', 'kid': ec384.kid})}.{b64json(claims)}."
        rejected(verifier, bearer(unsigned), "alg not allowed")
    public_pem = ec384.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    for alg, secret in (("HS256", b"any secret"), ("HS256", public_pem), ("HS384", public_pem), ("HS512", b"s")):
        header = {"alg": alg, "typ": "JWT", "kid": ec384.kid}
        signing_input = f"{b64json(header)}.{b64json(claims)}"
        digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
        signature = hmac.new(secret, signing_input.encode(), digest).digest()  # incl. the public key as secret
        rejected(verifier, bearer(f"{signing_input}.{b64(signature)}"), "alg not allowed")
    for other_alg in (DROP, "PS384", "ES512", "EdDSA", 384):
        rejected(verifier, bearer(make_token(ec384, header={"alg": other_alg})), "alg not allowed")
    assert fetcher.calls == []  # rejected before any key is looked up


def test_J04_typ_and_kid_required(verifier: JwtVerifier, ec384: TestKey) -> None:
    for typ in (DROP, "JWS", "at+jwt", "JOSE", None, 1):
        rejected(verifier, bearer(make_token(ec384, header={"typ": typ})), "typ is not JWT")
    for kid in (DROP, "", None, 42, "k" * 300):
        rejected(verifier, bearer(make_token(ec384, header={"kid": kid})), "kid missing")
    assert verifier.verify(bearer(make_token(ec384, header={"typ": "jwt"})), SERVICE).kid == ec384.kid


def test_J05_unknown_kid_rejected_after_one_forced_refresh(
    make_verifier: VerifierFactory, fetcher: FakeFetcher, clock: FakeClock, ec384: TestKey
) -> None:
    verifier = make_verifier()
    # first contact with an unknown kid: the set just fetched is not fetched again at once
    rejected(verifier, bearer(make_token(ec384.with_kid("nobody"))), "unknown kid")
    assert fetcher.calls == [JWKS_URL]
    verifier.verify(bearer(make_token(ec384)), SERVICE)  # cached set
    assert fetcher.calls == [JWKS_URL]
    clock.advance(30)
    rejected(verifier, bearer(make_token(ec384.with_kid("stranger"), now=clock.now)), "unknown kid")
    assert fetcher.calls == [JWKS_URL] * 2  # exactly one forced refresh
    rejected(verifier, bearer(make_token(ec384.with_kid("another"), now=clock.now)), "unknown kid")
    assert fetcher.calls == [JWKS_URL] * 2  # rate-limited: random kids cannot hammer the issuer
    # a pinned set has nothing to refresh
    pinned = make_verifier(TrustedIssuer(ISS, jwks=jwks(ec384)))
    rejected(pinned, bearer(make_token(ec384.with_kid("nobody"), now=clock.now)), "unknown kid")
    assert fetcher.calls == [JWKS_URL] * 2


def test_J06_bad_signature(verifier: JwtVerifier, ec384: TestKey, ec384_other: TestKey, rsa2048: TestKey) -> None:
    good = make_token(ec384)
    header, payload, signature = good.split(".")
    tampered_claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    tampered_claims["aud"] = DISCOVERY
    rejected(verifier, bearer(f"{header}.{b64json(tampered_claims)}.{signature}"), "bad signature")
    impostor = ec384_other.with_kid(ec384.kid)  # right kid, wrong private key
    rejected(verifier, bearer(make_token(impostor)), "bad signature")
    other = make_token(ec384).split(".")[2]  # a valid signature of another token
    rejected(verifier, bearer(f"{header}.{payload}.{other}"), "bad signature")
    rejected(verifier, bearer(f"{header}.{payload}.{signature[:-8]}"), "bad signature")
    rejected(verifier, bearer(f"{header}.{payload}."), "bad signature")
    rsa_header, rsa_payload, rsa_signature = make_token(rsa2048).split(".")
    flipped = bytearray(base64.urlsafe_b64decode(rsa_signature + "=="))
    flipped[10] ^= 1
    rejected(verifier, bearer(f"{rsa_header}.{rsa_payload}.{b64(bytes(flipped))}"), "bad signature")


def test_J07_expiry_and_lifetime(make_verifier: VerifierFactory, ec384: TestKey) -> None:
    verifier = make_verifier()  # leeway 60 s, maximum lifetime 3600 s
    rejected(verifier, bearer(make_token(ec384, iat=int(NOW) - 400, exp=int(NOW) - 61)), "expired")
    rejected(verifier, bearer(make_token(ec384, iat=int(NOW) - 400, exp=int(NOW) - 60)), "expired")
    verifier.verify(bearer(make_token(ec384, iat=int(NOW) - 400, exp=int(NOW) - 30)), SERVICE)  # within leeway
    rejected(verifier, bearer(make_token(ec384, exp=DROP)), "exp missing")
    for bad in ("soon", True, 1e400, [1]):
        rejected(verifier, bearer(make_token(ec384, exp=bad)), "exp malformed")
    rejected(verifier, bearer(make_token(ec384, iat=int(NOW) + 61, exp=int(NOW) + 361)), "issued in the future")
    verifier.verify(bearer(make_token(ec384, iat=int(NOW) + 30, exp=int(NOW) + 330)), SERVICE)  # skew tolerated
    rejected(verifier, bearer(make_token(ec384, nbf=int(NOW) + 120)), "issued in the future")
    rejected(verifier, bearer(make_token(ec384, iat=int(NOW), exp=int(NOW))), "exp not after iat")
    # optional part: a lifetime above the policy maximum
    rejected(verifier, bearer(make_token(ec384, exp=int(NOW) + 3601)), "lifetime too long")
    verifier.verify(bearer(make_token(ec384, exp=int(NOW) + 3600)), SERVICE)
    strict = make_verifier(max_lifetime_seconds=300)
    verifier_ok = strict.verify(bearer(make_token(ec384, exp=int(NOW) + 300)), SERVICE)
    assert verifier_ok.iss == ISS
    rejected(strict, bearer(make_token(ec384, exp=int(NOW) + 301)), "lifetime too long")


def test_J08_audience_is_the_exact_url_called(verifier: JwtVerifier, ec384: TestKey) -> None:
    rejected(verifier, bearer(make_token(ec384, aud=DISCOVERY)), "aud mismatch")  # discovery token on a service
    rejected(verifier, bearer(make_token(ec384, aud=SERVICE)), "aud mismatch", audience=DISCOVERY)
    rejected(verifier, bearer(make_token(ec384, aud=SERVICE)), "aud mismatch", audience=FEEDBACK)
    rejected(verifier, bearer(make_token(ec384, aud=SERVICE.replace("https:", "http:"))), "aud mismatch")
    rejected(verifier, bearer(make_token(ec384, aud=f"{DISCOVERY}/")), "aud mismatch")  # slash on another URL
    rejected(verifier, bearer(make_token(ec384, aud=f"{SERVICE}//")), "aud mismatch")
    rejected(verifier, bearer(make_token(ec384, aud=f"{SERVICE}-extra")), "aud mismatch")
    rejected(verifier, bearer(make_token(ec384, aud=[DISCOVERY, FEEDBACK])), "aud mismatch")
    rejected(verifier, bearer(make_token(ec384, aud="https://cds.example.org:8443/cds-services/ror-vaccination")),
             "aud mismatch")
    for missing in (DROP, [], "", None, 7, [SERVICE, 7]):
        reason = "aud mismatch" if missing == "" else "aud missing"
        rejected(verifier, bearer(make_token(ec384, aud=missing)), reason)
    # accepted: the exact URL, a trailing slash either side (normalised), an array containing it
    verifier.verify(bearer(make_token(ec384, aud=SERVICE)), SERVICE)
    verifier.verify(bearer(make_token(ec384, aud=f"{SERVICE}/")), SERVICE)
    verifier.verify(bearer(make_token(ec384, aud=SERVICE)), f"{SERVICE}/")
    verifier.verify(bearer(make_token(ec384, aud=[DISCOVERY, SERVICE])), SERVICE)
    verifier.verify(bearer(make_token(ec384, aud=DISCOVERY)), DISCOVERY)
    verifier.verify(bearer(make_token(ec384, aud=FEEDBACK)), FEEDBACK)


def test_J09_issuer_and_jku_allow_lists(make_verifier: VerifierFactory, fetcher: FakeFetcher, ec384: TestKey) -> None:
    allowed_jku = "https://keys.ehr.example.org/jwks"
    fetcher.documents[allowed_jku] = jwks(ec384)
    verifier = make_verifier(
        TrustedIssuer(ISS, jwks_url=JWKS_URL, allowed_jku=(allowed_jku,)),
        TrustedIssuer(OTHER_ISS, allowed_jku=("https://other-ehr.example.net/jwks",)),
    )
    rejected(verifier, bearer(make_token(ec384, iss="https://evil.example.com")), "iss not trusted")
    rejected(verifier, bearer(make_token(ec384, iss=f"{ISS}/")), "iss not trusted")
    rejected(verifier, bearer(make_token(ec384, iss=DROP)), "iss not trusted")
    rejected(verifier, bearer(make_token(ec384, iss=["https://ehr.example.org"])), "iss not trusted")
    for jku in ("https://evil.example.com/jwks.json", "https://other-ehr.example.net/jwks", f"{allowed_jku}/", 3):
        rejected(verifier, bearer(make_token(ec384, header={"jku": jku})), "jku not allowed for iss")
    assert fetcher.calls == []  # nothing fetched for an untrusted iss or jku
    # an allow-listed jku is where the keys are fetched from
    assert verifier.verify(bearer(make_token(ec384, header={"jku": allowed_jku})), SERVICE).iss == ISS
    assert fetcher.calls == [allowed_jku]
    # an issuer known only by its jku allow-list needs the jku in the token
    rejected(verifier, bearer(make_token(ec384, iss=OTHER_ISS)), "no JWK Set for iss without jku")
    assert fetcher.calls == [allowed_jku]


def test_J10_reused_jti_rejected(make_verifier: VerifierFactory, clock: FakeClock, ec384: TestKey) -> None:
    verifier = make_verifier(TrustedIssuer(ISS, jwks=jwks(ec384)), TrustedIssuer(OTHER_ISS, jwks=jwks(ec384)))
    token = make_token(ec384, jti="once")
    verifier.verify(bearer(token), SERVICE)
    rejected(verifier, bearer(token), "jti replayed")
    rejected(verifier, bearer(make_token(ec384, jti="once", aud=DISCOVERY)), "jti replayed", audience=DISCOVERY)
    verifier.verify(bearer(make_token(ec384, jti="once", iss=OTHER_ISS)), SERVICE)  # replay store is per issuer
    # past exp but within the leeway the token is still acceptable: its jti must still be remembered
    clock.advance(330)
    rejected(verifier, bearer(token), "jti replayed")
    # once the first token can no longer be accepted, its jti is forgotten (the cache stays small)
    clock.advance(30)
    verifier.verify(bearer(make_token(ec384, jti="once", now=clock.now)), SERVICE)


def test_J10_replay_cache_is_bounded() -> None:
    cache = ReplayCache(max_entries=2)
    assert cache.add("iss", "a", expires_at=100, now=0)
    assert cache.add("iss", "b", expires_at=200, now=0)
    assert not cache.add("iss", "a", expires_at=100, now=10)
    assert cache.add("iss", "c", expires_at=300, now=10)  # full: the entry closest to expiry ("a") goes
    assert len(cache) == 2
    assert not cache.add("iss", "b", expires_at=200, now=20)
    assert cache.add("iss", "d", expires_at=400, now=250)  # "b" expired and purged
    assert len(cache) == 2


def test_J11_missing_iat_or_jti(verifier: JwtVerifier, ec384: TestKey) -> None:
    rejected(verifier, bearer(make_token(ec384, iat=DROP)), "iat missing")
    rejected(verifier, bearer(make_token(ec384, iat="now")), "iat malformed")
    for jti in (DROP, "", 42, None, "j" * 300):
        rejected(verifier, bearer(make_token(ec384, jti=jti)), "jti missing")


def test_J12_es384_and_rs384_accepted(
    make_verifier: VerifierFactory, ec384: TestKey, rsa2048: TestKey, rsa3072: TestKey
) -> None:
    verifier = make_verifier()
    for key in (ec384, rsa2048, rsa3072):
        caller = verifier.verify(bearer(make_token(key)), SERVICE)
        assert (caller.iss, caller.kid) == (ISS, key.kid)
    # the key must suit the alg: type, curve, size and the JWK's own alg
    rejected(verifier, bearer(make_token(TestKey(ec384.kid, "RS384", rsa2048.private))), "key does not match alg")
    rejected(verifier, bearer(make_token(TestKey(rsa2048.kid, "ES384", ec384.private))), "key does not match alg")
    ec256 = TestKey("ec256", "ES256", ec.generate_private_key(ec.SECP256R1()))
    ec256_undeclared = TestKey("ec256-undeclared", "ES256", ec256.private, declare_alg=False)
    weak = TestKey("rsa-1024", "RS384", rsa.generate_private_key(public_exponent=65537, key_size=1024))
    p384_published = TestKey("p384", "ES384", ec384.private, declare_alg=False)  # a P-384 key without alg
    p384_as_es256 = TestKey("p384", "ES256", ec256.private)  # ... named by an ES256 token
    opted_in = make_verifier(TrustedIssuer(ISS, jwks=jwks(ec256, ec256_undeclared, weak, p384_published)))
    assert opted_in.verify(bearer(make_token(ec256)), SERVICE).kid == "ec256"  # ES256: the key declares it
    rejected(opted_in, bearer(make_token(ec256_undeclared)), "key does not match alg")
    rejected(opted_in, bearer(make_token(weak)), "key does not match alg")
    rejected(opted_in, bearer(make_token(p384_as_es256)), "key does not match alg")


def test_J13_logs_name_the_caller_but_never_the_token(
    verifier: JwtVerifier, ec384: TestKey, ec384_other: TestKey, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="prevention_cds.adapters.auth")
    forged = make_token(ec384_other.with_kid(ec384.kid), jti="jti-forged", tenant="clinic-42")
    rejected(verifier, bearer(forged), "bad signature")
    good = make_token(ec384, jti="jti-good")
    verifier.verify(bearer(good), SERVICE)
    unsigned = f"{b64json({'alg': 'none', 'typ': 'JWT'})}.{b64json({'iss': ISS, 'jti': 'jti-none'})}."
    rejected(verifier, bearer(unsigned), "alg not allowed")
    text = caplog.text
    assert "bad signature" in text and ISS in text
    assert "jti-forged" in text and "clinic-42" in text and "jti-good" in text and "jti-none" in text
    for token in (forged, good, unsigned):
        for part in token.split("."):
            if part:
                assert part not in text
    # the 401 answer itself carries no diagnostic (the HTTP layer's answer to a refused authentication)
    with pytest.raises(AuthenticationRefused) as caught:
        verifier.verify(bearer(forged), SERVICE)
    answer = answer_for(caught.value)
    assert answer is not None and answer.status == 401
    assert outcome_of(caught.value, answer) == {"resourceType": "OperationOutcome",
                                                "issue": [{"severity": "error", "code": "login"}]}


def test_J14_jwks_rotation_and_invalid_sets(
    make_verifier: VerifierFactory, fetcher: FakeFetcher, clock: FakeClock, ec384: TestKey, ec384_other: TestKey
) -> None:
    fetcher.documents[JWKS_URL] = jwks(ec384)
    verifier = make_verifier()
    verifier.verify(bearer(make_token(ec384)), SERVICE)
    fetcher.documents[JWKS_URL] = jwks(ec384, ec384_other)  # the issuer publishes a new key and signs with it
    clock.advance(60)
    assert verifier.verify(bearer(make_token(ec384_other, now=clock.now)), SERVICE).kid == ec384_other.kid
    assert fetcher.calls == [JWKS_URL] * 2
    fetcher.documents[JWKS_URL] = jwks(ec384_other)  # the old key is retired: gone once the TTL has passed
    clock.advance(600)
    rejected(verifier, bearer(make_token(ec384, now=clock.now)), "unknown kid")
    assert fetcher.calls == [JWKS_URL] * 3
    # a set with duplicate kids, or without a non-empty keys array, is a misconfiguration: no key is trusted
    duplicate = {"keys": [ec384.jwk(), ec384_other.with_kid(ec384.kid).jwk()]}
    bad: dict[str, Any]
    for bad in (duplicate, {"keys": []}, {"keys": {}}, {}, {"keys": "x"}, {"keys": [1]}):
        fetcher.documents[JWKS_URL] = bad
        fresh = make_verifier()
        rejected(fresh, bearer(make_token(ec384, now=clock.now)), "JWK Set unavailable")
        with pytest.raises(JwksError):
            parse_jwks(bad)
        with pytest.raises(JwksError):
            make_verifier(TrustedIssuer(ISS, jwks=bad))
    private = ec384.jwk() | {"d": b64(b"0" * 48)}
    with pytest.raises(JwksError, match="private"):
        parse_jwks({"keys": [private]})
    with pytest.raises(JwksError, match="no usable"):
        parse_jwks({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "AA", "kid": "ed"}, ec384.jwk() | {"use": "enc"}]})
    kidless = ec384_other.jwk()
    del kidless["kid"]
    assert set(parse_jwks({"keys": [kidless, ec384.jwk()]})) == {ec384.kid}


def test_J14_jwks_cache_keeps_a_stale_set_when_the_issuer_is_down(
    make_verifier: VerifierFactory, fetcher: FakeFetcher, clock: FakeClock, ec384: TestKey
) -> None:
    verifier = make_verifier()
    verifier.verify(bearer(make_token(ec384)), SERVICE)
    del fetcher.documents[JWKS_URL]
    clock.advance(700)  # TTL passed, the re-fetch fails: the previous set serves
    verifier.verify(bearer(make_token(ec384, now=clock.now)), SERVICE)
    calls = len(fetcher.calls)
    verifier.verify(bearer(make_token(ec384, now=clock.now)), SERVICE)
    assert len(fetcher.calls) == calls  # failures are not retried at once
    clock.advance(3600)  # beyond TTL + maximum staleness
    rejected(verifier, bearer(make_token(ec384, now=clock.now)), "JWK Set unavailable")


def test_J15_tenant_allow_list(make_verifier: VerifierFactory, ec384: TestKey) -> None:
    verifier = make_verifier(TrustedIssuer(ISS, jwks=jwks(ec384), tenants=("hospital-a", "hospital-b")),
                             TrustedIssuer(OTHER_ISS, jwks=jwks(ec384)))
    assert verifier.verify(bearer(make_token(ec384, tenant="hospital-a")), SERVICE).tenant == "hospital-a"
    rejected(verifier, bearer(make_token(ec384, tenant="hospital-c")), "tenant not allowed")
    rejected(verifier, bearer(make_token(ec384, tenant="Hospital-A")), "tenant not allowed")
    rejected(verifier, bearer(make_token(ec384)), "tenant not allowed")
    rejected(verifier, bearer(make_token(ec384, tenant=["hospital-a"])), "tenant malformed")
    # an issuer without a tenant list accepts any tenant, or none
    assert verifier.verify(bearer(make_token(ec384, iss=OTHER_ISS, tenant="x")), SERVICE).tenant == "x"
    assert verifier.verify(bearer(make_token(ec384, iss=OTHER_ISS)), SERVICE).tenant is None


# --- the CDS Hooks Sandbox ----------------------------------------------------------------------------------------


def test_sandbox_shaped_token(make_verifier: VerifierFactory, fetcher: FakeFetcher, ec384: TestKey) -> None:
    verifier = make_verifier(TrustedIssuer(SANDBOX_ISS, jwks=jwks(ec384), allowed_jku=(SANDBOX_JKU,)))
    for audience in (DISCOVERY, SERVICE, FEEDBACK):
        header = {"alg": "ES384", "typ": "JWT", "kid": ec384.kid, "jku": SANDBOX_JKU}
        claims = {"iss": SANDBOX_ISS, "aud": audience, "exp": int(NOW) + 300, "iat": int(NOW),
                  "jti": str(uuid.uuid4())}
        caller = verifier.verify(bearer(sign_segments(header, claims, "ES384", ec384.private)), audience)
        assert (caller.iss, caller.jti, caller.kid, caller.tenant) == (SANDBOX_ISS, claims["jti"], ec384.kid, None)
    assert fetcher.calls == []  # the pinned set answers for the Sandbox's jku


def test_shipped_sandbox_jwks_loads_and_foreign_keys_are_rejected(fetcher: FakeFetcher, ec384: TestKey) -> None:
    issuer = sandbox_issuer()
    assert (issuer.iss, issuer.allowed_jku, issuer.tenants) == (SANDBOX_ISS, (SANDBOX_JKU,), ())
    assert issuer.jwks_file is not None
    keys = load_jwks_file(issuer.jwks_file)
    assert list(keys) == [SANDBOX_KID]
    assert keys[SANDBOX_KID].supports("ES384")
    assert json.loads(Path(issuer.jwks_file).read_text()) == {"keys": [SANDBOX_PUBLIC_KEY]}
    verifier = JwtVerifier([issuer], clock=FakeClock(), fetch=fetcher)
    header = {"alg": "ES384", "typ": "JWT", "kid": SANDBOX_KID, "jku": SANDBOX_JKU}
    claims = {"iss": SANDBOX_ISS, "aud": SERVICE, "exp": int(NOW) + 300, "iat": int(NOW), "jti": "sb"}
    rejected(verifier, bearer(sign_segments(header, claims, "ES384", ec384.private)), "bad signature")
    rejected(verifier, bearer(sign_segments(header | {"jku": JWKS_URL}, claims, "ES384", ec384.private)),
             "jku not allowed for iss")
    assert fetcher.calls == []


# --- audience, configuration and the HTTP fetcher -----------------------------------------------------------------


def test_expected_audience() -> None:
    assert expected_audience(None, "http://127.0.0.1:8080/", "/cds-services") == "http://127.0.0.1:8080/cds-services"
    assert expected_audience("https://cds.example.org", "http://10.0.0.5:8080/", "/cds-services/ror-vaccination") \
        == SERVICE
    assert expected_audience("https://cds.example.org/", "http://internal/", "/cds-services/ror-vaccination/") \
        == SERVICE
    assert expected_audience("https://example.org/prevention", "http://internal/", "/cds-services/x/feedback") \
        == "https://example.org/prevention/cds-services/x/feedback"
    assert expected_audience("", "https://cds.example.org/", "/cds-services") == DISCOVERY


def test_load_trusted_issuers(tmp_path: Path, ec384: TestKey) -> None:
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "ehr.json").write_text(json.dumps(jwks(ec384)))
    file = tmp_path / "trusted-issuers.json"
    file.write_text(json.dumps([
        {"iss": ISS, "jwks_url": JWKS_URL, "allowed_jku": [JWKS_URL], "tenants": ["hospital-a"],
         "comment": "our EHR"},
        {"iss": OTHER_ISS, "jwks_file": "keys/ehr.json"},
        {"iss": "https://third.example.com", "jwks": jwks(ec384)},
        {"iss": "https://jku-only.example.com", "allowed_jku": ["http://127.0.0.1:9999/jwks"]},
    ]))
    first, second, third, fourth = load_trusted_issuers(file)
    assert first == TrustedIssuer(ISS, jwks_url=JWKS_URL, allowed_jku=(JWKS_URL,), tenants=("hospital-a",))
    assert second.jwks_file == str(tmp_path / "keys" / "ehr.json") and second.pinned
    assert third.jwks == jwks(ec384) and not fourth.pinned
    JwtVerifier([first, second, third, fourth])  # pinned sets load

    def fails(document: Any, message: str) -> None:
        file.write_text(document if isinstance(document, str) else json.dumps(document))
        with pytest.raises(TrustConfigError, match=message):
            load_trusted_issuers(file)

    fails("{not json", "not valid JSON")
    fails({"iss": ISS}, "JSON array")
    fails([{"iss": ISS, "jwks_uri": JWKS_URL}], "unknown member.*jwks_uri")
    fails([{"iss": ISS}], "no key source")
    fails([{"iss": ""}], "non-empty iss")
    fails([{"jwks_url": JWKS_URL}], "iss must be a string")
    fails([{"iss": ISS, "jwks_url": JWKS_URL, "jwks_file": "k.json"}], "at most one")
    fails([{"iss": ISS, "jwks_url": "http://ehr.example.org/jwks"}], "not an https:// URL")
    fails([{"iss": ISS, "allowed_jku": JWKS_URL}], "allowed_jku must be an array")
    fails([{"iss": ISS, "jwks_url": JWKS_URL, "tenants": [""]}], "tenants must be an array")
    fails([{"iss": ISS, "jwks_url": JWKS_URL}, {"iss": ISS, "jwks_url": JWKS_URL}], "listed twice")
    with pytest.raises(TrustConfigError, match="cannot read"):
        load_trusted_issuers(tmp_path / "missing.json")


def test_build_verifier_modes(tmp_path: Path, ec384: TestKey) -> None:
    assert build_verifier("off", None) is None
    sandbox = build_verifier("sandbox", None)
    assert sandbox is not None and set(sandbox.issuers) == {SANDBOX_ISS}
    file = tmp_path / "issuers.json"
    file.write_text(json.dumps([{"iss": ISS, "jwks": jwks(ec384)}]))
    both = build_verifier("sandbox", str(file))
    assert both is not None and set(both.issuers) == {SANDBOX_ISS, ISS}
    required = build_verifier("required", str(file))
    assert required is not None and set(required.issuers) == {ISS}
    caller = JwtVerifier(required.issuers.values(), clock=FakeClock()).verify(bearer(make_token(ec384)), SERVICE)
    assert caller.iss == ISS
    with pytest.raises(ConfigError, match="PREVENTION_CDS_TRUSTED_ISSUERS_FILE"):
        build_verifier("required", None)
    with pytest.raises(ConfigError, match="AUTH_MODE"):
        build_verifier("optional", None)
    file.write_text("[]")
    with pytest.raises(ConfigError, match="trusts no issuer"):
        build_verifier("required", str(file))
    file.write_text(json.dumps([{"iss": ISS, "jwks": {"keys": [ec384.jwk(), ec384.jwk()]}}]))
    with pytest.raises(ConfigError, match="duplicate 'kid'"):
        build_verifier("required", str(file))
    file.write_text(json.dumps([{"iss": ISS, "jwks_file": "nowhere.json"}]))
    with pytest.raises(ConfigError, match="cannot read JWK Set file"):
        build_verifier("sandbox", str(file))


class _JwksHandler(BaseHTTPRequestHandler):
    """Serves ``routes`` (path -> status, headers, body); a None header value leaves Content-Length out."""

    routes: ClassVar[dict[str, tuple[int, dict[str, str | None], bytes]]] = {}
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        status, headers, body = self.routes.get(self.path, (404, {}, b"not found"))
        self.send_response(status)
        for name, value in headers.items():
            if value is not None:
                self.send_header(name, value)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def loopback_server() -> Iterator[tuple[str, type[_JwksHandler]]]:
    handler = type("Handler", (_JwksHandler,), {"routes": {}, "hits": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_http_fetcher_on_loopback(loopback_server: tuple[str, type[_JwksHandler]], ec384: TestKey) -> None:
    base, handler = loopback_server
    body = json.dumps(jwks(ec384)).encode()
    handler.routes.update({
        "/jwks.json": (200, {"Content-Type": "application/json"}, body),
        "/big.json": (200, {"Content-Type": "application/json"}, b" " * 300_000 + body),
        "/big-unsized.json": (200, {"Content-Length": None}, b" " * 300_000 + body),
        "/moved": (302, {"Location": f"{base}/jwks.json"}, b""),
        "/array": (200, {}, b"[]"),
        "/html": (200, {}, b"<html>"),
    })
    fetch = HttpJwksFetcher(connect_timeout_seconds=2, read_timeout_seconds=2, max_bytes=256 * 1024)
    assert fetch(f"{base}/jwks.json") == jwks(ec384)
    for path, message in (("/big.json", "larger than"), ("/big-unsized.json", "larger than"), ("/moved", "HTTP 302"), ("/missing", "HTTP 404"),
                          ("/array", "not a JSON object"), ("/html", "not JSON")):
        with pytest.raises(JwksError, match=message):
            fetch(f"{base}{path}")
    assert "/jwks.json" not in handler.hits[1:]  # the redirect was not followed
    # end to end: an issuer whose keys are served over HTTP
    verifier = JwtVerifier([TrustedIssuer(ISS, jwks_url=f"{base}/jwks.json")], clock=FakeClock(), fetch=fetch)
    assert verifier.verify(bearer(make_token(ec384)), SERVICE).kid == ec384.kid
