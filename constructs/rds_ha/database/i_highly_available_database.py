"""``IHighlyAvailableDatabase``: what rds-ha's other constructs use of a database, whether this
app deploys it (``HighlyAvailableDatabase``) or it was deployed elsewhere
(``HighlyAvailableDatabase.from_database_attributes``, an ``ImportedDatabase``).

It plays the part aws-cdk-lib's ``rds.IDatabaseInstance`` plays for ``rds.DatabaseInstance``
and ``DatabaseInstance.fromDatabaseInstanceAttributes``. It is a ``typing.Protocol``, as jsii
renders aws-cdk-lib's own interfaces in Python: a construct satisfies it by what it has, not by
inheritance. (An abstract base class cannot be one of a construct's bases: Python refuses the
metaclass conflict between jsii's ``JSIIMeta`` and ``ABCMeta``, and a ``Protocol`` base the
same.) A type checker verifies both classes against it.

An attribute typed ``... | None`` is one an imported database may lack; a construct that needs
it refuses such a database with a ``ConfigurationError`` naming the attribute
(``missing_attribute_problems``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, Unpack

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_rds as rds
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct, IConstruct, IMixin, Node

from rds_ha.catalog.aurora import AuroraDeployment, AuroraEngine
from rds_ha.catalog.credentials import CredentialsMode
from rds_ha.catalog.engines import Deployment, Engine
from rds_ha.database.metrics import MetricOptions
from rds_ha.errors import ConfigurationError


class IHighlyAvailableDatabase(Protocol):
    """An RDS DB instance or Multi-AZ DB cluster as rds-ha's constructs see it."""

    @property
    def node(self) -> Node: ...

    def with_(self, *mixins: IMixin) -> IConstruct:
        """``Construct.with_``: with ``node``, what makes the database an ``IConstruct``
        (``Stack.of(database)``)."""
        ...

    @property
    def identifier(self) -> str:
        """The DB instance or cluster identifier (lower case)."""
        ...

    @property
    def engine(self) -> Engine | AuroraEngine: ...

    @property
    def engine_version(self) -> str | None:
        """The version as deployed (a major alone or a full version), when known."""
        ...

    @property
    def deployment(self) -> Deployment | AuroraDeployment: ...

    @property
    def credentials(self) -> CredentialsMode:
        """Who keeps the master password: a secret of the stack's own, or RDS."""
        ...

    @property
    def instance_class(self) -> str | None:
        """``db.m7g.large`` and the like, when known (alarm thresholds derive from it)."""
        ...

    @property
    def allocated_storage_gib(self) -> int | None: ...

    @property
    def max_allocated_storage_gib(self) -> int | None: ...

    @property
    def backup_retention_days(self) -> int | None: ...

    @property
    def backup_window(self) -> str | None: ...

    @property
    def parameters(self) -> Mapping[str, str]:
        """The engine parameters in effect that rds-ha's rules read (may be empty)."""
        ...

    @property
    def log_types(self) -> Sequence[str]:
        """The log types exported to CloudWatch Logs."""
        ...

    @property
    def port(self) -> int: ...

    @property
    def endpoint_port(self) -> int: ...

    @property
    def endpoint_address(self) -> str:
        """The writer endpoint's address."""
        ...

    @property
    def arn(self) -> str: ...

    def arn_for(self, scope: Construct) -> str:
        """The ARN as ``scope`` should refer to it (no cross-stack reference where avoidable)."""
        ...

    @property
    def resource_id(self) -> str | None:
        """``DbiResourceId`` or ``DbClusterResourceId``, when known (IAM database auth)."""
        ...

    @property
    def encryption_key(self) -> kms.IKey | None:
        """The key of the storage, the logs and the secret, when known."""
        ...

    @property
    def secret(self) -> secretsmanager.ISecret | None:
        """The master user secret, when known."""
        ...

    @property
    def connections(self) -> ec2.Connections:
        """Its security groups and port (it is an ``ec2.IConnectable``)."""
        ...

    @property
    def security_groups(self) -> Sequence[ec2.ISecurityGroup]: ...

    @property
    def subnet_group(self) -> rds.ISubnetGroup | None: ...

    @property
    def parameter_path(self) -> str | None:
        """The SSM path under which it and the constructs around it publish their values."""
        ...

    @property
    def resource(self) -> IConstruct | None:
        """The database's own construct when this app deploys it (others depend on it),
        ``None`` when imported."""
        ...

    @property
    def cluster_member_identifiers(self) -> list[str]: ...

    def use_cluster_members(self, identifiers: Sequence[str]) -> None: ...

    def metric(
        self,
        metric_name: str,
        *,
        account: str | None = None,
        color: str | None = None,
        dimensions_map: Mapping[str, str] | None = None,
        id: str | None = None,
        label: str | None = None,
        period: Duration | None = None,
        region: str | None = None,
        stack_account: str | None = None,
        stack_region: str | None = None,
        statistic: str = "Average",
        unit: cloudwatch.Unit | None = None,
        visible: bool | None = None,
        worst: str | None = None,
    ) -> cloudwatch.IMetric: ...

    def metric_cpu_utilization(self, **options: Unpack[MetricOptions]) -> cloudwatch.IMetric: ...

    def metric_database_connections(
        self, **options: Unpack[MetricOptions]
    ) -> cloudwatch.IMetric: ...

    def metric_free_storage_space(self, **options: Unpack[MetricOptions]) -> cloudwatch.IMetric: ...

    def metric_freeable_memory(self, **options: Unpack[MetricOptions]) -> cloudwatch.IMetric: ...

    def metric_read_latency(self, **options: Unpack[MetricOptions]) -> cloudwatch.IMetric: ...

    def metric_write_latency(self, **options: Unpack[MetricOptions]) -> cloudwatch.IMetric: ...

    def metric_disk_queue_depth(self, **options: Unpack[MetricOptions]) -> cloudwatch.IMetric: ...

    def metric_db_load(self, **options: Unpack[MetricOptions]) -> cloudwatch.IMetric: ...

    def metric_swap_usage(self, **options: Unpack[MetricOptions]) -> cloudwatch.IMetric: ...

    def metric_replica_lag(self, **options: Unpack[MetricOptions]) -> cloudwatch.IMetric: ...

    def grant_connect(self, grantee: iam.IGrantable, db_user: str) -> iam.Grant: ...

    def allow_connections_from(
        self, other: ec2.IConnectable, description: str | None = None
    ) -> None: ...


# An attribute whose argument of ``from_database_attributes`` has another name (a time or size
# attribute is the number its Duration or Size argument gave).
_IMPORT_ARGUMENTS = {
    "encryption_key": "key",
    "allocated_storage_gib": "allocated_storage",
    "max_allocated_storage_gib": "max_allocated_storage",
    "backup_retention_days": "backup_retention",
}


def missing_attribute_problems(
    database: IHighlyAvailableDatabase, what: str, needs: Mapping[str, str]
) -> list[str]:
    """One line per attribute in ``needs`` (name: why ``what`` needs it) the database lacks,
    named as the argument of ``from_database_attributes`` that gives it."""
    return [
        f"{(argument := _IMPORT_ARGUMENTS.get(name, name))}=None: {what} needs it ({why}), and "
        f"{database.identifier!r} was imported without it; allowed: "
        f"HighlyAvailableDatabase.from_database_attributes(..., {argument}=...)"
        for name, why in needs.items()
        if getattr(database, name) is None
    ]


def rds_engine_and_deployment(
    database: IHighlyAvailableDatabase, what: str, instead: str
) -> tuple[Engine, Deployment]:
    """The engine and deployment of an RDS database (a DB instance or Multi-AZ DB cluster);
    ``what`` refuses an Aurora cluster with a ``ConfigurationError`` naming ``instead``."""
    engine, deployment = database.engine, database.deployment
    if isinstance(engine, Engine) and isinstance(deployment, Deployment):
        return engine, deployment
    raise ConfigurationError(
        database.node.path,
        [
            f"engine={engine.value!r}: {what} is for RDS DB instances and Multi-AZ DB "
            f"clusters; for an Aurora cluster: {instead}"
        ],
    )
