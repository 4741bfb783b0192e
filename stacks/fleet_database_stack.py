"""One more database of an environment (``[environments.<env>.databases.<name>]``), in a stack of
its own that depends on the environment's stack, so that it deploys and rolls back alone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Environment, Stack, Tags
from constructs import Construct

from rds_ha import DatabaseAlarms, FleetDatabase, HighlyAvailableDatabase

if TYPE_CHECKING:
    from stacks.database_stack import DatabaseStack


class FleetDatabaseStack(Stack):
    """The database, its key (unless the environment shares its own: ``shared_key``), its
    alarms on the environment's topic, and its membership in the environment's backup plan,
    restore testing, snapshot export and overview dashboard.

    Only this stack refers to the environment's stack (VPC, topic, plan, key), never the other
    way round: the shared constructs name this database by its fixed identifier.
    """

    def __init__(
        self, scope: Construct, *, environment: DatabaseStack, database: FleetDatabase
    ) -> None:
        config = environment.config
        settings = database.settings
        super().__init__(
            scope,
            database.stack_name,
            env=Environment(account=config.account, region=config.region),
            description=(
                f"rds-ha {config.name}: highly available {settings.engine.value} database "
                f"{database.identifier}"
            ),
            termination_protection=config.is_production,
        )
        self.config = settings
        self.fleet_database = database
        self.add_stack_dependency(environment, "the VPC, alarm topic and backup plan it uses")
        Tags.of(self).add("rds-ha:environment", config.name)
        Tags.of(self).add("rds-ha:database", database.name)
        self.database = HighlyAvailableDatabase(
            self,
            "Database",
            vpc=environment.vpc,
            encryption_key=environment.key if config.shared_key else None,
            **database.database_props(),
        )
        self.alarms = DatabaseAlarms(
            self,
            "Alarms",
            database=self.database,
            topic=environment.alarms.topic,
            **database.alarms_props(),
        )
        self.backup = environment.backups.add_database(self.database, scope=self)
        if environment.export is not None:
            environment.export.add_database(self.database)
        if environment.dashboard is not None:
            environment.dashboard.add_database(self.alarms)
