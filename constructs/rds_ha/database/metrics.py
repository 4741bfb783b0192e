"""The CloudWatch metrics of a ``HighlyAvailableDatabase`` (``database.metric_cpu_utilization()``
and the rest): a DB instance's by its identifier, a Multi-AZ DB cluster's by its members'.

The RDS user guide's "Amazon CloudWatch dimensions for Amazon RDS"
(https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/dimensions.html) lists
DBInstanceIdentifier, DatabaseClass, EngineName and SourceRegion for RDS, no
DBClusterIdentifier (that is Aurora's, "Amazon CloudWatch dimensions for Aurora"): RDS
publishes a Multi-AZ DB cluster's metrics per member DB instance, so a metric of the cluster is
the worst member's, the same expression ``DatabaseAlarms`` alarms on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypedDict, Unpack

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Node

from rds_ha.catalog.engines import Deployment
from rds_ha.errors import ConfigurationError

# "A Multi-AZ DB cluster has a writer DB instance and two reader DB instances" ("Multi-AZ DB
# cluster deployments for Amazon RDS").
CLUSTER_MEMBERS = 3
# Metrics whose lowest member is the one in trouble; for the others it is the highest.
LOWER_IS_WORSE = frozenset(
    {
        "FreeableMemory",
        "FreeStorageSpace",
        "EBSByteBalance%",
        "EBSIOBalance%",
        "BurstBalance",
        "CPUCreditBalance",
    }
)


def member_problems(members: Sequence[str], deployment: Deployment) -> list[str]:
    if not members:
        return []
    if deployment is not Deployment.MULTI_AZ_CLUSTER:
        return [
            f"cluster_member_identifiers={list(members)!r}: only for a Multi-AZ DB cluster "
            f"(deployment is {deployment.value}); allowed: none"
        ]
    if len(set(members)) != CLUSTER_MEMBERS:
        return [
            f"cluster_member_identifiers={list(members)!r}: a Multi-AZ DB cluster has "
            f"{CLUSTER_MEMBERS} member DB instances; allowed: their {CLUSTER_MEMBERS} distinct "
            "identifiers"
        ]
    return []


def worst_member(
    members: Sequence[str],
    metric_name: str,
    *,
    statistic: str,
    period: Duration,
    worst: str,
    label: str,
    unit: cloudwatch.Unit | None = None,
    color: str | None = None,
    account: str | None = None,
    region: str | None = None,
    stack_account: str | None = None,
    stack_region: str | None = None,
) -> cloudwatch.MathExpression:
    """``worst`` (``MAX`` or ``MIN``) of the members' ``metric_name`` per period."""
    metrics = {
        # Ids unique per statistic: a dashboard graph holds one expression per statistic.
        f"{statistic.lower().replace('.', '_')}_{index}": cloudwatch.Metric(
            namespace="AWS/RDS",
            metric_name=metric_name,
            dimensions_map={"DBInstanceIdentifier": member},
            statistic=statistic,
            period=period,
            unit=unit,
            account=account,
            region=region,
            stack_account=stack_account,
            stack_region=stack_region,
        )
        for index, member in enumerate(members)
    }
    return cloudwatch.MathExpression(
        expression=f"{worst}([{','.join(metrics)}])",
        using_metrics=metrics,
        period=period,
        label=label,
        color=color,
    )


class MetricOptions(TypedDict, total=False):
    """The options of every ``metric_*()`` method: aws-cdk-lib's ``cloudwatch.MetricOptions``
    as keyword arguments (``metric_cpu_utilization(color="#ff0000",
    period=Duration.minutes(5))``). Default: ``statistic="Average"``, ``period`` one minute."""

    account: str
    color: str
    dimensions_map: Mapping[str, str]
    id: str
    label: str
    period: Duration
    region: str
    stack_account: str
    stack_region: str
    statistic: str
    unit: cloudwatch.Unit
    visible: bool


class DatabaseMetrics:
    """Metric methods of ``HighlyAvailableDatabase``; it supplies ``deployment``,
    ``identifier`` and ``node``.

    A DB instance's metrics have its DBInstanceIdentifier. A Multi-AZ DB cluster's are the
    worst of its three members' (``MAX([m0,m1,m2])``, ``MIN`` for free memory, storage and
    balances), each member by its DBInstanceIdentifier: the members become known when its
    ``DatabaseAlarms`` is created (given or looked up at deploy time) or through
    ``use_cluster_members``; before that a cluster's metric raises ``ConfigurationError``.
    """

    deployment: Deployment
    identifier: str
    cluster_member_identifiers: list[str]
    node: Node

    def use_cluster_members(self, identifiers: Sequence[str]) -> None:
        """The three member DB instance identifiers of this Multi-AZ DB cluster (literals, or
        tokens such as ``ClusterMemberLookup.member_identifiers``), which its metrics watch."""
        members = list(identifiers)
        problems = member_problems(members, self.deployment) or (
            [] if members else ["cluster_member_identifiers=[]: allowed: the three members"]
        )
        known = self.cluster_member_identifiers
        if known and known != members:
            problems.append(
                f"cluster_member_identifiers={members!r}: the members are already "
                f"{known!r}; allowed: the same identifiers"
            )
        if problems:
            raise ConfigurationError(self.node.path, problems)
        self.cluster_member_identifiers = members

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
    ) -> cloudwatch.IMetric:
        """Any AWS/RDS metric of this database: a ``Metric`` of a DB instance, the worst member's
        ``MathExpression`` of a Multi-AZ DB cluster. The options are ``cloudwatch.Metric``'s.

        :param dimensions_map: a DB instance's dimensions. Default: its
            ``DBInstanceIdentifier`` (a map given replaces it, as in aws-cdk-lib's
            ``DatabaseInstance.metric``). Not for a cluster, whose members fix theirs.
        :param id: a DB instance's metric only (a ``MathExpression`` has no id).
        :param visible: a DB instance's metric only.
        :param worst: of a cluster's members, ``MAX`` or ``MIN``. Default: ``MIN`` for the
            metrics whose low values are the trouble (``LOWER_IS_WORSE``), else ``MAX``.
        """
        period = period or Duration.minutes(1)
        if self.deployment is not Deployment.MULTI_AZ_CLUSTER:
            return cloudwatch.Metric(
                namespace="AWS/RDS",
                metric_name=metric_name,
                dimensions_map=(
                    {"DBInstanceIdentifier": self.identifier}
                    if dimensions_map is None
                    else dimensions_map
                ),
                statistic=statistic,
                period=period,
                unit=unit,
                label=label,
                color=color,
                account=account,
                region=region,
                stack_account=stack_account,
                stack_region=stack_region,
                id=id,
                visible=visible,
            )
        problems = [
            f"{field}={value!r}: not for a Multi-AZ DB cluster's metric, a MathExpression over "
            "its members' DBInstanceIdentifier; allowed: none"
            for field, value in (
                ("dimensions_map", dimensions_map),
                ("id", id),
                ("visible", visible),
            )
            if value is not None
        ]
        if not self.cluster_member_identifiers:
            problems.append(
                f"metric({metric_name!r}): RDS publishes a Multi-AZ DB cluster's metrics "
                "per member DB instance, and the members of "
                f"{self.identifier!r} are not known yet; allowed: after its "
                "DatabaseAlarms (which learns them) or use_cluster_members([...])"
            )
        worst = worst or ("MIN" if metric_name in LOWER_IS_WORSE else "MAX")
        if worst not in ("MAX", "MIN"):
            problems.append(f"worst={worst!r}: allowed: 'MAX' or 'MIN'")
        if problems:
            raise ConfigurationError(self.node.path, problems)
        return worst_member(
            self.cluster_member_identifiers,
            metric_name,
            statistic=statistic,
            period=period,
            worst=worst,
            label=label or f"{metric_name} ({worst} of the members)",
            unit=unit,
            color=color,
            account=account,
            region=region,
            stack_account=stack_account,
            stack_region=stack_region,
        )

    def metric_cpu_utilization(self, **options: Unpack[MetricOptions]) -> cloudwatch.IMetric:
        return self.metric("CPUUtilization", **options)

    def metric_freeable_memory(self, **options: Unpack[MetricOptions]) -> cloudwatch.IMetric:
        """Bytes."""
        return self.metric("FreeableMemory", **options)

    def metric_free_storage_space(self, **options: Unpack[MetricOptions]) -> cloudwatch.IMetric:
        """Bytes."""
        return self.metric("FreeStorageSpace", **options)

    def metric_database_connections(self, **options: Unpack[MetricOptions]) -> cloudwatch.IMetric:
        return self.metric("DatabaseConnections", **options)

    def metric_read_latency(self, **options: Unpack[MetricOptions]) -> cloudwatch.IMetric:
        """Seconds."""
        return self.metric("ReadLatency", **options)

    def metric_write_latency(self, **options: Unpack[MetricOptions]) -> cloudwatch.IMetric:
        """Seconds."""
        return self.metric("WriteLatency", **options)

    def metric_disk_queue_depth(self, **options: Unpack[MetricOptions]) -> cloudwatch.IMetric:
        return self.metric("DiskQueueDepth", **options)

    def metric_db_load(self, **options: Unpack[MetricOptions]) -> cloudwatch.IMetric:
        """Average active sessions (Performance Insights)."""
        return self.metric("DBLoad", **options)

    def metric_swap_usage(self, **options: Unpack[MetricOptions]) -> cloudwatch.IMetric:
        """Bytes."""
        return self.metric("SwapUsage", **options)

    def metric_replica_lag(self, **options: Unpack[MetricOptions]) -> cloudwatch.IMetric:
        """Seconds; of a Multi-AZ DB cluster, the most lagging member (RDS defines a cluster's
        ReplicaLag on its reader DB instances)."""
        return self.metric("ReplicaLag", **options)
