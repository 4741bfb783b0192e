"""A fleet: one network stack, a stack per database (each with its alarms and backups), and
a FleetDashboard stack with a row per database."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks
from constructs import Construct

from rds_ha import (
    DatabaseAlarms,
    DatabaseBackups,
    DatabaseNetwork,
    Engine,
    FleetDashboard,
    HighlyAvailableDatabase,
    create_database_key,
)

ENV = cdk.Environment(account="123456789012", region="eu-west-1")
# The fleet: identifier -> (engine, instance class). Add a line to add a database.
DATABASES = {
    "orders": (Engine.POSTGRES, "db.r7g.large"),
    "customers": (Engine.POSTGRES, "db.m7g.large"),
    "inventory": (Engine.MYSQL, "db.m7g.large"),
}


class NetworkStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.vpc = DatabaseNetwork(
            self,
            "Network",
            cidr="10.3.0.0/16",
            encryption_key=create_database_key(self, "FlowLogsKey", description="VPC flow logs"),
            log_retention=logs.RetentionDays.ONE_YEAR,
            log_group_suffix=self.stack_name,
        ).vpc


class FleetDatabaseStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        identifier: str,
        engine: Engine,
        instance_class: str,
        **kwargs: object,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # The first database's stack makes the VPC's Secrets Manager endpoint for its password
        # rotation function (one endpoint per service per VPC); the others' functions share it.
        database = HighlyAvailableDatabase(
            self,
            "Database",
            vpc=vpc,
            identifier=identifier,
            engine=engine,
            instance_class=instance_class,
        )
        self.alarms = DatabaseAlarms(
            self, "Alarms", database=database, alarm_emails=["dba@example.com"]
        )
        DatabaseBackups(self, "Backups", database=database)


class DashboardStack(cdk.Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, fleet: list[DatabaseAlarms], **kwargs: object
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        dashboard = FleetDashboard(self, "Fleet", dashboard_name="fleet-databases")
        for alarms in fleet:
            dashboard.add_database(alarms)


app = cdk.App()
network = NetworkStack(app, "FleetNetwork", env=ENV)
fleet = [
    FleetDatabaseStack(
        app,
        f"Fleet-{identifier}",
        vpc=network.vpc,
        identifier=identifier,
        engine=engine,
        instance_class=instance_class,
        env=ENV,
    ).alarms
    for identifier, (engine, instance_class) in DATABASES.items()
]
DashboardStack(app, "FleetDashboard", fleet=fleet, env=ENV)
# The four compliance packs, as validation plugins: `cdk synth` fails on any finding.
cdk.Validations.of(app).add_plugins(
    AwsSolutionsChecks(app), HIPAASecurityChecks(app), NIST80053R5Checks(app), PCIDSS321Checks(app)
)
app.synth()
