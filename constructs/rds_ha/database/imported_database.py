"""``ImportedDatabase``: a database deployed elsewhere (another app, the console, Terraform) as
an ``IHighlyAvailableDatabase``, made by ``HighlyAvailableDatabase.from_database_attributes``.

Like aws-cdk-lib's ``DatabaseInstance.fromDatabaseInstanceAttributes`` it creates nothing and
reads nothing from AWS at synth: it holds the attributes given. The constructs that take it
(alarms, backups, snapshot export, proxy, replicas, recovery point watch, game day) build their
own resources around it and refuse, naming the attribute, where they need one it was not given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import jsii
from aws_cdk import ArnFormat, Duration, Size, Stack, Token
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_rds as rds
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct, IConstruct

from rds_ha.catalog.credentials import CredentialsMode
from rds_ha.catalog.engines import PROFILES, Deployment, Engine
from rds_ha.database import defaults
from rds_ha.database.access import DatabaseAccess
from rds_ha.database.metrics import DatabaseMetrics, member_problems
from rds_ha.database.units import whole_days, whole_gib
from rds_ha.database.validation import coerce_choice
from rds_ha.errors import ConfigurationError


@jsii.implements(ec2.IConnectable)
class ImportedDatabase(DatabaseAccess, DatabaseMetrics, Construct):
    """An existing RDS DB instance or Multi-AZ DB cluster, by identifier and attributes.

    :param instance_identifier: the DB instance (or cluster) identifier, as RDS stores it
        (lower case).
    :param endpoint_address: the writer endpoint's address.
    :param port: the port it listens on.
    :param engine: ``Engine.POSTGRES``, ``MYSQL`` or ``MARIADB`` (a string is read
        case-insensitively).
    :param security_groups: its VPC security groups; ``connections`` opens them.
    :param deployment: Default: ``Deployment.MULTI_AZ_INSTANCE``.
    :param engine_version: Default: unknown (``DatabaseProxy`` needs it).
    :param instance_class: Default: unknown (``DatabaseAlarms`` derives its thresholds from it;
        read replicas default to it).
    :param allocated_storage: its storage, whole GiB (``Size.gibibytes(200)``). Default:
        unknown (``DatabaseAlarms`` needs it).
    :param max_allocated_storage: the storage autoscaling ceiling, whole GiB. Default: none (no
        autoscaling; alarms measure free storage against ``allocated_storage``).
    :param backup_retention: its automated backup retention, whole days
        (``Duration.days(7)``). Default: unknown (``DatabaseBackups`` and
        ``CrossRegionReadReplica`` need it).
    :param backup_window: its daily backup window, UTC (``hh:mm-hh:mm``). Default: unknown
        (``DatabaseBackups`` needs it).
    :param key: the KMS key of its storage, logs and secret. Default: unknown (read replicas,
        the proxy and the Multi-AZ DB cluster member lookup need it).
    :param secret: its master user secret. Default: unknown (``DatabaseProxy`` needs it).
    :param credentials: who keeps that secret's password. Default:
        ``CredentialsMode.SECRET`` (a secret of its own stack's); say ``RDS_MANAGED`` for a
        database with ``ManageMasterUserPassword``, which RDS refuses read replicas for.
    :param resource_id: its ``DbiResourceId`` (``db-...``) or ``DbClusterResourceId``
        (``cluster-...``). Default: unknown (``grant_connect`` needs it).
    :param subnet_group: its DB subnet group (``rds.SubnetGroup.from_subnet_group_name``).
        Default: unknown (``DatabaseBackups``' restore tests restore into it).
    :param parameters: engine parameters in effect that rds-ha's rules read, e.g.
        ``max_connections`` for the connection alarms. Default: none (the engine's defaults).
    :param log_types: the log types it exports to CloudWatch Logs. Default: the ones a
        ``HighlyAvailableDatabase`` of the engine and deployment exports.
    :param cluster_member_identifiers: a Multi-AZ DB cluster's three member DB instances, which
        its metrics watch. Default: unknown (``DatabaseAlarms`` looks them up at deploy time).
    :param parameter_path: the SSM path the constructs around it publish under. Default:
        ``/rds-ha/<identifier>``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        instance_identifier: str,
        endpoint_address: str,
        port: int,
        engine: Engine,
        security_groups: Sequence[ec2.ISecurityGroup],
        deployment: Deployment = defaults.DEPLOYMENT,
        engine_version: str | None = None,
        instance_class: str | None = None,
        allocated_storage: Size | None = None,
        max_allocated_storage: Size | None = None,
        backup_retention: Duration | None = None,
        backup_window: str | None = None,
        key: kms.IKey | None = None,
        secret: secretsmanager.ISecret | None = None,
        credentials: CredentialsMode = defaults.CREDENTIALS,
        resource_id: str | None = None,
        subnet_group: rds.ISubnetGroup | None = None,
        parameters: Mapping[str, str] | None = None,
        log_types: Sequence[str] | None = None,
        cluster_member_identifiers: Sequence[str] = (),
        parameter_path: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        known_engine, engine_problem = coerce_choice("engine", engine, Engine)
        known_deployment, deployment_problem = coerce_choice("deployment", deployment, Deployment)
        known_credentials, credentials_problem = coerce_choice(
            "credentials", credentials, CredentialsMode
        )
        allocated_storage_gib, storage_problem = whole_gib("allocated_storage", allocated_storage)
        max_allocated_storage_gib, max_storage_problem = whole_gib(
            "max_allocated_storage", max_allocated_storage
        )
        backup_retention_days, retention_problem = whole_days("backup_retention", backup_retention)
        problems = [
            p
            for p in (
                engine_problem,
                deployment_problem,
                credentials_problem,
                storage_problem,
                max_storage_problem,
                retention_problem,
            )
            if p
        ]
        problems += _attribute_problems(
            instance_identifier=instance_identifier,
            port=port,
            backup_retention_days=backup_retention_days,
            allocated_storage_gib=allocated_storage_gib,
            max_allocated_storage_gib=max_allocated_storage_gib,
        )
        if known_deployment is not None:
            problems += member_problems(list(cluster_member_identifiers), known_deployment)
        if problems:
            raise ConfigurationError(self.node.path, problems)
        assert known_engine and known_deployment and known_credentials
        self.engine: Engine = known_engine
        self.deployment: Deployment = known_deployment
        self.credentials: CredentialsMode = known_credentials
        self.identifier = instance_identifier
        self.endpoint_address = endpoint_address
        self.port = port
        self.engine_version = engine_version
        self.instance_class = instance_class
        self.allocated_storage_gib = allocated_storage_gib
        self.max_allocated_storage_gib = max_allocated_storage_gib
        self.backup_retention_days = backup_retention_days
        self.backup_window = backup_window
        self.encryption_key = key
        self.secret = secret
        self._resource_id = resource_id
        self.subnet_group = subnet_group
        self.parameters: dict[str, str] = {
            name: str(value) for name, value in (parameters or {}).items()
        }
        profile = PROFILES[self.engine]
        self.log_types: tuple[str, ...] = tuple(
            log_types
            if log_types is not None
            else (
                profile.cluster_log_types
                if self.deployment is Deployment.MULTI_AZ_CLUSTER
                else profile.instance_log_types
            )
        )
        self.cluster_member_identifiers: list[str] = list(cluster_member_identifiers)
        self.parameter_path = parameter_path or f"{defaults.PARAMETER_PATH_ROOT}/{self.identifier}"
        self.security_groups: list[ec2.ISecurityGroup] = list(security_groups)
        self._connections = ec2.Connections(
            security_groups=self.security_groups, default_port=ec2.Port.tcp(port)
        )
        # Nothing of this app's creates the database: no construct depends on it.
        self.resource: IConstruct | None = None

    @property
    def resource_id(self) -> str | None:
        """Its ``DbiResourceId`` or ``DbClusterResourceId``, as given."""
        return self._resource_id

    @property
    def arn(self) -> str:
        """``arn:<partition>:rds:<region>:<account>:db:<identifier>`` (``cluster:`` for a
        Multi-AZ DB cluster), in this construct's stack's account and region."""
        return self.arn_for(self)

    def arn_for(self, scope: Construct) -> str:
        """The ARN formatted from the identifier ("Amazon Resource Names (ARNs) in Amazon
        RDS"), in the account and region of the stack that imported it."""
        stack = Stack.of(self)
        return Stack.of(scope).format_arn(
            service="rds",
            resource="cluster" if self.deployment is Deployment.MULTI_AZ_CLUSTER else "db",
            resource_name=self.identifier,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
            region=stack.region,
            account=stack.account,
        )


def _attribute_problems(
    *,
    instance_identifier: str,
    port: int,
    backup_retention_days: int | None,
    allocated_storage_gib: int | None,
    max_allocated_storage_gib: int | None,
) -> list[str]:
    problems = []
    if not (
        isinstance(instance_identifier, str)
        and (
            Token.is_unresolved(instance_identifier)
            or defaults.IDENTIFIER_PATTERN.match(instance_identifier)
        )
    ):
        problems.append(
            f"instance_identifier={instance_identifier!r}: must be the identifier as RDS stores "
            "it: 1-63 lower-case letters, digits or hyphens, starting with a letter"
        )
    if not isinstance(port, int) or not defaults.MIN_PORT <= port <= defaults.MAX_PORT:
        problems.append(f"port={port!r}: must be {defaults.MIN_PORT}-{defaults.MAX_PORT}")
    if backup_retention_days is not None and not (
        defaults.MIN_BACKUP_RETENTION_DAYS
        <= backup_retention_days
        <= defaults.MAX_BACKUP_RETENTION_DAYS
    ):
        problems.append(
            f"backup_retention=Duration.days({backup_retention_days}): must be 1-35 days, as "
            "RDS allows for a database with automated backups"
        )
    for field, value in (
        ("allocated_storage", allocated_storage_gib),
        ("max_allocated_storage", max_allocated_storage_gib),
    ):
        if value is not None and value <= 0:
            problems.append(f"{field}=Size.gibibytes({value}): must be at least 1 GiB")
    return problems
