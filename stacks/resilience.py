"""The resilience features of one database, for the environment's stack and for each fleet
database's stack alike: RDS Proxy, the recovery point watch and the failover game day."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from constructs import Construct

from rds_ha import (
    DatabaseAlarms,
    DatabaseProxy,
    EnvironmentConfig,
    FailoverGameDay,
    HighlyAvailableDatabase,
    RecoveryPointWatch,
)


@dataclass(frozen=True)
class Resilience:
    proxy: DatabaseProxy | None
    recovery_point_watch: RecoveryPointWatch | None
    game_day: FailoverGameDay | None


def add_resilience(
    scope: Construct,
    *,
    config: EnvironmentConfig,
    database: HighlyAvailableDatabase,
    alarms: DatabaseAlarms,
    vpc: ec2.IVpc,
    encryption_key: kms.IKey,
    proxy: bool,
    recovery_point_watch: bool,
) -> Resilience:
    """The enabled features, under the ids ``Proxy``, ``RecoveryPointWatch`` and ``GameDay`` of
    ``scope`` (public API: they make the logical ids). ``config`` is the database's settings."""
    resilience = config.resilience
    database_proxy = None
    if proxy:
        # The proxy lets itself into the database's port; applications are let in with
        # proxy.allow_connections_from(...).
        database_proxy = DatabaseProxy(
            scope,
            "Proxy",
            database=database,
            vpc=vpc,
            alarm_topic=alarms.topic,
            **resilience.proxy_props(),
        )
    watch = None
    if recovery_point_watch:
        watch = RecoveryPointWatch(
            scope,
            "RecoveryPointWatch",
            databases=[database],
            alarm_topic=alarms.topic,
            encryption_key=encryption_key,
            log_retention=config.log_retention,
            **resilience.recovery_point_props(),
        )
    game_day = None
    if resilience.game_day:
        game_day = FailoverGameDay(
            scope,
            "GameDay",
            database=database,
            stop_condition_alarm=alarms.at_risk,
            encryption_key=encryption_key,
            log_retention=config.log_retention,
        )
    return Resilience(proxy=database_proxy, recovery_point_watch=watch, game_day=game_day)
