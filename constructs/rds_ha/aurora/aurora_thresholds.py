"""The thresholds of ``AuroraAlarms``, overridable by name, and what they derive from: the
instances' memory (the class's, or ``max_capacity`` ACUs of about 2 GiB each) and the engine's
default ``max_connections``."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

from rds_ha.catalog import instance_classes
from rds_ha.catalog.aurora import AuroraEngine

GIB = 1024**3
# Aurora User Guide, "How Aurora Serverless v2 works": "Each ACU is a combination of
# approximately 2 gibibytes (GiB) of memory, corresponding CPU, and networking."
ACU_MEMORY_BYTES = 2 * GIB
# Aurora User Guide, "Amazon Aurora size limits": a cluster volume grows to 128 TiB.
MAX_VOLUME_BYTES = 128 * 1024**4


@dataclass(frozen=True)
class AuroraThresholds:
    """Each alarm's threshold; ``with_overrides({"cpu_percent": 70})`` changes some."""

    cpu_percent: float = 80
    freeable_memory_percent: float = 10
    connections_percent: float = 80
    replica_lag_milliseconds: float = 1000
    acu_utilization_percent: float = 90
    deadlocks_per_second: float = 1
    buffer_cache_hit_ratio_percent: float = 90
    volume_used_percent: float = 80
    commit_latency_milliseconds: float = 100

    def with_overrides(self, overrides: Mapping[str, float]) -> AuroraThresholds:
        return replace(self, **{name: float(value) for name, value in overrides.items()})


THRESHOLD_NAMES = tuple(field.name for field in fields(AuroraThresholds))
_PERCENTS = {name for name in THRESHOLD_NAMES if name.endswith("_percent")}


def threshold_problems(overrides: Mapping[str, object]) -> list[str]:
    """Unknown names and values that are not a number (a percentage in 0-100)."""
    problems = []
    for name, value in overrides.items():
        if name not in THRESHOLD_NAMES:
            problems.append(
                f"alarms.{name}: unknown Aurora threshold; allowed: {', '.join(THRESHOLD_NAMES)}"
            )
        elif isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            problems.append(f"alarms.{name}={value!r}: must be a number above 0")
        elif name in _PERCENTS and value > 100:
            problems.append(f"alarms.{name}={value!r}: a percentage, at most 100")
    return problems


def memory_bytes(instance_class: str | None, max_capacity: float | None) -> int | None:
    """An instance's memory: its class's, or a Serverless v2 instance's at ``max_capacity``."""
    if max_capacity is not None:
        return int(max_capacity * ACU_MEMORY_BYTES)
    spec = instance_classes.lookup(instance_class or "")
    return spec.memory_bytes if spec else None


def default_max_connections(engine: AuroraEngine, memory: int) -> int:
    """The engine's default ``max_connections`` for an instance with ``memory`` bytes.

    Aurora PostgreSQL: ``LEAST({DBInstanceClassMemory/9531392}, 5000)`` (Aurora User Guide,
    "Maximum connections to an Aurora PostgreSQL DB instance"). Aurora MySQL:
    ``GREATEST({log(DBInstanceClassMemory/805306368)*45},{log(DBInstanceClassMemory/
    8187281408)*1000})``, log base 2 ("Maximum connections to an Aurora MySQL DB instance");
    the class's memory stands in for DBInstanceClassMemory, which is a little less, so each
    logarithm is rounded down, as the page's table of defaults has it (db.t3.medium 90,
    db.r*.large 1,000, db.r*.xlarge 2,000).
    """
    if engine is AuroraEngine.AURORA_POSTGRESQL:
        return min(memory // 9531392, 5000)
    small = 45 * math.floor(math.log2(memory / 805306368))
    large = 1000 * math.floor(math.log2(memory / 8187281408)) if memory > 8187281408 else 0
    return max(small, large)
