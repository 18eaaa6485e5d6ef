"""``.venv/bin/pytest`` does not put the project root on ``sys.path`` (pyproject sets no ``pythonpath``):
add it so that ``rules`` imports when these tests run alone."""

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[3])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
