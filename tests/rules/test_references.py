"""What the explanation page cites: each rule-data entry names the section of its document as the document names
it and the row applied, never a project file; the project's own cross-reference is kept apart (``see``), points
at a section that exists, and is never shown; a document's link is the document itself."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from prevention_cds.rules.ruledata import RuleData, RuleValue, guideline_sources
from support.card_brevity import PROJECT_FILE

DOCS = Path(__file__).resolve().parents[2] / "docs"
RULE_SETS = ("iim", "mmr", "common")


def _versions(ruleset: str) -> list[tuple[str, RuleValue]]:
    data = RuleData.load(ruleset)
    return [(name, v) for name in data.names() for v in data.versions(name)]


@pytest.mark.parametrize("ruleset", RULE_SETS)
def test_every_entry_names_its_section_and_row_in_the_documents_words(ruleset: str) -> None:
    for name, version in _versions(ruleset):
        ref = version.ref
        assert ref.section and ref.row, name
        for shown in (ref.section, ref.row):
            assert not PROJECT_FILE.search(shown), (name, shown)


@pytest.mark.parametrize("ruleset", RULE_SETS)
def test_the_cross_reference_points_at_a_section_of_the_clinical_reference(ruleset: str) -> None:
    reference = (DOCS / "clinical-reference.md").read_text(encoding="utf-8")
    headings = set(re.findall(r"^###+ ([A-Z]\.\d+)\b", reference, flags=re.MULTILINE))
    for name, version in _versions(ruleset):
        if version.see is None:
            continue
        document, _, sections = version.see.partition(" ")
        assert (DOCS / document).exists(), (name, version.see)
        for section in sections.split(", "):
            assert section in headings, (name, section)


def test_the_rule_data_cross_references_are_never_shown() -> None:
    # the page shows section and row only: the cross-reference has no other way out than its own field
    for ruleset in RULE_SETS:
        for _, version in _versions(ruleset):
            assert version.see is None or version.see not in (version.ref.section, version.ref.row)


def test_every_source_link_is_the_document_itself() -> None:
    urls = []
    for document, source in guideline_sources().items():
        assert not PROJECT_FILE.search(source["label"]), document
        url = source.get("url")
        if url is None:
            continue  # no verified address: the page says so and gives the document's reference
        parts = urlsplit(url)
        assert parts.scheme == "https" and parts.netloc, (document, url)
        assert parts.path.strip("/") or parts.query, f"{document}: {url} is a site's home page"
        urls.append(url)
    assert len(urls) == len(set(urls)) >= 4


@pytest.mark.parametrize("language", ["fr", "en"])
def test_no_catalog_text_names_a_project_file(language: str) -> None:
    from prevention_cds.fhir_out.i18n import catalog

    named = {key: text for key, text in catalog(language).items() if PROJECT_FILE.search(text)}
    assert named == {}
