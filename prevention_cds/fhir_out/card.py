"""CDS Hooks 2.0 card model: its constructors refuse what the specification forbids."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

SUMMARY_LIMIT = 140  # the summary must be shorter than 140 characters (CDS Hooks 2.0 §Card)
INDICATORS = ("info", "warning", "critical")
SELECTION_BEHAVIORS = ("at-most-one", "any")
ACTION_TYPES = ("create", "update", "delete")


class CardError(ValueError):
    """A card that would break the specification: a bug in the builder's caller."""


def new_uuid() -> str:
    return str(uuid.uuid4())


def fit_summary(text: str) -> str:
    """One line, shorter than 140 characters: a longer one is cut at a word and marked with an ellipsis."""
    line = " ".join(text.split())
    if len(line) < SUMMARY_LIMIT:
        return line
    logger.warning("card summary of %d characters shortened", len(line))
    cut = line[: SUMMARY_LIMIT - 2].rsplit(" ", 1)[0]
    return cut + "…"


@dataclass(frozen=True)
class Coding:
    system: str
    code: str
    display: str

    def to_json(self) -> dict[str, str]:
        return {"system": self.system, "code": self.code, "display": self.display}


@dataclass(frozen=True)
class Action:
    type: str
    description: str
    resource: dict[str, Any] | None = None
    resource_id: str | None = None

    def __post_init__(self) -> None:
        if self.type not in ACTION_TYPES or not self.description:
            raise CardError(f"invalid action {self.type!r}")
        if self.type in ("create", "update") and not self.resource:
            raise CardError(f"{self.type} needs a resource")
        if self.type == "delete" and (self.resource is not None or not self.resource_id or "/" not in self.resource_id):
            raise CardError("delete needs resourceId Type/id and no resource")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "description": self.description}
        if self.resource is not None:
            out["resource"] = self.resource
        if self.resource_id is not None:
            out["resourceId"] = self.resource_id
        return out


@dataclass(frozen=True)
class Suggestion:
    label: str
    actions: tuple[Action, ...]
    is_recommended: bool = False
    uuid: str = field(default_factory=new_uuid)

    def __post_init__(self) -> None:
        if not self.label or not self.actions:
            raise CardError("a suggestion needs a label and at least one action")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "label": self.label,
            "uuid": self.uuid,
            "actions": [a.to_json() for a in self.actions],
        }
        if self.is_recommended:
            out["isRecommended"] = True
        return out


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    type: str = "absolute"

    def to_json(self) -> dict[str, str]:
        return {"label": self.label, "url": self.url, "type": self.type}


@dataclass(frozen=True)
class Card:
    summary: str
    indicator: str
    source_label: str
    detail: str | None = None
    source_url: str | None = None
    suggestions: tuple[Suggestion, ...] = ()
    selection_behavior: str | None = None
    override_reasons: tuple[Coding, ...] = ()
    links: tuple[Link, ...] = ()
    uuid: str = field(default_factory=new_uuid)

    def __post_init__(self) -> None:
        if not self.summary or len(self.summary) >= SUMMARY_LIMIT:
            raise CardError("summary must be non-empty and shorter than 140 characters")
        if self.indicator not in INDICATORS:
            raise CardError(f"invalid indicator {self.indicator!r}")
        if not self.source_label:
            raise CardError("source.label is required")
        if self.suggestions and self.selection_behavior not in SELECTION_BEHAVIORS:
            raise CardError("selectionBehavior is required with suggestions")
        if self.selection_behavior == "at-most-one" and sum(s.is_recommended for s in self.suggestions) > 1:
            raise CardError("at-most-one allows one recommended suggestion at most")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "uuid": self.uuid,
            "summary": self.summary,
            "indicator": self.indicator,
            "source": {"label": self.source_label},
        }
        if self.source_url:
            out["source"]["url"] = self.source_url
        if self.detail:
            out["detail"] = self.detail
        if self.suggestions:
            out["suggestions"] = [s.to_json() for s in self.suggestions]
            out["selectionBehavior"] = self.selection_behavior
        if self.override_reasons:
            out["overrideReasons"] = [r.to_json() for r in self.override_reasons]
        if self.links:
            out["links"] = [link.to_json() for link in self.links]
        return out
