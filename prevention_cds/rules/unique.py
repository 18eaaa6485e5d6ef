"""Keeping the first of equal items, in order: for messages, guideline sections and draft orders alike."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

T = TypeVar("T")


def unique(items: Iterable[T]) -> tuple[T, ...]:
    """``items`` without repeats, first occurrence kept. Compared by equality, not hash: a ``Message`` holds a
    mapping and is not hashable."""
    kept: list[T] = []
    for item in items:
        if item not in kept:
            kept.append(item)
    return tuple(kept)
