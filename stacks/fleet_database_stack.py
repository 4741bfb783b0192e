"""One more database of an environment (``[environments.<env>.databases.<name>]``), in a stack of
its own that depends on the environment's stack, so that it deploys and rolls back alone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Environment, Stack, Tags
from constructs import Construct

from rds_ha import (
    DatabaseAlarms,
    DatabaseProxy,
    FailoverGameDay,
    FleetDatabase,
    HighlyAvailableDatabase,
    ReadReplicas,
    RecoveryPointWatch,
    acknowledge_rules,
)
from stacks.resilience import add_resilience

if TYPE_CHECKING:
    from stacks.database_stack import DatabaseStack


class FleetDatabaseStack(Stack):
    """The database, its key (unless the environment shares its own: ``shared_key``), its
    alarms on the environment's topic, and its membership in the environment's backup plan,
    restore testing, snapshot export and overview dashboard; and, as its settings ask, its own
    RDS Proxy, read replicas, recovery point watch and failover game day.

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
        if acknowledged := settings.compliance_acknowledgments():
            acknowledge_rules(self.database, acknowledged)
        self.alarms = DatabaseAlarms(
            self,
            "Alarms",
            database=self.database,
            topic=environment.alarms.topic,
            log_retention=config.log_retention,
            **database.alarms_props(),
        )
        self.backup = environment.backups.add_database(self.database, scope=self)
        if environment.export is not None:
            environment.export.add_database(self.database)
        if environment.dashboard is not None:
            environment.dashboard.add_database(self.alarms)
        self._add_resilience(environment, database)

    def _add_resilience(self, environment: DatabaseStack, database: FleetDatabase) -> None:
        """The database's own proxy, recovery point watch, game day and read replicas, here in
        its stack: the environment's stack never changes for one of its databases, and each
        database deploys and rolls back alone. The recovery point watch is therefore a
        function per watched database rather than one for the environment: one function would
        put every database's identifier, ARN and alarm in the environment's stack, so adding a
        database would update it (the function runs a few seconds every five minutes)."""
        settings = database.settings
        resilience = add_resilience(
            self,
            config=settings,
            database=self.database,
            alarms=self.alarms,
            # "Your RDS Proxy must be in the same virtual private cloud (VPC) as the database"
            # (RDS user guide, "Quotas and limitations for RDS Proxy"): the environment's VPC.
            vpc=environment.vpc,
            # The database's key (its own, or the environment's with shared_key).
            encryption_key=self.database.encryption_key,
            proxy=database.wants_proxy,
            recovery_point_watch=database.watches_recovery_point,
        )
        self.proxy: DatabaseProxy | None = resilience.proxy
        self.recovery_point_watch: RecoveryPointWatch | None = resilience.recovery_point_watch
        self.game_day: FailoverGameDay | None = resilience.game_day
        # Only with replicas: for a Multi-AZ DB cluster ReadReplicas publishes the reader
        # endpoint even without any, which would add resources to every cluster of a fleet.
        self.replicas: ReadReplicas | None = None
        if settings.replicas.count:
            self.replicas = ReadReplicas(
                self,
                "Replicas",
                database=self.database,
                vpc=environment.vpc,
                alarm_topic=environment.alarms.topic,
                thresholds=settings.alarm_thresholds,
                log_retention=settings.log_retention,
                **settings.replicas.replicas_props(),
            )
