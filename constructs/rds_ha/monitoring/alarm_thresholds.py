"""Alarm thresholds for ``DatabaseAlarms``: defaults, overrides, validation and derivation.

Each threshold is named for its direction and unit (``max_cpu_percent``,
``min_freeable_memory_percent``) and has a warning level ("plan the scale-up") and a critical
level ("act now"), each with its own period, evaluation periods and datapoints to alarm. The
critical timings follow AWS's recommended alarms for Amazon RDS (CloudWatch User Guide,
"Recommended alarms"); warnings look at a longer window so that they mean "sustained".

Thresholds that are a share of something the instance class determines (memory, vCPUs, the
default ``max_connections``) are converted to the metric's own unit here, from the
instance-class catalog, so that the alarm compares bytes with bytes.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from rds_ha.catalog import instance_classes
from rds_ha.catalog.engines import Deployment, Engine
from rds_ha.catalog.instance_classes import InstanceClassSpec

GIB = 1024**3
MIB = 1024**2
# CloudWatch accepts 10, 30 and multiples of 60 seconds, and at most one day of evaluation.
HIGH_RESOLUTION_PERIODS = (10, 30)
MAX_EVALUATION_SECONDS = 86400


class Direction(StrEnum):
    MAX = "max"
    """Alarm when the metric rises above the threshold; critical is above warning."""
    MIN = "min"
    """Alarm when the metric falls below the threshold; critical is below warning."""


@dataclass(frozen=True)
class Level:
    """One severity of one alarm: the threshold and how long it must be crossed."""

    threshold: float
    evaluation_periods: int
    datapoints_to_alarm: int
    period_seconds: int = 60


@dataclass(frozen=True)
class MetricThresholds:
    warning: Level
    critical: Level

    def with_overrides(self, overrides: Mapping[str, float | int | None]) -> MetricThresholds:
        """A copy with the flat override keys applied (see ``OVERRIDE_KEYS``)."""
        levels = {"warning": self.warning, "critical": self.critical}
        for severity, level in levels.items():
            changes: dict[str, float | int] = {}
            threshold = overrides.get(severity)
            if threshold is not None:
                changes["threshold"] = threshold
            for field in ("period_seconds", "evaluation_periods", "datapoints_to_alarm"):
                value = overrides.get(f"{severity}_{field}")
                if value is not None:
                    changes[field] = value
            # One mapping types every override float | int; the counts are ints (the config
            # layer's models declare them int), which mypy cannot see per key.
            levels[severity] = dataclasses.replace(level, **changes)  # type: ignore[arg-type]
        return MetricThresholds(**levels)


OVERRIDE_KEYS = (
    "warning",
    "critical",
    *(
        f"{severity}_{field}"
        for severity in ("warning", "critical")
        for field in ("period_seconds", "evaluation_periods", "datapoints_to_alarm")
    ),
)


@dataclass(frozen=True)
class AlarmThresholds:
    """Every threshold of ``DatabaseAlarms``; each field's default is documented in
    ``docs/alarms.md``. Override one with ``dataclasses.replace`` or ``with_overrides``.

    The ``*_bytes``, ``*_count`` and ``*_sessions`` fields are absolute alternatives to the
    percentages derived from the instance class; when given they win, and the instance class
    need not be in the catalog.
    """

    # MetricThresholds(warning, critical); Level(threshold, evaluation periods, datapoints
    # to alarm) of one minute each.
    max_cpu_percent: MetricThresholds = MetricThresholds(Level(80, 15, 15), Level(90, 5, 5))
    min_freeable_memory_percent: MetricThresholds = MetricThresholds(
        Level(25, 15, 15), Level(10, 5, 5)
    )
    # Of the configured allocated storage; below RDS's 10 % autoscaling trigger (see derive()).
    min_free_storage_percent: MetricThresholds = MetricThresholds(Level(8, 5, 5), Level(5, 5, 5))
    max_connections_percent: MetricThresholds = MetricThresholds(Level(75, 15, 15), Level(90, 5, 5))
    # Average active sessions per vCPU: above 1, sessions wait for CPU or I/O.
    max_db_load_per_vcpu: MetricThresholds = MetricThresholds(Level(1.0, 15, 15), Level(2.0, 5, 5))
    max_read_latency_seconds: MetricThresholds = MetricThresholds(
        Level(0.02, 15, 15), Level(0.05, 5, 5)
    )
    max_write_latency_seconds: MetricThresholds = MetricThresholds(
        Level(0.02, 15, 15), Level(0.05, 5, 5)
    )
    max_disk_queue_depth: MetricThresholds = MetricThresholds(Level(32, 15, 15), Level(64, 5, 5))
    min_ebs_byte_balance_percent: MetricThresholds = MetricThresholds(
        Level(30, 5, 5), Level(10, 3, 3)
    )
    min_ebs_io_balance_percent: MetricThresholds = MetricThresholds(
        Level(30, 5, 5), Level(10, 3, 3)
    )
    min_cpu_credit_balance: MetricThresholds = MetricThresholds(Level(100, 15, 15), Level(20, 5, 5))
    max_swap_usage_mib: MetricThresholds = MetricThresholds(Level(256, 15, 15), Level(1024, 5, 5))
    max_replica_lag_seconds: MetricThresholds = MetricThresholds(
        Level(30, 10, 10), Level(60, 10, 10)
    )
    max_used_transaction_ids: MetricThresholds = MetricThresholds(
        Level(1_000_000_000, 1, 1), Level(1_500_000_000, 1, 1)
    )
    min_freeable_memory_bytes: MetricThresholds | None = None
    max_connections_count: MetricThresholds | None = None
    max_db_load_sessions: MetricThresholds | None = None

    def with_overrides(
        self, overrides: Mapping[str, Mapping[str, float | int | None]]
    ) -> AlarmThresholds:
        """A copy with per-threshold overrides, e.g. ``{"max_cpu_percent": {"warning": 70}}``.
        An absolute field that is not set yet starts from its percentage's default timings."""
        changes = {}
        for name, values in overrides.items():
            if name not in THRESHOLD_NAMES:
                raise ValueError(
                    f"alarms.{name}: unknown threshold; allowed: {', '.join(THRESHOLD_NAMES)}"
                )
            current = getattr(self, name)
            if current is None:
                current = _absolute_seed(name, values)
            changes[name] = current.with_overrides(values)
        return dataclasses.replace(self, **changes)


ABSOLUTE_ALTERNATIVES = {
    "min_freeable_memory_bytes": "min_freeable_memory_percent",
    "max_connections_count": "max_connections_percent",
    "max_db_load_sessions": "max_db_load_per_vcpu",
}
THRESHOLD_NAMES = tuple(field.name for field in dataclasses.fields(AlarmThresholds))


def absolute_override_problem(name: str, values: Mapping[str, object]) -> str | None:
    """An absolute threshold has no default: both severities must be given."""
    missing = [s for s in ("warning", "critical") if values.get(s) is None]
    if name in ABSOLUTE_ALTERNATIVES and missing:
        return f"alarms.{name}: {' and '.join(missing)} missing; give both warning and critical"
    return None


def _absolute_seed(name: str, values: Mapping[str, float | int | None]) -> MetricThresholds:
    """Timings of the percentage an absolute threshold replaces; both thresholds must be given."""
    problem = absolute_override_problem(name, values)
    if problem:
        raise ValueError(problem)
    timings = getattr(AlarmThresholds(), ABSOLUTE_ALTERNATIVES[name])
    return MetricThresholds(
        warning=dataclasses.replace(timings.warning, threshold=values["warning"]),
        critical=dataclasses.replace(timings.critical, threshold=values["critical"]),
    )


def direction_of(name: str) -> Direction:
    return Direction.MIN if name.startswith("min_") else Direction.MAX


def threshold_problems(thresholds: AlarmThresholds, prefix: str = "alarms.") -> list[str]:
    """Every problem in ``thresholds``, each naming the threshold, the key and the value."""
    problems: list[str] = []
    for name in THRESHOLD_NAMES:
        metric = getattr(thresholds, name)
        if metric is not None:
            problems += _metric_problems(f"{prefix}{name}", name, metric)
    return problems


def _metric_problems(where: str, name: str, metric: MetricThresholds) -> list[str]:
    problems = []
    for severity in ("warning", "critical"):
        level: Level = getattr(metric, severity)
        value = level.threshold
        if name.endswith("_percent") and not 0 < value < 100:
            problems.append(f"{where}.{severity}={value:g}: a percentage must be in (0, 100)")
        elif value <= 0:
            problems.append(f"{where}.{severity}={value:g}: must be greater than 0")
        problems += _timing_problems(f"{where}.{severity}", level)
    warning, critical = metric.warning.threshold, metric.critical.threshold
    if direction_of(name) is Direction.MAX and not warning < critical:
        problems.append(
            f"{where}.warning={warning:g}: must be below critical ({critical:g}); "
            "the metric alarms when it rises above the threshold"
        )
    if direction_of(name) is Direction.MIN and not warning > critical:
        problems.append(
            f"{where}.warning={warning:g}: must be above critical ({critical:g}); "
            "the metric alarms when it falls below the threshold"
        )
    return problems


def _timing_problems(where: str, level: Level) -> list[str]:
    problems = []
    period = level.period_seconds
    if period not in HIGH_RESOLUTION_PERIODS and (period <= 0 or period % 60):
        problems.append(f"{where}_period_seconds={period}: must be 10, 30 or a multiple of 60")
    if level.datapoints_to_alarm < 1:
        problems.append(
            f"{where}_datapoints_to_alarm={level.datapoints_to_alarm}: must be at least 1"
        )
    if level.evaluation_periods < level.datapoints_to_alarm:
        problems.append(
            f"{where}_evaluation_periods={level.evaluation_periods}: must be at least "
            f"datapoints_to_alarm ({level.datapoints_to_alarm})"
        )
    elif period > 0 and level.evaluation_periods * period > MAX_EVALUATION_SECONDS:
        problems.append(
            f"{where}_evaluation_periods={level.evaluation_periods}: evaluation_periods x "
            f"period_seconds ({level.evaluation_periods * period} s) must be at most one day"
        )
    return problems


# --- derivation from the database ---------------------------------------------------------


@dataclass(frozen=True)
class DatabaseFacts:
    """What the thresholds are derived from; built from a ``HighlyAvailableDatabase`` or from
    an environment's configuration."""

    engine: Engine
    deployment: Deployment
    instance_class: str
    allocated_storage_gib: int
    max_allocated_storage_gib: int
    parameters: Mapping[str, str]

    @property
    def spec(self) -> InstanceClassSpec | None:
        return instance_classes.lookup(self.instance_class)

    @property
    def burstable(self) -> bool:
        spec = self.spec
        # Only the db.t families are burstable; an unknown class is judged by its family.
        return spec.burstable if spec else self.instance_class.startswith("db.t")

    @property
    def configured_max_connections(self) -> int | None:
        value = str(self.parameters.get("max_connections", "")).strip()
        return int(value) if re.fullmatch(r"\d+", value) else None


@dataclass(frozen=True)
class Derived:
    """A threshold pair in the metric's own unit, with how it was obtained."""

    warning: float
    critical: float
    basis: str


def _scaled(metric: MetricThresholds, factor: float, basis: str, *, whole: bool = False) -> Derived:
    """``whole``: the unit is countable (bytes, connections), so the threshold is rounded."""

    def scale(value: float) -> float:
        return round(value * factor) if whole else value * factor

    return Derived(scale(metric.warning.threshold), scale(metric.critical.threshold), basis)


def _as_is(metric: MetricThresholds, basis: str = "") -> Derived:
    return _scaled(metric, 1, basis)


def derive(
    name: str, thresholds: AlarmThresholds, facts: DatabaseFacts
) -> tuple[MetricThresholds, Derived]:
    """The timings and the metric-unit thresholds of the alarm ``name`` (a percentage name)."""
    spec = facts.spec
    absolute = next((a for a, p in ABSOLUTE_ALTERNATIVES.items() if p == name), None)
    given = getattr(thresholds, absolute) if absolute else None
    if given is not None:
        return given, _as_is(given, f"given explicitly as {absolute}")
    metric: MetricThresholds = getattr(thresholds, name)
    if name == "min_freeable_memory_percent":
        assert spec is not None
        return metric, _scaled(
            metric,
            spec.memory_bytes / 100,
            f"% of the {spec.memory_gib:g} GiB of {spec.name}",
            whole=True,
        )
    if name == "min_free_storage_percent":
        # FreeStorageSpace is free space in the volume as allocated now, and RDS publishes no
        # allocated-storage metric, so a share of the autoscaling maximum compares unrelated
        # sizes: with 200 GiB allocated and 1000 GiB maximum, "10 % of the maximum" fires at
        # 50 % used. The configured allocation is the smallest the volume can be. RDS grows an
        # autoscaling volume when free space stays at or under 10 % of the current allocation
        # for 5 minutes, so the defaults (8 % and 5 %) fire only when autoscaling did not keep
        # up, is waiting out its 6-hour cooldown, reached max_allocated_storage_gib (RDS also
        # sends a "low storage" event then) or is not available (Multi-AZ DB clusters). Once
        # the volume has grown, the same bytes are a smaller share of it: the alarm gets later,
        # never earlier.
        gib = facts.allocated_storage_gib
        return metric, _scaled(metric, gib * GIB / 100, f"% of the {gib} GiB allocated")
    if name == "max_connections_percent":
        limit, source = _max_connections(facts)
        return metric, _scaled(
            metric, limit / 100, f"% of max_connections {limit} ({source})", whole=True
        )
    if name == "max_db_load_per_vcpu":
        assert spec is not None
        return metric, _scaled(metric, spec.vcpus, f" x the {spec.vcpus} vCPUs of {spec.name}")
    if name == "max_swap_usage_mib":
        return metric, _scaled(metric, MIB, " MiB", whole=True)
    return metric, _as_is(metric)


def _max_connections(facts: DatabaseFacts) -> tuple[int, str]:
    configured = facts.configured_max_connections
    if configured is not None:
        return configured, "parameter group"
    assert facts.spec is not None
    return (
        instance_classes.default_max_connections(facts.engine.value, facts.spec),
        f"{facts.engine.value} default for {facts.spec.name}",
    )


def catalog_problems(thresholds: AlarmThresholds, facts: DatabaseFacts) -> list[str]:
    """Problems that stop the thresholds from being derived for this database."""
    problems = []
    if facts.spec is None:
        needed = [
            absolute
            for absolute, percent in ABSOLUTE_ALTERNATIVES.items()
            if getattr(thresholds, absolute) is None
            and not (absolute == "max_connections_count" and facts.configured_max_connections)
        ]
        if needed:
            problems.append(
                f"instance_class={facts.instance_class!r}: not in the rds-ha instance-class "
                f"catalog, so {', '.join(ABSOLUTE_ALTERNATIVES[n] for n in needed)} cannot be "
                f"derived; use a catalog class or give alarms.{', alarms.'.join(needed)} "
                "explicitly"
            )
    return problems


def alarm_problems(thresholds: AlarmThresholds, facts: DatabaseFacts) -> list[str]:
    problems = threshold_problems(thresholds)
    return problems or catalog_problems(thresholds, facts)
