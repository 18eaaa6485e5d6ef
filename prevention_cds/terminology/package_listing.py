"""The parts of the FHIR package that list its resources: the ``.index.json`` of each folder and the
ImplementationGuide's ``definition.resource``. Both are derived from the resource files, so a resource added to
``package/`` (or an example to ``package/example/``) needs them written again:

    python -m prevention_cds.terminology.package_listing

The tests compare the shipped files with what this module derives (tests/profiles/test_fhir_package.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from prevention_cds.terminology import EXAMPLE_FOLDER, is_resource_file

PACKAGE = Path(__file__).resolve().parent / "package"
IMPLEMENTATION_GUIDE = PACKAGE / "ImplementationGuide-prevention-cds.json"
INDEX_VERSION = 1
# .index.json: the members the FHIR package specification lists for each file, when the resource has them; kind
# and type are those of a StructureDefinition (an OperationDefinition's are another thing: a code and a boolean)
INDEX_MEMBERS = ("resourceType", "id", "url", "version", "kind", "type")
STRUCTURE_MEMBERS = ("kind", "type")


def _read(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def resource_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and is_resource_file(p.name))


def folder_index(folder: Path) -> dict[str, Any]:
    """The ``.index.json`` of one folder of the package."""
    files = []
    for path in resource_files(folder):
        resource = _read(path)
        structure = resource["resourceType"] == "StructureDefinition"
        members = [k for k in INDEX_MEMBERS if k in resource and (structure or k not in STRUCTURE_MEMBERS)]
        files.append({"filename": path.name, **{k: resource[k] for k in members}})
    return {"index-version": INDEX_VERSION, "files": files}


def guide_resources(package: Path = PACKAGE) -> list[dict[str, Any]]:
    """``ImplementationGuide.definition.resource``: every resource of the package, then every example, with the
    profile it illustrates when it claims one."""
    listed: list[dict[str, Any]] = []
    for path in resource_files(package):
        resource = _read(path)
        if resource["resourceType"] == "ImplementationGuide":
            continue
        listed.append({
            "reference": {"reference": f"{resource['resourceType']}/{resource['id']}"},
            "name": resource.get("title") or resource["name"],
            "exampleBoolean": False,
        })
    for path in resource_files(package / EXAMPLE_FOLDER):
        example = _read(path)
        profiles = example.get("meta", {}).get("profile", [])
        listed.append({
            "reference": {"reference": f"{example['resourceType']}/{example['id']}"},
            "name": f"Example {example['id']}",
            **({"exampleCanonical": profiles[0]} if profiles else {"exampleBoolean": True}),
        })
    return listed


def _write(path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def main() -> None:
    guide = _read(IMPLEMENTATION_GUIDE)
    guide["definition"]["resource"] = guide_resources()
    _write(IMPLEMENTATION_GUIDE, guide)
    for folder in (PACKAGE, PACKAGE / EXAMPLE_FOLDER):
        _write(folder / ".index.json", folder_index(folder))


if __name__ == "__main__":
    main()
