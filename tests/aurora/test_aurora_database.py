"""Synth-level tests of AuroraDatabase: the provisioned and Serverless v2 clusters it declares on
aws-cdk-lib's DatabaseCluster, both credentials modes, its validation (every problem at once,
each naming its AWS rule), and what the other constructs do with an Aurora cluster. Each stack is
synthesized once per module."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Match, Template
from synth_helpers import TEST_ENV, ComplianceSynth, cfn_lint, compliance_app, isolated_vpc

from rds_ha import (
    AuroraDatabase,
    AuroraDeployment,
    AuroraEngine,
    AuroraGlobalCluster,
    AuroraStorageType,
    ConfigurationError,
    CredentialsMode,
    DatabaseAlarms,
    DatabaseBackups,
    DatabaseNetwork,
    FailoverGameDay,
    ReadReplicas,
    RecoveryPointWatch,
    create_database_key,
)
from rds_ha.catalog.aurora import PROFILES, available_versions, supports_auto_pause
from rds_ha.catalog.aurora_rules import AURORA_RULES

DB_CLUSTER = "AWS::RDS::DBCluster"
DB_INSTANCE = "AWS::RDS::DBInstance"


class Built:
    """One stack with an Aurora cluster (and its backups), synthesized with the four compliance
    packs as ``cdk synth`` runs them."""

    def __init__(self, **props: Any) -> None:
        self.app = compliance_app()
        self.stack = cdk.Stack(self.app, "Shop", env=TEST_ENV)
        key = create_database_key(self.stack, "Key", description="orders")
        self.vpc = DatabaseNetwork(
            self.stack,
            "Network",
            cidr="10.0.0.0/16",
            encryption_key=key,
            log_retention=logs.RetentionDays.ONE_YEAR,
            log_group_suffix="shop",
        ).vpc
        self.clients = ec2.SecurityGroup(self.stack, "Clients", vpc=self.vpc)
        self.database = AuroraDatabase(
            self.stack, "Orders", vpc=self.vpc, encryption_key=key, **props
        )
        # IConnectable, as aws-cdk-lib's own databases are.
        self.clients.connections.allow_to_default_port(self.database, "orders app")
        self.backups = DatabaseBackups(self.stack, "Backups", database=self.database)
        self.synth = ComplianceSynth(self.app)
        self.template = self.synth.template(self.stack)
        self.path = self.synth.outdir / self.stack.template_file

    def resources(self, kind: str) -> dict[str, Any]:
        found: dict[str, Any] = self.template.find_resources(kind)
        return found

    def cluster(self) -> dict[str, Any]:
        (cluster,) = self.resources(DB_CLUSTER).values()
        return cluster


@pytest.fixture(scope="module")
def provisioned() -> Built:
    return Built(readers=2, reader_promotion_tiers=[0, 2], identifier="orders")


@pytest.fixture(scope="module")
def serverless() -> Built:
    return Built(
        engine=AuroraEngine.AURORA_MYSQL,
        deployment=AuroraDeployment.SERVERLESS_V2,
        min_capacity=0,
        max_capacity=16,
        backtrack_window=Duration.hours(24),
        storage_type=AuroraStorageType.IO_OPTIMIZED,
        credentials=CredentialsMode.RDS_MANAGED,
        identifier="carts",
    )


def test_a_provisioned_cluster_is_encrypted_protected_and_pinned(provisioned: Built) -> None:
    cluster = provisioned.cluster()
    properties = cluster["Properties"]
    assert properties["Engine"] == "aurora-postgresql"
    assert properties["EngineVersion"] == PROFILES[AuroraEngine.AURORA_POSTGRESQL].default_version
    assert properties["DBClusterIdentifier"] == "orders"
    assert properties["StorageEncrypted"] is True
    assert "KmsKeyId" in properties
    assert properties["DeletionProtection"] is True
    assert properties["EnableIAMDatabaseAuthentication"] is True
    assert properties["Port"] == 15432
    assert properties["EnableCloudwatchLogsExports"] == ["postgresql", "iam-db-auth-error"]
    assert properties["StorageType"] == "aurora"
    # A final snapshot when the cluster leaves the stack, as HighlyAvailableDatabase's default.
    assert cluster["DeletionPolicy"] == cluster["UpdateReplacePolicy"] == "Snapshot"


def test_the_writer_and_readers_are_spread_over_the_azs_with_their_tiers(
    provisioned: Built,
) -> None:
    instances = sorted(
        (r["Properties"] for r in provisioned.resources(DB_INSTANCE).values()),
        key=lambda p: p["DBInstanceIdentifier"],
    )
    assert [i["DBInstanceIdentifier"] for i in instances] == ["orders-1", "orders-2", "orders-3"]
    assert {i["DBInstanceClass"] for i in instances} == {"db.r7g.large"}
    assert [i["PromotionTier"] for i in instances] == [0, 0, 2]
    zones = [i["AvailabilityZone"] for i in instances]
    assert len(set(zones)) == 3, zones
    assert all(i["PubliclyAccessible"] is False for i in instances)
    assert all(i["MonitoringInterval"] == 60 for i in instances)
    assert all(i["EnablePerformanceInsights"] is True for i in instances)


def test_tls_is_enforced_in_the_cluster_parameter_group(
    provisioned: Built, serverless: Built
) -> None:
    provisioned.template.has_resource_properties(
        "AWS::RDS::DBClusterParameterGroup",
        {"Family": "aurora-postgresql17", "Parameters": Match.object_like({"rds.force_ssl": "1"})},
    )
    serverless.template.has_resource_properties(
        "AWS::RDS::DBClusterParameterGroup",
        {
            "Family": "aurora-mysql8.0",
            "Parameters": Match.object_like(
                {"require_secure_transport": "ON", "server_audit_logging": "1"}
            ),
        },
    )


def test_a_serverless_v2_cluster_scales_between_its_capacities(serverless: Built) -> None:
    properties = serverless.cluster()["Properties"]
    assert properties["ServerlessV2ScalingConfiguration"] == {"MinCapacity": 0, "MaxCapacity": 16}
    assert properties["BacktrackWindow"] == 86400
    assert properties["StorageType"] == "aurora-iopt1"
    instances = serverless.resources(DB_INSTANCE).values()
    assert {i["Properties"]["DBInstanceClass"] for i in instances} == {"db.serverless"}
    # The reader scales with the writer: tier 1, so it can take over at the writer's size.
    assert sorted(i["Properties"]["PromotionTier"] for i in instances) == [0, 1]


def test_rds_managed_credentials_have_no_secret_of_the_stacks_own(serverless: Built) -> None:
    properties = serverless.cluster()["Properties"]
    assert properties["ManageMasterUserPassword"] is True
    assert "KmsKeyId" in properties["MasterUserSecret"]
    assert "MasterUserPassword" not in properties
    assert serverless.resources("AWS::SecretsManager::Secret") == {}
    assert serverless.resources("AWS::SecretsManager::RotationSchedule") == {}


def test_the_default_secret_is_kept_attached_and_rotated(provisioned: Built) -> None:
    (secret,) = provisioned.resources("AWS::SecretsManager::Secret").values()
    assert secret["DeletionPolicy"] == "RetainExceptOnCreate"
    provisioned.template.resource_count_is("AWS::SecretsManager::RotationSchedule", 1)
    provisioned.template.has_resource_properties(
        "AWS::SecretsManager::SecretTargetAttachment", {"TargetType": "AWS::RDS::DBCluster"}
    )


def test_clients_are_let_in_on_the_port_only(provisioned: Built) -> None:
    provisioned.template.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        {"FromPort": 15432, "ToPort": 15432, "Description": "orders app"},
    )


def test_aws_backup_protects_the_cluster_as_aurora(provisioned: Built) -> None:
    selection = provisioned.template.find_resources("AWS::Backup::BackupSelection")
    (only,) = selection.values()
    assert "Orders" in str(only["Properties"]["BackupSelection"]["Resources"])
    provisioned.template.has_resource_properties(
        "AWS::Backup::RestoreTestingSelection", {"ProtectedResourceType": "Aurora"}
    )


@pytest.mark.parametrize("which", ["provisioned", "serverless"])
def test_the_four_compliance_packs_pass(which: str, request: pytest.FixtureRequest) -> None:
    built: Built = request.getfixturevalue(which)
    assert built.synth.violations == []
    # The only acknowledgments on the cluster: its instances hold no backup of their own.
    on_database = [line for line in built.synth.acknowledged if "/Orders/" in line]
    assert on_database and all(
        "RDSInBackupPlan" in line or "MonitoringPolicy" in line for line in on_database
    )


@pytest.mark.parametrize("which", ["provisioned", "serverless"])
def test_cfn_lint_finds_nothing(which: str, request: pytest.FixtureRequest) -> None:
    built: Built = request.getfixturevalue(which)
    # cfn-lint skips W3010 (hard-coded AZs) in a CDK template by its aws:cdk:path metadata,
    # which the compliance app leaves out (as test_feature_matrix says); every other check runs.
    matches = cfn_lint(built.path, region="eu-west-1", ignore_checks=["W3010"])
    assert [str(match) for match in matches] == []


def test_every_problem_is_reported_at_once_with_its_rule() -> None:
    stack = cdk.Stack(cdk.App(), "Bad", env=TEST_ENV)
    with pytest.raises(ConfigurationError) as raised:
        AuroraDatabase(
            stack,
            "Db",
            vpc=isolated_vpc(stack),
            engine_version="16.2",
            deployment=AuroraDeployment.SERVERLESS_V2,
            readers=16,
            reader_promotion_tiers=[16],
            min_capacity=0,
            max_capacity=300,
            backtrack_window=Duration.hours(1),
        )
    message = str(raised.value)
    for rule in (
        "aurora.max-readers",
        "aurora.promotion-tier",
        "aurora.serverless-v2-capacity",
        "aurora.backtrack-mysql-only",
    ):
        assert f"[{rule}]" in message
        assert AURORA_RULES[rule].page in message
    assert "readers=16: must be 0-15" in message
    assert "max_capacity=300" in message
    assert "reader_promotion_tiers=[16]: Serverless v2 readers scale with the writer" in message


def test_min_capacity_zero_needs_a_version_that_pauses() -> None:
    # An offered Aurora PostgreSQL 13 or 14 version from before auto-pause (13.15, 14.12), read
    # from the catalog rather than written here.
    engine = AuroraEngine.AURORA_POSTGRESQL
    profile = PROFILES[engine]
    older = sorted(
        (
            v
            for v in available_versions(engine)
            if profile.major_version(v) in ("13", "14") and not supports_auto_pause(engine, v)
        ),
        key=profile.comparable_version,
    )
    assert older, "the catalog offers no Aurora PostgreSQL 13 or 14 version before auto-pause"
    stack = cdk.Stack(cdk.App(), "Pause", env=TEST_ENV)
    common: dict[str, Any] = {
        "vpc": isolated_vpc(stack),
        "engine_version": older[-1],
        "deployment": AuroraDeployment.SERVERLESS_V2,
    }
    with pytest.raises(ConfigurationError, match=r"aurora.serverless-v2-auto-pause"):
        AuroraDatabase(stack, "Paused", min_capacity=0, **common)
    # Half an ACU is that version's floor.
    AuroraDatabase(stack, "Floor", min_capacity=0.5, **common)


def test_a_major_version_alone_is_refused_with_the_offered_ones() -> None:
    stack = cdk.Stack(cdk.App(), "Major", env=TEST_ENV)
    with pytest.raises(ConfigurationError, match=r"engine_version='17'.*offered: 17\."):
        AuroraDatabase(stack, "Db", vpc=isolated_vpc(stack), engine_version="17")


def test_the_rds_only_constructs_refuse_an_aurora_cluster_by_name() -> None:
    stack = cdk.Stack(cdk.App(), "Refused", env=TEST_ENV)
    vpc = isolated_vpc(stack)
    database = AuroraDatabase(stack, "Db", vpc=vpc)
    with pytest.raises(ConfigurationError, match=r"for an Aurora cluster: AuroraAlarms"):
        DatabaseAlarms(stack, "Alarms", database=database)
    with pytest.raises(ConfigurationError, match=r"AuroraDatabase\(readers=\.\.\.\)"):
        ReadReplicas(
            stack,
            "Replicas",
            database=database,
            vpc=vpc,
            count=1,
            alarm_topic=sns.Topic(stack, "T"),
        )


def test_metrics_are_the_clusters_or_one_instances() -> None:
    stack = cdk.Stack(cdk.App(), "Metrics", env=TEST_ENV)
    database = AuroraDatabase(stack, "Db", vpc=isolated_vpc(stack), identifier="m")
    cluster = database.metric_cpu_utilization(period=Duration.minutes(5))
    assert cluster.dimensions == {"DBClusterIdentifier": "m"}
    instance = database.metric_instance("m-2", "AuroraReplicaLag", statistic="Maximum")
    assert instance.dimensions == {"DBInstanceIdentifier": "m-2"}
    assert instance.statistic == "Maximum"
    with pytest.raises(ConfigurationError, match=r"worst='MAX'"):
        database.metric("CPUUtilization", worst="MAX")
    assert Template.from_stack(stack).find_outputs("*")


def test_the_recovery_point_watch_and_the_game_day_treat_it_as_a_cluster() -> None:
    stack = cdk.Stack(cdk.App(), "Watch", env=TEST_ENV)
    database = AuroraDatabase(stack, "Db", vpc=isolated_vpc(stack), identifier="w")
    topic = sns.Topic(stack, "Topic")
    RecoveryPointWatch(stack, "Watch", databases=[database], alarm_topic=topic)
    stop = cloudwatch.Alarm(
        stack, "Stop", metric=database.metric_cpu_utilization(), threshold=90, evaluation_periods=1
    )
    FailoverGameDay(
        stack,
        "GameDay",
        database=database,
        stop_condition_alarm=stop,
        encryption_key=database.encryption_key,
    )
    template = Template.from_stack(stack)
    # The watch reads LatestRestorableTime from DescribeDBClusters for a "cluster".
    watched = [
        json.loads(variables["DATABASES"])
        for function in template.find_resources("AWS::Lambda::Function").values()
        if "DATABASES"
        in (variables := function["Properties"].get("Environment", {}).get("Variables", {}))
    ]
    assert watched == [[{"identifier": "w", "kind": "cluster"}]]
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Dimensions": [{"Name": "DBClusterIdentifier", "Value": "w"}],
            "MetricName": Match.any_value(),
        },
    )
    # Aurora fails over with FIS's aws:rds:failover-db-cluster.
    (experiment,) = template.find_resources("AWS::FIS::ExperimentTemplate").values()
    actions = experiment["Properties"]["Actions"]
    assert {a["ActionId"] for a in actions.values()} == {"aws:rds:failover-db-cluster"}


def test_a_global_database_primary_cannot_backtrack() -> None:
    stack = cdk.Stack(cdk.App(), "Global", env=TEST_ENV)
    primary = AuroraDatabase(
        stack,
        "Db",
        vpc=isolated_vpc(stack),
        engine=AuroraEngine.AURORA_MYSQL,
        backtrack_window=Duration.hours(2),
    )
    with pytest.raises(ConfigurationError, match=r"\[aurora.global-no-backtrack\]"):
        AuroraGlobalCluster(stack, "Global", primary=primary)
