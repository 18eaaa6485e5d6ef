"""Message catalogs (French first, English second) and the rendering of rule messages."""

from __future__ import annotations

import json
import logging
import string
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from prevention_cds.rules.advice import Message, ParamValue

logger = logging.getLogger(__name__)

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"


class CatalogError(ValueError):
    pass


@cache
def catalog(language: str) -> Mapping[str, str]:
    """Every ``prevention_cds/fhir_out/messages/<language>/*.json`` merged; a key defined twice is an error."""
    merged: dict[str, str] = {}
    folder = resources.files("prevention_cds.fhir_out").joinpath("messages", language)
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".json"):
            continue
        for key, template in json.loads(entry.read_text(encoding="utf-8")).items():
            if key in merged:
                raise CatalogError(f"message {key!r} defined twice ({entry.name})")
            merged[key] = template
    return merged


def negotiate_language(accept_language: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """Pick fr or en from an Accept-Language header (quality values honoured)."""
    if not accept_language:
        return default
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, position, primary))
    return sorted(ranked)[0][2] if ranked else default


def format_value(value: ParamValue, language: str) -> str:
    # exact types first: this runs for every parameter of every message of a card
    if type(value) is str:
        return value
    if type(value) is Message:
        return render(value, language)
    if type(value) is int:
        return str(value)
    if isinstance(value, tuple):
        return "; ".join(format_value(item, language) for item in value)
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M" if language == "fr" else "%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return f"{value.day:02d}/{value.month:02d}/{value.year:04d}" if language == "fr" else value.isoformat()
    if isinstance(value, Decimal):
        return format_decimal(value, language)
    return str(value)


def format_decimal(value: Decimal, language: str) -> str:
    text = format(value.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",") if language == "fr" else text


def render(message: Message, language: str) -> str:
    """The message in ``language``. A missing key or parameter is a bug: logged, and the key is shown
    rather than failing the whole call."""
    template = catalog(language).get(message.key)
    if template is None:
        logger.error("missing message %s in the %s catalog", message.key, language)
        return message.key
    if not message.params and "{" not in template:
        return template
    try:
        return format_template(template, message.params, language)
    except (KeyError, IndexError, ValueError):
        logger.error("message %s (%s) lacks a parameter", message.key, language)
        return template


def format_template(template: str, params: Mapping[str, ParamValue], language: str) -> str:
    """``template`` filled with ``params``; raises KeyError on a missing parameter.

    Two rules every message of both rule sets follows:
    - **No empty label.** A parameter that renders blank (a code without text nor display, a product without a
      name) is replaced by the catalog's ``label.missing.<name>`` phrase, else ``label.missing``.
    - **Plurals.** ``{days:jour|jours}`` is the word for the number ``days``: singular for 1 (and for 0 in
      French), plural otherwise; ``{days}`` still writes the number itself.
    """
    parts = []
    for literal, name, spec in _plain_fields(template):
        parts.append(literal)
        if name is not None:
            parts.append(_field_text(_parameter(params, name, language), spec, language))
    return "".join(parts)


@cache
def _plain_fields(template: str) -> tuple[tuple[str, str | None, str], ...]:
    """The template parsed once: (text, field name, format spec) pieces. Every field is a plain name with neither
    conversion nor nested field (every message of the catalogs is): another raises ValueError."""
    pieces = []
    for literal, name, spec, conversion in string.Formatter().parse(template):
        if name is not None and (not name.isidentifier() or conversion or "{" in (spec or "")):
            raise ValueError(f"template field {name!r} is not a plain name")
        pieces.append((literal, name, spec or ""))
    return tuple(pieces)


def _parameter(params: Mapping[str, Any], name: str, language: str) -> Any:
    value = params[name]
    return value if value != "" else _missing_label(name, language)


def _field_text(value: Any, format_spec: str, language: str) -> str:
    if "|" in format_spec:
        singular, plural = format_spec.split("|", 1)
        return singular if _is_singular(value, language) else plural
    text = format_value(value, language)
    return text if text.strip() else _missing_label("", language)


_NUMBERS = (int, Decimal)  # a tuple, not ``int | Decimal``: that would build a union at every call


def _is_singular(value: Any, language: str) -> bool:
    if isinstance(value, bool) or not isinstance(value, _NUMBERS):
        return False
    return -2 < value < 2 if language == "fr" else value == 1


def _missing_label(name: str, language: str) -> str:
    messages = catalog(language)
    return messages.get(f"label.missing.{name}") or messages["label.missing"]


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}
