"""A card's link to its explanation page: the explanation sealed into the link itself, nothing stored.

The link's token is the card's explanation (``fhir_out/explanation_codec.py``: message keys and typed values),
compressed, then encrypted and authenticated with Fernet (AES-128-CBC and HMAC-SHA256, with the time it was made)
under a key of the service. So the address holds no readable patient data; the page opens only a token this
service made, unaltered, and only for ``explanation_link_hours`` after the advice was computed. The service keeps
no page: any worker or instance holding the key shows it, and a restart loses nothing. The key is
``PREVENTION_CDS_EXPLANATION_KEYS``, else one the service generates once and keeps in its database. The link is the
capability to read the page (docs/cards.md says why, and what that implies).
"""

from __future__ import annotations

import json
import logging
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import msgspec
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import Flask

from prevention_cds.fhir_out.explanation import Explanation
from prevention_cds.fhir_out.explanation_codec import (
    ExplanationFormatError,
    explanation_from_json,
    explanation_to_json,
)
from prevention_cds.settings import PRACTICE_TIMEZONE, PREFIX, ConfigError, Settings

logger = logging.getLogger(__name__)

PATH = "/explanations/"
MAX_TOKEN_CHARS = 16_000  # far above any card's (a few kB): a longer path is not a link of this service
MAX_DOCUMENT_BYTES = 1_000_000  # an explanation is a few kB once inflated
_KEY = "prevention_cds.explanation_links"


class LinkRefused(Exception):
    """A token that does not open a page."""


class LinkInvalid(LinkRefused):
    """Not a token of this service: altered, truncated, or sealed with another key."""


class LinkExpired(LinkRefused):
    """A token of this service, older than the links last."""


@dataclass(frozen=True)
class OpenedLink:
    explanation: Explanation
    sealed_at: datetime
    expires_at: datetime


def new_key() -> str:
    """A new Fernet key, as ``PREVENTION_CDS_EXPLANATION_KEYS`` takes it."""
    return Fernet.generate_key().decode("ascii")


class ExplanationLinks:
    def __init__(self, keys: tuple[str, ...], lifetime: timedelta, clock: Callable[[], datetime]) -> None:
        try:
            self._fernet = MultiFernet([Fernet(key.encode("ascii")) for key in keys])
        except (ValueError, UnicodeEncodeError) as exc:
            raise ConfigError(f"{PREFIX}EXPLANATION_KEYS: not a list of Fernet keys ({exc})") from None
        self.lifetime = lifetime
        self._clock = clock

    @classmethod
    def from_settings(
        cls, settings: Settings, clock: Callable[[], datetime], stored_key: Callable[[], str]
    ) -> ExplanationLinks:
        """The settings' keys; without them, the key the service keeps in its database (``stored_key``, made
        with ``new_key`` the first time), so that every worker, every instance on that database and a restart
        open the same links."""
        keys = settings.explanation_keys
        if not keys:
            logger.info("no %sEXPLANATION_KEYS: explanation links are sealed with the key kept in the service's "
                        "database", PREFIX)
            keys = (stored_key(),)
        return cls(keys, timedelta(hours=settings.explanation_link_hours), clock)

    def seal(self, explanation: Explanation) -> str:
        document = msgspec.json.encode(explanation_to_json(explanation))  # compact UTF-8, as json.dumps writes it
        packed = zlib.compress(document, 9)
        return self._fernet.encrypt_at_time(packed, int(explanation.evaluated_at.timestamp())).decode("ascii")

    def url(self, base_url: str, explanation: Explanation, language: str) -> str:
        return f"{base_url.rstrip('/')}{PATH}{self.seal(explanation)}?lang={language}"

    def open(self, token: str) -> OpenedLink:
        now = int(self._clock().timestamp())
        if len(token) > MAX_TOKEN_CHARS:
            raise LinkInvalid("too long")
        try:
            raw = token.encode("ascii")
            sealed = self._fernet.extract_timestamp(raw)  # checks the HMAC first
            if now - sealed > self.lifetime.total_seconds():
                raise LinkExpired(f"sealed {now - sealed} s ago")
            packed = self._fernet.decrypt_at_time(raw, int(self.lifetime.total_seconds()), now)
            inflater = zlib.decompressobj()
            document = inflater.decompress(packed, MAX_DOCUMENT_BYTES)
            if inflater.unconsumed_tail:
                raise LinkInvalid("too large")
            explanation = explanation_from_json(json.loads(document))
        except (InvalidToken, UnicodeEncodeError, zlib.error, ValueError, ExplanationFormatError) as exc:
            # ExplanationFormatError and JSON errors are ValueErrors too: a token of another version
            raise LinkInvalid(type(exc).__name__) from None
        sealed_at = datetime.fromtimestamp(sealed, PRACTICE_TIMEZONE)
        return OpenedLink(explanation, sealed_at, sealed_at + self.lifetime)


def install_links(app: Flask, links: ExplanationLinks) -> None:
    app.extensions[_KEY] = links


def explanation_links(app: Flask) -> ExplanationLinks:
    links: ExplanationLinks = app.extensions[_KEY]
    return links
