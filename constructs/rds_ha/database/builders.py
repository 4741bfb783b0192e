"""The resources at the heart of a ``HighlyAvailableDatabase``: the DB instance or Multi-AZ DB
cluster with its parameter (and option) group, and the enhanced monitoring policy. Construct ids
are the construct's own: the resources are its children, so their logical ids stay put."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from aws_cdk import (
    Acknowledgment,
    Annotations,
    ArnFormat,
    CfnOutput,
    Duration,
    RemovalPolicy,
    Stack,
    Validations,
)
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_rds as rds
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from rds_ha.catalog.credentials import CredentialsMode
from rds_ha.catalog.engines import (
    PROFILES,
    Deployment,
    Engine,
    EngineProfile,
    is_major_version,
    listed_version,
)
from rds_ha.database import defaults
from rds_ha.nag import nag_finding_text

if TYPE_CHECKING:
    from rds_ha.database.highly_available_database import HighlyAvailableDatabase

# arn:aws:logs:region:account:log-group:NAME and arn:aws:rds-db:...:dbuser:ID/USER
_COLON_RESOURCE_NAME = ArnFormat.COLON_RESOURCE_NAME


CLUSTER_CFN_LINT_IGNORE = "E3692"


class DatabaseBuilders:
    """Building steps of ``HighlyAvailableDatabase`` (a mixin: ``self`` is the construct).

    Its methods annotate ``self: HighlyAvailableDatabase`` to read the construct's attributes
    with their types; mypy asks a mixin's self-type to be a supertype of the mixin (error code
    ``misc``), so each ``def`` carries ``type: ignore[misc]``.
    """

    def _build_instance(  # type: ignore[misc]  # a self-typed mixin: see the class
        self: HighlyAvailableDatabase, vpc: ec2.IVpc, common: CommonSettings
    ) -> None:
        engine = _instance_engine(self.engine, self.engine_version, self.profile)
        parameter_group = rds.ParameterGroup(
            self,
            self._group_id("Parameters"),
            engine=engine,
            description=f"{self.identifier}: rds-ha {self.profile.display_name} parameters",
            parameters=self.parameters,
        )
        option_group = None
        if self.profile.audit_plugin:
            option_group = rds.OptionGroup(
                self,
                self._group_id("Options"),
                engine=engine,
                description=f"{self.identifier}: connection and DDL audit logging",
                configurations=[
                    rds.OptionConfiguration(
                        name="MARIADB_AUDIT_PLUGIN",
                        settings={"SERVER_AUDIT_EVENTS": "CONNECT,QUERY_DDL"},
                    )
                ],
            )
        instance = rds.DatabaseInstance(
            self,
            "Resource",
            engine=engine,
            instance_type=ec2.InstanceType(self.instance_class.removeprefix("db.")),
            instance_identifier=self.identifier,
            vpc=vpc,
            subnet_group=self.subnet_group,
            security_groups=[self.security_group],
            port=self.port,
            publicly_accessible=False,
            multi_az=self.deployment is Deployment.MULTI_AZ_INSTANCE,
            credentials=self._instance_credentials(common.master_username),
            manage_master_user_password=self.credentials is CredentialsMode.RDS_MANAGED,
            iam_authentication=True,
            database_name=common.database_name,
            storage_encrypted=True,
            storage_encryption_key=self.encryption_key,
            storage_type=rds.StorageType.GP3,
            allocated_storage=self.allocated_storage_gib,
            max_allocated_storage=self.max_allocated_storage_gib,
            backup_retention=Duration.days(self.backup_retention_days),
            preferred_backup_window=common.backup_window,
            preferred_maintenance_window=common.maintenance_window,
            copy_tags_to_snapshot=True,
            delete_automated_backups=False,
            deletion_protection=common.deletion_protection,
            removal_policy=common.removal_policy,
            auto_minor_version_upgrade=self.auto_minor_version_upgrade,
            allow_major_version_upgrade=self.allow_major_version_upgrade,
            parameter_group=parameter_group,
            option_group=option_group,
            cloudwatch_logs_exports=list(self.log_types),
            monitoring_interval=Duration.seconds(common.monitoring_interval_seconds),
            monitoring_role=self.monitoring_role,
            enable_performance_insights=True,
            performance_insight_encryption_key=self.encryption_key,
            ca_certificate=rds.CaCertificate.RDS_CA_RSA2048_G1,
        )
        if is_major_version(self.engine, self.engine_version):
            _accept_major_only_version(
                instance, listed=listed_version(self.engine, self.deployment, self.engine_version)
            )
        self.instance: rds.DatabaseInstance | None = instance
        self.cluster: rds.CfnDBCluster | None = None
        self.resource: rds.DatabaseInstance | rds.CfnDBCluster = instance
        self.endpoint_address = instance.db_instance_endpoint_address
        # aws-cdk-lib types both as optional for the instances it imports; one it creates has
        # its secret (attached, or the one RDS manages) and its DbiResourceId attribute.
        assert instance.secret is not None and instance.instance_resource_id is not None
        self.secret: secretsmanager.ISecret = instance.secret
        self._resource_id_attr: str = instance.instance_resource_id
        self._rotate_instance_secret(instance, common.removal_policy)

    def _build_cluster(  # type: ignore[misc]  # a self-typed mixin: see the class
        self: HighlyAvailableDatabase, common: CommonSettings
    ) -> None:
        parameter_group = rds.CfnDBClusterParameterGroup(
            self,
            self._group_id("Parameters"),
            family=self.profile.parameter_group_family(self.engine_version),
            description=f"{self.identifier}: rds-ha {self.profile.display_name} parameters",
            parameters=self.parameters,
        )
        cluster = rds.CfnDBCluster(
            self,
            "Resource",
            engine=self.engine.value,
            engine_version=self.engine_version,
            db_cluster_identifier=self.identifier,
            db_cluster_instance_class=self.instance_class,
            db_subnet_group_name=self.subnet_group.subnet_group_name,
            vpc_security_group_ids=[self.security_group.security_group_id],
            db_cluster_parameter_group_name=parameter_group.ref,
            port=self.port,
            publicly_accessible=False,
            master_username=common.master_username,
            **self._cluster_credentials(common.master_username),
            database_name=common.database_name,
            storage_encrypted=True,
            kms_key_id=self.encryption_key.key_arn,
            storage_type="gp3",
            allocated_storage=self.allocated_storage_gib,
            iops=defaults.CLUSTER_GP3_IOPS,
            backup_retention_period=self.backup_retention_days,
            preferred_backup_window=common.backup_window,
            preferred_maintenance_window=common.maintenance_window,
            copy_tags_to_snapshot=True,
            deletion_protection=common.deletion_protection,
            auto_minor_version_upgrade=self.auto_minor_version_upgrade,
            enable_cloudwatch_logs_exports=list(self.log_types),
            monitoring_interval=common.monitoring_interval_seconds,
            monitoring_role_arn=self.monitoring_role.role_arn,
            performance_insights_enabled=True,
            performance_insights_kms_key_id=self.encryption_key.key_arn,
            performance_insights_retention_period=7,
            # The RDS API documents it for Multi-AZ DB clusters (CreateDBCluster and
            # ModifyDBCluster, EnableIAMDatabaseAuthentication: "Valid for Cluster Type: Aurora
            # DB clusters and Multi-AZ DB clusters"), and "Limitations of Multi-AZ DB clusters"
            # does not list it. CloudFormation passes it on for every engine (the DBCluster
            # handler's CreateDBCluster and ModifyDBCluster requests). On a deployed cluster it
            # is an in-place change.
            enable_iam_database_authentication=True,
        )
        cluster.apply_removal_policy(common.removal_policy)
        # cfn-lint's E3692 (its own list of what a Multi-AZ DB cluster may not set) still
        # forbids the property; the rest of E3692 is checked on the template without it
        # (tests/test_highly_available_database.py).
        cluster.add_metadata("cfn-lint", {"config": {"ignore_checks": [CLUSTER_CFN_LINT_IGNORE]}})
        self.instance = None
        self.cluster = cluster
        self.resource = cluster
        self.endpoint_address = cluster.attr_endpoint_address
        self._resource_id_attr = cluster.attr_db_cluster_resource_id
        self.secret = self._attach_cluster_secret(cluster, common.removal_policy)

    def _publish(  # type: ignore[misc]  # a self-typed mixin: see the class
        self: HighlyAvailableDatabase, path: str
    ) -> None:
        values = {
            "Endpoint": ("endpoint", self.endpoint_address, "writer endpoint address"),
            "Port": ("port", str(self.port), "port"),
            "SecretArn": ("secret-arn", self.secret.secret_arn, "master user secret ARN"),
        }
        self.parameter_path = path
        for name, (leaf, value, what) in values.items():
            ssm.StringParameter(
                self,
                f"{name}Parameter",
                parameter_name=f"{path}/{leaf}",
                string_value=value,
                description=f"{self.identifier}: {what}",
            )
            CfnOutput(self, name, value=value, description=f"{self.identifier}: {what}")

    def _warn_about_risky_choices(  # type: ignore[misc]  # a self-typed mixin: see the class
        self: HighlyAvailableDatabase, deletion_protection: bool, removal_policy: RemovalPolicy
    ) -> None:
        annotations = Annotations.of(self)
        if self.deployment is Deployment.SINGLE_AZ:
            annotations.add_warning_v2(
                "rds-ha:single-az",
                f"{self.identifier} is single-AZ: no standby, so an instance or AZ failure is an "
                "outage until RDS replaces the instance. Use it for development only.",
            )
        if not deletion_protection:
            annotations.add_warning_v2(
                "rds-ha:no-deletion-protection",
                f"{self.identifier} has deletion protection off: one API call can delete it.",
            )
        if removal_policy == RemovalPolicy.DESTROY:
            annotations.add_warning_v2(
                "rds-ha:destroy",
                f"{self.identifier} has removal policy DESTROY: deleting the stack or the "
                "construct deletes the database with no final snapshot.",
            )

    def _group_id(  # type: ignore[misc]  # a self-typed mixin: see the class
        self: HighlyAvailableDatabase, base: str
    ) -> str:
        """``Parameters`` (``Options``) as existing stacks have it, or with the family
        (``Parameters-postgres17``): then a new major's group gets a new logical id, so
        CloudFormation creates it beside the one in use, moves the database to it and deletes
        the old one only in the cleanup after the update succeeded."""
        if not (self.parameter_groups_by_major or self.allow_major_version_upgrade):
            return base
        return f"{base}-{self.profile.parameter_group_family(self.engine_version)}"

    def _grant_enhanced_monitoring(  # type: ignore[misc]  # a self-typed mixin: see the class
        self: HighlyAvailableDatabase,
    ) -> iam.ManagedPolicy:
        return enhanced_monitoring_policy(self, self.identifier, self.monitoring_role)


@dataclass(frozen=True)
class CommonSettings:
    """Settings shared verbatim by the instance and the cluster resource."""

    backup_window: str
    maintenance_window: str
    deletion_protection: bool
    removal_policy: RemovalPolicy
    master_username: str
    database_name: str | None
    monitoring_interval_seconds: int


# cfn-lint checks EngineVersion against full versions only: E3691 for a MySQL or MariaDB major
# ("8.4" is not one of [...]) and W3691 for a PostgreSQL one ("17" is deprecated), while
# CloudFormation and RDS accept a major version alone on a DB instance. The AWS::RDS::DBInstance
# schema's EngineVersion: "If you specify a version prefix rather than a full version number,
# AWS CloudFormation uses prefix matching during drift detection. For example, "8.0" for MySQL
# or "16" for PostgreSQL matches any version that starts with that prefix." RDS picks the
# default minor of the major (ModifyDBInstance, EngineVersion: "If you specify only a major
# version, Amazon RDS updates the DB instance to the default minor version if the current minor
# version is lower"). The construct checks the major against the same cfn-lint data instead
# (rds_ha.catalog.engines.major_version_problem).
_MAJOR_ONLY_CFN_LINT_CHECKS = ("E3691", "W3691")


def _accept_major_only_version(instance: rds.DatabaseInstance, *, listed: bool) -> None:
    resource = instance.node.default_child
    assert isinstance(resource, rds.CfnDBInstance)
    resource.add_metadata(
        "cfn-lint", {"config": {"ignore_checks": list(_MAJOR_ONLY_CFN_LINT_CHECKS)}}
    )
    if not listed:
        # CDK's template validation checks the same list (a MySQL or MariaDB major is not in it).
        Validations.of(resource).acknowledge(
            Acknowledgment(
                id="CloudFormation-Validate::E9006",
                reason="EngineVersion is a major version alone, which CloudFormation and RDS "
                "accept for a DB instance (RDS picks the default minor); the construct checks "
                "the major against the versions RDS offers.",
            )
        )


def _instance_engine(engine: Engine, version: str, profile: EngineProfile) -> rds.IInstanceEngine:
    major = profile.major_version(version)
    if engine is Engine.POSTGRES:
        return rds.DatabaseInstanceEngine.postgres(
            version=rds.PostgresEngineVersion.of(version, major)
        )
    if engine is Engine.MYSQL:
        return rds.DatabaseInstanceEngine.mysql(version=rds.MysqlEngineVersion.of(version, major))
    return rds.DatabaseInstanceEngine.maria_db(version=rds.MariaDbEngineVersion.of(version, major))


def instance_engine(engine: Engine, version: str | None) -> rds.IInstanceEngine:
    """aws-cdk-lib's engine for a DB instance of ``engine``: of ``version``, or unversioned when
    the version is not known (an imported database's)."""
    if version is not None:
        return _instance_engine(engine, version, PROFILES[engine])
    return {
        Engine.POSTGRES: rds.DatabaseInstanceEngine.POSTGRES,
        Engine.MYSQL: rds.DatabaseInstanceEngine.MYSQL,
        Engine.MARIADB: rds.DatabaseInstanceEngine.MARIADB,
    }[engine]


def enhanced_monitoring_policy(
    scope: Construct, identifier: str, role: iam.IRole
) -> iam.ManagedPolicy:
    """What AmazonRDSEnhancedMonitoringRole grants, narrowed to this account and region's
    RDSOSMetrics log group.

    Enhanced monitoring writes one stream per DB instance, named by its resource id
    (DbiResourceId). That id exists only once the database does, while RDS refuses to create
    a database whose monitoring role lacks the permissions ("IAM role ARN value is invalid
    or does not include the required permissions for: ENHANCED_MONITORING"). So the policy
    is attached before the database and names the log group's streams by a wildcard.
    """
    stack = Stack.of(scope)

    def log_arn(name: str) -> str:
        return stack.format_arn(
            service="logs",
            resource="log-group",
            resource_name=name,
            arn_format=_COLON_RESOURCE_NAME,
        )

    policy = iam.ManagedPolicy(
        scope,
        "MonitoringPolicy",
        description=f"{identifier}: enhanced monitoring metrics to RDSOSMetrics",
        roles=[role],
        statements=[
            iam.PolicyStatement(
                sid="EnableCreationAndManagementOfRDSCloudwatchLogGroups",
                actions=["logs:CreateLogGroup", "logs:PutRetentionPolicy"],
                resources=[log_arn("RDSOSMetrics")],
            ),
            iam.PolicyStatement(
                sid="EnableCreationAndManagementOfRDSCloudwatchLogStreams",
                actions=[
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "logs:DescribeLogStreams",
                    "logs:GetLogEvents",
                ],
                resources=[log_arn("RDSOSMetrics:log-stream:*")],
            ),
        ],
    )
    Validations.of(policy).acknowledge(
        Acknowledgment(
            id="AwsSolutions::AwsSolutions-IAM5[Resource::"
            f"{nag_finding_text(scope, log_arn(''))}RDSOSMetrics:log-stream:*]",
            reason="Enhanced monitoring writes one stream per DB instance named by its "
            "resource id, which exists only after the database is created, while RDS needs "
            "the permissions at creation; the wildcard is limited to the RDSOSMetrics log "
            "group of this account and region, and only RDS acting for this account can "
            "assume the role.",
        )
    )
    return policy
