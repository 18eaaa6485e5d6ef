"""The workspace's own texts (pages, import errors, documents), French first, English second.

Templates are filled as the cards' are (``fhir_out.i18n.format_template``: dates JJ/MM/AAAA in French, decimal
commas, ``{count:ligne|lignes}`` for the word of a number, no blank label); a card message (a ``Message`` of the
rules) renders through the cards' catalog.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from prevention_cds.fhir_out import i18n as card_i18n
from prevention_cds.rules.advice import Message

logger = logging.getLogger(__name__)

LANGUAGES = ("fr", "en")


@cache
def catalog(language: str) -> Mapping[str, str]:
    text = resources.files("prevention_cds.workspace").joinpath("messages", f"{language}.json").read_text("utf-8")
    document: dict[str, str] = json.loads(text)
    return document


def t(key: str, language: str, **params: Any) -> str:
    if all(type(v) in (str, int) for v in params.values()):
        return _t_plain(key, language, tuple(params.items()))  # a list page asks for the same labels 1,000 times
    return _t(key, language, **params)


@lru_cache(maxsize=16_384)
def _t_plain(key: str, language: str, params: tuple[tuple[str, str | int], ...]) -> str:
    return _t(key, language, **dict(params))


def _t(key: str, language: str, **params: Any) -> str:
    template = catalog(language).get(key)
    if template is None:
        logger.error("missing workspace message %s in %s", key, language)
        return key
    if not params:
        return template
    try:
        return card_i18n.format_template(template, params, language)
    except (KeyError, IndexError, ValueError):
        logger.error("workspace message %s (%s) lacks a parameter", key, language)
        return template


def say(message: Message, language: str) -> str:
    """A message of the workspace catalog (``ws.`` keys) or of the cards' catalog."""
    if message.key.startswith("ws."):
        return t(message.key, language, **message.params)
    return card_i18n.render(message, language)


def number(text: str | None, language: str) -> str:
    """A stored decimal (a weight, a dose, a volume) as the language writes it: 12,3 in French."""
    if not text:
        return ""
    try:
        return card_i18n.format_value(Decimal(str(text)), language)
    except InvalidOperation:
        return str(text)


def moment(value: str | None, has_time: bool, language: str) -> str:
    """A stored moment as a person reads it: its date alone when no time was entered."""
    if not value:
        return ""
    stated = datetime.fromisoformat(value)
    return card_i18n.format_value(stated if has_time else stated.date(), language)


def both(message: Message) -> dict[str, str]:
    return {language: say(message, language) for language in LANGUAGES}
