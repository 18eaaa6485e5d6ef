"""The cores a process may use: its affinity, capped by its cgroup's CPU quota (v2 and v1, own path or the
container's root), never fewer than one; an unreadable quota is ignored, not guessed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from prevention_cds.cores import cpu_quota, usable_cores

AFFINITY = len(os.sched_getaffinity(0))


def _tree(root: Path, files: dict[str, str], own: str = "0::/\n") -> tuple[Path, Path]:
    for name, text in files.items():
        path = root / "cgroup" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="ascii")
    proc = root / "proc-self-cgroup"
    proc.write_text(own, encoding="ascii")
    return root / "cgroup", proc


@pytest.mark.parametrize(
    ("files", "own", "quota"),
    [
        ({"cpu.max": "max 100000\n"}, "0::/\n", None),
        ({"cpu.max": "200000 100000\n"}, "0::/\n", 2.0),
        ({"cpu.max": "150000 100000\n"}, "0::/\n", 1.5),
        # the process's own cgroup under the mount (a service of a host), before the root's
        ({"system.slice/cds.service/cpu.max": "50000 100000\n", "cpu.max": "max 100000\n"},
         "0::/system.slice/cds.service\n", 0.5),
        # a container: its path is not under its own mount, which is its cgroup
        ({"cpu.max": "300000 100000\n"}, "0::/docker/0123abcd\n", 3.0),
        ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, "1:cpu,cpuacct:/\n", None),
        ({"cpu/cpu.cfs_quota_us": "100000\n", "cpu/cpu.cfs_period_us": "50000\n"}, "4:cpu,cpuacct:/\n", 2.0),
        ({"cpu/docker/ab/cpu.cfs_quota_us": "100000\n", "cpu/docker/ab/cpu.cfs_period_us": "100000\n"},
         "4:cpuacct,cpu:/docker/ab\n", 1.0),
        ({}, "0::/\n", None),
        ({"cpu.max": "lots 100000\n"}, "0::/\n", None),
        ({"cpu.max": "100000 0\n"}, "0::/\n", None),
    ],
)
def test_cpu_quota_is_read_from_the_process_cgroup(
    tmp_path: Path, files: dict[str, str], own: str, quota: float | None
) -> None:
    root, proc = _tree(tmp_path, files, own)
    assert cpu_quota(root, proc) == quota


@pytest.mark.parametrize(
    ("cpu_max", "expected"),
    [("max 100000", AFFINITY), ("50000 100000", 1), ("1000 100000", 1), (f"{AFFINITY * 100000} 100000", AFFINITY),
     (f"{AFFINITY * 400000} 100000", AFFINITY)],
)
def test_usable_cores_is_the_affinity_capped_by_the_quota(tmp_path: Path, cpu_max: str, expected: int) -> None:
    root, proc = _tree(tmp_path, {"cpu.max": cpu_max})
    assert usable_cores(root, proc) == expected


def test_a_fractional_quota_rounds_up(tmp_path: Path) -> None:
    if AFFINITY < 2:
        pytest.skip("needs two CPUs in the affinity")
    root, proc = _tree(tmp_path, {"cpu.max": "150000 100000"})
    assert usable_cores(root, proc) == 2


def test_no_cgroup_at_all_gives_the_affinity(tmp_path: Path) -> None:
    assert usable_cores(tmp_path / "absent", tmp_path / "absent-too") == AFFINITY
