"""The split of an advice between its card and its explanation page (a rendering rule, by kind of message), the
explanation's JSON form, the sealed link that carries it, and the references listed once per document."""

from __future__ import annotations

import json
import zlib
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from cryptography.fernet import Fernet

from prevention_cds.app.explanation_links import ExplanationLinks, LinkExpired, LinkInvalid
from prevention_cds.fhir_out.explanation import Explanation, explanation_of
from prevention_cds.fhir_out.explanation_codec import (
    ExplanationFormatError,
    explanation_from_json,
    explanation_to_json,
)
from prevention_cds.fhir_out.explanation_text import cited_documents, explanation_text
from prevention_cds.fhir_out.render import DETAIL_BUDGET, card_detail, fit_card_detail
from prevention_cds.rules.advice import (
    Advice,
    DoseSchedule,
    GuidelineRef,
    Indicator,
    MedicationProposal,
    Medicine,
    Message,
    ProposeMedication,
    Route,
    Suggestion,
)
from prevention_cds.settings import PRACTICE_TIMEZONE

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=PRACTICE_TIMEZONE)
KEY = Fernet.generate_key().decode("ascii")


def _proposal(instruction: Message) -> MedicationProposal:
    return MedicationProposal(Medicine.RIFAMPICIN_CAPSULE, Route.ORAL, DoseSchedule.single_dose(), instruction,
                              dose_mg=Decimal(600), notes=(Message.of("iim.note.ciprofloxacin-child-provisional"),))


def _advice(**changes: Any) -> Advice:
    fields: dict[str, Any] = {
        "rule": "iim.prophylaxis.rifampicin",
        "indicator": Indicator.WARNING,
        "summary": Message.of("iim.summary.not-a-contact"),
        "explanation": (Message.of("iim.no-antibiogram-wait"), Message.decisive_of("iim.not-a-contact.watch")),
        "facts": (Message.decisive_of("iim.fact.age-years", years=35), Message.of("iim.fact.serogroup", serogroup="B")),
        "guideline": (GuidelineRef("dgs-2018-163", "Guide", "rifampicine, adulte"),),
        "decisions": (Message.of("iim.decision.shortage-mode"),),
        "suggestions": (
            Suggestion(Message.of("iim.suggestion.ceftriaxone", dose_mg=Decimal(250)),
                       (ProposeMedication(_proposal(Message.of("iim.instruction.ceftriaxone", dose_mg=250))),)),
            Suggestion(Message.of("iim.suggestion.ciprofloxacin", dose_mg=Decimal(500)),
                       (ProposeMedication(_proposal(Message.of("iim.instruction.ciprofloxacin.tablet", dose_mg=500))),),
                       recommended=True),
        ),
    }
    return Advice(**{**fields, **changes})


# --- the rule: by kind, never by message --------------------------------------------------------------------


def test_the_card_shows_what_to_do_and_the_decisive_facts_the_page_shows_everything() -> None:
    e = explanation_of(_advice(), NOW)
    assert [m.key for m in e.todo] == ["iim.instruction.ciprofloxacin.tablet", "iim.not-a-contact.watch"]
    assert [m.key for m in e.decisive_facts] == ["iim.fact.age-years"]
    detail = card_detail(e, "fr")
    assert "Ciprofloxacine" in detail and "Consulter en urgence" in detail and "35 ans" in detail
    assert "antibiogramme" not in detail and "Sérogroupe" not in detail  # not decisive: on the page only
    assert "1 choix du service à valider" in detail
    page = explanation_text(e, "fr")
    assert any("antibiogramme" in p for p in page.reasoning)
    assert [f.decisive for f in page.facts] == [True, False]
    assert [s.recommended for s in page.suggestions] == [False, True]
    assert page.suggestions[0].notes  # the proposal's notes: on the page


def test_a_message_a_rule_adds_lands_on_the_page_not_on_the_card() -> None:
    base = explanation_of(_advice(), NOW)
    added = _advice(explanation=(*_advice().explanation, Message.of("iim.precaution.rifampicin.colour")),
                    facts=(*_advice().facts, Message.of("iim.fact.prior-course", ended_on=NOW.date())))
    e = explanation_of(added, NOW)
    assert card_detail(e, "fr") == card_detail(base, "fr")
    assert len(explanation_text(e, "fr").reasoning) == 3 and len(explanation_text(e, "fr").facts) == 3


def test_decisive_marks_do_not_change_equality() -> None:
    assert Message.decisive_of("iim.fact.age-years", years=3) == Message.of("iim.fact.age-years", years=3)
    assert Message.of("iim.fact.age-years", years=3).as_decisive().decisive


def test_decisive_lines_that_do_not_fit_are_left_to_the_page_and_counted() -> None:
    facts = tuple(Message.decisive_of("iim.fact.prior-course", ended_on=NOW.date() - timedelta(days=n))
                  for n in range(40))
    fitted = fit_card_detail(explanation_of(_advice(facts=facts), NOW), "fr")
    assert len(fitted.text) <= DETAIL_BUDGET and fitted.left_to_page > 0
    assert f"{fitted.left_to_page} autre(s) élément(s) déterminant(s)" in fitted.text
    assert "Ciprofloxacine" in fitted.text  # what to do is never cut


# --- the explanation as JSON --------------------------------------------------------------------------------


def _marks(e: Explanation) -> list[bool]:
    return [m.decisive for m in (*e.reasoning, *e.facts)]


def test_the_json_form_reads_back_the_same_explanation_with_its_marks() -> None:
    e = explanation_of(_advice(facts=(Message.decisive_of(
        "mmr.fact.dose-rejected", vaccine="Priorix", given_on=NOW.date(),
        reasons=(Message.of("mmr.reject.too-soon", days=12, previous=NOW.date(), min_days=28),)),)), NOW)
    document = json.loads(json.dumps(explanation_to_json(e)))
    again = explanation_from_json(document)
    assert again == e and _marks(again) == _marks(e)
    assert explanation_text(again, "en") == explanation_text(e, "en")


@pytest.mark.parametrize("change", [
    lambda d: d.update(v=2),
    lambda d: d.pop("facts"),
    lambda d: d.update(extra=1),
    lambda d: d["summary"].update(k=3),
    lambda d: d["facts"][0]["p"].update(years={"x": "1"}),
    lambda d: d["facts"][0]["p"].update(years={"t": "2026-13-01"}),
    lambda d: d["suggestions"][0].update(recommended="yes"),
    lambda d: d["guideline"][0].pop(),
    lambda d: d.update(indicator="loud"),
])
def test_the_reader_refuses_anything_it_did_not_write(change: Any) -> None:
    document = explanation_to_json(explanation_of(_advice(), NOW))
    change(document)
    with pytest.raises(ExplanationFormatError):
        explanation_from_json(document)


# --- the sealed link ----------------------------------------------------------------------------------------


def _links(*keys: str, clock: datetime = NOW) -> ExplanationLinks:
    return ExplanationLinks(keys or (KEY,), timedelta(hours=12), lambda: clock)


def test_a_link_opens_its_explanation_until_it_expires() -> None:
    e = explanation_of(_advice(), NOW)
    token = _links().seal(e)
    opened = _links(clock=NOW + timedelta(hours=11, minutes=59)).open(token)
    assert opened.explanation == e and opened.expires_at == NOW + timedelta(hours=12)
    with pytest.raises(LinkExpired):
        _links(clock=NOW + timedelta(hours=12, seconds=1)).open(token)


def test_a_link_carries_no_readable_patient_data() -> None:
    e = explanation_of(_advice(facts=(Message.decisive_of("mmr.fact.birth-date", birth_date=NOW.date(),
                                                          age=Message.of("mmr.age.years", years=35)),)), NOW)
    url = _links().url("https://cds.example.fr/", e, "fr")
    token = url.removeprefix("https://cds.example.fr/explanations/").removesuffix("?lang=fr")
    assert "/" not in token and url.endswith("?lang=fr")
    for readable in ("2026-11-21", "21/11/2026", "birth_date", "iim.", "mmr."):  # none can be base64 by chance
        assert readable not in token
    assert len(url) < 2000


def test_an_altered_or_foreign_link_is_refused() -> None:
    token = _links().seal(explanation_of(_advice(), NOW))
    altered = token[:40] + ("A" if token[40] != "A" else "B") + token[41:]
    for bad in (altered, token[:-5], "x" * 20, "", "é", "A" * 20_000):
        with pytest.raises(LinkInvalid):
            _links().open(bad)
    with pytest.raises(LinkInvalid):
        _links(Fernet.generate_key().decode("ascii")).open(token)


def test_keys_rotate_the_first_seals_every_key_opens() -> None:
    old, new = KEY, Fernet.generate_key().decode("ascii")
    token = _links(old).seal(explanation_of(_advice(), NOW))
    assert _links(new, old).open(token).explanation.rule == "iim.prophylaxis.rifampicin"


def test_a_sealed_document_of_another_version_is_refused() -> None:
    fernet = Fernet(KEY.encode("ascii"))
    packed = zlib.compress(json.dumps({"v": 99}).encode("utf-8"))
    with pytest.raises(LinkInvalid):
        _links().open(fernet.encrypt_at_time(packed, int(NOW.timestamp())).decode("ascii"))


def test_a_key_that_is_not_a_fernet_key_is_a_configuration_error() -> None:
    from prevention_cds.settings import ConfigError

    with pytest.raises(ConfigError, match="EXPLANATION_KEYS"):
        ExplanationLinks(("not-a-key",), timedelta(hours=1), lambda: NOW)


# --- the references, each document once ---------------------------------------------------------------------


def test_references_list_each_document_once_with_its_sections_and_rows_in_order() -> None:
    refs = (
        GuidelineRef("dgs-2018-163", "Fiche A", "row 1"),
        GuidelineRef("corruss-2025-03-26", "II. Décisions", "row x"),
        GuidelineRef("dgs-2018-163", "Fiche B", "row 2"),
        GuidelineRef("dgs-2018-163", "Fiche A", "row 3"),
        GuidelineRef("dgs-2018-163", "Fiche A", "row 1"),
    )
    documents = cited_documents(refs)
    assert [d.label.split(" ")[0] for d in documents] == ["Instruction", "CORRUSS"]
    dgs = documents[0]
    assert dgs.reference == "NOR SSAP1818693J" and dgs.url is None
    assert [(s.name, s.rows) for s in dgs.sections] == [("Fiche A", ("row 1", "row 3")), ("Fiche B", ("row 2",))]
