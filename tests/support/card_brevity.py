"""Every advice the rule sets give during the test suite is measured as a clinician reads it: the card's French
detail is at most ``DETAIL_BUDGET`` characters, and no project file name (``clinical.md``, ``docs/…``, a ``§``
pointing at the project's documents) appears in the card's summary, detail, labels, link label or on its
explanation page, in French or in English.

:func:`watch_rule_sets` wraps ``evaluate`` and ``check_orders`` of the rule sets (on their classes, so every
instance is covered): the rule-suite scenarios of tests/rules, the HTTP scenarios, the CLI in process, the scan in
process. Problems are collected, not raised, so the code under test runs as in production; tests/conftest.py fails
the test that produced them and prints the longest French detail measured.
"""

from __future__ import annotations

import functools
import inspect
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cryptography.fernet import Fernet

from prevention_cds.app.explanation_links import ExplanationLinks
from prevention_cds.fhir_out.explanation import explanation_of
from prevention_cds.fhir_out.explanation_text import ExplanationText, explanation_text
from prevention_cds.fhir_out.i18n import LANGUAGES, render
from prevention_cds.fhir_out.render import DETAIL_BUDGET, card_detail, fit_card_detail
from prevention_cds.rules.advice import Advice, Message
from prevention_cds.rules.iim import IimRules
from prevention_cds.rules.mmr import MmrRules
from prevention_cds.settings import PRACTICE_TIMEZONE

RULE_SETS = (IimRules, MmrRules)
# A link an EHR keeps and a browser opens: far below gunicorn's request line (8190, app/server.py)
LINK_BUDGET = 4000
BASE_URL = "https://prevention-cds.example.org"
METHODS = ("evaluate", "check_orders")
# A project document named where a clinician reads: a Markdown file, the former reference's name, a docs/ path,
# or a section sign (the project's documents are cited by section; the guidelines' own sections never are).
PROJECT_FILE = re.compile(r"\.md\b|clinical\.md|clinical-reference|clinical-decisions|\bdocs/|§", re.IGNORECASE)


def page_strings(text: ExplanationText) -> Iterator[str]:
    """Every string of an explanation page."""
    yield text.summary
    yield from text.todo
    for s in text.suggestions:
        yield s.label
        yield from s.instructions
        yield from s.notes
    yield from text.reasoning
    yield from (f.text for f in text.facts)
    yield from text.decisions
    for d in text.documents:
        yield d.label
        yield d.url or ""
        yield d.reference or ""
        for section in d.sections:
            yield section.name
            yield from section.rows


def project_file_names(strings: Iterator[str]) -> list[str]:
    return [s for s in strings if PROJECT_FILE.search(s)]


@dataclass
class Measured:
    cards: int = 0
    longest: int = 0
    longest_rule: str = ""
    longest_test: str = ""
    longest_whole: int = 0  # the longest of the cards that show every decisive line
    longest_whole_test: str = ""
    fitted: int = 0  # cards with decisive lines left to the page (generated records, mostly)
    fitted_tests: set[str] = field(default_factory=set)
    longest_link: int = 0
    problems: list[str] = field(default_factory=list)
    links: ExplanationLinks = field(default_factory=lambda: ExplanationLinks(
        (Fernet.generate_key().decode("ascii"),), timedelta(hours=12), lambda: datetime.now(PRACTICE_TIMEZONE)))

    def check(self, advice: Advice, now: datetime) -> None:
        self.cards += 1
        explanation = explanation_of(advice, now)
        fitted = fit_card_detail(explanation, "fr")
        detail = fitted.text
        test = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" ", 1)[0]
        if fitted.left_to_page:
            self.fitted += 1
            self.fitted_tests.add(test.split("[")[0])
        elif len(detail) > self.longest_whole:
            self.longest_whole, self.longest_whole_test = len(detail), f"{advice.rule}, {test}"
        if len(detail) > self.longest:
            self.longest, self.longest_rule, self.longest_test = len(detail), advice.rule, test
        if len(detail) > DETAIL_BUDGET:
            self.problems.append(
                f"{advice.rule}: French detail of {len(detail)} characters (> {DETAIL_BUDGET}):\n{detail}\n"
            )
        link = len(self.links.url(BASE_URL, explanation, "fr"))
        self.longest_link = max(self.longest_link, link)
        if link > LINK_BUDGET:
            self.problems.append(f"{advice.rule}: explanation link of {link} characters (> {LINK_BUDGET})")
        for language in LANGUAGES:
            shown = [render(advice.summary, language), card_detail(explanation, language),
                     render(Message.of("card.link.explanation"), language),
                     *(render(s.label, language) for s in advice.suggestions)]
            named = project_file_names(iter(shown)) + project_file_names(
                page_strings(explanation_text(explanation, language)))
            self.problems.extend(f"{advice.rule} ({language}): project file named in {s!r}" for s in named)

    def take_problems(self) -> list[str]:
        problems, self.problems = self.problems, []
        return problems


def _measured(method: Callable[..., tuple[Advice, ...]], measured: Measured) -> Callable[..., tuple[Advice, ...]]:
    signature = inspect.signature(method)

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> tuple[Advice, ...]:
        advice = method(*args, **kwargs)
        now = signature.bind(*args, **kwargs).arguments["now"]
        for a in advice:
            measured.check(a, now)
        return advice

    return wrapper


@contextmanager
def watch_rule_sets() -> Iterator[Measured]:
    """Measure every advice the rule sets return until the block ends."""
    measured = Measured()
    originals = [(cls, name, getattr(cls, name)) for cls in RULE_SETS for name in METHODS]
    for cls, name, original in originals:
        setattr(cls, name, _measured(original, measured))
    try:
        yield measured
    finally:
        for cls, name, original in originals:
            setattr(cls, name, original)


def card_keys(advice: Advice, now: datetime) -> set[str]:
    """The message keys the card itself shows besides its instructions (its decisive steps and facts), all of
    them: none left to the explanation page."""
    explanation = explanation_of(advice, now)
    fitted = fit_card_detail(explanation, "fr")
    assert fitted.left_to_page == 0, (advice.rule, fitted.text)
    return {m.key for m in (*explanation.decisive_reasoning, *explanation.decisive_facts)}
