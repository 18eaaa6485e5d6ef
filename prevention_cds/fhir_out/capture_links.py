"""The card link to the form that captures a case's contacts: the exposure Questionnaire of the disease, served by
the service at ``<service base URL>/fhir/Questionnaire/<id>`` (its ``url`` is the canonical
``terminology.questionnaire_url``). An EHR whose form renderer follows SDC opens it for the contact, sends the
answers to ``/fhir/QuestionnaireResponse/$extract`` and stores the exposure Observation it gets back.
"""

from __future__ import annotations

from prevention_cds.fhir_out.card import Link
from prevention_cds.fhir_out.i18n import render
from prevention_cds.rules.advice import Message
from prevention_cds.rules.facts import ExposureKind
from prevention_cds.terminology import ProjectCode

FHIR_PATH = "/fhir"  # where app/fhir_api.py serves the package
_QUESTIONNAIRES = {ExposureKind.IIM: ProjectCode.IIM_CONTACT, ExposureKind.MEASLES: ProjectCode.MEASLES_CONTACT}
_LABELS = {ExposureKind.IIM: "capture.link.iim-contact", ExposureKind.MEASLES: "capture.link.measles-contact"}


def capture_form_url(kind: ExposureKind, service_base_url: str) -> str:
    """Where the service serves the Questionnaire that captures a contact of a case of ``kind``."""
    return f"{service_base_url.rstrip('/')}{FHIR_PATH}/Questionnaire/{_QUESTIONNAIRES[kind]}"


def capture_form_link(kind: ExposureKind, service_base_url: str, language: str) -> Link:
    """The card link to that Questionnaire, labelled in ``language``."""
    return Link(label=render(Message.of(_LABELS[kind]), language), url=capture_form_url(kind, service_base_url))
