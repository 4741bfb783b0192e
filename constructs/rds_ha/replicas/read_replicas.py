"""``ReadReplicas``: same-region read replicas of a ``HighlyAvailableDatabase`` DB instance, or
the reader endpoint of its Multi-AZ DB cluster, published like the writer endpoint."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import (
    Annotations,
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
from rds_ha.catalog.engines import Deployment
from rds_ha.catalog.instance_classes import Capacity
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
from rds_ha.monitoring.alarm_thresholds import AlarmThresholds, DatabaseFacts
from rds_ha.nag import acknowledge_rules, skip_checkov_checks
from rds_ha.replicas.replica_alarms import ReplicaAlarms, replica_facts
from rds_ha.replicas.replica_rules import (
    REPLICA_COUNT,
    capacity_against_primary,
    replica_identifier,
    replica_problems,
)

# What the replicas read of an imported primary.
_NEEDED = {
    **FACTS_NEEDED,
    "encryption_key": "the replicas' log groups and Performance Insights use the database key",
}


@dataclass(frozen=True)
class _Primary:
    """What each replica takes from its source: the database's own parts when this app deploys
    it, parts of the replicas' own beside an imported one."""

    source: rds.IDatabaseInstance
    subnet_group: rds.ISubnetGroup
    monitoring_role: iam.IRole
    monitoring_policy: iam.ManagedPolicy
    monitoring_interval_seconds: int
    key: kms.IKey


class ReadReplicas(Construct):
    """Read replicas of a DB instance, spread over the VPC's AZs, each with its alarms and its
    published endpoint; for a Multi-AZ DB cluster, its reader endpoint published instead.

    Each replica (``<identifier>-reader-<n>``) is a single-AZ DB instance in the database's
    subnet group and security group (what is let into the database is let into its replicas),
    encrypted with the database's key (RDS encrypts a same-region replica with its source's
    key), with the primary's enhanced monitoring, Performance Insights on the database key,
    log exports to encrypted log groups, IAM authentication and deletion protection.

    :param database: the primary: a ``HighlyAvailableDatabase``, or an imported DB instance
        with its ``key``, ``instance_class`` and ``allocated_storage_gib`` (RDS creates a read
        replica of any DB instance with automated backups). Beside an imported primary the
        replicas get a subnet group of their own (in the VPC's isolated subnets, unless the
        import names its ``subnet_group``) and an enhanced monitoring role of their own, at 60 s.
    :param vpc: the database's VPC.
    :param alarm_topic: where the replicas' alarms notify, e.g. ``DatabaseAlarms.topic``.
    :param count: read replicas, 0-15. Default: 0 (a cluster's reader endpoint only).
    :param instance_class: Default: the primary's class. A smaller one carries the warning
        ``rds-ha:replica-smaller-than-primary``.
    :param availability_zones: AZs to spread the replicas over, in turn. Default: the AZs of
        the VPC's isolated subnets. RDS does not tell at synth time which AZ the primary is in
        (and a Multi-AZ failover moves it), so replicas are spread, not placed away from it.
    :param thresholds: alarm thresholds. Default: ``AlarmThresholds()``.
    :param deletion_protection: Default: true.
    :param log_retention: retention of the replicas' exported log groups. Default: one year.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        database: IHighlyAvailableDatabase,
        vpc: ec2.IVpc,
        alarm_topic: sns.ITopic,
        count: int = REPLICA_COUNT,
        instance_class: str | None = None,
        availability_zones: list[str] | None = None,
        thresholds: AlarmThresholds | None = None,
        deletion_protection: bool = True,
        log_retention: logs.RetentionDays = defaults.LOG_RETENTION,
    ) -> None:
        super().__init__(scope, construct_id)
        self.database = database
        self.log_retention = log_retention
        engine, deployment = rds_engine_and_deployment(
            database, "ReadReplicas", "its readers, AuroraDatabase(readers=...)"
        )
        self.engine = engine
        deployed = database if isinstance(database, HighlyAvailableDatabase) else None
        problems = []
        if deployed is None:
            problems += missing_attribute_problems(database, "ReadReplicas", _NEEDED)
            if database.deployment is Deployment.MULTI_AZ_CLUSTER:
                problems.append(
                    "deployment='multi-az-cluster': a Multi-AZ DB cluster's readers are its own "
                    "standbys, and ReadReplicas publishes the reader endpoint of a cluster this "
                    "app deploys; allowed: an imported DB instance ('multi-az-instance' or "
                    "'single-az')"
                )
        problems += replica_problems(
            count=count,
            instance_class=instance_class,
            deployment=deployment,
            source_identifier=database.identifier,
        )
        if isinstance(count, int):
            problems += combination_problems(
                Features(
                    engine=engine,
                    deployment=deployment,
                    credentials=database.credentials,
                    read_replicas=count,
                )
            )
        if problems:
            raise ConfigurationError(self.node.path, problems)
        assert database.instance_class is not None
        self.instance_class: str = instance_class or database.instance_class
        self.replicas: list[rds.DatabaseInstanceReadReplica] = []
        self.endpoints: list[str] = []
        self.alarms: list[ReplicaAlarms] = []
        self.reader_endpoint_address: str | None = None
        if database.deployment is Deployment.MULTI_AZ_CLUSTER:
            assert deployed is not None and deployed.cluster is not None
            self.reader_endpoint_address = deployed.cluster.attr_read_endpoint_address
            self._publish(
                self,
                "ReaderEndpoint",
                "reader-endpoint",
                self.reader_endpoint_address,
                f"{database.identifier}: reader endpoint address (the readable standbys)",
            )
            return
        if not count:
            return
        self._warn_if_smaller()
        zones = (
            availability_zones
            or vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED).availability_zones
        )
        # Unresolved AZs (an environment-agnostic stack) cannot be pinned: RDS then chooses.
        pinned = [zone for zone in zones if not Token.is_unresolved(zone)]
        facts = replica_facts(facts_of(database), self.instance_class)
        self._primary = self._primary_of(deployed, vpc)
        for number in range(1, count + 1):
            zone = pinned[(number - 1) % len(pinned)] if pinned else None
            self._add_replica(
                number,
                vpc=vpc,
                zone=zone,
                topic=alarm_topic,
                facts=facts,
                thresholds=thresholds,
                deletion_protection=deletion_protection,
            )

    def _add_replica(
        self,
        number: int,
        *,
        vpc: ec2.IVpc,
        zone: str | None,
        topic: sns.ITopic,
        facts: DatabaseFacts,
        thresholds: AlarmThresholds | None,
        deletion_protection: bool,
    ) -> None:
        database = self.database
        primary = self._primary
        identifier = replica_identifier(database.identifier, number)
        reader = Construct(self, f"Reader{number}")
        allow_cloudwatch_logs(primary.key, f"/aws/rds/instance/{identifier}/*")
        log_groups = [
            logs.LogGroup(
                reader,
                f"Log-{log_type}",
                log_group_name=f"/aws/rds/instance/{identifier}/{log_type}",
                retention=self.log_retention,
                encryption_key=primary.key,
                removal_policy=defaults.RETAIN_NAMED,
            )
            for log_type in database.log_types
        ]
        replica = rds.DatabaseInstanceReadReplica(
            reader,
            "Resource",
            source_database_instance=primary.source,
            instance_type=ec2.InstanceType(self.instance_class.removeprefix("db.")),
            instance_identifier=identifier,
            vpc=vpc,
            subnet_group=primary.subnet_group,
            security_groups=list(database.security_groups),
            availability_zone=zone,
            multi_az=False,
            publicly_accessible=False,
            storage_type=rds.StorageType.GP3,
            max_allocated_storage=database.max_allocated_storage_gib,
            deletion_protection=deletion_protection,
            # A replica holds nothing its source lacks, and RDS takes no final snapshot of a
            # read replica (DeleteDBInstance, FinalDBSnapshotIdentifier).
            removal_policy=RemovalPolicy.DESTROY,
            auto_minor_version_upgrade=True,
            iam_authentication=True,
            copy_tags_to_snapshot=True,
            cloudwatch_logs_exports=list(database.log_types),
            monitoring_interval=Duration.seconds(primary.monitoring_interval_seconds),
            monitoring_role=primary.monitoring_role,
            enable_performance_insights=True,
            performance_insight_encryption_key=primary.key,
            ca_certificate=rds.CaCertificate.RDS_CA_RSA2048_G1,
        )
        replica.node.add_dependency(primary.monitoring_policy, *log_groups)
        if zone is not None:
            # The zone is pinned on purpose (the replicas spread over the VPC's AZs, read from
            # context, never guessed); cfn-lint warns on any literal zone (W3010).
            cfn_replica = replica.node.default_child
            assert isinstance(cfn_replica, rds.CfnDBInstance)
            cfn_replica.add_metadata("cfn-lint", {"config": {"ignore_checks": ["W3010"]}})
        _acknowledge_inherited_settings(replica)
        self.replicas.append(replica)
        self.endpoints.append(replica.db_instance_endpoint_address)
        self.alarms.append(
            ReplicaAlarms(
                reader,
                "Alarms",
                replica=replica,
                identifier=identifier,
                facts=facts,
                topic=topic,
                thresholds=thresholds,
            )
        )
        self._publish(
            reader,
            "Endpoint",
            f"reader-{number}",
            replica.db_instance_endpoint_address,
            f"{identifier}: read replica endpoint address",
        )

    def _primary_of(self, deployed: HighlyAvailableDatabase | None, vpc: ec2.IVpc) -> _Primary:
        if deployed is not None:
            assert deployed.instance is not None
            resource = deployed.instance.node.default_child
            assert isinstance(resource, rds.CfnDBInstance)
            return _Primary(
                source=deployed.instance,
                subnet_group=deployed.subnet_group,
                monitoring_role=deployed.monitoring_role,
                monitoring_policy=deployed.monitoring_policy,
                monitoring_interval_seconds=int(resource.monitoring_interval or 60),
                key=deployed.encryption_key,
            )
        database = self.database
        assert database.encryption_key is not None
        identifier = database.identifier
        source = rds.DatabaseInstance.from_database_instance_attributes(
            self,
            "Source",
            instance_identifier=identifier,
            instance_endpoint_address=database.endpoint_address,
            port=database.port,
            security_groups=list(database.security_groups),
            engine=instance_engine(self.engine, database.engine_version),
        )
        subnet_group = database.subnet_group or rds.SubnetGroup(
            self,
            "SubnetGroup",
            vpc=vpc,
            description=f"{identifier} read replicas: isolated subnets",
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
            removal_policy=defaults.RETAIN_NAMED,
        )
        role = iam.Role(
            self,
            "MonitoringRole",
            assumed_by=iam.ServicePrincipal(
                "monitoring.rds.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            ),
            description=f"{identifier} read replicas: enhanced monitoring",
        )
        return _Primary(
            source=source,
            subnet_group=subnet_group,
            monitoring_role=role,
            monitoring_policy=enhanced_monitoring_policy(self, f"{identifier}-replicas", role),
            monitoring_interval_seconds=defaults.MONITORING_INTERVAL_SECONDS,
            key=database.encryption_key,
        )

    def _publish(
        self, scope: Construct, construct_id: str, leaf: str, value: str, what: str
    ) -> None:
        ssm.StringParameter(
            scope,
            f"{construct_id}Parameter",
            parameter_name=f"{self.database.parameter_path}/{leaf}",
            string_value=value,
            description=what,
        )
        CfnOutput(scope, construct_id, value=value, description=what)

    def _warn_if_smaller(self) -> None:
        capacity = capacity_against_primary(self.instance_class, self.database.instance_class)
        if capacity in (Capacity.SMALLER, Capacity.MIXED):
            Annotations.of(self).add_warning_v2(
                "rds-ha:replica-smaller-than-primary",
                f"{self.database.identifier}: read replicas of class {self.instance_class} have "
                f"less capacity than the primary's {self.database.instance_class}: they can fall "
                "behind under the primary's write load, and a promoted replica is a smaller "
                "database.",
            )


# Why a replica's template leaves out what cdk-nag looks for, by finding.
_INHERITED = {
    "RDS2": "Encrypted with the source's key: for a same-region read replica the "
    "AWS::RDS::DBInstance reference says not to specify StorageEncrypted or KmsKeyId (inherited "
    "from the source DB instance), and the source is always encrypted with the database key.",
    "RDSStorageEncrypted": "Encrypted with the source's key: for a same-region read replica "
    "the AWS::RDS::DBInstance reference says not to specify StorageEncrypted or KmsKeyId "
    "(inherited from the source DB instance), and the source is always encrypted.",
    "RDS11": "The port is inherited from the source DB instance, which uses rds-ha's "
    "non-default port (15432 or 13306).",
    "RDS3": "Read replicas are single-AZ and spread over the VPC's AZs; the primary is "
    "Multi-AZ, and a failed replica leaves the others serving reads.",
    "RDSMultiAZSupport": "Read replicas are single-AZ and spread over the VPC's AZs; the "
    "primary is Multi-AZ, and a failed replica leaves the others serving reads.",
    "RDSInBackupPlan": "A read replica holds no data its source lacks; the source is in the "
    "AWS Backup plan and has automated backups.",
}
_PACKS = {
    "RDS2": ("AwsSolutions",),
    "RDS3": ("AwsSolutions",),
    "RDS11": ("AwsSolutions",),
    "RDSStorageEncrypted": ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321"),
    "RDSMultiAZSupport": ("HIPAA.Security", "NIST.800.53.R5"),
    "RDSInBackupPlan": ("HIPAA.Security", "NIST.800.53.R5"),
}


def _acknowledge_inherited_settings(replica: rds.DatabaseInstanceReadReplica) -> None:
    acknowledge_rules(
        replica, {rule: (_PACKS[rule], reason) for rule, reason in _INHERITED.items()}
    )
    skip_checkov_checks(
        replica,
        {"CKV_AWS_16": _INHERITED["RDSStorageEncrypted"], "CKV_AWS_157": _INHERITED["RDS3"]},
    )
