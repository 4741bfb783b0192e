"""`rds-ha advise`: read CloudWatch history and recommend the smallest class that keeps the
workload under the warning thresholds."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from rds_ha.catalog import instance_classes as ic
from rds_ha.cli.databases import Database
from rds_ha.monitoring.alarm_thresholds import AlarmThresholds

GIB = ic.GIB
_SPARK = "▁▂▃▄▅▆▇█"


_WARNINGS = AlarmThresholds()


@dataclass(frozen=True)
class AdviceThresholds:
    """Levels the recommendation keeps the p95 under: the warning levels of DatabaseAlarms, so a
    recommended class does not start in the "plan the scale-up" state."""

    max_cpu_percent: float = _WARNINGS.max_cpu_percent.warning.threshold
    min_freeable_memory_percent: float = _WARNINGS.min_freeable_memory_percent.warning.threshold
    # More active sessions than vCPUs means sessions wait for CPU.
    max_db_load_per_vcpu: float = _WARNINGS.max_db_load_per_vcpu.warning.threshold
    max_connections_percent: float = _WARNINGS.max_connections_percent.warning.threshold


@dataclass(frozen=True)
class MetricSpec:
    name: str
    worst_stat: str  # the per-period statistic that shows the worst moment
    unit: str


METRICS = (
    MetricSpec("CPUUtilization", "Maximum", "%"),
    MetricSpec("FreeableMemory", "Minimum", "bytes"),
    MetricSpec("DBLoad", "Maximum", "sessions"),
    MetricSpec("DatabaseConnections", "Maximum", "connections"),
    MetricSpec("FreeStorageSpace", "Minimum", "bytes"),
)


@dataclass
class Series:
    timestamps: list[datetime] = field(default_factory=list)
    averages: list[float] = field(default_factory=list)
    worst: list[float] = field(default_factory=list)


def period_for(days: int) -> int:
    # CloudWatch keeps 5-minute data for 63 days and hourly data beyond; hourly keeps long
    # histories to a few thousand points per metric.
    return 300 if days <= 15 else 3600


def fetch_history(
    cloudwatch: Any, database: Database, *, end: datetime, days: int
) -> dict[str, Series]:
    dimensions = [{"Name": "DBInstanceIdentifier", "Value": database.identifier}]
    period = period_for(days)
    queries: list[dict[str, Any]] = []
    for index, metric in enumerate(METRICS):
        for suffix, stat in (("avg", "Average"), ("worst", metric.worst_stat)):
            queries.append(
                {
                    "Id": f"m{index}{suffix}",
                    "MetricStat": {
                        "Metric": {
                            "Namespace": "AWS/RDS",
                            "MetricName": metric.name,
                            "Dimensions": dimensions,
                        },
                        "Period": period,
                        "Stat": stat,
                    },
                    "ReturnData": True,
                }
            )
    points: dict[str, dict[datetime, float]] = {q["Id"]: {} for q in queries}
    paginator = cloudwatch.get_paginator("get_metric_data")
    for page in paginator.paginate(
        MetricDataQueries=queries,
        StartTime=end - timedelta(days=days),
        EndTime=end,
        ScanBy="TimestampAscending",
    ):
        for result in page.get("MetricDataResults", []):
            points[result["Id"]].update(zip(result["Timestamps"], result["Values"], strict=True))
    history = {}
    for index, metric in enumerate(METRICS):
        averages, worst = points[f"m{index}avg"], points[f"m{index}worst"]
        stamps = sorted(set(averages) & set(worst))
        history[metric.name] = Series(
            stamps, [averages[t] for t in stamps], [worst[t] for t in stamps]
        )
    return history


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def slope_per_day(series: Series) -> float:
    """Least-squares slope of the averages, in units per day."""
    if len(series.averages) < 2:
        return 0.0
    start = series.timestamps[0]
    xs = [(t - start).total_seconds() / 86400 for t in series.timestamps]
    mean_x, mean_y = sum(xs) / len(xs), sum(series.averages) / len(series.averages)
    spread = sum((x - mean_x) ** 2 for x in xs)
    if spread == 0:
        return 0.0
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, series.averages, strict=True)) / (
        spread
    )


def sparkline(values: list[float], width: int = 30) -> str:
    if not values:
        return ""
    size = math.ceil(len(values) / width)
    buckets = [max(values[i : i + size]) for i in range(0, len(values), size)]
    low, high = min(buckets), max(buckets)
    span = (high - low) or 1.0
    return "".join(_SPARK[min(7, int((v - low) / span * 8))] for v in buckets)


@dataclass(frozen=True)
class Usage:
    """One metric as a "higher is worse" load figure."""

    metric: str
    unit: str
    p95: float
    max: float
    trend_per_week: float
    spark: str
    samples: int


def _load_view(
    metric: str, series: Series, spec: ic.InstanceClassSpec, storage_gib: float
) -> tuple[str, list[float], list[float]]:
    """Convert free-space metrics to used amounts so that every figure grows with the load."""
    if metric == "FreeableMemory":
        capacity: float = spec.memory_bytes
        return (
            "used memory GiB",
            [(capacity - v) / GIB for v in series.averages],
            [(capacity - v) / GIB for v in series.worst],
        )
    if metric == "FreeStorageSpace":
        capacity = storage_gib * GIB
        return (
            "used storage GiB",
            [(capacity - v) / GIB for v in series.averages],
            [(capacity - v) / GIB for v in series.worst],
        )
    unit = {"CPUUtilization": "CPU %", "DBLoad": "DB load (sessions)"}.get(metric, "connections")
    return unit, series.averages, series.worst


def summarize(
    history: dict[str, Series], spec: ic.InstanceClassSpec, storage_gib: float
) -> dict[str, Usage | None]:
    usage: dict[str, Usage | None] = {}
    for metric, series in history.items():
        if not series.averages:
            usage[metric] = None
            continue
        unit, averages, worst = _load_view(metric, series, spec, storage_gib)
        slope = slope_per_day(Series(series.timestamps, averages, worst))
        usage[metric] = Usage(
            metric=metric,
            unit=unit,
            p95=percentile(worst, 95),
            max=max(worst),
            trend_per_week=slope * 7,
            spark=sparkline(averages),
            samples=len(averages),
        )
    return usage


@dataclass(frozen=True)
class Recommendation:
    needed_vcpus: float
    needed_memory_gib: float
    recommended: ic.InstanceClassSpec | None
    verdict: str  # "fits", "can-shrink", "scale-up", "too-large-for-catalog" or "no-data"
    reasons: list[str]
    notes: list[str]


def _connections_memory_gib(engine: str, connections: float, notes: list[str]) -> float:
    kind = ic.connection_formula(engine)
    if kind == "postgres":
        if connections > ic.PG_MAX_DEFAULT_CONNECTIONS:
            notes.append(
                f"{connections:.0f} connections exceed PostgreSQL's default cap of "
                f"{ic.PG_MAX_DEFAULT_CONNECTIONS} on any class: use a connection pooler (RDS "
                "Proxy) or set max_connections."
            )
            return 0.0
        return connections * ic.PG_BYTES_PER_CONNECTION / GIB
    if kind == "mysql":
        return connections * ic.MYSQL_BYTES_PER_CONNECTION / GIB
    notes.append(f"no default max_connections formula for {engine}; connections not sized.")
    return 0.0


def recommend(
    database: Database,
    spec: ic.InstanceClassSpec,
    usage: dict[str, Usage | None],
    thresholds: AdviceThresholds | None = None,
) -> Recommendation:
    t = thresholds or AdviceThresholds()
    reasons: list[str] = []
    notes: list[str] = []
    cpu, mem = usage.get("CPUUtilization"), usage.get("FreeableMemory")
    load, conns = usage.get("DBLoad"), usage.get("DatabaseConnections")
    if cpu is None and mem is None:
        return Recommendation(0, 0, None, "no-data", [], ["no CPU or memory data in the period"])
    vcpus = 0.0
    if cpu is not None:
        vcpus = spec.vcpus * cpu.p95 / t.max_cpu_percent
        reasons.append(
            f"CPU p95 {cpu.p95:.1f}% of {spec.vcpus} vCPU -> {vcpus:.1f} vCPU at "
            f"{t.max_cpu_percent:g}%"
        )
    if load is not None:
        by_load = load.p95 / t.max_db_load_per_vcpu
        reasons.append(f"DB load p95 {load.p95:.1f} sessions -> {by_load:.1f} vCPU")
        vcpus = max(vcpus, by_load)
    memory = 0.0
    if mem is not None:
        memory = mem.p95 / (1 - t.min_freeable_memory_percent / 100)
        reasons.append(
            f"used memory p95 {mem.p95:.1f} GiB -> {memory:.1f} GiB to keep "
            f"{t.min_freeable_memory_percent:g}% free"
        )
    if conns is not None:
        needed = conns.p95 / (t.max_connections_percent / 100)
        by_conns = _connections_memory_gib(database.engine, needed, notes)
        if by_conns:
            reasons.append(
                f"connections p95 {conns.p95:.0f} -> max_connections {needed:.0f} "
                f"-> {by_conns:.1f} GiB (default formula)"
            )
        memory = max(memory, by_conns)
    if usage.get("DBLoad") is None:
        notes.append("no DBLoad data (Performance Insights off?): sized on CPU only.")
    if usage.get("FreeStorageSpace") is not None:
        notes.append("storage is sized separately from the class (allocated storage/autoscaling).")
    chosen = ic.smallest_satisfying(
        vcpus=vcpus, memory_gib=memory, family=spec.family, allow_burstable=spec.burstable
    ) or ic.smallest_satisfying(vcpus=vcpus, memory_gib=memory, architecture=spec.architecture)
    if spec.satisfies(vcpus=vcpus, memory_gib=memory):
        shrink = chosen is not None and chosen.compare(spec) is ic.Capacity.SMALLER
        sized_on_cpu = cpu is not None or load is not None
        if shrink and chosen is not None and not (sized_on_cpu and chosen.vcpus < spec.vcpus):
            # Used memory is no reason to shrink: the buffer cache grows with the class, so a
            # smaller class would read from disk what this one serves from memory.
            notes.append(
                f"{chosen.name} would hold the measured memory, but memory alone is no reason to "
                "shrink: the database's buffer cache grows with the class."
            )
            shrink = False
        verdict = "can-shrink" if shrink else "fits"
    else:
        verdict = "scale-up" if chosen is not None else "too-large-for-catalog"
    return Recommendation(vcpus, memory, chosen, verdict, reasons, notes)
