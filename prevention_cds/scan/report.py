"""The one-page HTML report: headline figures, status tables and two plots (coverage by birth cohort against the
2-dose target, status by département), drawn by matplotlib as SVG inside the page so that it opens offline."""

from __future__ import annotations

import html
import io
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Protocol

from prevention_cds.fhir_out.i18n import render
from prevention_cds.rules.advice import Message, ParamValue
from prevention_cds.rules.mmr.parameters import MmrParameters
from prevention_cds.rules.status import STATUS_ORDER
from prevention_cds.scan.aggregates import UNKNOWN, Aggregates, report_data

# One colour per status, most pressing the warmest (colour-blind safe: Okabe-Ito)
STATUS_COLOURS = {
    "contraindicated": "#000000", "overdue": "#D55E00", "due": "#E69F00", "not-yet-due": "#56B4E9",
    "immune": "#009E73", "complete": "#0072B2", "other": "#999999",
}
STYLE = """body{font-family:system-ui,sans-serif;max-width:62rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}table{border-collapse:collapse;margin:.5rem 0}
td,th{border:1px solid #ccc;padding:.2rem .6rem;text-align:right}th:first-child,td:first-child{text-align:left}
figure{margin:1rem 0}svg{max-width:100%;height:auto}.note{color:#555;font-size:.9rem}"""


def write_report(aggregates: Aggregates, out: Path, today: date, language: str, headline: dict[str, int]) -> Path:
    def t(key: str, **params: ParamValue) -> str:
        return html.escape(render(Message.of(key, **params), language))

    rules = MmrParameters.on(today)
    data = report_data()
    status_total = Counter[str]()
    for counts in aggregates.table("sex", "mmr_status").values():
        status_total.update(counts)
    patients, deceased = f"{headline['patients']:,}", str(headline["deceased"])
    skipped, orphans = str(headline["skipped_lines"]), str(headline["without_patient"])
    parts = [
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8"><title>{t("scan.report.title")}</title>',
        f"<style>{STYLE}</style></head><body>",
        f'<h1>{t("scan.report.title")}</h1>',
        f'<p><strong>{t("scan.report.heading", today=today, patients=patients)}</strong></p>',
        f'<p>{t("scan.report.excluded", deceased=deceased, skipped=skipped, orphans=orphans)}</p>',
        f'<h2>{t("scan.report.status-table")}</h2>',
        _status_table(status_total, t),
        f'<h2>{t("scan.report.coverage.title", cutoff=str(rules.born_since_cutoff.value.year))}</h2>',
        _coverage_plot(aggregates, today, rules, data["coverage_target_percent"]["value"], t),
        f'<h2>{t("scan.report.departement.title", count=str(data["departements_plotted"]["value"]))}</h2>',
        _departement_plot(aggregates, data["departements_plotted"]["value"], t),
        f'<h2>{t("scan.report.age-band.title")}</h2>',
        _group_table(aggregates, "age_band", t("scan.report.age-band"), t),
        f'<p class="note">{t("scan.report.notes")}</p>',
        "</body></html>",
    ]
    path = out / "report.html"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


class _Translate(Protocol):
    def __call__(self, key: str, **params: ParamValue) -> str: ...


def _status_table(counts: Counter[str], t: _Translate) -> str:
    total = sum(counts.values()) or 1
    rows = "".join(
        f"<tr><td>{t('scan.status.' + s)}</td><td>{counts[s]:,}</td><td>{100 * counts[s] / total:.1f} %</td></tr>"
        for s in STATUS_ORDER if counts[s]
    )
    return (f"<table><tr><th>{t('scan.report.status')}</th><th>{t('scan.report.patients')}</th>"
            f"<th>{t('scan.report.share')}</th></tr>{rows}</table>")


def _group_table(aggregates: Aggregates, dimension: str, heading: str, t: _Translate) -> str:
    table = aggregates.table(dimension, "mmr_status")
    statuses = [s for s in STATUS_ORDER if any(c[s] for c in table.values())]
    head = "".join(f"<th>{t('scan.status.' + s)}</th>" for s in statuses)
    rows = "".join(
        f"<tr><td>{html.escape(t('scan.status.unknown') if group == UNKNOWN else group)}</td>"
        + "".join(f"<td>{table[group][s]:,}</td>" for s in statuses) + "</tr>"
        for group in sorted(table, key=_band_order)
    )
    return f"<table><tr><th>{heading}</th>{head}</tr>{rows}</table>"


def _band_order(group: str) -> tuple[int, str]:
    digits = group.split("-")[0].rstrip("+")
    return (int(digits), group) if digits.isdigit() else (1 << 30, group)


def _svg(figure: object, label: str) -> str:
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "prevention-cds-scan"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")  # type: ignore[attr-defined]
    text = buffer.getvalue()
    svg = text[text.index("<svg"):]
    return f'<figure role="img" aria-label="{label}">{svg}</figure>'


def _coverage_plot(aggregates: Aggregates, today: date, rules: MmrParameters, target: int, t: _Translate) -> str:
    from matplotlib.figure import Figure

    doses = rules.target_doses_born_since_cutoff.value
    table = aggregates.table("birth_year", "mmr_doses_counted")
    years = sorted(int(y) for y in table if y.isdigit() and rules.born_since_cutoff.value.year <= int(y) <= today.year)
    if not years:
        return f"<p>{t('scan.report.coverage.none', cutoff=str(rules.born_since_cutoff.value.year))}</p>"
    one, full = [], []
    for year in years:
        counts = table[str(year)]
        total = sum(counts.values()) or 1
        one.append(100 * (total - counts["0"] - counts[UNKNOWN]) / total)
        full.append(100 * counts[f"{doses}+"] / total)
    figure = Figure(figsize=(9, 4))
    axes = figure.subplots()
    axes.plot(years, one, marker="o", color=STATUS_COLOURS["due"], label=html.unescape(t("scan.report.coverage.one")))
    axes.plot(years, full, marker="o", color=STATUS_COLOURS["complete"],
              label=html.unescape(t("scan.report.coverage.all", doses=str(doses))))
    axes.axhline(target, linestyle="--", color="#444",
                 label=html.unescape(t("scan.report.coverage.target", percent=str(target), doses=str(doses))))
    axes.set_ylim(0, 100)
    axes.set_xlabel(html.unescape(t("scan.report.coverage.x")))
    axes.set_ylabel(html.unescape(t("scan.report.coverage.y")))
    axes.grid(alpha=0.3)
    axes.legend(loc="lower left")
    return _svg(figure, t("scan.report.coverage.title", cutoff=str(rules.born_since_cutoff.value.year)))


def _departement_plot(aggregates: Aggregates, most: int, t: _Translate) -> str:
    from matplotlib.figure import Figure

    table = {g: c for g, c in aggregates.table("departement", "mmr_status").items() if g != UNKNOWN}
    if not table:
        return f"<p>{t('scan.report.departement.none')}</p>"
    chosen = sorted(sorted(table, key=lambda g: -sum(table[g].values()))[:most], reverse=True)
    figure = Figure(figsize=(9, max(2.0, 0.3 * len(chosen) + 1)))
    axes = figure.subplots()
    left = [0.0] * len(chosen)
    rows = range(len(chosen))  # positions, labelled with the codes: codes such as "75" are not numbers to plot
    for status in STATUS_ORDER:
        shares = [100 * table[g][status] / (sum(table[g].values()) or 1) for g in chosen]
        if any(shares):
            axes.barh(rows, shares, left=left, color=STATUS_COLOURS[status],
                      label=html.unescape(t("scan.status." + status)))
            left = [a + b for a, b in zip(left, shares, strict=True)]
    axes.set_yticks(rows, labels=chosen)
    axes.set_xlim(0, 100)
    axes.set_xlabel(html.unescape(t("scan.report.departement.x")))
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15 if len(chosen) > 5 else -0.4), ncol=4)
    return _svg(figure, t("scan.report.departement.title", count=str(most)))
