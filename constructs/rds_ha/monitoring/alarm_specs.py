"""What ``DatabaseAlarms`` watches: one ``AlarmSpec`` per metric (statistic, direction, missing
data, when it applies) and the facts of a database that its thresholds are derived from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aws_cdk import aws_cloudwatch as cloudwatch

from rds_ha.catalog.engines import Deployment, Engine
from rds_ha.database.i_highly_available_database import (
    IHighlyAvailableDatabase,
    rds_engine_and_deployment,
)
from rds_ha.monitoring.alarm_thresholds import DatabaseFacts

COMPOSITE_SLUGS = ("scale-up-recommended", "at-risk")
# The warnings that say the instance class is too small; their composite is the scale-up signal.
SCALE_UP_SIGNALS = (
    "max_cpu_percent",
    "min_freeable_memory_percent",
    "max_db_load_per_vcpu",
    "max_connections_percent",
)

# RDS event categories per source type; a category the source type lacks fails the deploy.
INSTANCE_EVENT_CATEGORIES = (
    "availability",
    "backup",
    "configuration change",
    "failover",
    "failure",
    "low storage",
    "maintenance",
    "notification",
    "recovery",
)
CLUSTER_EVENT_CATEGORIES = (
    "configuration change",
    "failover",
    "failure",
    "maintenance",
    "notification",
)

_MISSING = cloudwatch.TreatMissingData.MISSING
_NOT_BREACHING = cloudwatch.TreatMissingData.NOT_BREACHING
Applies = Callable[[DatabaseFacts], bool]


def _always(_: DatabaseFacts) -> bool:
    return True


@dataclass(frozen=True)
class AlarmSpec:
    """How one threshold becomes a CloudWatch alarm."""

    threshold: str
    slug: str
    metric_name: str
    statistic: str
    title: str
    unit: str
    missing_data: cloudwatch.TreatMissingData
    applies: Applies = _always
    critical_statistic: str | None = None
    """When the critical alarm needs another statistic than the warning."""

    def statistic_for(self, severity: str) -> str:
        if severity == "critical" and self.critical_statistic:
            return self.critical_statistic
        return self.statistic


# Missing data: metrics RDS publishes every minute while the database runs keep their state
# through a gap (MISSING: a reboot or a stopped instance does not page; RDS events cover
# availability). Metrics that are only published when there is activity or on some classes
# (I/O latency and queue, DBLoad, EBS burst balances) treat a gap as "nothing wrong".
ALARM_SPECS: tuple[AlarmSpec, ...] = (
    AlarmSpec("max_cpu_percent", "cpu", "CPUUtilization", "Average", "CPU utilization", "%",
              _MISSING),
    AlarmSpec("min_freeable_memory_percent", "freeable-memory", "FreeableMemory", "Average",
              "Freeable memory", "bytes", _MISSING),
    AlarmSpec("min_free_storage_percent", "free-storage", "FreeStorageSpace", "Minimum",
              "Free storage space", "bytes", _MISSING),
    # Warning on the average: "sustained pressure, plan a larger class". Critical on the
    # maximum: a burst that hits max_connections refuses clients within the minute, and an
    # average over the minute can stay under the limit while it does.
    AlarmSpec("max_connections_percent", "connections", "DatabaseConnections", "Average",
              "Database connections", "connections", _MISSING, critical_statistic="Maximum"),
    AlarmSpec("max_db_load_per_vcpu", "db-load", "DBLoad", "Average",
              "DB load (average active sessions)", "sessions", _NOT_BREACHING),
    AlarmSpec("max_read_latency_seconds", "read-latency", "ReadLatency", "p90",
              "Read latency", "s", _NOT_BREACHING),
    AlarmSpec("max_write_latency_seconds", "write-latency", "WriteLatency", "p90",
              "Write latency", "s", _NOT_BREACHING),
    AlarmSpec("max_disk_queue_depth", "disk-queue-depth", "DiskQueueDepth", "Average",
              "Disk queue depth", "requests", _NOT_BREACHING),
    AlarmSpec("min_ebs_byte_balance_percent", "ebs-byte-balance", "EBSByteBalance%", "Average",
              "EBS throughput burst balance", "%", _NOT_BREACHING),
    AlarmSpec("min_ebs_io_balance_percent", "ebs-io-balance", "EBSIOBalance%", "Average",
              "EBS IOPS burst balance", "%", _NOT_BREACHING),
    AlarmSpec("min_cpu_credit_balance", "cpu-credit-balance", "CPUCreditBalance", "Average",
              "CPU credit balance", "credits", _MISSING, lambda facts: facts.burstable),
    AlarmSpec("max_swap_usage_mib", "swap-usage", "SwapUsage", "Average", "Swap usage",
              "bytes", _MISSING),
    AlarmSpec("max_replica_lag_seconds", "replica-lag", "ReplicaLag", "Maximum",
              "Replica lag (readers)", "s", _MISSING,
              lambda facts: facts.deployment is Deployment.MULTI_AZ_CLUSTER),
    AlarmSpec("max_used_transaction_ids", "transaction-ids", "MaximumUsedTransactionIDs",
              "Average", "Maximum used transaction IDs", "transaction IDs", _MISSING,
              lambda facts: facts.engine is Engine.POSTGRES),
)  # fmt: skip


# What the thresholds derive from that an imported database may not have been given.
FACTS_NEEDED = {
    "instance_class": "memory, vCPU and connection thresholds derive from the class",
    "allocated_storage_gib": "the free storage thresholds derive from the storage",
}


def facts_of(database: IHighlyAvailableDatabase) -> DatabaseFacts:
    """The facts of ``database``; check ``missing_attribute_problems(database, ...,
    FACTS_NEEDED)`` first."""
    assert database.instance_class is not None and database.allocated_storage_gib is not None
    engine, deployment = rds_engine_and_deployment(database, "DatabaseAlarms", "AuroraAlarms")
    return DatabaseFacts(
        engine=engine,
        deployment=deployment,
        instance_class=database.instance_class,
        allocated_storage_gib=database.allocated_storage_gib,
        # No autoscaling ceiling known: the storage is what it is.
        max_allocated_storage_gib=(
            database.max_allocated_storage_gib or database.allocated_storage_gib
        ),
        parameters=dict(database.parameters),
    )
