"""``FleetDashboard``: one overview dashboard for the databases of an environment, a row each."""

from __future__ import annotations

from aws_cdk import ArnFormat, Duration, Stack, Token
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from rds_ha.monitoring.database_alarms import DatabaseAlarms


class FleetDashboard(Construct):
    """A CloudWatch dashboard (``.dashboard``) with one row per database added
    (``add_database``): its composite alarms' states, CPU, free storage and connections, and a
    link to the database's own dashboard.

    The databases may be in other stacks: their alarms are named by the ARNs formatted from
    their fixed names, and their metrics by their fixed identifiers, so the dashboard's stack
    never depends on a database's stack. A Multi-AZ DB cluster in another stack whose members
    are looked up at deploy time is graphed by its CPU, connections and free storage warning
    alarms instead (the same worst-member metrics).

    :param dashboard_name: the dashboard's name (unique in the account).
    """

    def __init__(self, scope: Construct, construct_id: str, *, dashboard_name: str) -> None:
        super().__init__(scope, construct_id)
        self.dashboard = cloudwatch.Dashboard(
            self,
            "Resource",
            dashboard_name=dashboard_name,
            default_interval=Duration.hours(3),
        )
        self.identifiers: list[str] = []

    def add_database(self, alarms: DatabaseAlarms) -> None:
        """One row for the database ``alarms`` watches."""
        database = alarms.database
        identifier = database.identifier
        self.identifiers.append(identifier)
        stack = Stack.of(self)
        composites: list[cloudwatch.IAlarm] = [
            cloudwatch.Alarm.from_alarm_arn(
                self,
                f"{identifier}-{name}",
                stack.format_arn(
                    service="cloudwatch",
                    resource="alarm",
                    resource_name=name,
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                ),
            )
            for name in alarms.composite_alarm_names
        ]
        region = Stack.of(database).region
        self.dashboard.add_widgets(
            cloudwatch.TextWidget(
                markdown=(
                    f"### {identifier}\n{database.engine.value} "
                    f"{database.engine_version or '(version not given)'}, "
                    f"{database.instance_class}, {database.deployment.value}\n\n"
                    f"[Its dashboard](https://console.aws.amazon.com/cloudwatch/home?region="
                    f"{region}#dashboards/dashboard/{identifier})"
                ),
                width=6,
                height=6,
            ),
            cloudwatch.AlarmStatusWidget(
                title=f"{identifier}: composite alarms", alarms=composites, width=6, height=6
            ),
            *self._graphs(alarms, stack),
        )

    def _graphs(self, alarms: DatabaseAlarms, stack: Stack) -> list[cloudwatch.IWidget]:
        database = alarms.database
        identifier = database.identifier
        members = alarms.cluster_member_identifiers
        if Stack.of(database) is not stack and any(Token.is_unresolved(m) for m in members):
            # A cluster whose members its stack looks up at deploy time: naming them here would
            # make this stack depend on that one. Its alarms graph the same member metrics
            # and have fixed names.
            return [
                cloudwatch.AlarmWidget(
                    title=f"{identifier}: {title}",
                    alarm=cloudwatch.Alarm.from_alarm_arn(
                        self,
                        f"{identifier}-{slug}-warning",
                        stack.format_arn(
                            service="cloudwatch",
                            resource="alarm",
                            resource_name=f"{identifier}-{slug}-warning",
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        ),
                    ),
                    width=4,
                    height=6,
                )
                for slug, title in (
                    ("cpu", "CPU (%)"),
                    ("connections", "connections"),
                    ("free-storage", "free storage (bytes)"),
                )
            ]
        return [
            cloudwatch.GraphWidget(
                title=f"{identifier}: CPU (%) and connections",
                left=[database.metric_cpu_utilization(label="CPU (%)")],
                right=[database.metric_database_connections(label="Connections")],
                width=6,
                height=6,
            ),
            cloudwatch.GraphWidget(
                title=f"{identifier}: free storage (bytes)",
                left=[database.metric_free_storage_space(statistic="Minimum", label="Free")],
                width=6,
                height=6,
            ),
        ]
