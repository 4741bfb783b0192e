"""``HighlyAvailableDatabase``: a Multi-AZ, encrypted, backed-up, observable RDS database."""

from __future__ import annotations

from collections.abc import Mapping

import jsii
from aws_cdk import (
    ArnFormat,
    Duration,
    RemovalPolicy,
    Size,
    Stack,
)
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from constructs import Construct

from rds_ha.catalog.credentials import CredentialsMode
from rds_ha.catalog.engines import (
    PROFILES,
    Deployment,
    Engine,
    EngineProfile,
)
from rds_ha.database import defaults
from rds_ha.database.access import DatabaseAccess
from rds_ha.database.application_users import ApplicationUser
from rds_ha.database.builders import CommonSettings, DatabaseBuilders
from rds_ha.database.credentials import DatabaseCredentials
from rds_ha.database.imported_database import ImportedDatabase
from rds_ha.database.keys import allow_cloudwatch_logs, create_database_key
from rds_ha.database.metrics import DatabaseMetrics
from rds_ha.database.units import DATABASE_PROPS_BY_NUMBER, database_numbers, renamed
from rds_ha.database.validation import coerce_choice, database_problems
from rds_ha.errors import ConfigurationError

# arn:aws:logs:region:account:log-group:NAME and arn:aws:rds-db:...:dbuser:ID/USER
_COLON_RESOURCE_NAME = ArnFormat.COLON_RESOURCE_NAME


@jsii.implements(ec2.IConnectable)
class HighlyAvailableDatabase(
    DatabaseBuilders, DatabaseCredentials, DatabaseAccess, DatabaseMetrics, Construct
):
    """An Amazon RDS database in its safe, highly available configuration.

    Every argument is optional but ``vpc``; the defaults are the HA configuration:

    :param vpc: the VPC; the database goes into its isolated subnets.
    :param engine: ``Engine.POSTGRES``, ``MYSQL`` or ``MARIADB``; a string is read
        case-insensitively (``"Postgres"``). Default: ``Engine.POSTGRES``.
    :param engine_version: the major version alone (``"17"``; MySQL ``"8.4"``, MariaDB
        ``"11.8"``): RDS creates the DB instance on its default minor of that major, and auto
        minor version upgrades move it on without the template having to follow; or a full
        version (``"17.9"``), which the template then pins: needed with
        ``auto_minor_version_upgrade=False`` and for a Multi-AZ DB cluster, and what existing
        stacks keep (a full pin changed to a major-only one can start a minor upgrade during
        the deploy). Default: the major of the version rds-ha is tested with,
        ``PROFILES[engine].default_version`` (PostgreSQL 17.9, MySQL 8.4.9, MariaDB 11.8.6); that
        full version with auto minor version upgrades off or for a Multi-AZ DB cluster.
    :param auto_minor_version_upgrade: RDS applies minor versions it marks automatic in the
        maintenance window. Default: true. With false, give the full ``engine_version``.
    :param allow_major_version_upgrade: lets CloudFormation apply a new major
        ``engine_version`` in place (an outage for the whole upgrade, even on Multi-AZ; see
        ``rds-ha upgrade`` for blue/green). Set it for the deploy that changes the major only;
        it also names the parameter (and option) group by its family, as
        ``parameter_groups_by_major`` does, so that the new family's group is created beside the
        old one. DB instances only. Default: false.
    :param parameter_groups_by_major: the parameter (and option) group's construct id names its
        family (``Parameters-postgres17``), so that a later major upgrade creates a new group
        instead of replacing the one in use. Set it after a major upgrade (to keep the group's
        id when ``allow_major_version_upgrade`` goes back to false) or on a new database.
        Default: false (the id ``Parameters`` of existing stacks).
    :param deployment: Default: ``Deployment.MULTI_AZ_INSTANCE`` (a synchronous standby in a
        second AZ behind one endpoint). ``MULTI_AZ_CLUSTER`` adds two readable standbys in three
        AZs. ``SINGLE_AZ`` has no standby and carries the warning ``rds-ha:single-az``.
    :param instance_class: Default: ``db.m7g.large`` for instances, ``db.m6gd.large`` for a
        Multi-AZ DB cluster (clusters need instance classes with local NVMe storage).
    :param identifier: the DB instance or cluster identifier. Default: derived from the stack
        name and construct id; fixed so that a replacement fails instead of creating a new,
        empty database.
    :param allocated_storage: gp3 storage, whole GiB (``Size.gibibytes(200)``). Default:
        100 GiB (400 GiB for a Multi-AZ DB cluster, the smallest gp3 size RDS lets a cluster
        provision IOPS for).
    :param max_allocated_storage: storage autoscaling ceiling (instances), whole GiB.
        Default: five times the allocated storage.
    :param backup_retention: automated backups and point-in-time restore, 1-35 whole days
        (``Duration.days(14)``). Default: 7 days.
    :param backup_window: daily, UTC. Default: ``02:00-02:30``.
    :param maintenance_window: weekly, UTC. Default: ``sun:03:00-sun:03:30``.
    :param deletion_protection: Default: true (RDS refuses to delete the database).
    :param removal_policy: Default: ``RemovalPolicy.SNAPSHOT`` (a final snapshot is kept when
        the resource leaves the stack). ``DESTROY`` carries the warning ``rds-ha:destroy``.
    :param encryption_key: customer-managed key for storage, Performance Insights, logs and the
        secret. Default: a new key with yearly rotation, kept when the stack is deleted. A key
        passed in must let CloudWatch Logs use it for ``/aws/rds/*`` log groups.
    :param master_username: Default: ``rdsha_admin``.
    :param credentials: who keeps the master password. Default: ``CredentialsMode.SECRET``: a
        generated password in a Secrets Manager secret of the stack's own (under the database
        key, attached to the database, kept when the stack is deleted), rotated by the Secrets
        Manager single-user rotation function (aws-cdk-lib's ``add_rotation_single_user``), which
        runs in the database's subnets and reaches Secrets Manager through the VPC's interface
        endpoint. It admits every feature: read replicas, the cross-region replica, blue/green
        upgrades, RDS Proxy. ``CredentialsMode.RDS_MANAGED``: RDS keeps and rotates the
        password itself (``ManageMasterUserPassword``, every 7 days, no function or endpoint),
        but RDS then refuses read replicas and blue/green deployments of the database (rules
        ``secrets.managed-password-no-read-replica`` and ``-no-blue-green``).
    :param master_password_rotation: how often the rotation function changes the master
        password (``credentials=SECRET``), 1-1000 days. Default: 30 days.
    :param secrets_manager_endpoint: the VPC's Secrets Manager interface endpoint, for the
        rotation function. Default: one created for the VPC by the first database that needs it
        and shared by the app's others in that VPC (one per service per VPC, see
        ``create_secrets_manager_endpoint``).
    :param create_secrets_manager_endpoint: Default: true. With false and no endpoint given,
        the VPC must resolve Secrets Manager's name itself (an endpoint made elsewhere, or NAT).
    :param database_name: initial database. Default: none (the engine's default database).
    :param port: Default: 15432 (PostgreSQL) or 13306 (MySQL, MariaDB), not the engine default.
    :param parameters: engine parameters merged over rds-ha's defaults (TLS enforced, slow-query
        and connection logging on). Default: none.
    :param log_retention: retention of the exported log groups. Default: one year.
    :param monitoring_interval: enhanced monitoring granularity: 1, 5, 10, 15, 30 or 60
        seconds (``Duration.seconds(30)``). Default: one minute.
    :param vpc_subnets: Default: the VPC's isolated subnets.
    :param parameter_path: SSM path under which endpoint, port and secret ARN are published.
        Default: ``/rds-ha/<identifier>``.

    A database deployed elsewhere: ``HighlyAvailableDatabase.from_database_attributes(scope,
    id, instance_identifier=..., endpoint_address=..., port=..., engine=...,
    security_groups=[...], ...)``, an ``ImportedDatabase``; both are an
    ``IHighlyAvailableDatabase``, what the other constructs take.
    """

    # The class itself, so that the call is typed by its keyword arguments (aws-cdk-lib's
    # ``DatabaseInstance.fromDatabaseInstanceAttributes``).
    from_database_attributes = ImportedDatabase

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        engine: Engine = defaults.ENGINE,
        engine_version: str | None = None,
        auto_minor_version_upgrade: bool = True,
        allow_major_version_upgrade: bool = False,
        parameter_groups_by_major: bool = False,
        deployment: Deployment = defaults.DEPLOYMENT,
        instance_class: str | None = None,
        identifier: str | None = None,
        allocated_storage: Size | None = None,
        max_allocated_storage: Size | None = None,
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
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        # An invalid engine or deployment is one more problem, reported with all the others; the
        # defaults stand in for it only to work out the remaining settings.
        known_engine, engine_problem = coerce_choice("engine", engine, Engine)
        known_deployment, deployment_problem = coerce_choice("deployment", deployment, Deployment)
        known_credentials, credentials_problem = coerce_choice(
            "credentials", credentials, CredentialsMode
        )
        numbers, unit_problems = database_numbers(
            allocated_storage=allocated_storage,
            max_allocated_storage=max_allocated_storage,
            backup_retention=backup_retention,
            monitoring_interval=monitoring_interval,
        )
        allocated_storage_gib = numbers["allocated_storage_gib"]
        max_allocated_storage_gib = numbers["max_allocated_storage_gib"]
        backup_retention_days = numbers["backup_retention_days"]
        monitoring_interval_seconds = numbers["monitoring_interval_seconds"]
        self.credentials: CredentialsMode = known_credentials or defaults.CREDENTIALS
        self.master_password_rotation = master_password_rotation
        self.engine = known_engine or defaults.ENGINE
        self.deployment = known_deployment or defaults.DEPLOYMENT
        self.profile: EngineProfile = PROFILES[self.engine]
        self.auto_minor_version_upgrade = auto_minor_version_upgrade
        self.allow_major_version_upgrade = allow_major_version_upgrade
        self.parameter_groups_by_major = parameter_groups_by_major
        self.engine_version = engine_version or defaults.default_engine_version(
            self.profile, self.deployment, auto_minor_version_upgrade=auto_minor_version_upgrade
        )
        self.instance_class = instance_class or defaults.instance_class_for(self.deployment)
        self.identifier = identifier or defaults.default_identifier(stack.stack_name, construct_id)
        # A Multi-AZ DB cluster's members, which its metrics watch (``use_cluster_members``).
        self.cluster_member_identifiers: list[str] = []
        self.master_username = master_username
        self.port = port or self.profile.port
        self.allocated_storage_gib = allocated_storage_gib or defaults.allocated_storage_for(
            self.deployment
        )
        self.max_allocated_storage_gib = max_allocated_storage_gib or (
            defaults.default_max_allocated_storage_gib(self.allocated_storage_gib)
            if isinstance(self.allocated_storage_gib, int)
            else 0
        )
        self.backup_retention_days: int = backup_retention_days or 0
        self.backup_window = backup_window
        self.parameters: dict[str, str] = {
            **self.profile.default_parameters,
            **{name: str(value) for name, value in (parameters or {}).items()},
        }
        self.log_types: tuple[str, ...] = (
            self.profile.cluster_log_types
            if self.deployment is Deployment.MULTI_AZ_CLUSTER
            else self.profile.instance_log_types
        )

        problems = [p for p in (engine_problem, deployment_problem, credentials_problem) if p]
        problems += unit_problems
        problems += database_problems(
            engine=known_engine,
            deployment=known_deployment,
            engine_version=self.engine_version,
            instance_class=self.instance_class,
            region=stack.region,
            identifier=self.identifier,
            allocated_storage_gib=self.allocated_storage_gib,
            max_allocated_storage_gib=self.max_allocated_storage_gib,
            backup_retention_days=backup_retention_days,
            backup_window=backup_window,
            maintenance_window=maintenance_window,
            monitoring_interval_seconds=monitoring_interval_seconds,
            port=self.port,
            master_username=master_username,
            parameters=parameters or {},
            auto_minor_version_upgrade=auto_minor_version_upgrade,
            allow_major_version_upgrade=allow_major_version_upgrade,
            parameter_groups_by_major=parameter_groups_by_major,
            credentials=known_credentials,
            master_password_rotation_days=_whole_days(master_password_rotation),
        )
        problems = renamed(problems, DATABASE_PROPS_BY_NUMBER)
        if problems:
            raise ConfigurationError(self.node.path, problems)
        self._warn_about_risky_choices(deletion_protection, removal_policy)

        self.encryption_key: kms.IKey = encryption_key or self._create_key()
        allow_cloudwatch_logs(self.encryption_key, f"/aws/rds/{self._log_kind}/{self.identifier}/*")
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
            vpc_subnets=vpc_subnets
            or ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
            removal_policy=defaults.RETAIN_NAMED,
        )
        self._vpc = vpc
        self._vpc_subnets = vpc_subnets or ec2.SubnetSelection(
            subnet_type=ec2.SubnetType.PRIVATE_ISOLATED
        )
        self.secrets_manager_endpoint = self._create_secrets_manager_endpoint(
            secrets_manager_endpoint, create_secrets_manager_endpoint
        )
        self.log_groups = self._create_log_groups(log_retention)
        self.monitoring_role = iam.Role(
            self,
            "MonitoringRole",
            # Confused-deputy protection as the RDS user guide recommends for the enhanced
            # monitoring role ("Setting up and enabling Enhanced Monitoring"): only RDS acting for
            # this account may assume it.
            assumed_by=iam.ServicePrincipal(
                "monitoring.rds.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            ),
            description=f"{self.identifier}: enhanced monitoring",
        )
        # RDS checks the role's permissions when it creates the database, so they come first.
        self.monitoring_policy = self._grant_enhanced_monitoring()
        common = CommonSettings(
            backup_window=backup_window,
            maintenance_window=maintenance_window,
            deletion_protection=deletion_protection,
            removal_policy=removal_policy,
            master_username=master_username,
            database_name=database_name,
            monitoring_interval_seconds=monitoring_interval_seconds or 0,
        )
        if self.deployment is Deployment.MULTI_AZ_CLUSTER:
            self._build_cluster(common)
        else:
            self._build_instance(vpc, common)
        self.resource.node.add_dependency(self.monitoring_policy)
        for log_group in self.log_groups.values():
            # RDS creates missing log groups itself, unencrypted and never expiring: ours first.
            self.resource.node.add_dependency(log_group)
        self._publish(parameter_path or f"{defaults.PARAMETER_PATH_ROOT}/{self.identifier}")

    # --- building blocks -------------------------------------------------------------------

    def _create_key(self) -> kms.Key:
        return create_database_key(
            self,
            "Key",
            description=f"{self.identifier}: storage, Performance Insights, logs and secret",
        )

    @property
    def _log_kind(self) -> str:
        return "cluster" if self.deployment is Deployment.MULTI_AZ_CLUSTER else "instance"

    def _create_log_groups(self, retention: logs.RetentionDays) -> dict[str, logs.LogGroup]:
        return {
            log_type: logs.LogGroup(
                self,
                f"Log-{log_type}",
                log_group_name=f"/aws/rds/{self._log_kind}/{self.identifier}/{log_type}",
                retention=retention,
                encryption_key=self.encryption_key,
                removal_policy=defaults.RETAIN_NAMED,
            )
            for log_type in self.log_types
        }

    # --- public API ------------------------------------------------------------------------

    @property
    def security_groups(self) -> list[ec2.ISecurityGroup]:
        """The database's one security group, ``security_group``, as a list."""
        return [self.security_group]

    @property
    def resource_id(self) -> str:
        """The DB instance's (``DbiResourceId``) or cluster's (``DbClusterResourceId``) resource
        id: it changes when CloudFormation replaces the database."""
        return self._resource_id_attr

    @property
    def arn(self) -> str:
        """The DB instance's ARN, or the Multi-AZ DB cluster's."""
        if self.instance is not None:
            return self.instance.instance_arn
        assert self.cluster is not None
        return self.cluster.attr_db_cluster_arn

    def arn_for(self, scope: Construct) -> str:
        """The database's ARN as ``scope`` should refer to it.

        In this database's stack, the resource's own ARN. In another stack (a construct shared
        by several databases, e.g. an export function), the ARN formatted from the fixed
        identifier, ``arn:<partition>:rds:<region>:<account>:db:<identifier>`` (``cluster:``
        for a Multi-AZ DB cluster; RDS user guide, "Amazon Resource Names (ARNs) in Amazon
        RDS"): no cross-stack reference, so the shared stack never depends on the database's.
        """
        if Stack.of(scope) is Stack.of(self):
            return self.arn
        kind = "cluster" if self.deployment is Deployment.MULTI_AZ_CLUSTER else "db"
        return Stack.of(scope).format_arn(
            service="rds",
            resource=kind,
            resource_name=self.identifier,
            arn_format=_COLON_RESOURCE_NAME,
            region=Stack.of(self).region,
            account=Stack.of(self).account,
        )

    def add_application_user(
        self, construct_id: str, username: str, *, rotation: Duration | None = None
    ) -> ApplicationUser:
        """An application's own user with a secret of its own, rotated by alternating users
        (``ApplicationUser``; ``credentials=SECRET`` only). Create the user in the database
        before its first rotation, one ``rotation`` (default 30 days) after the deploy."""
        return ApplicationUser(
            self, construct_id, database=self, username=username, rotation=rotation
        )


def _whole_days(duration: Duration) -> int | float:
    """A rotation interval in days (fractional when it is not whole days; tokens pass)."""
    if not isinstance(duration, Duration):
        return -1
    return duration.to_seconds() / 86400
