"""``ReplicaAlarms``: the alarms of one read replica, on the alarm topic of its primary."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_rds as rds
from aws_cdk import aws_sns as sns
from constructs import Construct

from rds_ha.catalog.engines import Deployment
from rds_ha.monitoring.alarm_specs import ALARM_SPECS, AlarmSpec
from rds_ha.monitoring.alarm_thresholds import (
    AlarmThresholds,
    DatabaseFacts,
    Direction,
    derive,
    direction_of,
)

# What can go wrong on a replica that the primary's alarms do not see: it falls behind
# (ReplicaLag, which RDS publishes for read replicas in seconds), it runs out of CPU or memory
# for the reads sent to it, or its own storage fills up.
REPLICA_THRESHOLDS = (
    "max_replica_lag_seconds",
    "max_cpu_percent",
    "min_freeable_memory_percent",
    "min_free_storage_percent",
)
SEVERITIES = ("warning", "critical")


class ReplicaAlarms(Construct):
    """Warning and critical alarms on ReplicaLag, CPU, freeable memory and free storage of one
    read replica; each notifies ``topic`` on ALARM and OK.

    :param replica: the read replica.
    :param identifier: its DB instance identifier (alarm names start with it).
    :param facts: what the thresholds are derived from (the replica's instance class, the
        primary's storage).
    :param topic: the alarm topic, e.g. the primary's ``DatabaseAlarms.topic``.
    :param thresholds: Default: ``AlarmThresholds()``, the primary's defaults.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        replica: rds.IDatabaseInstance,
        identifier: str,
        facts: DatabaseFacts,
        topic: sns.ITopic,
        thresholds: AlarmThresholds | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.identifier = identifier
        self.thresholds = thresholds or AlarmThresholds()
        self.facts = facts
        self.replica = replica
        specs = {spec.threshold: spec for spec in ALARM_SPECS}
        self.alarms: dict[str, dict[str, cloudwatch.Alarm]] = {}
        action = cw_actions.SnsAction(topic)
        for name in REPLICA_THRESHOLDS:
            self.alarms[name] = self._create_alarms(specs[name], action)

    def _create_alarms(
        self, spec: AlarmSpec, action: cw_actions.SnsAction
    ) -> dict[str, cloudwatch.Alarm]:
        timings, derived = derive(spec.threshold, self.thresholds, self.facts)
        above = direction_of(spec.threshold) is Direction.MAX
        alarms = {}
        for severity in SEVERITIES:
            level = getattr(timings, severity)
            threshold = getattr(derived, severity)
            alarm = cloudwatch.Alarm(
                self,
                f"{''.join(p.title() for p in spec.slug.split('-'))}{severity.title()}",
                alarm_name=f"{self.identifier}-{spec.slug}-{severity}",
                alarm_description=(
                    f"{severity.upper()} {self.identifier} (read replica): {spec.title} "
                    f"({spec.statistic_for(severity)}) {'above' if above else 'below'} "
                    f"{threshold:g} {spec.unit} for {level.datapoints_to_alarm} of "
                    f"{level.evaluation_periods} periods of {level.period_seconds} s."
                ),
                metric=self.replica.metric(
                    spec.metric_name,
                    statistic=spec.statistic_for(severity),
                    period=Duration.seconds(level.period_seconds),
                ),
                threshold=threshold,
                evaluation_periods=level.evaluation_periods,
                datapoints_to_alarm=level.datapoints_to_alarm,
                comparison_operator=(
                    cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
                    if above
                    else cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD
                ),
                treat_missing_data=spec.missing_data,
            )
            alarm.add_alarm_action(action)
            alarm.add_ok_action(action)
            alarms[severity] = alarm
        return alarms


def replica_facts(primary: DatabaseFacts, instance_class: str) -> DatabaseFacts:
    """The primary's facts with the replica's class; a replica is a single-AZ instance."""
    return DatabaseFacts(
        engine=primary.engine,
        deployment=Deployment.SINGLE_AZ,
        instance_class=instance_class,
        allocated_storage_gib=primary.allocated_storage_gib,
        max_allocated_storage_gib=primary.max_allocated_storage_gib,
        parameters=primary.parameters,
    )
