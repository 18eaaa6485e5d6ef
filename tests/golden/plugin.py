"""Golden comparison of what the service answers, kept across refactors (``pytest -p golden.plugin``).

While the rule, scenario and conformance suites run, every rule-set evaluation is rendered as cards in French
and English, and every answer of the evaluator (the body of an HTTP 200) is kept, keyed by test id and call
number. Uuids and timestamps are masked. ``--golden-record`` writes ``answers.json.gz`` beside this file;
``--golden-check`` compares and fails the session on the first differences. Without either flag it does nothing.
The answers listed in ``references_fixed.json`` (a card's references fixed on purpose) are compared with their
reference blocks masked; that file says why each group changed.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

GOLDEN = Path(__file__).with_name("answers.json.gz")
FIXED_REFERENCES = Path(__file__).with_name("references_fixed.json")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|(?<![0-9a-f])[0-9a-f]{16}(?![0-9a-f])")
LOOPBACK_PORT = re.compile(r"(?<=127\.0\.0\.1:)\d+")  # a test server's port, a new one on every run
# The reference block of a card's detail, compared as a set (its order followed set iteration before)
REFERENCES = re.compile(r"(\*\*(?:Référence|Références|Reference|References)\*\*\n\n)((?:- .*(?:\n|$))+)")
TIMESTAMP_KEYS = frozenset({"authoredOn", "date"})
# An explanation link's token is encrypted with a random IV: it differs on every call, its content is the card's
EXPLANATION_TOKEN = re.compile(r"/explanations/[A-Za-z0-9_=-]+")

_answers: dict[str, Any] = {}
_current: list[str] = [""]
_counter: dict[str, int] = {}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("golden")
    group.addoption("--golden-record", action="store_true", help="record the golden answers")
    group.addoption("--golden-check", action="store_true", help="compare with the golden answers")


def _mask(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _mask(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v) for v in value]
    if isinstance(value, str):
        if key in TIMESTAMP_KEYS and "T" in value:
            return "<timestamp>"
        value = REFERENCES.sub(lambda m: m[1] + "\n".join(sorted(m[2].strip("\n").split("\n"))), value)
        value = EXPLANATION_TOKEN.sub("/explanations/<token>", UUID.sub("<uuid>", value))
        return LOOPBACK_PORT.sub("<port>", value)
    return value


def _without_references(value: Any, source: bool) -> Any:
    """``value`` with each card's reference block masked, and the card's source too when ``source``."""
    if isinstance(value, dict):
        return {k: _without_references(v, source) for k, v in value.items() if not (source and k == "source")}
    if isinstance(value, list):
        return [_without_references(v, source) for v in value]
    if isinstance(value, str):
        return REFERENCES.sub(lambda m: m[1] + "<references>", value)
    return value


def _fixed_references() -> tuple[frozenset[str], frozenset[str]]:
    """(answers whose references may differ, those of them whose card source may differ too)."""
    groups = {k: v for k, v in json.loads(FIXED_REFERENCES.read_text(encoding="utf-8")).items() if k != "$comment"}
    source_too = frozenset(groups.pop("card_source_too")["keys"])
    return frozenset(key for group in groups.values() for key in group["keys"]), source_too


def _keep(kind: str, answer: Callable[[], Any]) -> None:
    test = _current[0]
    if not test:
        return
    number = _counter.get(test, 0)
    _counter[test] = number + 1
    _answers[f"{test}#{number}:{kind}"] = _mask(answer())


def _targets() -> list[tuple[Any, str, Callable[..., Any]]]:
    """(owner, attribute, wrapper factory) of what is observed; the only part that names the package layout."""
    from prevention_cds.evaluate import CdsEvaluator
    from prevention_cds.fhir_out.fhir_resources import ResourceContext
    from prevention_cds.fhir_out.render import RenderContext, advice_to_card
    from prevention_cds.rules.iim import IimRules
    from prevention_cds.rules.mmr import MmrRules

    def rendered(advice: Any, intent: str, drafts: frozenset[str], now: Any) -> dict[str, Any]:
        out = {}
        for language in ("fr", "en"):
            ctx = RenderContext(ResourceContext("p", now, language, intent), draft_order_references=drafts)
            out[language] = [advice_to_card(a, ctx) for a in advice]
        return out

    def patient_view(original: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(self: Any, record: Any, now: Any, settings: Any) -> Any:
            advice = original(self, record, now, settings)
            _keep("rules.patient-view", lambda: rendered(advice, "proposal", frozenset(), now))
            return advice
        return wrapper

    def orders(original: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(self: Any, record: Any, context: Any, now: Any, settings: Any) -> Any:
            advice = original(self, record, context, now, settings)
            drafts = frozenset(o.reference for o in context.orders if o.reference)
            _keep("rules.orders", lambda: rendered(advice, "order", drafts, now))
            return advice
        return wrapper

    def invoke(original: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            answer = original(self, *args, **kwargs)
            _keep("http", lambda: answer)
            return answer
        return wrapper

    return [
        (IimRules, "evaluate", patient_view), (MmrRules, "evaluate", patient_view),
        (IimRules, "check_orders", orders), (MmrRules, "check_orders", orders),
        (CdsEvaluator, "invoke", invoke),
    ]


def _active(config: pytest.Config) -> bool:
    return bool(config.getoption("--golden-record") or config.getoption("--golden-check"))


def pytest_configure(config: pytest.Config) -> None:
    if _active(config):
        for owner, name, factory in _targets():
            setattr(owner, name, factory(getattr(owner, name)))


def pytest_collectstart(collector: pytest.Collector) -> None:
    _current[0] = collector.nodeid  # scenarios evaluated when a test module is imported


def pytest_runtest_setup(item: pytest.Item) -> None:
    # property-based tests draw new inputs at each run: nothing stable to compare
    _current[0] = "" if hasattr(getattr(item, "function", None), "hypothesis") else item.nodeid


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if config.getoption("--golden-record"):
        with gzip.open(GOLDEN, "wt", encoding="utf-8") as out:
            json.dump(_answers, out, ensure_ascii=False, sort_keys=True, indent=0)
        print(f"\ngolden: {len(_answers)} answers recorded in {GOLDEN.name}")
    elif config.getoption("--golden-check"):
        with gzip.open(GOLDEN, "rt", encoding="utf-8") as source:
            expected = json.load(source)
        with gzip.open(GOLDEN.with_name("last-check.json.gz"), "wt", encoding="utf-8") as out:
            json.dump(_answers, out, ensure_ascii=False, sort_keys=True, indent=0)
        missing = sorted(set(expected) - set(_answers))
        extra = sorted(set(_answers) - set(expected))
        fixed, source_too = _fixed_references()
        changed, accepted, stale = [], 0, []
        for key in sorted(set(expected) & set(_answers)):
            if expected[key] == _answers[key]:
                if key in fixed:
                    stale.append(key)  # listed but no longer different: the list must stay exact
                continue
            masked = key in source_too
            if key in fixed and _without_references(expected[key], masked) == _without_references(_answers[key], masked):
                accepted += 1
            else:
                changed.append(key)
        stale += sorted(fixed - set(_answers))
        print(f"\ngolden: {len(_answers)} answers, {len(changed)} changed, {len(missing)} missing, {len(extra)} new")
        print(f"golden: {accepted} with references fixed on purpose ({FIXED_REFERENCES.name}), {len(stale)} stale")
        for key in (changed + missing + extra + stale)[:20]:
            print("  ", key)
        if changed or missing or extra or stale:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
