"""The CloudWatch metrics of a ``HighlyAvailableDatabase`` (``database.metric_cpu_utilization()``
and the rest), keyed by its identifier."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch

from rds_ha.catalog.engines import Deployment


class DatabaseMetrics:
    """Metric methods of ``HighlyAvailableDatabase``; it supplies ``deployment`` and
    ``identifier``."""

    deployment: Deployment
    identifier: str

    @property
    def metric_dimensions(self) -> dict[str, str]:
        # RDS publishes a Multi-AZ DB cluster's metrics per member DB instance: DatabaseAlarms
        # watches the members (monitoring.cluster_members); these are for an instance.
        if self.deployment is Deployment.MULTI_AZ_CLUSTER:
            return {"DBClusterIdentifier": self.identifier}
        return {"DBInstanceIdentifier": self.identifier}

    def metric(
        self,
        metric_name: str,
        *,
        statistic: str = "Average",
        period: Duration | None = None,
        unit: cloudwatch.Unit | None = None,
        label: str | None = None,
    ) -> cloudwatch.Metric:
        """Any AWS/RDS metric of this database."""
        return cloudwatch.Metric(
            namespace="AWS/RDS",
            metric_name=metric_name,
            dimensions_map=self.metric_dimensions,
            statistic=statistic,
            period=period or Duration.minutes(1),
            unit=unit,
            label=label,
        )

    def metric_cpu_utilization(self, **kwargs: object) -> cloudwatch.Metric:
        return self.metric("CPUUtilization", **kwargs)  # type: ignore[arg-type]

    def metric_freeable_memory(self, **kwargs: object) -> cloudwatch.Metric:
        """Bytes."""
        return self.metric("FreeableMemory", **kwargs)  # type: ignore[arg-type]

    def metric_free_storage_space(self, **kwargs: object) -> cloudwatch.Metric:
        """Bytes."""
        return self.metric("FreeStorageSpace", **kwargs)  # type: ignore[arg-type]

    def metric_database_connections(self, **kwargs: object) -> cloudwatch.Metric:
        return self.metric("DatabaseConnections", **kwargs)  # type: ignore[arg-type]

    def metric_read_latency(self, **kwargs: object) -> cloudwatch.Metric:
        """Seconds."""
        return self.metric("ReadLatency", **kwargs)  # type: ignore[arg-type]

    def metric_write_latency(self, **kwargs: object) -> cloudwatch.Metric:
        """Seconds."""
        return self.metric("WriteLatency", **kwargs)  # type: ignore[arg-type]

    def metric_disk_queue_depth(self, **kwargs: object) -> cloudwatch.Metric:
        return self.metric("DiskQueueDepth", **kwargs)  # type: ignore[arg-type]

    def metric_db_load(self, **kwargs: object) -> cloudwatch.Metric:
        """Average active sessions (Performance Insights)."""
        return self.metric("DBLoad", **kwargs)  # type: ignore[arg-type]

    def metric_swap_usage(self, **kwargs: object) -> cloudwatch.Metric:
        """Bytes."""
        return self.metric("SwapUsage", **kwargs)  # type: ignore[arg-type]

    def metric_replica_lag(self, **kwargs: object) -> cloudwatch.Metric:
        """Seconds."""
        return self.metric("ReplicaLag", **kwargs)  # type: ignore[arg-type]
