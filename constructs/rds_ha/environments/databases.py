"""Fleets: the ``[environments.<env>.databases.<name>]`` tables, each one more database of the
environment, its keys over the environment's own (which are the defaults).

The environment's own database (the keys on the environment) stays where it is, in the stack
``rds-ha-<env>``; each database declared here gets a stack of its own, ``rds-ha-<env>-<name>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from rds_ha.catalog.credentials import CredentialsMode
from rds_ha.catalog.engines import Deployment, Engine
from rds_ha.environments.compliance import ExceptionName
from rds_ha.environments.tables import AlarmOverride, _Strict

if TYPE_CHECKING:
    from rds_ha.environments.config import EnvironmentConfig

# A database's name is part of its stack name and of its default identifier
# (``rds-ha-<env>-<name>``), so it follows the RDS identifier rules: letter first, lower-case
# letters, digits and hyphens, no trailing or double hyphen.
NAME_PATTERN = re.compile(r"^[a-z](?!.*--)[a-z0-9-]{0,62}(?<!-)$")
# ``rds-ha-<env>-dr`` is the environment's disaster-recovery stack, ``rds-ha-<env>-dr-replica``
# its DR region read replica's.
RESERVED_NAMES = frozenset({"dr", "dr-replica"})
# Alarm overrides merge by threshold name and compliance exceptions by setting (a database's
# wins). ``parameters`` is a key like the
# others: a database's table replaces the environment's, since engines may differ.
MERGED_TABLES = ("alarms", "compliance_exceptions")
# ``resilience`` and ``replicas`` merge by key: a key the database leaves out is the
# environment's.
MERGED_SETTINGS = ("resilience", "replicas")


class DatabaseResilience(_Strict):
    """A database's ``resilience`` table: the keys of ``[environments.<env>.resilience]``, each
    the environment's where left out. The pool is checked once merged (a database may set one
    percentage against the environment's other)."""

    proxy: bool | None = None
    proxy_max_connections_percent: int | None = None
    proxy_max_idle_connections_percent: int | None = None
    proxy_idle_client_timeout_seconds: int | None = None
    proxy_connection_borrow_timeout_seconds: int | None = None
    recovery_point_alarm_minutes: int | None = Field(default=None, ge=10)
    recovery_point_watch: bool | None = None
    game_day: bool | None = None


class DatabaseReplicas(_Strict):
    """A database's ``replicas`` table: the keys of ``[environments.<env>.replicas]``, each the
    environment's where left out."""

    count: int | None = None
    instance_class: str | None = None


class DatabaseConfig(_Strict):
    """One ``[environments.<env>.databases.<name>]`` table; a key left out is the
    environment's. Environment-wide keys (account, region, network, backups, alarm e-mails,
    ``shared_key``) are not allowed here: the databases of an environment share them."""

    engine: Engine | None = None
    engine_version: str | None = None
    auto_minor_version_upgrade: bool | None = None
    allow_major_version_upgrade: bool | None = None
    parameter_groups_by_major: bool | None = None
    instance_class: str | None = None
    deployment: Deployment | None = None
    allocated_storage_gib: int | None = None
    max_allocated_storage_gib: int | None = None
    backup_retention_days: int | None = None
    backup_window: str | None = None
    maintenance_window: str | None = None
    deletion_protection: bool | None = None
    removal_policy: Literal["retain", "snapshot", "destroy"] | None = None
    database_identifier: str | None = Field(
        default=None, description="Default: rds-ha-<env>-<name> (never the environment's)."
    )
    database_name: str | None = None
    master_username: str | None = None
    credentials: CredentialsMode | None = None
    master_password_rotation_days: int | None = None
    port: int | None = None
    monitoring_interval_seconds: int | None = None
    log_retention_days: int | None = None
    parameters: dict[str, str | int | float] | None = Field(
        default=None, description="Replaces the environment's parameters (an empty table: none)."
    )
    alarms: dict[str, AlarmOverride] = Field(default_factory=dict)
    resilience: DatabaseResilience = Field(default_factory=DatabaseResilience)
    replicas: DatabaseReplicas = Field(default_factory=DatabaseReplicas)
    compliance_exceptions: dict[ExceptionName, str] = Field(default_factory=dict)


def default_identifier(environment: str, name: str) -> str:
    return f"rds-ha-{environment}-{name}"


@dataclass(frozen=True)
class FleetDatabase:
    """One database of an environment's fleet: its name, its environment, and ``settings``,
    the environment's keys with the database's own over them (an ``EnvironmentConfig``, so it
    gives the same construct properties and is checked by the same rules)."""

    name: str
    environment: EnvironmentConfig
    settings: EnvironmentConfig

    @property
    def stack_name(self) -> str:
        return f"{self.environment.stack_name}-{self.name}"

    @property
    def identifier(self) -> str:
        return self.settings.identifier

    def database_props(self) -> dict[str, Any]:
        return self.settings.database_props()

    def alarms_props(self) -> dict[str, Any]:
        """``DatabaseAlarms`` arguments but ``database`` and ``topic`` (the environment's)."""
        return {
            "thresholds": self.settings.alarm_thresholds,
            "runbook_url": self.settings.alarm_runbook_url,
        }

    @property
    def wants_proxy(self) -> bool:
        settings = self.settings
        return settings.resilience.wants_proxy(
            production=settings.is_production, deployment=settings.deployment
        )

    @property
    def watches_recovery_point(self) -> bool:
        return self.settings.resilience.watches_recovery_point(fleet=True)

    def problems(self) -> list[str]:
        """The rules of a database applied to the merged settings, without the problems the
        environment reports itself (an inherited typo is reported once, on the environment)."""
        own = set(self.environment.problems())
        return [problem for problem in self.settings.problems() if problem not in own]


def resolve(environment: EnvironmentConfig, name: str, table: DatabaseConfig) -> FleetDatabase:
    own = table.model_dump(exclude_none=True, exclude={*MERGED_TABLES, *MERGED_SETTINGS})
    merged: dict[str, Any] = {
        key: {**getattr(environment, key), **getattr(table, key)} for key in MERGED_TABLES
    }
    # Not validated again here: FleetDatabase.problems() checks the merged values.
    merged |= {
        key: getattr(environment, key).model_copy(
            update=getattr(table, key).model_dump(exclude_none=True)
        )
        for key in MERGED_SETTINGS
    }
    # The DR region's read replica (replicas.cross_region) is the environment's own database's
    # only: a fleet database neither inherits it nor is checked against its rules.
    merged["replicas"] = merged["replicas"].model_copy(
        update={"cross_region": False, "cross_region_instance_class": None}
    )
    settings = environment.model_copy(
        update={
            **own,
            **merged,
            "database_identifier": table.database_identifier
            or default_identifier(environment.name, name),
            "databases": {},
        }
    )
    return FleetDatabase(name=name, environment=environment, settings=settings)


def name_problems(name: str) -> list[str]:
    if not NAME_PATTERN.match(name):
        return [
            f"databases.{name}: the name must be 1-63 lower-case letters, digits or hyphens, "
            "start with a letter, and have no trailing or double hyphen (it names the stack "
            "rds-ha-<env>-<name> and the default identifier)"
        ]
    if name in RESERVED_NAMES:
        return [
            f"databases.{name}: reserved (rds-ha-<env>-{name} is the environment's "
            f"disaster-recovery stack); allowed: any other name"
        ]
    return []


def fleet_problems(environments: dict[str, EnvironmentConfig]) -> list[str]:
    """What no single environment can see: an identifier used twice in one account and region
    (RDS identifiers are unique per account and region, and lower-cased by RDS) and a stack
    name used twice in the file (one app, one id per stack)."""
    problems: list[str] = []
    identifiers: dict[tuple[str, str, str], str] = {}
    stacks: dict[str, str] = {}

    def claim(stack_name: str, where: str) -> None:
        first = stacks.setdefault(stack_name, where)
        if first != where:
            problems.append(
                f"{where} stack name {stack_name!r}: already the stack of {first}; allowed: "
                "a name whose stack name is unused"
            )

    for environment in environments.values():
        where = f"[{environment.name}]"
        entries = [(where, environment.identifier)]
        claim(environment.stack_name, where)
        if environment.backups.dr_region:
            claim(f"{environment.stack_name}-dr", f"{where} (its DR stack)")
        for database in environment.fleet:
            where = f"[{environment.name}.databases.{database.name}]"
            entries.append((where, database.identifier))
            claim(database.stack_name, where)
        for where, identifier in entries:
            key = (environment.account, environment.region, identifier.lower())
            first = identifiers.setdefault(key, where)
            if first != where:
                problems.append(
                    f"{where} database_identifier={identifier!r}: already used by {first} in "
                    f"account {environment.account}, region {environment.region}; allowed: an "
                    "identifier unique in the account and region"
                )
    return problems
