"""What a probe measured: the state changes it reports as it runs, its outages and the final
report, with UTC times as operators compare them with RDS events and CloudWatch."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class StateChange:
    """The probe went down (``up`` False, with the error) or came back up."""

    up: bool
    elapsed_seconds: float
    at: datetime
    error: str | None = None
    down_seconds: float | None = None
    reconnects: int = 0


@dataclass
class Outage:
    started: datetime
    ended: datetime | None
    seconds: float
    failed_queries: int
    errors: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "started": utc_text(self.started),
            "ended": utc_text(self.ended) if self.ended else None,
            "seconds": round(self.seconds, 3),
            "failed_queries": self.failed_queries,
            "errors": dict(self.errors.most_common()),
        }


@dataclass
class ProbeReport:
    started: datetime
    ended: datetime
    seconds: float
    interval_seconds: float
    queries: int = 0
    failed_queries: int = 0
    reconnects: int = 0
    outages: list[Outage] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    first_success: datetime | None = None
    interrupted: bool = False

    @property
    def downtime_seconds(self) -> float:
        return sum((outage.seconds for outage in self.outages), 0.0)

    @property
    def longest_outage_seconds(self) -> float:
        return max((outage.seconds for outage in self.outages), default=0.0)

    @property
    def still_down(self) -> bool:
        return bool(self.outages) and self.outages[-1].ended is None

    @property
    def first_failure(self) -> datetime | None:
        return self.outages[0].started if self.outages else None

    @property
    def first_success_after_failure(self) -> datetime | None:
        return self.outages[0].ended if self.outages else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "started": utc_text(self.started),
            "ended": utc_text(self.ended),
            "seconds": round(self.seconds, 3),
            "interval_seconds": round(self.interval_seconds, 3),
            "queries": self.queries,
            "failed_queries": self.failed_queries,
            "first_failure": utc_text(self.first_failure),
            "first_success_after_failure": utc_text(self.first_success_after_failure),
            "downtime_seconds": round(self.downtime_seconds, 3),
            "longest_outage_seconds": round(self.longest_outage_seconds, 3),
            "outages": [outage.as_dict() for outage in self.outages],
            "reconnects": self.reconnects,
            "errors": dict(self.errors.most_common()),
            "still_down": self.still_down,
            "interrupted": self.interrupted,
        }


def utc_text(value: datetime | None) -> str | None:
    """UTC to the second, as operators compare it with RDS events and CloudWatch."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def change_line(change: StateChange) -> str:
    """One plain progress line per state change (stderr)."""
    stamp = f"+{change.elapsed_seconds:.3f}s {utc_text(change.at)}"
    if not change.up:
        return f"probe: DOWN at {stamp}: {change.error}"
    if change.down_seconds is None:
        return f"probe: up at {stamp}"
    return (
        f"probe: up at {stamp} after {change.down_seconds:.3f}s down "
        f"({change.reconnects} reconnect(s) so far)"
    )
