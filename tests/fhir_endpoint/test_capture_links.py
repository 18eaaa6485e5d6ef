"""The link a case card gives to the capture form of its contacts: it opens the Questionnaire the service serves."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from prevention_cds import terminology
from prevention_cds.fhir_out.capture_links import capture_form_link, capture_form_url
from prevention_cds.rules.facts import ExposureKind


@pytest.mark.parametrize("kind", list(ExposureKind))
def test_the_link_opens_the_questionnaire_of_the_disease(client: FlaskClient, kind: ExposureKind) -> None:
    link = capture_form_link(kind, "http://localhost/", "fr")
    assert link.to_json()["type"] == "absolute" and link.label.startswith("Saisir")
    served = client.get(link.url.removeprefix("http://localhost"))
    assert served.status_code == 200
    assert served.get_json()["url"] == terminology.questionnaire_url(kind.value)
    assert capture_form_link(kind, "https://cds.example.org", "en").label.startswith("Record")


def test_the_url_follows_the_public_base_url() -> None:
    assert capture_form_url(ExposureKind.IIM, "https://cds.example.org/base/") == (
        "https://cds.example.org/base/fhir/Questionnaire/iim-contact")
