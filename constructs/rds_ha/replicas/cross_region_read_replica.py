"""``CrossRegionReadReplica``: a read replica of a ``HighlyAvailableDatabase`` DB instance in
another region, in a stack of that region, with its own key, network placement, alarms and
alarm topic: the second region with the smallest data-loss window (its replica lag)."""

from __future__ import annotations

from aws_cdk import (
    ArnFormat,
    CfnOutput,
    Duration,
    RemovalPolicy,
    Stack,
    Token,
)
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from aws_cdk import aws_sns as sns
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from rds_ha.catalog.aws_rules import Features, combination_problems
from rds_ha.catalog.engines import Engine
from rds_ha.database import defaults
from rds_ha.database.builders import enhanced_monitoring_policy, instance_engine
from rds_ha.database.highly_available_database import HighlyAvailableDatabase
from rds_ha.database.i_highly_available_database import (
    IHighlyAvailableDatabase,
    missing_attribute_problems,
    rds_engine_and_deployment,
)
from rds_ha.database.keys import allow_cloudwatch_logs
from rds_ha.errors import ConfigurationError
from rds_ha.monitoring.alarm_specs import FACTS_NEEDED, facts_of
from rds_ha.monitoring.alarm_thresholds import AlarmThresholds
from rds_ha.nag import acknowledge_rules, skip_checkov_checks
from rds_ha.replicas.replica_alarms import ReplicaAlarms, replica_facts
from rds_ha.replicas.replica_rules import cross_region_problems, cross_region_replica_identifier


class CrossRegionReadReplica(Construct):
    """A single-AZ read replica ``<identifier>-dr-reader`` of ``source`` in this construct's
    stack's region, which must differ from the source's.

    CloudFormation cannot refer to a resource of another region, so the source is named by
    the ARN formatted from its fixed identifier, account and region, and the replica's stack
    must deploy after the source's (``add_stack_dependency``). Everything else is of this
    region: the key (RDS: "you can't use KMS keys from one Amazon Web Services Region in
    another"), the subnet group and security group in ``vpc``, the enhanced monitoring role,
    the log groups, the alarms and ``alarm_topic``.

    :param source: the primary, in another region (only its fixed settings are read): a
        ``HighlyAvailableDatabase``, or a DB instance imported in a stack of its own account and
        region with its ``backup_retention_days``, ``instance_class`` and
        ``allocated_storage_gib``.
    :param vpc: a VPC of this region with isolated subnets.
    :param encryption_key: a customer managed key of this region: storage, Performance
        Insights and log groups.
    :param alarm_topic: a topic of this region for the replica's alarms.
    :param instance_class: Default: the source's class.
    :param thresholds: Default: ``AlarmThresholds()``.
    :param deletion_protection: Default: true.
    :param removal_policy: Default: ``RETAIN_NAMED`` (RetainExceptOnCreate), like a retained
        primary: once promoted this instance is the database.
    :param log_retention: Default: one year.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        source: IHighlyAvailableDatabase,
        vpc: ec2.IVpc,
        encryption_key: kms.IKey,
        alarm_topic: sns.ITopic,
        instance_class: str | None = None,
        thresholds: AlarmThresholds | None = None,
        deletion_protection: bool = defaults.DELETION_PROTECTION,
        removal_policy: RemovalPolicy = defaults.RETAIN_NAMED,
        log_retention: logs.RetentionDays = defaults.LOG_RETENTION,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        source_stack = Stack.of(source)
        problems = missing_attribute_problems(
            source,
            "CrossRegionReadReplica",
            {
                **FACTS_NEEDED,
                "backup_retention_days": "RDS replicates only a source with automated backups",
            },
        )
        if problems:
            raise ConfigurationError(self.node.path, problems)
        assert source.backup_retention_days is not None and source.instance_class is not None
        engine, deployment = rds_engine_and_deployment(
            source, "CrossRegionReadReplica", "an Aurora Global Database secondary cluster"
        )
        problems = cross_region_problems(
            cross_region=True,
            dr_region=stack.region,
            region=source_stack.region,
            deployment=deployment,
            engine=engine.value,
            backup_retention_days=source.backup_retention_days,
            instance_class=instance_class,
            source_identifier=source.identifier,
        )
        problems += combination_problems(
            Features(
                engine=engine,
                deployment=deployment,
                credentials=source.credentials,
                cross_region_replica=True,
            )
        )
        for what, value in (
            ("region", stack.region),
            ("source region", source_stack.region),
            ("source account", source_stack.account),
        ):
            if Token.is_unresolved(value):
                problems.append(f"{what}: must be explicit (the source's ARN is formatted from it)")
        if problems:
            raise ConfigurationError(self.node.path, problems)
        self.identifier = cross_region_replica_identifier(source.identifier)
        self.instance_class = instance_class or source.instance_class
        self.source_region = source_stack.region
        # "Amazon Resource Names (ARNs) in Amazon RDS": arn:<partition>:rds:<region>:<account>:
        # db:<identifier>. CreateDBInstanceReadReplica, SourceDBInstanceIdentifier: "If the source
        # DB instance is in a different Amazon Web Services Region from the read replica, specify
        # a valid DB instance ARN."
        # (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstanceReadReplica.html)
        self.source_arn = stack.format_arn(
            service="rds",
            resource="db",
            resource_name=source.identifier,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
            region=source_stack.region,
            account=source_stack.account,
        )
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description=f"{self.identifier}: database access (no ingress unless granted)",
            allow_all_outbound=False,
        )
        self.subnet_group = rds.SubnetGroup(
            self,
            "SubnetGroup",
            vpc=vpc,
            description=f"{self.identifier}: isolated subnets",
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
            removal_policy=defaults.RETAIN_NAMED,
        )
        allow_cloudwatch_logs(encryption_key, f"/aws/rds/instance/{self.identifier}/*")
        log_groups = [
            logs.LogGroup(
                self,
                f"Log-{log_type}",
                log_group_name=f"/aws/rds/instance/{self.identifier}/{log_type}",
                retention=log_retention,
                encryption_key=encryption_key,
                removal_policy=defaults.RETAIN_NAMED,
            )
            for log_type in source.log_types
        ]
        # IAM is global, but the source's role is another stack's (and region's) resource.
        self.monitoring_role = iam.Role(
            self,
            "MonitoringRole",
            assumed_by=iam.ServicePrincipal(
                "monitoring.rds.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            ),
            description=f"{self.identifier}: enhanced monitoring",
        )
        monitoring_policy = enhanced_monitoring_policy(self, self.identifier, self.monitoring_role)
        source_engine, monitoring_interval_seconds = _source_settings(source, engine)
        # Only what the replica's L2 reads of its source (engine, for the log types); its ARN is
        # replaced below, since an imported instance's ARN is formatted in this stack's region.
        imported = rds.DatabaseInstance.from_database_instance_attributes(
            self,
            "Source",
            instance_identifier=source.identifier,
            instance_endpoint_address=f"{source.identifier}.invalid",
            port=source.port,
            security_groups=[],
            engine=source_engine,
        )
        self.replica = rds.DatabaseInstanceReadReplica(
            self,
            "Resource",
            source_database_instance=imported,
            instance_type=ec2.InstanceType(self.instance_class.removeprefix("db.")),
            instance_identifier=self.identifier,
            vpc=vpc,
            subnet_group=self.subnet_group,
            security_groups=[self.security_group],
            multi_az=False,
            publicly_accessible=False,
            # A cross-region replica of an encrypted source must name a key of its own region
            # (CreateDBInstanceReadReplica, KmsKeyId: "If you create an encrypted read replica
            # in a different Amazon Web Services Region, then you must specify a KMS key
            # identifier for the destination Amazon Web Services Region").
            storage_encrypted=True,
            storage_encryption_key=encryption_key,
            storage_type=rds.StorageType.GP3,
            max_allocated_storage=source.max_allocated_storage_gib,
            deletion_protection=deletion_protection,
            removal_policy=removal_policy,
            auto_minor_version_upgrade=True,
            iam_authentication=True,
            copy_tags_to_snapshot=True,
            cloudwatch_logs_exports=list(source.log_types),
            monitoring_interval=Duration.seconds(monitoring_interval_seconds),
            monitoring_role=self.monitoring_role,
            enable_performance_insights=True,
            performance_insight_encryption_key=encryption_key,
            ca_certificate=rds.CaCertificate.RDS_CA_RSA2048_G1,
        )
        self.resource = self.replica.node.default_child
        assert isinstance(self.resource, rds.CfnDBInstance)
        self.resource.source_db_instance_identifier = self.source_arn
        # AWS::RDS::DBInstance SourceRegion: the region of the source DB instance. The
        # PreSignedUrl of CreateDBInstanceReadReplica "applies only to Amazon Web Services
        # GovCloud (US) Regions. It's ignored in other Amazon Web Services Regions", and the
        # template has no such property: CloudFormation makes the call in this region itself.
        self.resource.source_region = source_stack.region
        # AWS::RDS::DBInstance StorageEncrypted: "If you specify the SourceDBInstanceIdentifier
        # ... property, don't specify this property. The value is inherited from the source DB
        # instance, and if the DB instance is encrypted, the specified KmsKeyId property is
        # used." (cfn-lint F3020.) The L2 sets it with a key; KmsKeyId stays.
        self.resource.add_property_deletion_override("StorageEncrypted")
        self.replica.node.add_dependency(monitoring_policy, *log_groups)
        _acknowledge_replica_settings(self.replica)
        self.alarms = ReplicaAlarms(
            self,
            "Alarms",
            replica=self.replica,
            identifier=self.identifier,
            facts=replica_facts(facts_of(source), self.instance_class),
            topic=alarm_topic,
            thresholds=thresholds,
        )
        self.endpoint_address = self.replica.db_instance_endpoint_address
        what = f"{self.identifier}: cross-region read replica endpoint address"
        ssm.StringParameter(
            self,
            "EndpointParameter",
            parameter_name=f"{source.parameter_path}/dr-reader",
            string_value=self.endpoint_address,
            description=what,
        )
        CfnOutput(self, "Endpoint", value=self.endpoint_address, description=what)
        CfnOutput(
            self,
            "Promote",
            value=f"rds-ha promote {self.identifier} --region {stack.region}",
            description=f"{self.identifier}: the regional failover command",
        )


_ENCRYPTED = (
    "Encrypted with this region's customer managed key (KmsKeyId): the AWS::RDS::DBInstance "
    "reference says not to specify StorageEncrypted with SourceDBInstanceIdentifier (it is "
    "inherited from the source, which rds-ha always encrypts)."
)
_REASONS = {
    "RDS2": _ENCRYPTED,
    "RDSStorageEncrypted": _ENCRYPTED,
    "RDS11": "The port is inherited from the source DB instance, which uses rds-ha's "
    "non-default port (15432 or 13306).",
    "RDS3": "The DR region's replica is single-AZ to keep the standing cost of the second "
    "region down; the primary is Multi-AZ. After a promotion, make it Multi-AZ "
    "(README, Regional failover).",
    "RDSMultiAZSupport": "The DR region's replica is single-AZ to keep the standing cost of "
    "the second region down; the primary is Multi-AZ. After a promotion, make it Multi-AZ "
    "(README, Regional failover).",
    "RDSInBackupPlan": "A read replica holds no data its source lacks; the source is in the "
    "AWS Backup plan, with copies in this region's DR vault.",
}
_PACKS = {
    "RDS2": ("AwsSolutions",),
    "RDSStorageEncrypted": ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321"),
    "RDS3": ("AwsSolutions",),
    "RDS11": ("AwsSolutions",),
    "RDSMultiAZSupport": ("HIPAA.Security", "NIST.800.53.R5"),
    "RDSInBackupPlan": ("HIPAA.Security", "NIST.800.53.R5"),
}


def _acknowledge_replica_settings(replica: rds.DatabaseInstanceReadReplica) -> None:
    acknowledge_rules(replica, {rule: (_PACKS[rule], reason) for rule, reason in _REASONS.items()})
    skip_checkov_checks(
        replica, {"CKV_AWS_16": _ENCRYPTED, "CKV_AWS_157": _REASONS["RDSMultiAZSupport"]}
    )


def _source_settings(
    source: IHighlyAvailableDatabase, engine: Engine
) -> tuple[rds.IInstanceEngine, int]:
    """The source's engine (as aws-cdk-lib's replica reads it) and enhanced monitoring
    interval: a deployed database's own, an imported one's engine and version at 60 s."""
    if isinstance(source, HighlyAvailableDatabase):
        assert source.instance is not None
        primary = source.instance.node.default_child
        # aws-cdk-lib types it optional for imported instances; one created here has its engine.
        assert isinstance(primary, rds.CfnDBInstance) and source.instance.engine is not None
        return source.instance.engine, int(primary.monitoring_interval or 60)
    return (
        instance_engine(engine, source.engine_version),
        defaults.MONITORING_INTERVAL_SECONDS,
    )
