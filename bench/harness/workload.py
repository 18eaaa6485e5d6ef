"""The benchmark's request body: one Synthea patient's record, topped up to fixed sizes, as a full prefetch."""

from __future__ import annotations

import copy
import glob
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prevention_cds.fhir_in.bundle_entries import resources_of
from prevention_cds.hooks.bundles import request_body
from prevention_cds.hooks.catalog import SERVICES_BY_ID
from prevention_cds.terminology.index import LOINC

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = ROOT / "tests" / "data" / "synthea-r4-bundles"  # the tests' copy (tests/data/README.md)
BODY_WEIGHT = (LOINC, "29463-7")
N_IMMUNIZATIONS, N_CONDITIONS, N_OBSERVATIONS = 30, 50, 50
ID_NAMESPACE = uuid.UUID("6f1c1c8e-4a51-4b8e-9a43-0d5b7d1f0b01")  # deterministic ids for duplicated resources


def _is_body_weight(resource: dict[str, Any]) -> bool:
    return any((c.get("system"), c.get("code")) == BODY_WEIGHT for c in (resource.get("code") or {}).get("coding", ()))


def _of_type(resources: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [r for r in resources if r.get("resourceType") == kind]


def _for_patient(resource: dict[str, Any], patient_id: str, new_id: str | None = None) -> dict[str, Any]:
    """A copy pointing at the patient as a FHIR server answers it (``Patient/<id>``, not the bundle's urn:uuid)."""
    copied = copy.deepcopy(resource)
    for name in ("subject", "patient"):
        if isinstance(copied.get(name), dict) and "reference" in copied[name]:
            copied[name]["reference"] = f"Patient/{patient_id}"
    if new_id is not None:
        copied["id"] = new_id
    return copied


def _take(wanted: int, own: list[dict[str, Any]], others: list[dict[str, Any]], patient_id: str,
          kind: str) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """``wanted`` resources: the patient's own, topped up from other bundles, then duplicated with new ids."""
    chosen = [_for_patient(r, patient_id) for r in own[:wanted]]
    origin = {"own": len(chosen), "other bundles": 0, "duplicated": 0}
    for resource in others:
        if len(chosen) >= wanted:
            break
        chosen.append(_for_patient(resource, patient_id))
        origin["other bundles"] += 1
    seed = list(chosen)
    n = 0
    while len(chosen) < wanted and seed:
        source = seed[n % len(seed)]
        chosen.append(_for_patient(source, patient_id, str(uuid.uuid5(ID_NAMESPACE, f"{kind}/{source['id']}/{n}"))))
        origin["duplicated"] += 1
        n += 1
    return chosen, origin


@dataclass
class Workload:
    patient_id: str
    source: str
    resources: list[dict[str, Any]]
    origin: dict[str, dict[str, int]]
    body_weights: int

    def body(self, service_id: str = "ror-vaccination") -> dict[str, Any]:
        return request_body(SERVICES_BY_ID[service_id], self.patient_id, self.resources)

    def body_bytes(self, service_id: str = "ror-vaccination") -> bytes:
        return json.dumps(self.body(service_id), ensure_ascii=False).encode("utf-8")


def build_workload(data_dir: Path = DATA_DIR) -> Workload:
    bundles = {Path(f).name: resources_of(json.loads(Path(f).read_text(encoding="utf-8")))
               for f in sorted(glob.glob(str(data_dir / "*.json")))}
    if not bundles:
        raise SystemExit(f"no Synthea bundles in {data_dir}")

    def rank(name: str) -> tuple[int, int, int, str]:
        res = bundles[name]
        return (min(len(_of_type(res, "Immunization")), N_IMMUNIZATIONS),
                sum(map(_is_body_weight, _of_type(res, "Observation"))), len(_of_type(res, "Condition")), name)

    source = max(bundles, key=rank)
    own = bundles[source]
    others = [r for name, res in bundles.items() if name != source for r in res]
    patient = _of_type(own, "Patient")[0]
    pid = patient["id"]
    observations = _of_type(own, "Observation")
    observations = [o for o in observations if _is_body_weight(o)] + [o for o in observations if not _is_body_weight(o)]
    other_observations = _of_type(others, "Observation")
    other_observations = ([o for o in other_observations if _is_body_weight(o)]
                          + [o for o in other_observations if not _is_body_weight(o)])
    immunizations, o_imm = _take(N_IMMUNIZATIONS, _of_type(own, "Immunization"), _of_type(others, "Immunization"),
                                 pid, "Immunization")
    conditions, o_cond = _take(N_CONDITIONS, _of_type(own, "Condition"), _of_type(others, "Condition"),
                               pid, "Condition")
    obs, o_obs = _take(N_OBSERVATIONS, observations, other_observations, pid, "Observation")
    resources = [patient, *immunizations, *conditions, *obs]
    return Workload(pid, source, resources, {"Immunization": o_imm, "Condition": o_cond, "Observation": o_obs},
                    sum(map(_is_body_weight, obs)))
