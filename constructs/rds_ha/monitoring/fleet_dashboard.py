"""``FleetDashboard``: one overview dashboard for the databases of an environment, a row each."""

from __future__ import annotations

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from rds_ha.monitoring.database_alarms import DatabaseAlarms


class FleetDashboard(Construct):
    """A CloudWatch dashboard (``.dashboard``) with one row per database added
    (``add_database``): its composite alarms' states, CPU, free storage and connections, and a
    link to the database's own dashboard.

    The databases may be in other stacks: their alarms are named by the ARNs formatted from
    their fixed names, and their metrics by their fixed identifiers, so the dashboard's stack
    never depends on a database's stack.

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
                    f"### {identifier}\n{database.engine.value} {database.engine_version}, "
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
        )
