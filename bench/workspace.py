"""The infection-control workspace's speed targets (issue 17), in process, on a throw-away SQLite database:

    .venv/bin/python bench/workspace.py [--contacts 1000] [--zip-contacts 200] [--runs 5]

1. import and evaluation of a 1,000-contact CSV file (read, checked, stored and evaluated in one transaction) <= 3 s;
2. the list page of those 1,000 contacts (``GET /workspace/investigations/<id>``, server time through the WSGI
   app, decisions already stored) <= 300 ms;
3. one PDF prescription (``GET .../contacts/<id>/prescription.pdf``: live evaluation and WeasyPrint) <= 300 ms;
4. the ZIP of the prescriptions of 200 contacts (the background job of ``POST .../prescriptions-zip``, polled as the
   page polls it for its progress bar) <= 30 s.

Figures are medians of ``--runs`` runs (the ZIP: one run), after one warm-up of each (imports, caches, fonts). The
contacts are synthetic: children of a class with a weight (an antibiotic dose each) and adults, IIM serogroup W.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from prevention_cds.settings import PRACTICE_TIMEZONE  # noqa: E402
from support.workspace import Browser, Clock, login, workspace_app  # noqa: E402

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=PRACTICE_TIMEZONE)
HEADER = "nom;prenom;date_naissance;sexe;poids_kg;date_pesee;situation;dernier_contact;grossesse;allergies;" \
         "traitements;doses_ror;profession;telephone;commentaire\n"
TARGETS = {"import": 3.0, "list": 0.300, "pdf": 0.300, "zip": 30.0}


def contacts_csv(count: int) -> bytes:
    lines = [HEADER]
    for n in range(count):
        if n % 5 == 4:  # an adult: fixed dose
            lines.append(f"Adulte{n};Camille;{1970 + n % 30}-0{1 + n % 9}-1{n % 9};F;;;assessed-close-contact;"
                         f"2026-11-19 15:00;non;;pilule;;;06 00 00 00 00;\n")
        else:
            allergy = "rifampicine" if n % 50 == 0 else ""
            lines.append(f"Eleve{n};Sacha;2016-0{1 + n % 9}-1{n % 9};{'FM'[n % 2]};{25 + n % 15},5;"
                         f"2026-11-0{1 + n % 9};school-classroom-neighbour;2026-11-19 16:30;;{allergy};;;;;\n")
    return "".join(lines).encode("utf-8")


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1000)
    parser.add_argument("--zip-contacts", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-workspace-"))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, "
          f"Python {platform.python_version()}")

    def fresh(name: str) -> tuple[Browser, str]:
        app = workspace_app(f"sqlite:///{folder / name}.sqlite3", Clock(NOW))
        editor = login(app, "editor")
        created = editor.api("POST", "/api/investigations", json={"title": "bench", "disease": "iim",
                                                                "serogroup": "W"})
        return editor, created.json["id"]

    body = contacts_csv(args.contacts)
    warm, warm_id = fresh("warm")
    warm.api("POST", f"/api/investigations/{warm_id}/contacts", data=contacts_csv(20), content_type="text/csv")
    imports = []
    for run in range(args.runs):
        editor, investigation_id = fresh(f"import-{run}")
        seconds = timed(lambda: editor.api("POST", f"/api/investigations/{investigation_id}/contacts",  # noqa: B023
                                           data=body, content_type="text/csv"))
        imports.append(seconds)
    contacts = editor.api("GET", f"/api/investigations/{investigation_id}/contacts").json["contacts"]
    assert len(contacts) == args.contacts
    page = f"/workspace/investigations/{investigation_id}"
    editor.client.get(page)
    lists = [timed(lambda: editor.client.get(page)) for _ in range(max(args.runs, 10))]
    first = contacts[0]["id"]
    pdf_url = f"{page}/contacts/{first}/prescription.pdf"
    editor.client.get(pdf_url)
    pdfs = [timed(lambda: editor.client.get(pdf_url)) for _ in range(max(args.runs, 10))]

    zipper, zip_id = fresh("zip")
    zipper.api("POST", f"/api/investigations/{zip_id}/contacts", data=contacts_csv(args.zip_contacts),
               content_type="text/csv")
    started = time.perf_counter()
    job = zipper.api("POST", f"/api/investigations/{zip_id}/prescriptions-zip").json
    progress = []
    while job["status"] == "running":
        time.sleep(0.5)
        job = zipper.api("GET", f"/api/exports/{job['id']}").json
        progress.append(job["done"])
    zip_seconds = time.perf_counter() - started
    size = len(zipper.client.get(job["file"]).data)

    figures = {"import": statistics.median(imports), "list": statistics.median(lists),
               "pdf": statistics.median(pdfs), "zip": zip_seconds}
    print(f"import + evaluation of {args.contacts} contacts: median {figures['import']:.2f} s "
          f"(runs: {', '.join(f'{s:.2f}' for s in imports)})")
    print(f"list page of {args.contacts} contacts: median {figures['list'] * 1000:.0f} ms")
    print(f"one PDF prescription: median {figures['pdf'] * 1000:.0f} ms")
    print(f"ZIP of {args.zip_contacts} prescriptions: {figures['zip']:.1f} s, {size // 1024} KiB, "
          f"progress seen: {progress[:3]}…{progress[-2:]}")
    ok = True
    for name, target in TARGETS.items():
        holds = figures[name] <= target
        ok &= holds
        print(f"target {name}: {figures[name]:.3f} s <= {target} s: {'holds' if holds else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
