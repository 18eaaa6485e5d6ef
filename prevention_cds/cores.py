"""How many cores this process may use: the CPUs it may run on, capped by its container's CPU quota.

``os.cpu_count()`` counts the host's cores and ignores both: a container given 2 CPUs on a 64-core host would start
64 server workers (each holding the rule data and the code index) or 64 scan processes, all sharing 2 CPUs. The
quota is read from the process's own cgroup (v2 ``cpu.max``, v1 ``cpu.cfs_quota_us`` over ``cpu.cfs_period_us``),
or from the cgroup root a container mounts as its own; a fractional quota rounds up (1.5 CPUs run 2 workers).
"""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path

logger = logging.getLogger(__name__)

CGROUP_ROOT = Path("/sys/fs/cgroup")
PROC_CGROUP = Path("/proc/self/cgroup")


def usable_cores(cgroup_root: Path = CGROUP_ROOT, proc_cgroup: Path = PROC_CGROUP) -> int:
    """The CPUs the process may run on (its affinity), capped by its cgroup's CPU quota; at least 1."""
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # no affinity outside Linux
        available = os.cpu_count() or 1
    quota = cpu_quota(cgroup_root, proc_cgroup)
    cap = math.ceil(quota) if quota is not None else available
    return max(1, min(available, cap))


def cpu_quota(cgroup_root: Path = CGROUP_ROOT, proc_cgroup: Path = PROC_CGROUP) -> float | None:
    """The CPUs the cgroup's quota allows, or None when it sets none (or it cannot be read)."""
    v2, v1 = _own_cgroups(proc_cgroup)
    for directory in _candidates(cgroup_root, v2):
        text = _read(directory / "cpu.max")
        if text is not None:  # "max 100000" (no quota) or "<quota> <period>", in microseconds
            parts = text.split()
            return _ratio(parts[0], parts[1]) if len(parts) == 2 and parts[0] != "max" else None
    for directory in _candidates(cgroup_root / "cpu", v1):
        quota, period = _read(directory / "cpu.cfs_quota_us"), _read(directory / "cpu.cfs_period_us")
        if quota is not None and period is not None:  # a quota of -1: none
            return _ratio(quota, period)
    return None


def _own_cgroups(proc_cgroup: Path) -> tuple[str | None, str | None]:
    """The process's cgroup paths: the v2 one (``0::/path``) and the v1 one of the cpu controller."""
    v2 = v1 = None
    for line in (_read(proc_cgroup) or "").splitlines():
        hierarchy, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        if hierarchy == "0" and not controllers:
            v2 = path
        elif "cpu" in controllers.split(","):
            v1 = path
    return v2, v1


def _candidates(mount: Path, own: str | None) -> list[Path]:
    # inside a container the process's path often does not exist under its mount, which is its own cgroup already
    own_dir = mount / own.lstrip("/") if own and own != "/" else None
    return [own_dir, mount] if own_dir is not None else [mount]


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None


def _ratio(quota: str, period: str) -> float | None:
    try:
        allowed, length = int(quota), int(period)
    except ValueError:
        logger.warning("unreadable CPU quota in the cgroup: ignored")
        return None
    return allowed / length if allowed > 0 and length > 0 else None
