"""The HTML report, opened offline in headless Chromium: its plots are there and it asks for nothing outside."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.scan_export import generate
from prevention_cds.scan.runner import ScanOutcome


def test_report_opens_offline_with_its_plots(scan: Callable[..., ScanOutcome], browser: Any, tmp_path: Path) -> None:
    export = tmp_path / "generated"
    generate(export, patients=480, per_file=1000, compress=False)
    outcome = scan(export)
    page = browser.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto((outcome.out / "report.html").as_uri())
    assert page.title() == "Statut vaccinal ROR de la population"
    figures = page.locator("figure[role=img]")
    assert figures.count() == 2
    coverage, departements = (figures.nth(i) for i in range(2))
    assert "année de naissance" in coverage.get_attribute("aria-label") or "naissance" in coverage.inner_html()
    for figure in (coverage, departements):
        box = figure.locator("svg").bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 150  # drawn, not an empty element
    assert coverage.locator("text=objectif 95 % à 2 doses").count() == 1
    assert departements.locator("text=2A").count() == 1 and departements.locator("text=971").count() == 1
    assert page.locator("text=patients évalués").count() == 1
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert requested == [(outcome.out / "report.html").as_uri()]  # no font, script or image fetched
    page.close()


def test_report_in_english(scan: Callable[..., ScanOutcome], browser: Any) -> None:
    from .exports import SAMPLE

    outcome = scan(SAMPLE, language="en")
    page = browser.new_page()
    page.goto((outcome.out / "report.html").as_uri())
    assert page.title() == "MMR vaccination status of the population"
    assert page.locator("figure[role=img]").count() == 1  # coverage; no French postal code in the sample
    assert page.locator("text=No French postal code in the export").count() == 1
    page.close()
