"""Metric methods and the ``IHighlyAvailableDatabase`` attributes of ``AuroraDatabase`` (a mixin:
``self`` is the construct, which supplies ``identifier``, ``node`` and the attributes read)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Unpack

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_rds as rds
from constructs import Node

from rds_ha.catalog.aurora import SERVERLESS_CLASS
from rds_ha.database.metrics import MetricOptions
from rds_ha.errors import ConfigurationError


class AuroraMetrics:
    """An Aurora cluster's metrics (``DBClusterIdentifier``, or one instance's) and what the
    other constructs read of it."""

    identifier: str
    node: Node
    port: int
    writer_instance_class: str | None
    cluster_parameters: Mapping[str, str]
    security_group: ec2.SecurityGroup
    instance_identifiers: list[str]
    cluster: rds.DatabaseCluster
    _connections: ec2.Connections

    def metric(
        self,
        metric_name: str,
        *,
        account: str | None = None,
        color: str | None = None,
        dimensions_map: Mapping[str, str] | None = None,
        id: str | None = None,
        label: str | None = None,
        period: Duration | None = None,
        region: str | None = None,
        stack_account: str | None = None,
        stack_region: str | None = None,
        statistic: str = "Average",
        unit: cloudwatch.Unit | None = None,
        visible: bool | None = None,
        worst: str | None = None,
    ) -> cloudwatch.Metric:
        """An AWS/RDS metric of the cluster (dimension ``DBClusterIdentifier``, which Aurora
        publishes for its cluster-level metrics). The options are ``cloudwatch.Metric``'s."""
        if worst is not None:
            raise ConfigurationError(
                self.node.path,
                [
                    f"worst={worst!r}: not for an Aurora cluster's metric, which Aurora "
                    "aggregates itself; allowed: none (metric_instance for one instance)"
                ],
            )
        return cloudwatch.Metric(
            namespace="AWS/RDS",
            metric_name=metric_name,
            dimensions_map=dimensions_map or {"DBClusterIdentifier": self.identifier},
            statistic=statistic,
            period=period or Duration.minutes(1),
            account=account,
            color=color,
            id=id,
            label=label,
            region=region,
            stack_account=stack_account,
            stack_region=stack_region,
            unit=unit,
            visible=visible,
        )

    def metric_instance(
        self, instance_identifier: str, metric_name: str, **options: Unpack[MetricOptions]
    ) -> cloudwatch.Metric:
        """An AWS/RDS metric of one DB instance of the cluster (``DBInstanceIdentifier``)."""
        options["dimensions_map"] = {"DBInstanceIdentifier": instance_identifier}
        return self.metric(metric_name, **options)

    def metric_cpu_utilization(self, **options: Unpack[MetricOptions]) -> cloudwatch.IMetric:
        return self.metric("CPUUtilization", **options)

    def metric_database_connections(self, **options: Unpack[MetricOptions]) -> cloudwatch.IMetric:
        return self.metric("DatabaseConnections", **options)

    def metric_free_storage_space(self, **options: Unpack[MetricOptions]) -> cloudwatch.IMetric:
        """Bytes of local (temporary) storage: an Aurora volume grows by itself, to 128 TiB."""
        return self.metric("FreeLocalStorage", **options)

    def metric_freeable_memory(self, **options: Unpack[MetricOptions]) -> cloudwatch.IMetric:
        return self.metric("FreeableMemory", **options)

    def metric_read_latency(self, **options: Unpack[MetricOptions]) -> cloudwatch.IMetric:
        return self.metric("ReadLatency", **options)

    def metric_write_latency(self, **options: Unpack[MetricOptions]) -> cloudwatch.IMetric:
        return self.metric("WriteLatency", **options)

    def metric_disk_queue_depth(self, **options: Unpack[MetricOptions]) -> cloudwatch.IMetric:
        return self.metric("DiskQueueDepth", **options)

    def metric_db_load(self, **options: Unpack[MetricOptions]) -> cloudwatch.IMetric:
        return self.metric("DBLoad", **options)

    def metric_swap_usage(self, **options: Unpack[MetricOptions]) -> cloudwatch.IMetric:
        return self.metric("SwapUsage", **options)

    def metric_replica_lag(self, **options: Unpack[MetricOptions]) -> cloudwatch.IMetric:
        """Milliseconds: the most lagging reader (``AuroraReplicaLagMaximum``)."""
        return self.metric("AuroraReplicaLagMaximum", **options)

    # --- what rds-ha's other constructs read (IHighlyAvailableDatabase) ----------------------

    @property
    def instance_class(self) -> str:
        """The writer's class, ``db.serverless`` for Serverless v2."""
        return self.writer_instance_class or SERVERLESS_CLASS

    @property
    def allocated_storage_gib(self) -> None:
        """None: an Aurora volume has no allocated size, it grows with the data."""
        return None

    @property
    def max_allocated_storage_gib(self) -> None:
        return None

    @property
    def parameters(self) -> Mapping[str, str]:
        return self.cluster_parameters

    @property
    def endpoint_port(self) -> int:
        return self.port

    @property
    def security_groups(self) -> list[ec2.ISecurityGroup]:
        return [self.security_group]

    @property
    def cluster_member_identifiers(self) -> list[str]:
        return list(self.instance_identifiers)

    def use_cluster_members(self, identifiers: Sequence[str]) -> None:
        """An Aurora cluster's instances have fixed identifiers; only they are accepted."""
        if list(identifiers) != self.instance_identifiers:
            raise ConfigurationError(
                self.node.path,
                [
                    f"cluster_member_identifiers={list(identifiers)!r}: the instances are "
                    f"{self.instance_identifiers!r}; allowed: the same identifiers"
                ],
            )

    def allow_connections_from(
        self, other: ec2.IConnectable, description: str | None = None
    ) -> None:
        self._connections.allow_default_port_from(
            other, description or f"Database clients of {self.identifier}"
        )

    def grant_connect(self, grantee: iam.IGrantable, db_user: str) -> iam.Grant:
        """IAM database authentication as ``db_user``."""
        return self.cluster.grant_connect(grantee, db_user)
