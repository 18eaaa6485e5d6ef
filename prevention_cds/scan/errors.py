"""What stops a scan before it starts (exit status 2), as opposed to bad lines, which are reported and skipped."""

from __future__ import annotations


class ScanInputError(ValueError):
    """The input cannot be read at all: no such path, no file of a known kind, an unreadable manifest."""
