"""Rule values that carry their source, and the guideline sections an advice collects from the values it uses.

Every value of the rule data reaches the rules as a ``Cited`` value: the number (or table, or product) and the
guideline section it comes from. A card cites a section by using the value through ``Citations.cite``, so its
reference list is the sources of the values it was built from, in the order used, and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from prevention_cds.rules.advice import GuidelineRef
from prevention_cds.rules.unique import unique

T = TypeVar("T")


@dataclass(frozen=True)
class Cited(Generic[T]):
    """A rule value and the guideline section (document and section) it comes from."""

    value: T
    ref: GuidelineRef


# A rule the cards cite that carries no number (a contraindication, a group of patients): only its source.
Statement = Cited[None]


def sources(*values: Cited[Any]) -> tuple[GuidelineRef, ...]:
    """The sections of ``values``, in order, each once."""
    return unique(v.ref for v in values)


class Citations:
    """The guideline sections one advice is built from: each once, in the order first used."""

    def __init__(self, *values: Cited[Any]) -> None:
        self._refs: list[GuidelineRef] = []
        self.add(*values)

    def cite(self, value: Cited[T]) -> T:
        """The value, its section now cited by the advice being built."""
        self.extend((value.ref,))
        return value.value

    def add(self, *values: Cited[Any]) -> None:
        self.extend(v.ref for v in values)

    def extend(self, refs: Iterable[GuidelineRef]) -> None:
        for ref in refs:
            if ref not in self._refs:
                self._refs.append(ref)

    @property
    def refs(self) -> tuple[GuidelineRef, ...]:
        return tuple(self._refs)
