"""Opening a card's explanation page through a Flask test client, and reading it as text."""

from __future__ import annotations

import re
from html import unescape
from typing import Any
from urllib.parse import urlsplit

from flask.testing import FlaskClient


def explanation_path(card: dict[str, Any]) -> str:
    """The path and query of the card's explanation link (its only link)."""
    (link,) = card["links"]
    url = urlsplit(link["url"])
    return f"{url.path}?{url.query}"


def page_text(html: str) -> str:
    """The words of a page, tags dropped and entities read, spaces collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def explanation_text(client: FlaskClient, card: dict[str, Any]) -> str:
    response = client.get(explanation_path(card))
    assert response.status_code == 200, response.status_code
    return page_text(response.get_data(as_text=True))
