"""Synth-level tests of DatabaseBackups in the environment stacks, for a Multi-AZ DB instance
and a Multi-AZ DB cluster, with all four cdk-nag packs."""

from __future__ import annotations

import tomllib
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Annotations, Match, Template
from synth_helpers import ANNOTATIONS_REPORT, ComplianceSynth, compliance_app

from rds_ha.catalog.engines import Deployment, Engine, newest_of_major
from stacks.config import DEFAULT_CONFIG_PATH, parse_config
from stacks.database_stack import DatabaseStack

CLUSTER = {
    "deployment": "multi-az-cluster",
    # prod pins the major alone, which RDS documents for DB instances only: a full version.
    "engine_version": newest_of_major(Engine.POSTGRES, Deployment.MULTI_AZ_CLUSTER, "17"),
    "instance_class": "db.m6gd.large",
    "allocated_storage_gib": 400,
    "max_allocated_storage_gib": 1000,
}


ROOT = DEFAULT_CONFIG_PATH.parent


def build(environment: str, **overrides: Any) -> tuple[cdk.App, DatabaseStack]:
    data = tomllib.loads(DEFAULT_CONFIG_PATH.read_text())
    data["environments"][environment].update(overrides)
    config = parse_config(data).select(environment)[0]
    app = compliance_app()
    return app, DatabaseStack(app, config=config)


def compliance_report(app: cdk.App) -> dict[str, Any]:
    """Synthesize with the four packs registered as in app.py; CDK applies acknowledgments."""
    return ComplianceSynth(app).report


def violations(report: dict[str, Any]) -> list[str]:
    return [
        f"{violation['ruleName']} at {construct['constructPath']}"
        for plugin in report["pluginReports"]
        if plugin["pluginName"] != ANNOTATIONS_REPORT
        for violation in plugin["violations"]
        for construct in violation["violatingConstructs"]
    ]


@pytest.fixture(scope="module", params=["instance", "cluster"])
def built(request: pytest.FixtureRequest) -> dict[str, Any]:
    overrides = CLUSTER if request.param == "cluster" else {}
    # The packs are checked on an app of their own: with them registered, any synthesis that
    # has a finding raises, and Template.from_stack synthesizes too.
    report = compliance_report(build("prod", **overrides)[0])
    app, stack = build("prod", **overrides)
    return {
        "report": report,
        "kind": request.param,
        "app": app,
        "stack": stack,
        "template": Template.from_stack(stack),
        "dr": Template.from_stack(stack.disaster_recovery),
    }


def test_every_compliance_pack_finds_nothing_in_the_backups_or_the_dr_stack(
    built: dict[str, Any],
) -> None:
    plugins = {plugin["pluginName"] for plugin in built["report"]["pluginReports"]}
    assert {"AwsSolutions", "HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321"} <= plugins
    assert [
        finding
        for finding in violations(built["report"])
        if "/Backups/" in finding or "-dr/" in finding or "/Database/Resource" in finding
    ] == []


def test_the_prod_stack_passes_every_pack_with_no_finding_at_all(
    built: dict[str, Any],
) -> None:
    assert violations(built["report"]) == []


def test_acknowledged_findings_are_only_the_documented_unavoidable_ones(
    built: dict[str, Any],
) -> None:
    # The export sits in Backups under the id "Default", which logical ids leave out.
    acknowledged = {
        (
            violation["ruleName"].split("[")[0],
            construct["constructPath"].split("/", 1)[1].replace("Backups/Default/", "Backups/"),
        )
        for report in built["report"]["pluginReports"]
        for violation in report.get("suppressedViolations", [])
        for construct in violation["violatingConstructs"]
        if "/Backups/" in construct["constructPath"]
    }
    assert acknowledged == {
        ("AwsSolutions-IAM4", "Backups/BackupRole/Resource"),
        ("AwsSolutions-IAM5", "Backups/ExportFunctionPolicy/Resource"),
        *(
            (f"{pack}-{rule}", "Backups/AccessLogBucket/Resource")
            for pack in ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321")
            for rule in ("S3DefaultEncryptionKMS", "S3BucketReplicationEnabled")
        ),
        *(
            (f"{pack}-S3BucketReplicationEnabled", "Backups/ExportBucket/Resource")
            for pack in ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321")
        ),
        # Reserved concurrency is opt-in: reserving any fails deploys on low-quota accounts.
        *(
            (f"{pack}-LambdaConcurrency", "Backups/ExportFunction/Resource")
            for pack in ("HIPAA.Security", "NIST.800.53.R5")
        ),
    }
    assert not any(
        "/Database/Resource" in construct["constructPath"]
        for report in built["report"]["pluginReports"]
        for violation in report.get("suppressedViolations", [])
        for construct in violation["violatingConstructs"]
    )


def test_the_database_carries_no_acknowledgment(built: dict[str, Any]) -> None:
    database = built["stack"].database.resource
    for construct in (database, database.node.default_child or database):
        kinds = {entry.type for entry in construct.node.metadata}
        assert cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY not in kinds


def test_vault_is_encrypted_denies_recovery_point_deletion_and_is_locked_in_prod(
    built: dict[str, Any],
) -> None:
    vaults = built["template"].find_resources("AWS::Backup::BackupVault")
    (vault,) = vaults.values()
    # Kept on update and delete; removed only if the create that made it rolls back, so that a
    # retry can take the name again (a locked vault's name would otherwise be taken for good).
    assert vault["DeletionPolicy"] == "RetainExceptOnCreate"
    assert vault["UpdateReplacePolicy"] == "Retain"
    properties = vault["Properties"]
    assert properties["BackupVaultName"] == "rds-ha-prod-backups"
    assert "EncryptionKeyArn" in properties
    (statement,) = properties["AccessPolicy"]["Statement"]
    assert statement["Effect"] == "Deny"
    assert "backup:DeleteRecoveryPoint" in statement["Action"]
    assert properties["LockConfiguration"] == {
        "MinRetentionDays": 7,
        "MaxRetentionDays": 2557,
        "ChangeableForDays": 3,
    }


def test_plan_has_continuous_daily_and_monthly_rules_without_cold_storage(
    built: dict[str, Any],
) -> None:
    (plan,) = built["template"].find_resources("AWS::Backup::BackupPlan").values()
    rules = {rule["RuleName"]: rule for rule in plan["Properties"]["BackupPlan"]["BackupPlanRule"]}
    assert set(rules) == {"Continuous", "Daily", "Monthly"}
    assert rules["Continuous"]["EnableContinuousBackup"] is True
    # AWS Backup's continuous backup takes over the RDS automated backups: same retention.
    assert built["stack"].config.backup_retention_days == 35
    assert rules["Continuous"]["Lifecycle"] == {"DeleteAfterDays": 35}
    assert rules["Daily"]["Lifecycle"] == {"DeleteAfterDays": 35}
    assert rules["Monthly"]["Lifecycle"] == {"DeleteAfterDays": 2557}
    assert rules["Daily"]["ScheduleExpression"] == "cron(0 5 * * ? *)"
    assert rules["Monthly"]["ScheduleExpression"] == "cron(0 5 1 * ? *)"
    for rule in rules.values():
        assert "MoveToColdStorageAfterDays" not in rule["Lifecycle"]
    assert rules["Monthly"]["RecoveryPointTags"] == {"rds-ha:backup-rule": "Monthly"}
    assert "RecoveryPointTags" not in rules["Daily"]


def test_daily_and_monthly_snapshots_are_copied_to_the_dr_vault_for_instances_only(
    built: dict[str, Any],
) -> None:
    (plan,) = built["template"].find_resources("AWS::Backup::BackupPlan").values()
    rules = {rule["RuleName"]: rule for rule in plan["Properties"]["BackupPlan"]["BackupPlanRule"]}
    dr_vault = "arn:aws:backup:eu-central-1:333333333333:backup-vault:rds-ha-prod-dr-backups"
    # Monthly copies keep the monthly retention, not the daily copies' dr_retention_days.
    for name, days in (("Daily", 35), ("Monthly", 2557)):
        if built["kind"] == "instance":
            assert rules[name]["CopyActions"] == [
                {"DestinationBackupVaultArn": dr_vault, "Lifecycle": {"DeleteAfterDays": days}}
            ]
        else:
            assert "CopyActions" not in rules[name]
    built["dr"].has_resource(
        "AWS::Backup::BackupVault",
        {
            "DeletionPolicy": "RetainExceptOnCreate",
            "Properties": {"BackupVaultName": "rds-ha-prod-dr-backups"},
        },
    )
    assert built["stack"].disaster_recovery.region == "eu-central-1"
    assert built["stack"].disaster_recovery in built["stack"].dependencies


def test_selection_contains_the_database(built: dict[str, Any]) -> None:
    stack = built["stack"]
    database_id = stack.get_logical_id(
        stack.database.resource.node.default_child or stack.database.resource
    )
    (selection,) = built["template"].find_resources("AWS::Backup::BackupSelection").values()
    assert database_id in str(selection["Properties"]["BackupSelection"]["Resources"])


def test_restore_testing_restores_the_latest_recovery_point_into_the_database_network(
    built: dict[str, Any],
) -> None:
    template = built["template"]
    stack = built["stack"]
    database = stack.database
    template.has_resource_properties(
        "AWS::Backup::RestoreTestingPlan",
        {
            "RestoreTestingPlanName": "rds_ha_prod_restores",
            "ScheduleExpression": "cron(0 6 ? * SAT *)",
            "RecoveryPointSelection": {
                "Algorithm": "LATEST_WITHIN_WINDOW",
                "RecoveryPointTypes": ["CONTINUOUS", "SNAPSHOT"],
                "IncludeVaults": [stack.resolve(stack.backups.vault.backup_vault_arn)],
            },
        },
    )
    subnet_group = stack.resolve(database.subnet_group.subnet_group_name)
    security_group = stack.resolve(database.security_group.security_group_id)
    # The database's own subnet group (a Ref) and security group (its GroupId), never a default.
    assert set(subnet_group) == {"Ref"}
    assert security_group["Fn::GetAtt"][1] == "GroupId"
    template.has_resource_properties(
        "AWS::Backup::RestoreTestingSelection",
        {
            "ProtectedResourceType": "RDS",
            "ProtectedResourceArns": [stack.resolve(stack.backups.database_arn)],
            "RestoreTestingPlanName": "rds_ha_prod_restores",
            "RestoreTestingSelectionName": "rds_ha_prod_restores_database",
            "RestoreMetadataOverrides": {
                "dbSubnetGroupName": subnet_group,
                "vpcSecurityGroupIds": {"Fn::Join": ["", ['["', security_group, '"]']]},
            },
        },
    )


def test_export_bucket_is_kms_encrypted_private_versioned_logged_and_expires(
    built: dict[str, Any],
) -> None:
    buckets = built["template"].find_resources(
        "AWS::S3::Bucket", {"Properties": {"LoggingConfiguration": Match.any_value()}}
    )
    (bucket,) = buckets.values()
    properties = bucket["Properties"]
    assert bucket["DeletionPolicy"] == "Retain"
    (encryption,) = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    assert properties["OwnershipControls"] == {
        "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]
    }
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    (rule,) = properties["LifecycleConfiguration"]["Rules"]
    assert rule["ExpirationInDays"] == 2557
    assert rule["Transitions"] == [{"StorageClass": "GLACIER_IR", "TransitionInDays": 30}]


def test_bucket_policies_deny_plain_http(built: dict[str, Any]) -> None:
    policies = built["template"].find_resources("AWS::S3::BucketPolicy")
    assert len(policies) == 2
    for policy in policies.values():
        assert any(
            statement["Effect"] == "Deny"
            and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        )


def test_only_rds_export_can_assume_the_export_role_and_it_has_no_identity_policy(
    built: dict[str, Any],
) -> None:
    roles = built["template"].find_resources(
        "AWS::IAM::Role",
        {
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Statement": [
                        Match.object_like({"Principal": {"Service": "export.rds.amazonaws.com"}})
                    ]
                }
            }
        },
    )
    (role,) = roles.values()
    assert "Policies" not in role["Properties"]
    assert "ManagedPolicyArns" not in role["Properties"]


def test_export_function_is_bounded_in_a_vpc_with_a_dead_letter_queue(
    built: dict[str, Any],
) -> None:
    template = built["template"]
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Handler": "snapshot_export.handler",
            "Runtime": "python3.14",
            "ReservedConcurrentExecutions": Match.absent(),
            "DeadLetterConfig": {"TargetArn": Match.any_value()},
            "VpcConfig": {"SubnetIds": Match.any_value(), "SecurityGroupIds": Match.any_value()},
            "LoggingConfig": {"LogGroup": Match.any_value()},
        },
    )
    template.has_resource_properties(
        "AWS::Lambda::EventInvokeConfig",
        {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 21600},
    )
    template.has_resource_properties(
        "AWS::Logs::LogGroup",
        {
            "LogGroupName": "/rds-ha/rds-ha-prod/snapshot-export",
            "RetentionInDays": 731,
            "KmsKeyId": Match.any_value(),
        },
    )
    template.has_resource_properties(
        "AWS::EC2::VPCEndpoint",
        {"ServiceName": "com.amazonaws.eu-west-1.rds", "PrivateDnsEnabled": True},
    )


def test_export_function_waits_for_its_policy_and_keeps_cdks_own_dependencies(
    built: dict[str, Any],
) -> None:
    stack = built["stack"]
    backups = stack.export
    (function,) = (
        built["template"]
        .find_resources(
            "AWS::Lambda::Function", {"Properties": {"Handler": "snapshot_export.handler"}}
        )
        .values()
    )
    policy = stack.get_logical_id(
        backups.node.find_child("ExportFunctionPolicy").node.default_child
    )
    role = stack.get_logical_id(backups.node.find_child("ExportFunctionRole").node.default_child)
    assert {policy, role} <= set(function["DependsOn"])
    # CDK's own: the function waits for its subnets' routing.
    associations = built["template"].find_resources("AWS::EC2::SubnetRouteTableAssociation")
    assert associations
    assert set(associations) <= set(function["DependsOn"])


def test_rds_api_endpoint_accepts_https_from_the_function_only_and_sends_nothing(
    built: dict[str, Any],
) -> None:
    template = built["template"]
    stack = built["stack"]
    backups = stack.export
    endpoint_group = backups.node.find_child("RdsApiEndpointSecurityGroup")
    function_group = backups.node.find_child("ExportFunctionSecurityGroup")
    endpoint_id = stack.get_logical_id(endpoint_group.node.default_child)
    function_id = stack.get_logical_id(function_group.node.default_child)
    (endpoint,) = template.find_resources("AWS::EC2::VPCEndpoint").values()
    assert endpoint["Properties"]["SecurityGroupIds"] == [{"Fn::GetAtt": [endpoint_id, "GroupId"]}]
    # allow_all_outbound=False: CDK writes one placeholder rule that matches no traffic.
    egress = template.to_json()["Resources"][endpoint_id]["Properties"]["SecurityGroupEgress"]
    (placeholder,) = egress
    assert placeholder["CidrIp"] == "255.255.255.255/32"
    ingress = template.find_resources(
        "AWS::EC2::SecurityGroupIngress",
        {"Properties": {"GroupId": {"Fn::GetAtt": [endpoint_id, "GroupId"]}}},
    )
    (rule,) = ingress.values()
    assert rule["Properties"]["FromPort"] == rule["Properties"]["ToPort"] == 443
    assert rule["Properties"]["SourceSecurityGroupId"] == {"Fn::GetAtt": [function_id, "GroupId"]}


def test_by_default_only_this_databases_aws_backup_jobs_invoke_the_function(
    built: dict[str, Any],
) -> None:
    stack = built["stack"]
    rules = built["template"].find_resources("AWS::Events::Rule")
    # Event rules only: the recovery point watch's schedule is a rule too.
    (rule,) = [rule for rule in rules.values() if "EventPattern" in rule["Properties"]]
    assert rule["Properties"]["EventPattern"] == {
        "source": ["aws.backup"],
        "detail-type": ["Backup Job State Change"],
        "detail": {"resourceArn": [stack.resolve(stack.backups.database_arn)]},
    }
    (target,) = rule["Properties"]["Targets"]
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 4, "MaximumEventAgeInSeconds": 21600}
    assert "DeadLetterConfig" in target
    built["template"].has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Handler": "snapshot_export.handler",
            "Environment": {"Variables": Match.object_like({"EXPORT_SNAPSHOTS": "monthly"})},
        },
    )


@pytest.fixture(scope="module")
def export_all() -> tuple[DatabaseStack, Template]:
    data = tomllib.loads(DEFAULT_CONFIG_PATH.read_text())
    data["environments"]["staging"]["backups"]["export_snapshots"] = "all"
    config = parse_config(data).select("staging")[0]
    app = compliance_app()
    stack = DatabaseStack(app, config=config)
    return stack, Template.from_stack(stack)


def test_exporting_all_snapshots_adds_every_rds_snapshot_event_for_this_database(
    export_all: tuple[DatabaseStack, Template],
) -> None:
    stack, template = export_all
    patterns = [
        rule["Properties"]["EventPattern"]
        for rule in template.find_resources("AWS::Events::Rule").values()
        if "EventPattern" in rule["Properties"]
    ]
    assert sorted(patterns, key=lambda pattern: pattern["source"]) == [
        {
            "source": ["aws.backup"],
            "detail-type": ["Backup Job State Change"],
            "detail": {"resourceArn": [stack.resolve(stack.backups.database_arn)]},
        },
        {
            "source": ["aws.rds"],
            "detail-type": ["RDS DB Snapshot Event", "RDS DB Cluster Snapshot Event"],
            "detail": {
                "EventID": ["RDS-EVENT-0042", "RDS-EVENT-0091", "RDS-EVENT-0075", "RDS-EVENT-0169"]
            },
        },
    ]
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {"Environment": {"Variables": Match.object_like({"EXPORT_SNAPSHOTS": "all"})}},
    )


def test_cluster_backups_warn_that_the_cross_region_copy_is_unsupported(
    built: dict[str, Any],
) -> None:
    warnings = Annotations.from_stack(built["stack"]).find_warning(
        "*", Match.string_like_regexp("Multi-AZ DB cluster")
    )
    assert bool(warnings) == (built["kind"] == "cluster")


def test_export_role_may_be_passed_only_to_the_principal_it_trusts(
    built: dict[str, Any],
) -> None:
    template = built["template"]
    (role_id,) = template.find_resources(
        "AWS::IAM::Role",
        {"Properties": {"Description": Match.string_like_regexp("RDS snapshot export")}},
    )
    role = template.to_json()["Resources"][role_id]
    trusted = {
        s["Principal"]["Service"]
        for s in role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    }
    (policy,) = template.find_resources(
        "AWS::IAM::ManagedPolicy",
        {"Properties": {"Description": Match.string_like_regexp("snapshot export function")}},
    ).values()
    (pass_role,) = [
        s
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s["Action"] == "iam:PassRole"
    ]
    assert pass_role["Resource"] == {"Fn::GetAtt": [role_id, "Arn"]}
    passed_to = set(pass_role["Condition"]["StringEquals"]["iam:PassedToService"])
    # IAM compares PassedToService with the principal the role is passed to, the one it trusts.
    assert trusted == {"export.rds.amazonaws.com"}
    assert trusted <= passed_to <= {"export.rds.amazonaws.com", "rds.amazonaws.com"}


def test_dead_letter_queue_and_function_environment_use_the_backups_key(
    built: dict[str, Any],
) -> None:
    template = built["template"]
    stack = built["stack"]
    key_id = stack.get_logical_id(stack.backups.encryption_key.node.default_child)
    key_arn = {"Fn::GetAtt": [key_id, "Arn"]}
    (queue,) = template.find_resources("AWS::SQS::Queue").values()
    assert queue["Properties"]["KmsMasterKeyId"] == key_arn
    assert "SqsManagedSseEnabled" not in queue["Properties"]
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {"Handler": "snapshot_export.handler", "KmsKeyArn": key_arn},
    )
    statements = template.to_json()["Resources"][key_id]["Properties"]["KeyPolicy"]["Statement"]
    by_sid = {s.get("Sid"): s for s in statements}
    # EventBridge sends undelivered events to the queue itself and needs the key for it.
    events = by_sid["ExportDeadLettersFromEventBridge"]
    assert events["Principal"] == {"Service": "events.amazonaws.com"}
    assert set(events["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey"}
    assert set(by_sid["ExportFunctionEnvironmentAndDeadLetters"]["Action"]) == {
        "kms:Decrypt",
        "kms:GenerateDataKey",
    }


def test_a_failed_export_in_the_dead_letter_queue_raises_an_alarm_on_the_alarm_topic(
    built: dict[str, Any],
) -> None:
    template = built["template"]
    stack = built["stack"]
    queue_id = stack.get_logical_id(stack.export.dead_letter_queue.node.default_child)
    topic_id = stack.get_logical_id(stack.alarms.topic.node.default_child)
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "AlarmName": "rds-ha-prod-snapshot-export-failed",
            "Namespace": "AWS/SQS",
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue_id, "QueueName"]}}],
            "ComparisonOperator": "GreaterThanThreshold",
            "Threshold": 0,
            "AlarmActions": [{"Ref": topic_id}],
            "OKActions": [{"Ref": topic_id}],
        },
    )
