"""Alarms on a Multi-AZ DB cluster's member DB instances.

The RDS user guide's "Amazon CloudWatch dimensions for Amazon RDS" lists DBInstanceIdentifier,
DatabaseClass, EngineName and SourceRegion (and DbInstanceIdentifier with VolumeName), no
DBClusterIdentifier; "Amazon CloudWatch metrics for Amazon RDS" defines ReplicaLag for a
Multi-AZ DB cluster on a reader DB instance; and "Tutorial: Creating an Amazon CloudWatch alarm
for Multi-AZ DB cluster replica lag" alarms on MAX([m1,m2,m3]) of the three members'
Per-Database Metrics. RDS names the members and CloudFormation does not return them, so each
alarm is that expression over the identifiers given, or else over those that
``ClusterMemberLookup`` reads with DescribeDBClusters when the stack is deployed.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch

from rds_ha.catalog.engines import Deployment

# "A Multi-AZ DB cluster has a writer DB instance and two reader DB instances" ("Multi-AZ DB
# cluster deployments for Amazon RDS").
CLUSTER_MEMBERS = 3


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
        )
        for index, member in enumerate(members)
    }
    return cloudwatch.MathExpression(
        expression=f"{worst}([{','.join(metrics)}])",
        using_metrics=metrics,
        period=period,
        label=label,
    )
