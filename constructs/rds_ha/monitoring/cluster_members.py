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

# The database's metrics use the same expression: one definition, in ``rds_ha.database``.
from rds_ha.database.metrics import CLUSTER_MEMBERS, member_problems, worst_member

__all__ = ["CLUSTER_MEMBERS", "member_problems", "worst_member"]
