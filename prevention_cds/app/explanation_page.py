"""The explanation page a card links to: the whole reasoning of one card, in French or in English, printable.

Server-rendered HTML (Jinja2), no script, nothing fetched from elsewhere. It shows patient-derived facts, so it
is sent uncached and without a referrer; the token in its address is the capability to read it
(``explanation_links``). The log says that a page was shown, for which rule and how old its link was: never the
token nor what the page says.
"""

from __future__ import annotations

import hashlib
import logging
import re

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from markupsafe import Markup, escape
from werkzeug.routing import BaseConverter

from prevention_cds.app.explanation_links import LinkExpired, LinkRefused, explanation_links
from prevention_cds.app.services import services
from prevention_cds.fhir_out.explanation_text import explanation_text
from prevention_cds.fhir_out.i18n import LANGUAGES, format_value, negotiate_language, render
from prevention_cds.rules.advice import Message, ParamValue

logger = logging.getLogger(__name__)

blueprint = Blueprint("explanation", __name__, template_folder="templates", static_folder="static",
                      static_url_path="/explanations/static")


class AnyToken(BaseConverter):
    """Whatever follows /explanations/, line breaks and slashes included: a cut or altered link gets this page
    (which says so) rather than the API's JSON 404."""

    regex = r"[\s\S]+"
    part_isolating = False


@blueprint.record_once
def _converters(state: BlueprintSetupState) -> None:
    state.app.url_map.converters["explanation_token"] = AnyToken

# What a page may load: its own style sheet, nothing else (no script, image, font, frame or form)
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'",
}
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def rich(text: str) -> Markup:
    """A message as HTML: escaped, its Markdown bold (the only markup the catalogs use) as <strong>."""
    return Markup(_BOLD.sub(lambda m: f"<strong>{m.group(1)}</strong>", str(escape(text))))


def _language() -> str:
    asked = request.args.get("lang", "")
    if asked in LANGUAGES:
        return asked
    default = services(current_app).settings.default_language
    return negotiate_language(request.headers.get("Accept-Language"), default)


def _html(body: str, status: int, language: str) -> Response:
    response = Response(body, status=status, content_type="text/html; charset=utf-8")
    response.headers.update(HEADERS)
    response.headers["Content-Language"] = language
    return response


def _fingerprint(token: str) -> str:
    """A short, one-way name of the link, to follow it in the logs without logging it."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()[:12]


@blueprint.get("/explanations/<explanation_token:token>")
def page(token: str) -> Response:
    language = _language()

    def t(key: str, **params: ParamValue) -> str:
        return render(Message.of(key, **params), language)

    try:
        opened = explanation_links(current_app).open(token)
    except LinkRefused as refusal:
        kind = "expired" if isinstance(refusal, LinkExpired) else "invalid"
        logger.info("explanation link refused: %s (%s) link=%s", kind, refusal, _fingerprint(token))
        body = render_template("explanation_refused.html", lang=language, t=t, kind=kind)
        return _html(body, 410 if kind == "expired" else 404, language)
    text = explanation_text(opened.explanation, language)
    age = services(current_app).evaluator.clock() - opened.explanation.evaluated_at
    logger.info(
        "explanation page shown: rule=%s language=%s link=%s age_minutes=%d",
        text.rule, language, _fingerprint(token), age.total_seconds() // 60,
    )
    other = next(lang for lang in LANGUAGES if lang != language)
    body = render_template(
        "explanation.html",
        page=text,
        lang=language,
        t=t,
        rich=rich,
        until=format_value(opened.expires_at, language),
        other_language=other,
        other_url=url_for("explanation.page", token=token, lang=other),
    )
    return _html(body, 200, language)
