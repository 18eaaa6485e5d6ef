"""Figures of a measurement: nearest-rank percentiles, throughput, least-squares slopes."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Result:
    """The requests of one endpoint (or of several, added up)."""

    name: str
    latencies: list[float] = field(default_factory=list)  # seconds, every completed request
    errors: int = 0
    first_error: str | None = None
    elapsed: float = 0.0
    client_cpu: float = 0.0
    server_cpu: float = 0.0
    spread: list[int] | None = None  # connections held by each server worker mid-window (one window only)

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def throughput(self) -> float:
        return self.requests / self.elapsed if self.elapsed else 0.0

    def absorb(self, other: Result) -> None:
        """Add another measurement of the same endpoint (one round of several)."""
        self.latencies.extend(other.latencies)
        self.errors += other.errors
        self.first_error = self.first_error or other.first_error
        self.elapsed += other.elapsed
        self.client_cpu += other.client_cpu
        self.server_cpu += other.server_cpu

    def percentile_ms(self, p: float) -> float:
        """Nearest-rank percentile."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = max(1, -(-len(ordered) * p // 100))
        return ordered[int(rank) - 1] * 1000


def slope_per_minute(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value) points, per minute; nan with fewer than 2 points."""
    if len(points) < 2:
        return float("nan")
    mean_t = sum(t for t, _ in points) / len(points)
    mean_v = sum(v for _, v in points) / len(points)
    var = sum((t - mean_t) ** 2 for t, _ in points)
    return 60 * sum((t - mean_t) * (v - mean_v) for t, v in points) / var if var else float("nan")
