"""Aurora Global Database: ``AuroraGlobalCluster`` makes an ``AuroraDatabase`` the primary of a
global database (``AWS::RDS::GlobalCluster`` from the existing cluster, so its data and endpoint
stay), and ``GlobalDatabaseAlarms`` watches a secondary cluster's replication from the primary
(an ``AuroraDatabase(global_cluster_identifier=...)`` in another region's stack)."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_rds as rds
from aws_cdk import aws_sns as sns
from constructs import Construct

from rds_ha.aurora.aurora_database import AuroraDatabase
from rds_ha.catalog.aurora import AuroraEngine
from rds_ha.catalog.aurora_rules import aurora_cite
from rds_ha.database import defaults
from rds_ha.errors import ConfigurationError

# The replication lag past which the secondary's data-loss window (RPO) is no longer "typically
# under a second" (Aurora User Guide, "Using Amazon Aurora global databases").
REPLICATION_LAG_MILLISECONDS = 1000


def global_cluster_identifier_of(primary_identifier: str) -> str:
    """``<primary>-global``: fixed, so that the secondary's stack names it without a reference."""
    return f"{primary_identifier}-global"


class AuroraGlobalCluster(Construct):
    """The global database whose primary is ``primary`` (in ``primary``'s stack).

    CloudFormation creates it from the existing cluster (``SourceDBClusterIdentifier``, the
    cluster's ARN; Engine, EngineVersion and StorageEncrypted are then the cluster's), with
    deletion protection; it is kept when it leaves the stack (``RETAIN_NAMED``), as the cluster
    is. Deploy the secondary's stack after this one.
    """

    def __init__(self, scope: Construct, construct_id: str, *, primary: AuroraDatabase) -> None:
        super().__init__(scope, construct_id)
        if primary.backtrack_window_hours:
            raise ConfigurationError(
                self.node.path,
                [
                    aurora_cite(
                        "aurora.global-no-backtrack",
                        f"backtrack_window_hours={primary.backtrack_window_hours:g} on "
                        f"{primary.identifier!r}: allowed: 0 for a global database's primary",
                    )
                ],
            )
        self.identifier = global_cluster_identifier_of(primary.identifier)
        self.primary = primary
        self.resource = rds.CfnGlobalCluster(
            self,
            "Resource",
            global_cluster_identifier=self.identifier,
            source_db_cluster_identifier=primary.arn,
            deletion_protection=True,
        )
        self.resource.apply_removal_policy(defaults.RETAIN_NAMED)


class GlobalDatabaseAlarms(Construct):
    """A secondary cluster's replication alarms, on ``alarm_topic`` (in its region):
    ``AuroraGlobalDBReplicationLag`` and, for Aurora PostgreSQL, ``AuroraGlobalDBRPOLag`` (both
    milliseconds, dimension ``DBClusterIdentifier`` of the secondary; Aurora User Guide,
    "Monitoring an Amazon Aurora global database")."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        secondary: AuroraDatabase,
        alarm_topic: sns.ITopic,
        runbook_url: str,
        threshold_milliseconds: float = REPLICATION_LAG_MILLISECONDS,
    ) -> None:
        super().__init__(scope, construct_id)
        names = ["AuroraGlobalDBReplicationLag"]
        if secondary.engine is AuroraEngine.AURORA_POSTGRESQL:
            names.append("AuroraGlobalDBRPOLag")
        action = cw_actions.SnsAction(alarm_topic)
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        region = Stack.of(secondary).region
        for name in names:
            slug = "global-replication-lag" if name.endswith("ReplicationLag") else "global-rpo-lag"
            alarm = cloudwatch.Alarm(
                self,
                name,
                alarm_name=f"{secondary.identifier}-{slug}",
                alarm_description=(
                    f"{secondary.identifier} ({region}): {name} above "
                    f"{threshold_milliseconds:g} ms for 5 minutes: a global failover now would "
                    f"lose that much. Runbook: {runbook_url}#{slug}"
                ),
                metric=secondary.metric(name, statistic="Maximum", period=Duration.minutes(1)),
                threshold=threshold_milliseconds,
                evaluation_periods=5,
                datapoints_to_alarm=5,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                # No data: replication is not reported, so the data-loss window is unknown.
                treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
            )
            alarm.add_alarm_action(action)
            alarm.add_ok_action(action)
            self.alarms[name] = alarm
