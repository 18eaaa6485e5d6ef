"""A small validator of a resource against one of the project's StructureDefinitions.

It reads the profile's differential (no snapshot is shipped) and checks what the project's three profiles use:
cardinality (``min``/``max``, also inside repeating elements), ``fixed[x]`` and ``pattern[x]`` values, ``required``
bindings to the project's ValueSets (and to the HL7 immunization-recommendation-status codes), choice types
``[x]`` restricted to some types, reference target types, and slicing by a ``pattern`` (or ``value``)
discriminator on a child element (the exposure components, sliced on ``code``).

It is not a general FHIR validator: base-resource rules, invariants and terminology outside the project are not
checked (use ``fhir.resources`` for the base structure).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Final

from prevention_cds import terminology
from prevention_cds.terminology.index import (
    FORECAST_STATUS_SYSTEM,
    FORECAST_STATUS_VALUESET,
    CodeIndex,
    canonical_system,
)

# ValueSets of HL7 the validator knows without a terminology server: url -> (system, codes)
KNOWN_EXTERNAL_VALUESETS: Final[Mapping[str, tuple[str, frozenset[str]]]] = {
    FORECAST_STATUS_VALUESET: (
        FORECAST_STATUS_SYSTEM,
        frozenset({"due", "overdue", "immune", "contraindicated", "complete"}),
    ),
    "http://hl7.org/fhir/ValueSet/immunization-evaluation-dose-status": (
        "http://terminology.hl7.org/CodeSystem/immunization-evaluation-dose-status",
        frozenset({"valid", "notvalid"}),
    ),
}
_PROJECT_VALUESET_PREFIX: Final = f"{terminology.CANONICAL_BASE}/ValueSet/"


@dataclass
class _Node:
    """One element of the differential, with its children and, for a sliced element, its slices."""

    name: str  # last path segment, e.g. "component" or "value[x]"
    element: dict[str, Any] = field(default_factory=dict)
    children: list[_Node] = field(default_factory=list)
    slices: dict[str, _Node] = field(default_factory=dict)

    def child(self, name: str) -> _Node:
        for existing in self.children:
            if existing.name == name:
                return existing
        created = _Node(name)
        self.children.append(created)
        return created

    @property
    def label(self) -> str:
        return str(self.element.get("id") or self.name)


@dataclass(frozen=True)
class _Profile:
    url: str
    resource_type: str
    root: _Node


def _segments(element_id: str) -> list[tuple[str, str | None]]:
    parts: list[tuple[str, str | None]] = []
    for part in element_id.split("."):
        name, _, slice_name = part.partition(":")
        parts.append((name, slice_name or None))
    return parts


def _build(structure_definition: Mapping[str, Any]) -> _Profile:
    resource_type = str(structure_definition["type"])
    root = _Node(resource_type)
    for element in structure_definition.get("differential", {}).get("element", []):
        element_id = str(element.get("id") or element["path"])
        segments = _segments(element_id)
        if segments[0][0] != resource_type:
            raise ValueError(f"{element_id}: element outside {resource_type}")
        node = root
        for name, slice_name in segments[1:]:
            node = node.child(name)
            if slice_name is not None:
                node = node.slices.setdefault(slice_name, _Node(name))
        node.element = dict(element)
    return _Profile(str(structure_definition["url"]), resource_type, root)


@cache
def _profile(url: str) -> _Profile:
    bare = url.split("|", 1)[0]
    for resource in terminology.all_resources():
        if resource.get("resourceType") == "StructureDefinition" and resource.get("url") == bare:
            return _build(resource)
    raise ValueError(f"unknown profile {url}")


def profile_urls() -> list[str]:
    """Canonical URLs of the StructureDefinitions shipped in ``prevention_cds/terminology/package/``."""
    return [
        str(resource["url"])
        for resource in terminology.all_resources()
        if resource.get("resourceType") == "StructureDefinition"
    ]


def validate(resource: Mapping[str, Any], profile_url: str) -> list[str]:
    """Readable violations of ``profile_url`` by ``resource`` (JSON as a dict); empty when it conforms.

    Raises ``ValueError`` when ``profile_url`` is not one of the project's profiles.
    """
    profile = _profile(profile_url)
    if not isinstance(resource, Mapping):
        return [f"{profile.resource_type}: the resource is not a JSON object"]
    errors: list[str] = []
    if resource.get("resourceType") != profile.resource_type:
        errors.append(f"resourceType: expected {profile.resource_type}, found {resource.get('resourceType')!r}")
        return errors
    _Checker(CodeIndex.load(), errors).check_children(profile.root, resource, profile.resource_type)
    return errors


def _type_suffix(type_code: str) -> str:
    return type_code[:1].upper() + type_code[1:]


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _matches_pattern(value: Any, pattern: Any) -> bool:
    """FHIR pattern semantics: every property of the pattern is present in the value with a matching value."""
    if isinstance(pattern, Mapping):
        if not isinstance(value, Mapping):
            return False
        return all(key in value and _matches_pattern(value[key], item) for key, item in pattern.items())
    if isinstance(pattern, list):
        if not isinstance(value, list):
            return False
        return all(any(_matches_pattern(candidate, item) for candidate in value) for item in pattern)
    return bool(value == pattern)


def _prefixed(element: Mapping[str, Any], prefix: str) -> tuple[str, Any] | None:
    for key, item in element.items():
        if key.startswith(prefix) and len(key) > len(prefix) and key[len(prefix)].isupper():
            return key, item
    return None


class _Checker:
    def __init__(self, index: CodeIndex, errors: list[str]) -> None:
        self.index = index
        self.errors = errors

    # -- navigation -------------------------------------------------------------------------------------------
    def check_children(self, node: _Node, instance: Mapping[str, Any], location: str) -> None:
        for child in node.children:
            self.check_element(child, instance, location)

    def _values(self, node: _Node, instance: Mapping[str, Any], location: str) -> tuple[list[Any], str]:
        """The values of ``node`` inside ``instance`` and their location; reports a disallowed choice type."""
        if not node.name.endswith("[x]"):
            return _as_list(instance.get(node.name)), f"{location}.{node.name}"
        stem = node.name[:-3]
        allowed = {_type_suffix(str(t["code"])) for t in node.element.get("type", []) if "code" in t}
        values: list[Any] = []
        found_location = f"{location}.{node.name}"
        for key, item in instance.items():
            if not key.startswith(stem) or len(key) == len(stem) or not key[len(stem)].isupper():
                continue
            found_location = f"{location}.{key}"
            if allowed and key[len(stem) :] not in allowed:
                self.errors.append(
                    f"{found_location}: type {key[len(stem) :]} is not allowed here "
                    f"(allowed: {', '.join(sorted(allowed))})"
                )
                continue
            values.extend(_as_list(item))
        return values, found_location

    def check_element(self, node: _Node, instance: Mapping[str, Any], location: str) -> None:
        values, where = self._values(node, instance, location)
        self.check_values(node, values, where)

    def check_values(self, node: _Node, values: list[Any], where: str) -> None:
        element = node.element
        self._cardinality(element, len(values), where, node.label)
        for position, value in enumerate(values):
            here = f"{where}[{position}]" if len(values) > 1 else where
            self._fixed_and_pattern(element, value, here)
            self._binding(element, value, here)
            self._reference(element, value, here)
            if isinstance(value, Mapping):
                self.check_children(node, value, here)
        if node.slices:
            self._slices(node, values, where)

    # -- rules ------------------------------------------------------------------------------------------------
    def _cardinality(self, element: Mapping[str, Any], count: int, where: str, label: str) -> None:
        source = "" if label == where else f" ({label})"
        minimum = element.get("min")
        if isinstance(minimum, int) and count < minimum:
            self.errors.append(f"{where}: requires at least {minimum} value(s), found {count}{source}")
        maximum = element.get("max")
        if isinstance(maximum, str) and maximum.isdigit() and count > int(maximum):
            self.errors.append(f"{where}: allows at most {maximum} value(s), found {count}{source}")

    def _fixed_and_pattern(self, element: Mapping[str, Any], value: Any, where: str) -> None:
        fixed = _prefixed(element, "fixed")
        if fixed is not None and value != fixed[1]:
            self.errors.append(f"{where}: must be exactly {fixed[1]!r} ({fixed[0]}), found {value!r}")
        pattern = _prefixed(element, "pattern")
        if pattern is not None and not _matches_pattern(value, pattern[1]):
            self.errors.append(f"{where}: does not match {pattern[0]} {pattern[1]!r}")

    def _binding(self, element: Mapping[str, Any], value: Any, where: str) -> None:
        binding = element.get("binding")
        if not isinstance(binding, Mapping) or binding.get("strength") != "required":
            return
        valueset = str(binding.get("valueSet", "")).split("|", 1)[0]
        codings = self._codings(value)
        if codings is None:  # a plain code
            if isinstance(value, str) and not self._code_in(valueset, None, value):
                self.errors.append(f"{where}: code {value!r} is not in the required ValueSet {valueset}")
            return
        if not codings:
            self.errors.append(f"{where}: no coding, but a code of the required ValueSet {valueset} is needed")
            return
        if not any(self._code_in(valueset, c.get("system"), c.get("code")) for c in codings):
            shown = ", ".join(f"{c.get('system')}|{c.get('code')}" for c in codings)
            self.errors.append(f"{where}: none of the codings ({shown}) is in the required ValueSet {valueset}")

    @staticmethod
    def _codings(value: Any) -> list[Mapping[str, Any]] | None:
        """The codings of a Coding or CodeableConcept value; None for a primitive code."""
        if not isinstance(value, Mapping):
            return None
        if "coding" in value or "text" in value:
            return [c for c in _as_list(value.get("coding")) if isinstance(c, Mapping)]
        return [value]

    def _code_in(self, valueset: str, system: Any, code: Any) -> bool:
        if not isinstance(code, str):
            return False
        if valueset in KNOWN_EXTERNAL_VALUESETS:
            known_system, codes = KNOWN_EXTERNAL_VALUESETS[valueset]
            system_ok = system is None or canonical_system(str(system)) == known_system
            return system_ok and code in codes
        if not valueset.startswith(_PROJECT_VALUESET_PREFIX):
            return True  # a ValueSet the validator cannot expand: not checked
        vs_id = valueset[len(_PROJECT_VALUESET_PREFIX) :]
        if vs_id not in self.index.valueset_ids:
            return False
        if system is None:  # a code-typed element: the ValueSet's own system(s)
            return any(self.index.contains(vs_id, candidate, code) for candidate in self.index.include_systems(vs_id))
        return isinstance(system, str) and self.index.contains(vs_id, system, code)

    def _reference(self, element: Mapping[str, Any], value: Any, where: str) -> None:
        if not isinstance(value, Mapping):
            return
        targets: set[str] = set()
        for type_ in element.get("type", []):
            if type_.get("code") == "Reference":
                targets.update(str(p).rsplit("/", 1)[-1] for p in type_.get("targetProfile", []))
        if not targets:
            return
        reference = value.get("reference")
        if not isinstance(reference, str):
            return  # identifier- or display-only reference: nothing to check
        if reference.startswith(("urn:", "#")):
            return
        parts = reference.split("/_history/", 1)[0].rstrip("/").split("/")
        referenced = parts[-2] if len(parts) >= 2 else ""
        if referenced not in targets:
            self.errors.append(f"{where}: reference {reference!r} must point to {' or '.join(sorted(targets))}")

    def _slices(self, node: _Node, values: list[Any], where: str) -> None:
        slicing = node.element.get("slicing", {})
        discriminators = [d for d in slicing.get("discriminator", []) if isinstance(d, Mapping)]
        matched: dict[str, list[tuple[int, Any]]] = {name: [] for name in node.slices}
        unmatched: list[int] = []
        for position, value in enumerate(values):
            names = [
                name
                for name, slice_node in node.slices.items()
                if isinstance(value, Mapping) and self._in_slice(slice_node, discriminators, value)
            ]
            if not names:
                unmatched.append(position)
            for name in names:
                matched[name].append((position, value))
        for name, slice_node in node.slices.items():
            members = matched[name]
            self._cardinality(slice_node.element, len(members), f"{where}:{name}", slice_node.label)
            for position, value in members:
                here = f"{where}[{position}]" if len(values) > 1 else where
                self._fixed_and_pattern(slice_node.element, value, here)
                self.check_children(slice_node, value, here)
        if slicing.get("rules") == "closed":
            for position in unmatched:
                self.errors.append(f"{where}[{position}]: matches none of the slices of {node.label}")

    @staticmethod
    def _in_slice(slice_node: _Node, discriminators: list[Mapping[str, Any]], value: Mapping[str, Any]) -> bool:
        if not discriminators:
            return False
        for discriminator in discriminators:
            if discriminator.get("type") not in ("pattern", "value"):
                return False
            target: _Node | None = slice_node
            current: Any = value
            for step in str(discriminator.get("path", "")).split("."):
                target = next((c for c in target.children if c.name == step), None) if target else None
                current = current.get(step) if isinstance(current, Mapping) else None
            if target is None:
                return False
            expected = _prefixed(target.element, "pattern") or _prefixed(target.element, "fixed")
            if expected is None:
                return False
            candidates = _as_list(current)
            if discriminator.get("type") == "value" or expected[0].startswith("fixed"):
                if not any(candidate == expected[1] for candidate in candidates):
                    return False
            elif not any(_matches_pattern(candidate, expected[1]) for candidate in candidates):
                return False
        return True
