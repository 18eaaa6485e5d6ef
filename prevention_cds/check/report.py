"""The check's report as text, for the tester's terminal (``report.json`` holds it whole)."""

from __future__ import annotations

import shlex

from prevention_cds.check.probe import QueryReport
from prevention_cds.check.runner import CheckReport

QUERY_WIDTH = 70  # long code lists are cut in the terminal, never in report.json
CODES_SHOWN = 8


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _codes(query: QueryReport) -> list[str]:
    lines = []
    for label, found in (("recognised", query.codes.recognised), ("not recognised", query.codes.unrecognised)):
        for system in sorted(found):
            codes = sorted(found[system])
            more = f" (+{len(codes) - CODES_SHOWN})" if len(codes) > CODES_SHOWN else ""
            lines.append(f"      {label}, {system}: {', '.join(codes[:CODES_SHOWN])}{more}")
    return lines


TOKEN_VARIABLE = "PREVENTION_CDS_JWT"  # the tester's own client JWT, set in the shell: never written by the check


def replay_command(request_file: str, service_url: str, service: str) -> str:
    """The curl line that sends a written request to the running service; the Authorization header names a shell
    variable (a service in ``required`` mode refuses a call without the client's JWT: CDS Hooks 2.0, trusting CDS
    clients)."""
    return (f"curl -s -X POST -H 'Content-Type: application/json' -H \"Authorization: Bearer ${TOKEN_VARIABLE}\" "
            f"--data @{shlex.quote(request_file)} {service_url.rstrip('/')}/cds-services/{service}")


def render_text(report: CheckReport, service_url: str) -> str:
    capability = report.capability
    lines = [f"FHIR server {report.fhir_server}: FHIR {capability.get('fhirVersion') or '?'}, "
             f"{capability.get('software') or 'software not named'}"]
    lines += [f"  problem: {problem}" for problem in report.problems]
    for patient in report.patients:
        lines.append(f"Patient {patient.patient_id}")
        for query in patient.queries:
            counted = query.error or f"{query.resources} resource(s), {query.pages} request(s)"
            lines.append(f"  {query.status:<8} {query.key:<21} {_short(query.query, QUERY_WIDTH)}  {counted}")
            lines += [f"      not declared: {text}" for text in query.declared]
            lines += [f"      {text}" for text in query.notes]
            lines += _codes(query)
        lines.append("  services:")
        for answer in patient.services:
            said = answer.error or (
                "; ".join(f"{c['indicator']}: {c['summary']}" for c in answer.cards) or "no card")
            lines.append(f"    {answer.service}: {said}")
            lines.append(f"      {replay_command(answer.request_file, service_url, answer.service)}")
    if report.patients:
        lines.append(f"(the curl lines send ${TOKEN_VARIABLE}: set it to a client JWT the service trusts, or leave it "
                     "empty for a service with authentication off)")
    lines.append("passed: every query answered" if report.passed else "FAILED: see the queries and problems above")
    return "\n".join(lines)
