"""A test EHR that signs CDS Hooks JWTs (ES384, one key), and the trusted-issuers file that trusts it."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

ISS = "https://ehr.example.org"
KID = "ehr-key-1"
KEY = ec.generate_private_key(ec.SECP384R1())


def issuers_file(folder: Path) -> Path:
    """``folder/issuers.json``, trusting the test EHR's key (an inline JWK Set)."""
    jwk = ECAlgorithm.to_jwk(KEY.public_key(), as_dict=True) | {"kid": KID, "use": "sig", "alg": "ES384"}
    path = folder / "issuers.json"
    path.write_text(json.dumps([{"iss": ISS, "jwks": {"keys": [jwk]}}]))
    return path


def token(aud: str, **claims: Any) -> str:
    """A fresh token of the test EHR for ``aud`` (a new jti each time)."""
    now = int(time.time())
    payload = {"iss": ISS, "aud": aud, "iat": now, "exp": now + 300, "jti": str(uuid.uuid4()), **claims}
    return jwt.encode(payload, KEY, algorithm="ES384", headers={"kid": KID, "typ": "JWT"})
