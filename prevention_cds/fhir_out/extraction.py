"""SDC definition-based extraction, the writing half: the resource a set of values defines, each value at the
element of the profile its definition names (``fhir_in/questionnaire_response.py`` reads them from the answers).

An element id (``Observation.component:serogroup.value[x]``) is followed from the resource down, one instance of
each element (and of each slice) per resource: a slice is created with the values its profile fixes
(``component.code`` of ``component:serogroup``), a choice ``[x]`` takes the type its type slice names
(``effective[x]:effectivePeriod``), the one type the profile allows, or the value's own, and a Coding answer for a
CodeableConcept element becomes that CodeableConcept's coding. Whether an element repeats is the base resource's
(the R4B models); the resource claims the profile in ``meta.profile``.
"""

from __future__ import annotations

import copy
import typing
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from fhir.resources.R4B import get_fhir_model_class

from prevention_cds import terminology


class ExtractionError(ValueError):
    """A definition that names no element of the resource: a bug of the Questionnaire (checked in the tests)."""


@dataclass
class _Element:
    """An element of the profile's differential, with its children and slices."""

    definition: dict[str, Any] = field(default_factory=dict)
    children: dict[str, _Element] = field(default_factory=dict)
    slices: dict[str, _Element] = field(default_factory=dict)

    def add(self, name: str, slice_name: str | None) -> _Element:
        node = self.children.setdefault(name, _Element())
        return node.slices.setdefault(slice_name, _Element()) if slice_name else node

    def find(self, name: str, slice_name: str | None) -> _Element:
        """The child (or its slice); an empty element where the profile says nothing of it."""
        node = self.children.get(name)
        if node is not None and slice_name:
            node = node.slices.get(slice_name)
        return node if node is not None else _Element()

    def fixed_children(self) -> dict[str, Any]:
        """The children whose value the profile fixes (``fixed[x]`` or ``pattern[x]``)."""
        return {
            name: value
            for name, node in self.children.items()
            for key, value in node.definition.items()
            if any(key.startswith(p) and key[len(p) : len(p) + 1].isupper() for p in ("fixed", "pattern"))
        }


def _segments(element_id: str) -> list[tuple[str, str | None]]:
    parts = []
    for part in element_id.split(".")[1:]:
        name, _, slice_name = part.partition(":")
        parts.append((name, slice_name or None))
    return parts


@cache
def _differential(profile_url: str) -> tuple[str, _Element]:
    for resource in terminology.all_resources():
        if resource["resourceType"] == "StructureDefinition" and resource["url"] == profile_url:
            root = _Element(resource["differential"]["element"][0])
            for element in resource["differential"]["element"][1:]:
                node = root
                for name, slice_name in _segments(element["id"]):
                    node = node.add(name, slice_name)
                node.definition = element
            return str(resource["type"]), root
    raise ExtractionError(f"no profile {profile_url} in the package")


def _field(model: Any, name: str) -> tuple[bool, Any]:
    """Whether element ``name`` of an R4B model repeats, and the model of its values (None for a primitive)."""
    info = model.model_fields.get(name)
    if info is None:
        raise ExtractionError(f"{model.__name__} has no element {name}")
    annotation = info.annotation
    repeats = False
    while typing.get_args(annotation):
        arguments = [a for a in typing.get_args(annotation) if a is not type(None)]
        repeats = repeats or typing.get_origin(annotation) in (list, typing.List)  # noqa: UP006
        annotation = arguments[0]
    type_name = getattr(annotation, "__name__", "")
    if type_name.endswith("Type") and hasattr(annotation, "_model_klass"):
        return repeats, get_fhir_model_class(type_name.removesuffix("Type"))
    return repeats, None


def _json_name(name: str, slice_name: str | None, node: _Element, value_type: str | None) -> str:
    if not name.endswith("[x]"):
        return name
    if slice_name:
        return slice_name  # a type slice: effective[x]:effectivePeriod
    allowed = [t["code"] for t in node.definition.get("type", ())]
    chosen = allowed[0] if len(allowed) == 1 else value_type
    if chosen is None:
        raise ExtractionError(f"the type of {name} is not known")
    return name[:-3] + chosen[0].upper() + chosen[1:]


def _as_type(value: Any, value_type: str | None, target: str) -> Any:
    """A Coding value for a CodeableConcept element is that concept's coding; other values stay as they are."""
    if value_type == "Coding" and target.endswith("CodeableConcept"):
        return {"coding": [value]}
    return value


class _Builder:
    """Writes values into one resource; remembers the one instance of each element (and slice) it created."""

    def __init__(self, profile_url: str) -> None:
        self.resource_type, self.root = _differential(profile_url)
        self.resource: dict[str, Any] = {"resourceType": self.resource_type, "meta": {"profile": [profile_url]}}
        self._instances: dict[tuple[int, str, str], dict[str, Any]] = {}

    def _instance(self, parent: dict[str, Any], json_name: str, repeats: bool, node: _Element,
                  slice_name: str) -> dict[str, Any]:
        key = (id(parent), json_name, slice_name)
        if key not in self._instances:
            created = copy.deepcopy(node.fixed_children())  # not the cached profile's
            self._instances[key] = created
            if repeats:
                parent.setdefault(json_name, []).append(created)
            else:
                parent[json_name] = created
        return self._instances[key]

    def set(self, element_id: str, value_type: str | None, value: Any) -> None:
        value = copy.deepcopy(value)  # the fixed values are the cached Questionnaire's
        parent, node, model = self.resource, self.root, get_fhir_model_class(self.resource_type)
        segments = _segments(element_id)
        for position, (name, slice_name) in enumerate(segments):
            node = node.find(name, slice_name)
            json_name = _json_name(name, slice_name, node, value_type)
            repeats, child_model = _field(model, json_name)
            if position == len(segments) - 1:
                written = _as_type(value, value_type, json_name)
                if repeats:
                    parent.setdefault(json_name, []).append(written)
                else:
                    parent[json_name] = written
                return
            if child_model is None:
                raise ExtractionError(f"{element_id}: {json_name} has no children")
            parent = self._instance(parent, json_name, repeats, node, slice_name or "")
            model = child_model


def extracted_resource(profile_url: str, values: Iterable[tuple[str, str | None, Any]]) -> dict[str, Any]:
    """The resource of ``profile_url`` holding ``values`` (element id, FHIR type of the value or None, value).
    Raises ExtractionError for an element id the resource does not have."""
    builder = _Builder(profile_url)
    for element_id, value_type, value in values:
        builder.set(element_id, value_type, value)
    return builder.resource
