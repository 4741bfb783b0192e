"""ReadReplicas and replicate_automated_backups, synthesized once with the four cdk-nag packs:
a DB instance with three smaller replicas and replicated automated backups, one with two
replicas of its own class, a Multi-AZ DB cluster's reader endpoint, and the staging
environment's stacks with replicated automated backups and a read replica in its DR region
(its DR stack owns the replicated backups' key; rds-ha-staging-dr-replica the replica);
cfn-lint on each."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Annotations, Match, Template
from synth_helpers import (
    TEST_ENV,
    ComplianceSynth,
    cfn_lint,
    compliance_app,
    isolated_vpc,
    project_context,
)

from rds_ha import (
    ConfigurationError,
    CredentialsMode,
    CrossRegionReadReplica,
    DatabaseAlarms,
    Deployment,
    HighlyAvailableDatabase,
    ReadReplicas,
    load_config,
    replicate_automated_backups,
)
from stacks.config import DEFAULT_CONFIG_PATH
from stacks.database_stack import DatabaseStack

WARNING = "rds-ha:replica-smaller-than-primary"
DR_KEY_ARN = "arn:aws:kms:eu-central-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
STAGING_DR_KEY_ARN = (
    "arn:aws:kms:eu-central-1:222222222222:key/mrk-1234abcd12ab34cd56ef1234567890ab"
)


class Built:
    def __init__(self) -> None:
        self.app = compliance_app()
        self.stack = cdk.Stack(self.app, "Replicas", env=TEST_ENV)
        vpc = isolated_vpc(self.stack)
        orders = HighlyAvailableDatabase(
            self.stack, "Orders", vpc=vpc, identifier="orders", instance_class="db.r7g.xlarge"
        )
        topic = DatabaseAlarms(self.stack, "Alarms", database=orders).topic
        self.orders = ReadReplicas(
            self.stack, "OrdersReplicas", database=orders, vpc=vpc, alarm_topic=topic,
            count=3, instance_class="db.r7g.large",
        )  # fmt: skip
        replicate_automated_backups(
            orders, region="eu-central-1", kms_key_id=DR_KEY_ARN, retention=cdk.Duration.days(14)
        )
        billing = HighlyAvailableDatabase(self.stack, "Billing", vpc=vpc, identifier="billing")
        self.billing = ReadReplicas(
            self.stack, "BillingReplicas", database=billing, vpc=vpc, alarm_topic=topic, count=2
        )
        ledger = HighlyAvailableDatabase(
            self.stack, "Ledger", vpc=vpc, identifier="ledger",
            deployment=Deployment.MULTI_AZ_CLUSTER, instance_class="db.m6gd.large",
            allocated_storage=cdk.Size.gibibytes(400),
        )  # fmt: skip
        self.ledger = ReadReplicas(
            self.stack, "LedgerReaders", database=ledger, vpc=vpc, alarm_topic=topic
        )
        staging = load_config(DEFAULT_CONFIG_PATH).environments["staging"]
        # Staging with its automated backups replicated to its DR region, the DR key's ARN
        # configured (the second deploy), and a read replica there: opt-in settings. A read
        # replica needs credentials = "secret" (RDS refuses one of an "rds-managed" source).
        backups = {
            "replicate_automated_backups": True,
            "automated_backup_replication_key_arn": STAGING_DR_KEY_ARN,
        }
        staging = staging.model_copy(
            update={
                "backups": staging.backups.model_copy(update=backups),
                "replicas": staging.replicas.model_copy(update={"cross_region": True}),
                "credentials": CredentialsMode.SECRET,
            }
        )
        self.staging = DatabaseStack(self.app, config=staging)
        assert self.staging.disaster_recovery is not None
        assert self.staging.disaster_recovery_replica is not None
        self.synth = ComplianceSynth(self.app)
        self.template = self.synth.template(self.stack)
        self.staging_template = self.synth.template(self.staging)
        self.dr_template = self.synth.template(self.staging.disaster_recovery)
        self.dr_replica_template = self.synth.template(self.staging.disaster_recovery_replica)

    def replicas_of(self, source_logical_id: str) -> dict[str, Any]:
        return {
            logical_id: resource
            for logical_id, resource in self.template.find_resources("AWS::RDS::DBInstance").items()
            if source_logical_id
            in json.dumps(resource["Properties"].get("SourceDBInstanceIdentifier"))
        }


@pytest.fixture(scope="module")
def built() -> Built:
    return Built()


def _logical_id(built: Built, database_id: str) -> str:
    return built.stack.get_logical_id(
        built.stack.node.find_child(database_id).node.find_child("Resource").node.default_child
    )


def test_each_database_gets_the_replicas_it_asks_for(built: Built) -> None:
    assert len(built.replicas_of(_logical_id(built, "Orders"))) == 3
    assert len(built.replicas_of(_logical_id(built, "Billing"))) == 2
    # Two primaries and five replicas; the cluster has none.
    built.template.resource_count_is("AWS::RDS::DBInstance", 7)


def test_replicas_are_spread_over_the_vpcs_azs(built: Built) -> None:
    zones = [
        r["Properties"]["AvailabilityZone"]
        for r in built.replicas_of(_logical_id(built, "Orders")).values()
    ]
    assert len(set(zones)) == 3
    assert all(not r["Properties"]["MultiAZ"] for r in built.replicas_of("Orders").values())


def test_replicas_are_monitored_protected_and_named_like_the_primary(built: Built) -> None:
    built.template.has_resource_properties(
        "AWS::RDS::DBInstance",
        {
            "DBInstanceIdentifier": "orders-reader-2",
            "DBInstanceClass": "db.r7g.large",
            "DeletionProtection": True,
            "PubliclyAccessible": False,
            "EnablePerformanceInsights": True,
            "PerformanceInsightsKMSKeyId": {
                "Fn::GetAtt": [Match.string_like_regexp("^OrdersKey"), "Arn"]
            },
            "MonitoringInterval": 60,
            "MonitoringRoleArn": {
                "Fn::GetAtt": [Match.string_like_regexp("^OrdersMonitoringRole"), "Arn"]
            },
            "EnableCloudwatchLogsExports": Match.any_value(),
            "DBSubnetGroupName": {"Ref": Match.string_like_regexp("^OrdersSubnetGroup")},
            # Same-region replicas inherit the source's encryption (and its key).
            "StorageEncrypted": Match.absent(),
            "KmsKeyId": Match.absent(),
        },
    )


def test_replicas_default_to_the_primarys_class_without_a_warning(built: Built) -> None:
    built.template.has_resource_properties(
        "AWS::RDS::DBInstance",
        {"DBInstanceIdentifier": "billing-reader-1", "DBInstanceClass": "db.m7g.large"},
    )
    # Read from the construct tree: Annotations.from_stack would synthesize again, with the
    # packs' findings on the harness's VPC.
    warned = [
        construct.node.path
        for construct in built.stack.node.find_all()
        for entry in construct.node.metadata
        if entry.type == "aws:cdk:warning" and WARNING in str(entry.data)
    ]
    assert warned == ["Replicas/OrdersReplicas"]


def test_each_replica_has_replica_lag_cpu_memory_and_storage_alarms(built: Built) -> None:
    names = {
        alarm["Properties"]["AlarmName"]
        for alarm in built.template.find_resources("AWS::CloudWatch::Alarm").values()
        if alarm["Properties"]["AlarmName"].startswith("orders-reader-1-")
    }
    assert names == {
        f"orders-reader-1-{slug}-{severity}"
        for slug in ("replica-lag", "cpu", "freeable-memory", "free-storage")
        for severity in ("warning", "critical")
    }
    built.template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "AlarmName": "orders-reader-1-replica-lag-critical",
            "MetricName": "ReplicaLag",
            "Statistic": "Maximum",
            "Threshold": 60,
            "ComparisonOperator": "GreaterThanThreshold",
            "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": {"Ref": Match.any_value()}}],
            "AlarmActions": [{"Ref": Match.string_like_regexp("^AlarmsTopic")}],
        },
    )
    # Freeable memory in bytes of the replica's class: 25 % of db.r7g.large's 16 GiB.
    built.template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {"AlarmName": "orders-reader-1-freeable-memory-warning", "Threshold": 4 * 1024**3},
    )


def test_replica_endpoints_are_published_as_outputs_and_parameters(built: Built) -> None:
    built.template.has_resource_properties(
        "AWS::SSM::Parameter",
        {
            "Name": "/rds-ha/orders/reader-3",
            "Value": {
                "Fn::GetAtt": [
                    Match.string_like_regexp("^OrdersReplicasReader3"),
                    "Endpoint.Address",
                ]
            },
        },
    )
    outputs = built.template.find_outputs("*")
    assert sum("OrdersReplicasReader" in name for name in outputs) == 3
    assert len(built.orders.endpoints) == 3


def test_a_multi_az_db_cluster_publishes_its_reader_endpoint_instead(built: Built) -> None:
    built.template.has_resource_properties(
        "AWS::SSM::Parameter",
        {
            "Name": "/rds-ha/ledger/reader-endpoint",
            "Value": {"Fn::GetAtt": [Match.string_like_regexp("^Ledger"), "ReadEndpoint.Address"]},
        },
    )
    assert any("LedgerReadersReaderEndpoint" in name for name in built.template.find_outputs("*"))
    assert built.ledger.replicas == []


def test_automated_backups_are_replicated_to_the_dr_region_with_its_key(built: Built) -> None:
    built.template.has_resource_properties(
        "AWS::RDS::DBInstance",
        {
            "DBInstanceIdentifier": "orders",
            "AutomaticBackupReplicationRegion": "eu-central-1",
            "AutomaticBackupReplicationKmsKeyId": DR_KEY_ARN,
            "AutomaticBackupReplicationRetentionPeriod": 14,
        },
    )


def test_staging_refers_to_the_key_its_dr_stack_owns_by_its_key_arn(built: Built) -> None:
    alias = "alias/rds-ha-staging-automated-backups"
    built.dr_template.has_resource_properties("AWS::KMS::Alias", {"AliasName": alias})
    built.dr_template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    # What the second deploy's configuration is filled from.
    assert "AutomatedBackupKeyArn" in built.dr_template.find_outputs("*")
    built.staging_template.has_resource_properties(
        "AWS::RDS::DBInstance",
        {
            "AutomaticBackupReplicationRegion": "eu-central-1",
            # A key ARN: RDS documents no alias form for this property.
            "AutomaticBackupReplicationKmsKeyId": STAGING_DR_KEY_ARN,
            # Default: the database's backup retention.
            "AutomaticBackupReplicationRetentionPeriod": 14,
        },
    )


def test_the_dr_region_replica_names_its_source_by_arn_and_uses_a_key_of_its_region(
    built: Built,
) -> None:
    template = built.dr_replica_template
    template.resource_count_is("AWS::RDS::DBInstance", 1)
    template.has_resource_properties(
        "AWS::RDS::DBInstance",
        {
            "DBInstanceIdentifier": "rds-ha-staging-dr-reader",
            # Another region's source: its ARN, formatted from its fixed identifier.
            "SourceDBInstanceIdentifier": "arn:aws:rds:eu-west-1:222222222222:db:rds-ha-staging",
            "SourceRegion": "eu-west-1",
            "KmsKeyId": {"Fn::GetAtt": [Match.string_like_regexp("^ReplicaKey"), "Arn"]},
            "PerformanceInsightsKMSKeyId": {
                "Fn::GetAtt": [Match.string_like_regexp("^ReplicaKey"), "Arn"]
            },
            # Inherited from the source; the template reference says not to set it.
            "StorageEncrypted": Match.absent(),
            "DBInstanceClass": "db.m7g.large",
            "DBSubnetGroupName": {"Ref": Match.string_like_regexp("^ReplicaSubnetGroup")},
            "VPCSecurityGroups": [
                {"Fn::GetAtt": [Match.string_like_regexp("^ReplicaSecurityGroup"), "GroupId"]}
            ],
            "DeletionProtection": True,
            "PubliclyAccessible": False,
            "MonitoringRoleArn": {
                "Fn::GetAtt": [Match.string_like_regexp("^ReplicaMonitoringRole"), "Arn"]
            },
        },
    )
    # No cross-stack (cross-region) reference: no import, no parameter.
    assert "Fn::ImportValue" not in json.dumps(template.to_json())


def test_the_dr_region_replica_is_retained_like_the_primary(built: Built) -> None:
    for kind in ("AWS::RDS::DBInstance", "AWS::KMS::Key"):
        for resource in built.dr_replica_template.find_resources(kind).values():
            assert resource["DeletionPolicy"] in ("RetainExceptOnCreate", "Retain")
            assert resource["UpdateReplacePolicy"] == "Retain"


def test_the_dr_region_replica_has_its_own_alarms_on_an_encrypted_topic(built: Built) -> None:
    template = built.dr_replica_template
    template.has_resource_properties(
        "AWS::SNS::Topic",
        {
            "TopicName": "rds-ha-staging-dr-reader-alarms",
            "KmsMasterKeyId": {"Fn::GetAtt": [Match.string_like_regexp("TopicKey"), "Arn"]},
        },
    )
    template.has_resource_properties(
        "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "dba-staging@example.com"}
    )
    alarms = template.find_resources("AWS::CloudWatch::Alarm")
    assert len(alarms) == 8  # ReplicaLag, CPU, memory and storage; warning and critical
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "AlarmName": "rds-ha-staging-dr-reader-replica-lag-critical",
            "MetricName": "ReplicaLag",
            "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": Match.any_value()}],
            "AlarmActions": [{"Ref": Match.string_like_regexp("Topic")}],
        },
    )


def test_the_dr_region_replica_runs_in_an_isolated_vpc_of_its_region(built: Built) -> None:
    template = built.dr_replica_template
    template.has_resource_properties("AWS::EC2::VPC", {"CidrBlock": "10.250.0.0/16"})
    template.resource_count_is("AWS::EC2::NatGateway", 0)
    template.resource_count_is("AWS::EC2::InternetGateway", 0)
    template.resource_count_is("AWS::EC2::FlowLog", 1)
    zones = {
        subnet["Properties"]["AvailabilityZone"]
        for subnet in template.find_resources("AWS::EC2::Subnet").values()
    }
    assert zones == {"eu-central-1a", "eu-central-1b", "eu-central-1c"}


def test_the_dr_region_replica_deploys_after_its_source_and_the_dr_vault_before(
    built: Built,
) -> None:
    staging = built.staging
    replica_stack = staging.disaster_recovery_replica
    assert replica_stack is not None and staging.disaster_recovery is not None
    assert replica_stack.region == "eu-central-1"
    assert replica_stack.stack_name == "rds-ha-staging-dr-replica"
    assert staging in replica_stack.dependencies
    assert staging.disaster_recovery in staging.dependencies
    assert replica_stack in staging.environment_stacks


def test_zero_cdk_nag_findings_on_the_replicas(built: Built) -> None:
    # The harness's VPC and the databases' missing backup plan are the test's own.
    findings = [
        v for v in built.synth.violations
        if "Replicas/" in v.split(" at ")[1] and "/Vpc/" not in v and "/Resource/Resource" not in v
    ]  # fmt: skip
    assert findings == []
    assert not [v for v in built.synth.violations if "Reader" in v]
    assert not [v for v in built.synth.violations if "rds-ha-staging" in v]
    # The DR region replica's stack, all four packs.
    assert not [v for v in built.synth.violations if "dr-replica" in v]


@pytest.mark.parametrize(
    "which", ["template", "staging_template", "dr_template", "dr_replica_template"]
)
def test_the_templates_pass_cfn_lint(built: Built, which: str, tmp_path: Path) -> None:
    template: Template = getattr(built, which)
    region = "eu-central-1" if which.startswith("dr_") else "eu-west-1"
    # From a file: lint() of a string also reads .cfnlintrc.yaml, whose templates glob
    # (cdk.out/*.template.json) fails before the first `make synth` of a fresh clone.
    path = tmp_path / f"{which}.template.json"
    path.write_text(json.dumps(template.to_json()))
    matches = cfn_lint(path, region=region)
    assert [str(m) for m in matches if m.rule.id.startswith("E")] == []


def test_fails_when_more_than_fifteen_replicas_or_replicas_of_a_cluster() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Refused", env=TEST_ENV)
    vpc = isolated_vpc(stack)
    cluster = HighlyAvailableDatabase(
        stack, "Ledger", vpc=vpc, deployment=Deployment.MULTI_AZ_CLUSTER,
        instance_class="db.m6gd.large", allocated_storage=cdk.Size.gibibytes(400),
    )  # fmt: skip
    topic = DatabaseAlarms(stack, "Alarms", database=cluster).topic
    with pytest.raises(ConfigurationError, match=r"count=2: a Multi-AZ DB cluster's"):
        ReadReplicas(stack, "R1", database=cluster, vpc=vpc, alarm_topic=topic, count=2)
    instance = HighlyAvailableDatabase(stack, "Orders", vpc=vpc)
    with pytest.raises(ConfigurationError, match=r"count=16: must be 0-15"):
        ReadReplicas(stack, "R2", database=instance, vpc=vpc, alarm_topic=topic, count=16)
    with pytest.raises(ConfigurationError, match=r"region='eu-west-1': must differ"):
        replicate_automated_backups(instance, region="eu-west-1", kms_key_id=DR_KEY_ARN)
    with pytest.raises(ConfigurationError, match=r"kms_key_id='arn:aws:kms:eu-central-1:1111"
                       r"11111111:alias/orders': must be a KMS key ARN"):  # fmt: skip
        replicate_automated_backups(
            instance,
            region="eu-central-1",
            kms_key_id="arn:aws:kms:eu-central-1:111111111111:alias/orders",
        )


def test_a_cross_region_replica_refuses_a_multi_az_db_cluster_source() -> None:
    app = cdk.App()
    primary = cdk.Stack(app, "Primary", env=TEST_ENV)
    cluster = HighlyAvailableDatabase(
        primary, "Ledger", vpc=isolated_vpc(primary), identifier="ledger",
        deployment=Deployment.MULTI_AZ_CLUSTER, instance_class="db.m6gd.large",
        allocated_storage=cdk.Size.gibibytes(400),
    )  # fmt: skip
    dr = cdk.Stack(app, "Dr", env=cdk.Environment(account="111111111111", region="eu-central-1"))
    key = kms.Key(dr, "Key")
    with pytest.raises(ConfigurationError, match=r"no cross-region read replica of a Multi-AZ"):
        CrossRegionReadReplica(
            dr, "Replica", source=cluster, vpc=isolated_vpc(dr), encryption_key=key,
            alarm_topic=sns.Topic(dr, "Topic", master_key=key),
        )  # fmt: skip
    same = cdk.Stack(app, "Same", env=TEST_ENV)
    with pytest.raises(ConfigurationError, match=r"is the database's own region"):
        CrossRegionReadReplica(
            same, "Replica", source=cluster, vpc=isolated_vpc(same), encryption_key=key,
            alarm_topic=sns.Topic(same, "Topic"),
        )  # fmt: skip


def test_without_the_dr_keys_arn_backup_replication_waits_with_a_warning() -> None:
    # The first of the two deploys: the DR stack makes the key, the database is left as it is.
    dev = load_config(DEFAULT_CONFIG_PATH).environments["dev"]
    dev = dev.model_copy(
        update={"backups": dev.backups.model_copy(update={"replicate_automated_backups": True})}
    )
    app = cdk.App(context=project_context())
    stack = DatabaseStack(app, config=dev)
    assert stack.disaster_recovery is not None
    Annotations.from_stack(stack).has_warning(
        "*",
        Match.string_like_regexp("automated backups are not replicated yet.*AutomatedBackupKeyArn"),
    )
    Template.from_stack(stack).has_resource_properties(
        "AWS::RDS::DBInstance",
        {"DBInstanceIdentifier": "rds-ha-dev", "AutomaticBackupReplicationRegion": Match.absent()},
    )
    Template.from_stack(stack.disaster_recovery).has_output("AutomatedBackupKeyArn", {})
