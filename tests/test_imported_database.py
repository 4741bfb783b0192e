"""HighlyAvailableDatabase.from_database_attributes: a database deployed elsewhere, watched,
backed up, exported, proxied and replicated by rds-ha's constructs in this app; each construct
refuses an import that lacks what it needs, naming the attribute. One app, synthesized once."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_rds as rds
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Match, Template
from cfnlint.api import ManualArgs, lint_file
from synth_helpers import TEST_ENV, ComplianceSynth, compliance_app, isolated_vpc

from rds_ha import (
    ConfigurationError,
    CredentialsMode,
    CrossRegionReadReplica,
    DatabaseAlarms,
    DatabaseBackups,
    DatabaseProxy,
    Deployment,
    Engine,
    FailoverGameDay,
    HighlyAvailableDatabase,
    ImportedDatabase,
    ReadReplicas,
    RecoveryPointWatch,
    SnapshotExport,
    replicate_automated_backups,
)

ENDPOINT = "ledger.abcdefghijkl.eu-west-1.rds.amazonaws.com"
SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:rds!db-ledger-AbCdEf"
KEY_ARN = "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
DR_KEY_ARN = "arn:aws:kms:eu-central-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
# The project's context (cdk.json) names the partition of a known region.
DB_ARN = "arn:aws:rds:eu-west-1:111111111111:db:ledger"


def import_ledger(scope: cdk.Stack, **overrides: Any) -> ImportedDatabase:
    """The ledger database of another team's stack, with every attribute rds-ha reads."""
    attributes: dict[str, Any] = {
        "instance_identifier": "ledger",
        "endpoint_address": ENDPOINT,
        "port": 5432,
        "engine": Engine.POSTGRES,
        "engine_version": "17",
        "security_groups": [
            ec2.SecurityGroup.from_security_group_id(scope, "LedgerGroup", "sg-0123456789abcdef0")
        ],
        "instance_class": "db.r7g.large",
        "allocated_storage": cdk.Size.gibibytes(200),
        "max_allocated_storage": cdk.Size.gibibytes(1000),
        "backup_retention": cdk.Duration.days(7),
        "backup_window": "02:00-02:30",
        "key": kms.Key.from_key_arn(scope, "LedgerKey", KEY_ARN),
        "secret": secretsmanager.Secret.from_secret_complete_arn(scope, "LedgerSecret", SECRET_ARN),
        "resource_id": "db-ABCDEFGHIJKLMNOPQRSTUVWXY",
        "subnet_group": rds.SubnetGroup.from_subnet_group_name(
            scope, "LedgerSubnets", "ledger-subnets"
        ),
    }
    attributes.update(overrides)
    return HighlyAvailableDatabase.from_database_attributes(scope, "Ledger", **attributes)


class Built:
    def __init__(self) -> None:
        app = compliance_app()
        self.stack = cdk.Stack(app, "Ops", env=TEST_ENV)
        vpc = isolated_vpc(self.stack)
        self.database = import_ledger(self.stack)
        self.alarms = DatabaseAlarms(self.stack, "Alarms", database=self.database)
        topic = self.alarms.topic
        self.backups = DatabaseBackups(self.stack, "Backups", database=self.database)
        SnapshotExport(self.stack, "Export", database=self.database, vpc=vpc, alarm_topic=topic)
        self.proxy = DatabaseProxy(
            self.stack, "Proxy", database=self.database, vpc=vpc, alarm_topic=topic
        )
        self.replicas = ReadReplicas(
            self.stack, "Replicas", database=self.database, vpc=vpc, alarm_topic=topic, count=2
        )
        RecoveryPointWatch(
            self.stack, "RecoveryPoint", databases=[self.database], alarm_topic=topic
        )
        FailoverGameDay(
            self.stack,
            "GameDay",
            database=self.database,
            stop_condition_alarm=self.alarms.at_risk,
            encryption_key=kms.Key(self.stack, "GameDayKey", enable_key_rotation=True),
        )
        self.app_role = iam.Role(
            self.stack, "AppRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com")
        )
        self.database.grant_connect(self.app_role, "ledger_app")
        app_group = ec2.SecurityGroup(self.stack, "App", vpc=vpc, allow_all_outbound=False)
        app_group.connections.allow_to_default_port(self.database)
        self.app_group = self.stack.resolve(app_group.security_group_id)

        dr = cdk.Stack(
            app, "OpsDr", env=cdk.Environment(account="111111111111", region="eu-central-1")
        )
        dr_key = kms.Key(dr, "Key", enable_key_rotation=True)
        self.dr_replica = CrossRegionReadReplica(
            dr,
            "Replica",
            source=self.database,
            vpc=isolated_vpc(dr),
            encryption_key=dr_key,
            alarm_topic=sns.Topic(dr, "Topic", master_key=dr_key),
        )
        dr.add_dependency(self.stack)
        self.synth = ComplianceSynth(app)
        self.template = self.synth.template(self.stack)
        self.dr_template = self.synth.template(dr)

    def resources(self, kind: str) -> dict[str, Any]:
        return self.template.find_resources(kind)


@pytest.fixture(scope="module")
def built() -> Built:
    return Built()


def test_the_import_creates_nothing_and_refers_to_the_database_by_identifier(built: Built) -> None:
    assert built.database.resource is None
    assert built.stack.resolve(built.database.arn) == DB_ARN
    assert not [
        name
        for name, resource in built.template.to_json()["Resources"].items()
        if resource["Type"] in ("AWS::RDS::DBInstance", "AWS::RDS::DBCluster")
        and "Replicas" not in name
    ]


def test_alarms_watch_the_imported_instance_with_thresholds_from_its_class(built: Built) -> None:
    built.template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "AlarmName": "ledger-cpu-critical",
            "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": "ledger"}],
        },
    )
    # db.r7g.large has 16 GiB: a memory threshold in bytes derived from it, not a default.
    memory = built.alarms.derived["min_freeable_memory_percent"]
    assert 0 < memory.warning < 16 * 1024**3


def test_the_event_subscription_waits_for_nothing_the_import_does_not_deploy(
    built: Built,
) -> None:
    (subscription,) = built.resources("AWS::RDS::EventSubscription").values()
    assert subscription["Properties"]["SourceIds"] == ["ledger"]
    assert not [d for d in subscription.get("DependsOn", []) if "Ledger" in d]


def test_backups_select_the_imported_instance_and_restore_into_its_own_network(
    built: Built,
) -> None:
    built.template.has_resource_properties(
        "AWS::Backup::BackupSelection",
        {"BackupSelection": {"Resources": [DB_ARN]}},
    )
    (selection,) = built.resources("AWS::Backup::RestoreTestingSelection").values()
    overrides = selection["Properties"]["RestoreMetadataOverrides"]
    assert overrides["dbSubnetGroupName"] == "ledger-subnets"
    assert overrides["vpcSecurityGroupIds"] == '["sg-0123456789abcdef0"]'


def test_snapshot_export_is_allowed_the_imported_instances_snapshots(built: Built) -> None:
    assert "db:ledger" in json.dumps(built.template.to_json())
    built.template.resource_count_is("AWS::S3::Bucket", 2)


def test_the_proxy_fronts_the_imported_instance_with_its_secret_and_key(built: Built) -> None:
    built.template.has_resource_properties(
        "AWS::RDS::DBProxyTargetGroup", {"DBInstanceIdentifiers": ["ledger"]}
    )
    built.template.has_resource_properties(
        "AWS::RDS::DBProxy", {"Auth": [Match.object_like({"SecretArn": SECRET_ARN})]}
    )
    policy = json.dumps(built.template.find_resources("AWS::IAM::ManagedPolicy"))
    assert SECRET_ARN in policy and KEY_ARN in policy
    # The imported security group lets the proxy in on the database's port.
    built.template.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        {
            "GroupId": "sg-0123456789abcdef0",
            "FromPort": 5432,
            "Description": Match.string_like_regexp("Proxy"),
        },
    )


def test_replicas_of_the_import_have_its_arn_as_source_and_parts_of_their_own(
    built: Built,
) -> None:
    replicas = [
        resource["Properties"]
        for resource in built.resources("AWS::RDS::DBInstance").values()
        if "SourceDBInstanceIdentifier" in resource["Properties"]
    ]
    assert len(replicas) == 2
    for replica in replicas:
        assert replica["SourceDBInstanceIdentifier"] == DB_ARN
        assert replica["DBSubnetGroupName"] == "ledger-subnets"
        assert replica["VPCSecurityGroups"] == ["sg-0123456789abcdef0"]
        assert replica["MonitoringInterval"] == 60
        assert replica["PerformanceInsightsKMSKeyId"] == KEY_ARN
        assert replica["DBInstanceClass"] == "db.r7g.large"
    built.template.has_resource_properties(
        "AWS::IAM::Role",
        {"Description": "ledger read replicas: enhanced monitoring"},
    )
    built.template.has_resource_properties(
        "AWS::Logs::LogGroup",
        {"LogGroupName": "/aws/rds/instance/ledger-reader-1/postgresql", "KmsKeyId": KEY_ARN},
    )


def test_the_cross_region_replica_names_the_import_by_its_arn_in_its_region(built: Built) -> None:
    built.dr_template.has_resource_properties(
        "AWS::RDS::DBInstance",
        {
            "SourceDBInstanceIdentifier": DB_ARN,
            "SourceRegion": "eu-west-1",
            "DBInstanceIdentifier": "ledger-dr-reader",
        },
    )


def test_grant_connect_names_the_imported_resource_id(built: Built) -> None:
    assert "dbuser:db-ABCDEFGHIJKLMNOPQRSTUVWXY/ledger_app" in json.dumps(
        built.resources("AWS::IAM::Policy")
    )


def test_a_client_is_let_into_the_imported_security_group(built: Built) -> None:
    built.template.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        {
            "GroupId": "sg-0123456789abcdef0",
            "SourceSecurityGroupId": built.app_group,
            "FromPort": 5432,
            "ToPort": 5432,
        },
    )


def test_the_templates_pass_cfn_lint(built: Built) -> None:
    for stack in ("Ops", "OpsDr"):
        path = built.synth.outdir / f"{stack}.template.json"
        matches = lint_file(
            path,
            config=ManualArgs(
                regions=[],
                # The harness VPC's restrictDefaultSecurityGroup provider (cdk.json's flag).
                ignore_checks=["W3010", "W3005"],
            ),
        )
        assert [str(match) for match in matches] == [], stack


def test_what_is_built_around_the_import_has_no_cdk_nag_findings(built: Built) -> None:
    # The harness's VPCs and the application role (an inline grant) are the test's own.
    assert [v for v in built.synth.violations if "/Vpc/" not in v and "/AppRole/" not in v] == []


# --- what an import lacks --------------------------------------------------------------------


def stack() -> cdk.Stack:
    return cdk.Stack(cdk.App(), "Ops", env=TEST_ENV)


def test_alarms_refuse_an_import_without_its_class_and_storage() -> None:
    ops = stack()
    database = import_ledger(ops, instance_class=None, allocated_storage=None)
    with pytest.raises(ConfigurationError) as error:
        DatabaseAlarms(ops, "Alarms", database=database)
    assert "instance_class=None: DatabaseAlarms needs it" in str(error.value)
    assert "allocated_storage=None: DatabaseAlarms needs it" in str(error.value)
    assert "from_database_attributes(..., instance_class=...)" in str(error.value)


def test_backups_refuse_an_import_without_its_retention_window_and_subnets() -> None:
    ops = stack()
    database = import_ledger(ops, backup_retention=None, backup_window=None, subnet_group=None)
    with pytest.raises(ConfigurationError) as error:
        DatabaseBackups(ops, "Backups", database=database)
    for name in ("backup_retention", "backup_window", "subnet_group"):
        assert f"{name}=None: DatabaseBackups needs it" in str(error.value)


def test_the_proxy_refuses_an_import_without_its_secret_key_or_version() -> None:
    ops = stack()
    database = import_ledger(ops, secret=None, key=None, engine_version=None)
    with pytest.raises(ConfigurationError) as error:
        DatabaseProxy(
            ops, "Proxy", database=database, vpc=isolated_vpc(ops), alarm_topic=sns.Topic(ops, "T")
        )
    message = str(error.value)
    assert "secret=None: DatabaseProxy needs it" in message
    # Named as the import's argument, not the interface's attribute (encryption_key).
    assert "key=None: DatabaseProxy needs it" in message
    assert "from_database_attributes(..., key=...)" in message
    assert "engine_version=None" in message


def test_replicas_refuse_an_import_without_its_key_and_an_imported_cluster() -> None:
    ops = stack()
    vpc = isolated_vpc(ops)
    topic = sns.Topic(ops, "T")
    with pytest.raises(ConfigurationError, match=r"- key=None: ReadReplicas needs it"):
        ReadReplicas(
            ops, "Replicas", database=import_ledger(ops, key=None), vpc=vpc, alarm_topic=topic
        )
    cluster = HighlyAvailableDatabase.from_database_attributes(
        ops,
        "Cluster",
        instance_identifier="books",
        endpoint_address="books.cluster-x.eu-west-1.rds.amazonaws.com",
        port=3306,
        engine=Engine.MYSQL,
        security_groups=[],
        deployment=Deployment.MULTI_AZ_CLUSTER,
        instance_class="db.m6gd.large",
        allocated_storage=cdk.Size.gibibytes(400),
        key=kms.Key.from_key_arn(ops, "BooksKey", KEY_ARN),
    )
    with pytest.raises(ConfigurationError, match=r"deployment='multi-az-cluster': a Multi-AZ"):
        ReadReplicas(ops, "ClusterReaders", database=cluster, vpc=vpc, alarm_topic=topic)


def test_replicas_are_refused_for_an_import_whose_password_rds_manages() -> None:
    ops = stack()
    database = import_ledger(ops, credentials=CredentialsMode.RDS_MANAGED)
    with pytest.raises(ConfigurationError, match=r"secrets.managed-password-no-read-replica"):
        ReadReplicas(
            ops,
            "Replicas",
            database=database,
            vpc=isolated_vpc(ops),
            alarm_topic=sns.Topic(ops, "T"),
            count=1,
        )


def test_the_cross_region_replica_refuses_an_import_without_its_backup_retention() -> None:
    app = cdk.App()
    ops = cdk.Stack(app, "Ops", env=TEST_ENV)
    database = import_ledger(ops, backup_retention=None)
    dr = cdk.Stack(app, "Dr", env=cdk.Environment(account="111111111111", region="eu-central-1"))
    key = kms.Key(dr, "Key")
    with pytest.raises(ConfigurationError, match=r"backup_retention=None: CrossRegion"):
        CrossRegionReadReplica(
            dr,
            "Replica",
            source=database,
            vpc=isolated_vpc(dr),
            encryption_key=key,
            alarm_topic=sns.Topic(dr, "Topic", master_key=key),
        )


def test_automated_backup_replication_is_refused_for_an_import() -> None:
    ops = stack()
    with pytest.raises(ConfigurationError, match=r"database='ledger': imported; automated"):
        replicate_automated_backups(
            import_ledger(ops), region="eu-central-1", kms_key_id=DR_KEY_ARN
        )


def test_grant_connect_needs_the_resource_id() -> None:
    ops = stack()
    role = iam.Role(ops, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    with pytest.raises(ConfigurationError, match=r"resource_id=None: rds-db:connect names"):
        import_ledger(ops, resource_id=None).grant_connect(role, "app")


def test_an_imported_cluster_without_its_members_or_key_cannot_be_watched() -> None:
    ops = stack()
    cluster = HighlyAvailableDatabase.from_database_attributes(
        ops,
        "Cluster",
        instance_identifier="books",
        endpoint_address="books.cluster-x.eu-west-1.rds.amazonaws.com",
        port=3306,
        engine=Engine.MYSQL,
        security_groups=[],
        deployment=Deployment.MULTI_AZ_CLUSTER,
        instance_class="db.m6gd.large",
        allocated_storage=cdk.Size.gibibytes(400),
    )
    with pytest.raises(ConfigurationError, match=r"encryption_key=None: the member lookup"):
        DatabaseAlarms(ops, "Alarms", database=cluster)


def test_an_imported_cluster_with_its_members_is_watched_on_them() -> None:
    ops = stack()
    members = ["books-instance-1", "books-instance-2", "books-instance-3"]
    cluster = HighlyAvailableDatabase.from_database_attributes(
        ops,
        "Cluster",
        instance_identifier="books",
        endpoint_address="books.cluster-x.eu-west-1.rds.amazonaws.com",
        port=3306,
        engine=Engine.MYSQL,
        security_groups=[],
        deployment=Deployment.MULTI_AZ_CLUSTER,
        instance_class="db.m6gd.large",
        allocated_storage=cdk.Size.gibibytes(400),
        cluster_member_identifiers=members,
    )
    DatabaseAlarms(ops, "Alarms", database=cluster)
    metrics = json.dumps(Template.from_stack(ops).find_resources("AWS::CloudWatch::Alarm"))
    assert all(member in metrics for member in members)
    assert "Custom::" not in json.dumps(Template.from_stack(ops).to_json())


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"instance_identifier": "Ledger_1"}, r"instance_identifier='Ledger_1': must be the"),
        ({"port": 80}, r"port=80: must be 1150-65535"),
        ({"engine": "oracle"}, r"engine='oracle': must be one of"),
        ({"backup_retention": cdk.Duration.days(0)}, r"backup_retention=Duration.days\(0\): must"),
        ({"allocated_storage": cdk.Size.gibibytes(0)}, r"allocated_storage=Size.gibibytes\(0\)"),
        ({"cluster_member_identifiers": ["a"]}, r"only for a Multi-AZ DB cluster"),
    ],
)
def test_bad_attributes_are_refused_naming_the_field(
    overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        import_ledger(stack(), **overrides)
