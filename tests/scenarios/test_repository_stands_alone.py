"""The repository stands alone (issue 15): a fresh clone runs the README's commands and every example of the README
and the docs, and nothing in it reads or points at a folder beside the checkout."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"```sh\n(.*?)```", re.DOTALL)
# a path leaving the checkout for the reference material kept beside it during development
OUTSIDE = re.compile(r"\.\./" + "shared|/work/" + "shared|/ \"" + "shared\"")


def _shell_lines(document: Path) -> list[str]:
    return [line.strip() for block in FENCE.findall(document.read_text(encoding="utf-8"))
            for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _evaluate_examples() -> list[str]:
    return [line for document in DOCUMENTS for line in _shell_lines(document)
            if re.match(r"(\S*/)?prevention-cds evaluate ", line) and "[" not in line]  # not the usage synopsis


def test_ci_runs_exactly_the_readme_test_command() -> None:
    readme_commands = _shell_lines(ROOT / "README.md")
    test_command = next(line for line in readme_commands if "pytest" in line)
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    service, tests = readme_commands[0], test_command
    assert ".venv-test" in tests and ".venv-test" not in service, "the tests never install into the service's venv"


def test_the_docs_have_evaluate_examples() -> None:
    assert len(_evaluate_examples()) >= 2


@pytest.mark.parametrize("example", _evaluate_examples())
def test_every_evaluate_example_runs_from_the_clone(example: str) -> None:
    arguments = shlex.split(example)[2:]  # after "<venv>/bin/prevention-cds evaluate"
    for argument in arguments:
        if "/" in argument:
            assert (ROOT / argument).exists(), f"{argument} is not in the repository"
    result = subprocess.run([sys.executable, "-m", "prevention_cds.app.cli", "evaluate", *arguments], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip()


def test_links_between_documents_resolve() -> None:
    for document in DOCUMENTS:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", document.read_text(encoding="utf-8")):
            assert (document.parent / target).exists(), f"{document.name}: {target}"


def test_nothing_points_outside_the_repository() -> None:
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    offenders = []
    for name in tracked.decode().split("\0"):
        path = ROOT / name
        if not name or not path.is_file() or path.stat().st_size > 5_000_000:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        offenders += [f"{name}:{n}" for n, line in enumerate(text.splitlines(), 1) if OUTSIDE.search(line)]
    assert not offenders, offenders
