"""``AuroraDatabase``: an Aurora DB cluster (PostgreSQL- or MySQL-compatible, provisioned or
Serverless v2) in rds-ha's safe configuration, on aws-cdk-lib's ``rds.DatabaseCluster``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import jsii
from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from rds_ha.aurora.aurora_metrics import AuroraMetrics
from rds_ha.aurora.aurora_parts import AuroraParts, keep_secret
from rds_ha.aurora.validation import AuroraSettings, aurora_problems
from rds_ha.catalog.aurora import (
    PROFILES,
    SERVERLESS_CLASS,
    AuroraDeployment,
    AuroraEngine,
    AuroraStorageType,
)
from rds_ha.catalog.credentials import MASTER_SECRET_TAG, CredentialsMode
from rds_ha.database import defaults
from rds_ha.database.builders import enhanced_monitoring_policy
from rds_ha.database.credentials import EXCLUDE_CHARACTERS
from rds_ha.database.endpoints import interface_endpoint_of
from rds_ha.database.keys import allow_cloudwatch_logs, create_database_key
from rds_ha.errors import ConfigurationError

_ROTATION = {
    AuroraEngine.AURORA_POSTGRESQL: (
        secretsmanager.SecretRotationApplication.POSTGRES_ROTATION_SINGLE_USER
    ),
    AuroraEngine.AURORA_MYSQL: secretsmanager.SecretRotationApplication.MYSQL_ROTATION_SINGLE_USER,
}


@jsii.implements(ec2.IConnectable)
class AuroraDatabase(AuroraParts, AuroraMetrics, Construct):
    """An Aurora DB cluster: a writer and ``readers`` in the other AZs on one cluster volume
    (six copies in three AZs), CMK-encrypted, TLS enforced, logs exported to log groups of its
    own, IAM authentication, Performance Insights, enhanced monitoring, deletion protection and
    a fixed identifier. Aurora fails over to a reader, typically in about 30 seconds (Aurora
    User Guide, "High availability for Amazon Aurora").

    :param vpc: the VPC; the cluster goes into its isolated subnets.
    :param engine: ``AuroraEngine.AURORA_POSTGRESQL`` (default) or ``AURORA_MYSQL``.
    :param engine_version: the full version (``"17.9"``, ``"8.0.mysql_aurora.3.10.2"``).
        Default: ``PROFILES[engine].default_version``.
    :param deployment: ``AuroraDeployment.PROVISIONED`` (default; ``instance_class`` for the
        writer and readers) or ``SERVERLESS_V2`` (``db.serverless`` between ``min_capacity``
        and ``max_capacity``).
    :param instance_class: writer and readers. Default: ``db.r7g.large``.
    :param readers: Aurora Replicas, 0-15. Default: 1 (a failover target in another AZ).
    :param reader_promotion_tiers: one tier (0-15) per provisioned reader. Default: 1 each.
        Serverless v2 readers scale with the writer (tier 1).
    :param min_capacity: / :param max_capacity: ACUs (Serverless v2). Default: 0.5 and 8.
        0 lets the instances pause when idle, where the engine version supports it.
    :param storage_type: ``AuroraStorageType.STANDARD`` (default) or ``IO_OPTIMIZED``.
    :param backtrack_window: Aurora MySQL only, at most 72 hours. Default: none.
    :param identifier: the DB cluster identifier. Default: from the stack name and id.
    :param credentials: ``CredentialsMode.SECRET`` (default: a secret of the stack's own,
        rotated) or ``RDS_MANAGED`` (ManageMasterUserPassword).
    The other parameters are ``HighlyAvailableDatabase``'s.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        engine: AuroraEngine = AuroraEngine.AURORA_POSTGRESQL,
        engine_version: str | None = None,
        deployment: AuroraDeployment = AuroraDeployment.PROVISIONED,
        instance_class: str = "db.r7g.large",
        readers: int = 1,
        reader_promotion_tiers: Sequence[int] = (),
        min_capacity: float = 0.5,
        max_capacity: float = 8,
        storage_type: AuroraStorageType = AuroraStorageType.STANDARD,
        backtrack_window: Duration | None = None,
        identifier: str | None = None,
        backup_retention: Duration = defaults.BACKUP_RETENTION,
        backup_window: str = defaults.BACKUP_WINDOW,
        maintenance_window: str = defaults.MAINTENANCE_WINDOW,
        deletion_protection: bool = defaults.DELETION_PROTECTION,
        removal_policy: RemovalPolicy = defaults.REMOVAL_POLICY,
        encryption_key: kms.IKey | None = None,
        master_username: str = defaults.MASTER_USERNAME,
        credentials: CredentialsMode = defaults.CREDENTIALS,
        master_password_rotation: Duration = defaults.MASTER_PASSWORD_ROTATION,
        secrets_manager_endpoint: ec2.IInterfaceVpcEndpoint | None = None,
        create_secrets_manager_endpoint: bool = True,
        database_name: str | None = None,
        port: int | None = None,
        parameters: Mapping[str, str] | None = None,
        log_retention: logs.RetentionDays = defaults.LOG_RETENTION,
        monitoring_interval: Duration = defaults.MONITORING_INTERVAL,
        vpc_subnets: ec2.SubnetSelection | None = None,
        parameter_path: str | None = None,
        global_cluster_identifier: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.identifier = identifier or defaults.default_identifier(stack.stack_name, construct_id)
        settings = AuroraSettings(
            engine=engine,
            engine_version=engine_version,
            deployment=deployment,
            instance_class=instance_class,
            readers=readers,
            reader_promotion_tiers=tuple(reader_promotion_tiers),
            min_capacity=min_capacity,
            max_capacity=max_capacity,
            storage_type=storage_type,
            backtrack_window_hours=_hours(backtrack_window),
            identifier=self.identifier,
            region=stack.region,
            backup_retention_days=_whole(backup_retention, 86400),
            backup_window=backup_window,
            maintenance_window=maintenance_window,
            monitoring_interval_seconds=_whole(monitoring_interval, 1),
            port=port,
            master_username=master_username,
            parameters=dict(parameters or {}),
            credentials=credentials,
            master_password_rotation_days=_whole(master_password_rotation, 86400),
            global_database=global_cluster_identifier is not None,
        )
        if problems := aurora_problems(settings):
            raise ConfigurationError(self.node.path, problems)
        assert settings.known_engine and settings.known_deployment and settings.known_credentials
        self.engine: AuroraEngine = settings.known_engine
        self.deployment: AuroraDeployment = settings.known_deployment
        self.credentials: CredentialsMode = settings.known_credentials
        profile = PROFILES[self.engine]
        self.engine_version: str = engine_version or profile.default_version
        serverless = self.deployment is AuroraDeployment.SERVERLESS_V2
        self.writer_instance_class: str | None = None if serverless else instance_class
        self.reader_instance_class: str | None = self.writer_instance_class
        self.reader_count = readers
        self.backtrack_window_hours = settings.backtrack_window_hours
        self.min_capacity: float | None = min_capacity if serverless else None
        self.max_capacity: float | None = max_capacity if serverless else None
        self.port: int = port or profile.port
        self.backup_retention_days = settings.backup_retention_days
        self.backup_window = backup_window
        self.log_types: tuple[str, ...] = profile.log_types
        self.cluster_parameters: Mapping[str, str] = {
            **profile.cluster_parameters,
            **{name: str(value) for name, value in (parameters or {}).items()},
        }
        self.instance_identifiers: list[str] = [
            f"{self.identifier}-{index}" for index in range(1, readers + 2)
        ]
        self.master_password_rotation = master_password_rotation

        self.encryption_key: kms.IKey = encryption_key or create_database_key(
            self, "Key", description=f"{self.identifier}: storage, Performance Insights, logs"
        )
        allow_cloudwatch_logs(self.encryption_key, f"/aws/rds/cluster/{self.identifier}/*")
        self._vpc = vpc
        self._vpc_subnets = vpc_subnets or ec2.SubnetSelection(
            subnet_type=ec2.SubnetType.PRIVATE_ISOLATED
        )
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description=f"{self.identifier}: database access (no ingress unless granted)",
            allow_all_outbound=False,
        )
        self._connections = ec2.Connections(
            security_groups=[self.security_group], default_port=ec2.Port.tcp(self.port)
        )
        self.subnet_group = rds.SubnetGroup(
            self,
            "SubnetGroup",
            vpc=vpc,
            description=f"{self.identifier}: isolated subnets",
            vpc_subnets=self._vpc_subnets,
            removal_policy=defaults.RETAIN_NAMED,
        )
        self.log_groups = {
            log_type: logs.LogGroup(
                self,
                f"Log-{log_type}",
                log_group_name=f"/aws/rds/cluster/{self.identifier}/{log_type}",
                retention=log_retention,
                encryption_key=self.encryption_key,
                removal_policy=defaults.RETAIN_NAMED,
            )
            for log_type in self.log_types
        }
        self.monitoring_role = iam.Role(
            self,
            "MonitoringRole",
            # Confused-deputy protection as the user guide recommends for enhanced monitoring.
            assumed_by=iam.ServicePrincipal(
                "monitoring.rds.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            ),
            description=f"{self.identifier}: enhanced monitoring",
        )
        monitoring_policy = enhanced_monitoring_policy(self, self.identifier, self.monitoring_role)
        cluster_engine = _cluster_engine(self.engine, self.engine_version)
        family = profile.parameter_group_family(self.engine_version)
        self.cluster_parameter_group = rds.ParameterGroup(
            self,
            "ClusterParameters",
            engine=cluster_engine,
            description=f"{self.identifier}: rds-ha {profile.display_name} cluster parameters",
            parameters=dict(self.cluster_parameters),
        )
        self.instance_parameter_group = rds.ParameterGroup(
            self,
            "InstanceParameters",
            engine=cluster_engine,
            description=f"{self.identifier}: rds-ha {profile.display_name} instance parameters "
            f"({family})",
            parameters={},
        )
        # A secondary cluster of a global database has the primary's users and data: no
        # credentials or database name of its own (CreateDBCluster, GlobalClusterIdentifier).
        self.is_secondary = global_cluster_identifier is not None
        self._master_secret = (
            rds.DatabaseSecret(
                self,
                "Secret",
                username=master_username,
                encryption_key=self.encryption_key,
                exclude_characters=EXCLUDE_CHARACTERS,
            )
            if self.credentials is CredentialsMode.SECRET and not self.is_secondary
            else None
        )
        zones = vpc.availability_zones
        self.cluster = rds.DatabaseCluster(
            self,
            "Resource",
            engine=cluster_engine,
            cluster_identifier=self.identifier,
            writer=self._instance(1, zones[0] if zones else None, None),
            readers=[
                self._instance(
                    index + 2,
                    zones[(index + 1) % len(zones)] if zones else None,
                    reader_promotion_tiers[index] if reader_promotion_tiers else 1,
                )
                for index in range(readers)
            ],
            serverless_v2_min_capacity=min_capacity if serverless else None,
            serverless_v2_max_capacity=max_capacity if serverless else None,
            vpc=vpc,
            vpc_subnets=self._vpc_subnets,
            subnet_group=self.subnet_group,
            security_groups=[self.security_group],
            port=self.port,
            credentials=(
                None
                if self.is_secondary
                else rds.Credentials.from_secret(self._master_secret, master_username)
                if self._master_secret is not None
                else rds.Credentials.from_username(
                    master_username, encryption_key=self.encryption_key
                )
            ),
            manage_master_user_password=(
                self.credentials is CredentialsMode.RDS_MANAGED and not self.is_secondary
            ),
            # aws-cdk-lib's DatabaseCluster has no global-database secondary mode; a replication
            # source is what makes it leave out the master user and password, and is replaced
            # by the GlobalClusterIdentifier below.
            replication_source_identifier=global_cluster_identifier,
            default_database_name=None if self.is_secondary else database_name,
            storage_encrypted=True,
            storage_encryption_key=self.encryption_key,
            storage_type=(
                rds.DBClusterStorageType.AURORA_IOPT1
                if storage_type is AuroraStorageType.IO_OPTIMIZED
                else rds.DBClusterStorageType.AURORA
            ),
            backtrack_window=backtrack_window,
            backup=rds.BackupProps(retention=backup_retention, preferred_window=backup_window),
            preferred_maintenance_window=maintenance_window,
            copy_tags_to_snapshot=True,
            deletion_protection=deletion_protection,
            removal_policy=removal_policy,
            parameter_group=self.cluster_parameter_group,
            cloudwatch_logs_exports=list(self.log_types),
            monitoring_interval=monitoring_interval,
            monitoring_role=self.monitoring_role,
            enable_performance_insights=True,
            performance_insight_encryption_key=self.encryption_key,
            iam_authentication=True,
            # One instance at a time (readers first), so that a class change keeps a writer.
            instance_update_behaviour=rds.InstanceUpdateBehaviour.ROLLING,
        )
        resource = self.cluster.node.default_child
        assert isinstance(resource, rds.CfnDBCluster)
        if global_cluster_identifier is not None:
            resource.add_property_deletion_override("ReplicationSourceIdentifier")
            resource.global_cluster_identifier = global_cluster_identifier
            # DatabaseCluster makes a master secret even when it renders no password: unused.
            self.cluster.node.try_remove_child("Secret")
        self.resource = self.cluster
        self.cfn_cluster = resource
        self.cluster.node.add_dependency(monitoring_policy)
        for log_group in self.log_groups.values():
            # RDS creates missing log groups itself, unencrypted and never expiring: ours first.
            self.cluster.node.add_dependency(log_group)
        self.secret: secretsmanager.ISecret | None = (
            None if self.is_secondary else self.cluster.secret
        )
        self.secret_rotation: secretsmanager.SecretRotation | None = None
        self.secrets_manager_endpoint: ec2.IInterfaceVpcEndpoint | None = None
        if self._master_secret is not None and self.cluster.secret is not None:
            keep_secret(self._master_secret, removal_policy)
            resource.tags.set_tag(MASTER_SECRET_TAG, self._master_secret.secret_arn)
            self.secrets_manager_endpoint = secrets_manager_endpoint or (
                interface_endpoint_of(
                    self,
                    vpc,
                    service=ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
                    construct_id="SecretsManagerEndpoint",
                    subnets=self._vpc_subnets,
                    description=f"{self.identifier}: Secrets Manager endpoint (HTTPS from the "
                    "password rotation functions)",
                )
                if create_secrets_manager_endpoint
                else None
            )
            self.secret_rotation = self._rotate(self.cluster.secret)
        self.endpoint_address: str = self.cluster.cluster_endpoint.hostname
        self.reader_endpoint_address: str = self.cluster.cluster_read_endpoint.hostname
        self.resource_id: str = self.cluster.cluster_resource_identifier
        self._publish(parameter_path or f"{defaults.PARAMETER_PATH_ROOT}/{self.identifier}")

    # --- public API ------------------------------------------------------------------------

    @property
    def connections(self) -> ec2.Connections:
        return self._connections

    @property
    def arn(self) -> str:
        return self.cluster.cluster_arn

    def arn_for(self, scope: Construct) -> str:
        """The cluster's ARN as ``scope`` should refer to it: formatted from the fixed
        identifier in another stack (no cross-stack reference)."""
        if Stack.of(scope) is Stack.of(self):
            return self.arn
        return Stack.of(scope).format_arn(
            service="rds",
            resource="cluster",
            resource_name=self.identifier,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
            region=Stack.of(self).region,
            account=Stack.of(self).account,
        )

    @property
    def is_serverless(self) -> bool:
        return self.deployment is AuroraDeployment.SERVERLESS_V2

    @property
    def instance_classes(self) -> list[str]:
        return [SERVERLESS_CLASS if self.is_serverless else str(self.writer_instance_class)] * len(
            self.instance_identifiers
        )


def _cluster_engine(engine: AuroraEngine, version: str) -> rds.IClusterEngine:
    major = PROFILES[engine].major_version(version)
    if engine is AuroraEngine.AURORA_POSTGRESQL:
        return rds.DatabaseClusterEngine.aurora_postgres(
            version=rds.AuroraPostgresEngineVersion.of(version, major)
        )
    return rds.DatabaseClusterEngine.aurora_mysql(
        version=rds.AuroraMysqlEngineVersion.of(version, major)
    )


def _whole(duration: Duration, seconds: int) -> int | float:
    """A duration in whole units of ``seconds`` (fractional when not whole; -1 when not a
    Duration), for the rules to report."""
    if not isinstance(duration, Duration):
        return -1
    return duration.to_seconds() / seconds


def _hours(duration: Duration | None) -> float:
    return 0 if duration is None else (_whole(duration, 3600))
