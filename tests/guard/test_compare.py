"""The comparison on hand-written minimal templates: one change per test."""

from __future__ import annotations

from typing import Any

import pytest

from rds_ha.guard import Category, Finding, compare_assemblies, compare_templates
from rds_ha.guard.values import ABSENT


def findings(baseline: dict[str, Any], current: dict[str, Any]) -> list[Finding]:
    return compare_templates("App-Prod", baseline, current)


def only(found: list[Finding], category: Category) -> Finding:
    matching = [finding for finding in found if finding.category is category]
    assert len(matching) == 1, found
    return matching[0]


def resources(template: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"]


def props(template: dict[str, Any], logical_id: str) -> dict[str, Any]:
    return template["Resources"][logical_id]["Properties"]


def test_identical_templates_produce_no_findings(baseline, current):
    assert findings(baseline, current) == []


def test_renamed_database_is_removed_and_the_new_id_is_named_as_likely_rename(baseline, current):
    resources(current)["PrimaryDatabase"] = resources(current).pop("Database")

    removed = only(findings(baseline, current), Category.REMOVED)

    assert (removed.stack, removed.logical_id) == ("App-Prod", "Database")
    assert removed.resource_type == "AWS::RDS::DBInstance"
    assert (removed.old, removed.new) == ("Database", "PrimaryDatabase")
    assert removed.unsafe
    assert "takes a final snapshot and deletes it (DeletionPolicy Snapshot)" in removed.message
    assert "Likely renamed to PrimaryDatabase (10 of 10 properties equal)" in removed.message
    assert "creates a new, empty AWS::RDS::DBInstance" in removed.message


def test_removed_resource_without_similar_new_one_names_no_rename(baseline, current):
    del resources(current)["Database"]
    resources(current)["Other"] = {
        "Type": "AWS::RDS::DBInstance",
        "Properties": {"Engine": "mysql", "DBInstanceClass": "db.r7g.large"},
    }

    removed = only(findings(baseline, current), Category.REMOVED)

    assert removed.new is ABSENT
    assert "renamed" not in removed.message


def test_removed_backup_vault_is_unsafe_and_says_it_is_left_behind(baseline, current):
    del resources(current)["Vault"]

    removed = only(findings(baseline, current), Category.REMOVED)

    assert (removed.logical_id, removed.resource_type) == ("Vault", "AWS::Backup::BackupVault")
    assert "leaves it behind, no longer managed by the stack (DeletionPolicy Retain)" in (
        removed.message
    )


def test_removed_kms_key_without_policy_is_deleted(baseline, current):
    del resources(baseline)["Key"]["DeletionPolicy"]
    del resources(current)["Key"]

    removed = only(findings(baseline, current), Category.REMOVED)

    assert removed.logical_id == "Key"
    assert "CloudFormation deletes it (DeletionPolicy Delete)" in removed.message


def test_changed_resource_type_under_the_same_id_counts_as_removed(baseline, current):
    resources(current)["Logs"] = {"Type": "AWS::SSM::Parameter", "Properties": {}}

    assert only(findings(baseline, current), Category.REMOVED).logical_id == "Logs"


@pytest.mark.parametrize(
    ("prop", "new_value"),
    [
        ("StorageEncrypted", False),
        ("KmsKeyId", "arn:aws:kms:eu-west-1:123456789012:key/other"),
        ("MasterUsername", "admin"),
        ("DBSubnetGroupName", "manual-group"),
    ],
)
def test_create_only_change_would_replace_the_database(baseline, current, prop, new_value):
    props(current, "Database")[prop] = new_value

    replaced = only(findings(baseline, current), Category.REPLACED)

    assert (replaced.logical_id, replaced.property) == ("Database", prop)
    assert replaced.old == props(baseline, "Database")[prop]
    assert replaced.new == new_value
    assert replaced.message == (
        f"would be replaced: create-only property {prop} changed; CloudFormation creates a new, "
        "empty AWS::RDS::DBInstance and snapshots and deletes the old one "
        "(UpdateReplacePolicy Snapshot)"
    )


def test_create_only_property_appearing_counts_as_a_change(baseline, current):
    props(current, "Database")["DBName"] = "orders"

    replaced = only(findings(baseline, current), Category.REPLACED)

    assert (replaced.property, replaced.old, replaced.new) == ("DBName", ABSENT, "orders")


def test_create_only_property_disappearing_counts_as_a_change(baseline, current):
    del props(current, "Database")["StorageEncrypted"]

    replaced = only(findings(baseline, current), Category.REPLACED)

    assert (replaced.property, replaced.old, replaced.new) == ("StorageEncrypted", True, ABSENT)


def test_replacing_the_subnet_group_replaces_the_database_that_names_it(baseline, current):
    # The database's own template text is unchanged: {"Ref": "SubnetGroup"} resolves to the new
    # group's name only at deploy time.
    props(current, "SubnetGroup")["DBSubnetGroupName"] = "orders-db"

    found = findings(baseline, current)

    subnet = only(found, Category.REPLACED_NO_DATA)
    assert (subnet.logical_id, subnet.property, subnet.unsafe) == (
        "SubnetGroup",
        "DBSubnetGroupName",
        False,
    )
    database = only(found, Category.REPLACED)
    assert (database.logical_id, database.property) == ("Database", "DBSubnetGroupName")
    assert "create-only property DBSubnetGroupName refers to SubnetGroup, which would be " in (
        database.message
    )


def test_new_parameter_group_family_swaps_the_group_in_place(baseline, current):
    for template, family in ((baseline, "postgres16"), (current, "postgres17")):
        resources(template)["Params"] = {
            "Type": "AWS::RDS::DBParameterGroup",
            "Properties": {"Family": family, "Description": "db", "Parameters": {}},
        }
        props(template, "Database")["DBParameterGroupName"] = {"Ref": "Params"}
    # A second replaced resource makes the propagation loop run more than once.
    props(current, "SubnetGroup")["DBSubnetGroupName"] = "orders-db"

    found = findings(baseline, current)

    # DBParameterGroupName is updated in place on a DB instance (a reboot, no new database).
    assert sorted((f.logical_id, f.category, f.property) for f in found) == [
        ("Database", Category.REPLACED, "DBSubnetGroupName"),
        ("Params", Category.REPLACED_NO_DATA, "Family"),
        ("SubnetGroup", Category.REPLACED_NO_DATA, "DBSubnetGroupName"),
    ]


def test_renaming_the_subnet_group_replaces_the_database(baseline, current):
    resources(current)["DbSubnets"] = resources(current).pop("SubnetGroup")
    props(current, "Database")["DBSubnetGroupName"] = {"Ref": "DbSubnets"}

    replaced = only(findings(baseline, current), Category.REPLACED)

    assert replaced.logical_id == "Database"
    assert (replaced.old, replaced.new) == ({"Ref": "SubnetGroup"}, {"Ref": "DbSubnets"})


def test_replaced_key_replaces_the_vault_encrypted_with_it(baseline, current):
    resources(current)["NewKey"] = resources(current).pop("Key")
    for logical_id in ("Database", "Vault"):
        for prop in ("KmsKeyId", "EncryptionKeyArn"):
            if prop in props(current, logical_id):
                props(current, logical_id)[prop] = {"Fn::GetAtt": ["NewKey", "Arn"]}

    found = findings(baseline, current)

    assert {(f.logical_id, f.category) for f in found if f.unsafe} == {
        ("Key", Category.REMOVED),
        ("Database", Category.REPLACED),
        ("Vault", Category.REPLACED),
    }


def test_engine_change_may_replace_the_database(baseline, current):
    props(current, "Database")["Engine"] = "mysql"

    found = only(findings(baseline, current), Category.MAY_BE_REPLACED)

    assert found.unsafe
    assert (found.property, found.old, found.new) == ("Engine", "postgres", "mysql")
    assert found.message.startswith(
        "may be replaced: Engine changed; CloudFormation replaces the resource when this change "
        "cannot be made in place"
    )


@pytest.mark.parametrize(
    ("prop", "new_value"),
    [
        ("MultiAZ", False),
        ("PreferredMaintenanceWindow", "mon:03:00-mon:03:30"),
        ("AutoMinorVersionUpgrade", False),
        ("BackupRetentionPeriod", 14),
        ("DBParameterGroupName", "orders-pg17"),
        ("PerformanceInsightsKMSKeyId", "arn:aws:kms:eu-west-1:123456789012:key/pi"),
    ],
)
def test_conditional_create_only_changes_made_in_place_pass(baseline, current, prop, new_value):
    props(current, "Database")[prop] = new_value

    [found] = findings(baseline, current)

    assert (found.category, found.property, found.new, found.unsafe) == (
        Category.IN_PLACE,
        prop,
        new_value,
        False,
    )


def test_oracle_conversion_to_a_container_database_is_in_place(baseline, current):
    props(baseline, "Database")["Engine"] = "oracle-ee"
    props(current, "Database")["Engine"] = "oracle-ee-cdb"

    [found] = findings(baseline, current)

    assert (found.category, found.property) == (Category.IN_PLACE, "Engine")


def test_new_availability_zone_may_replace_the_database(baseline, current):
    props(current, "Database")["AvailabilityZone"] = "eu-west-1b"

    found = only(findings(baseline, current), Category.MAY_BE_REPLACED)

    assert found.property == "AvailabilityZone"


@pytest.mark.parametrize(("before", "after"), [(ABSENT, 0), (7, 0), ("7", "0")])
def test_backup_retention_going_to_zero_disables_backups_and_is_unsafe(
    baseline, current, before, after
):
    if before is not ABSENT:
        props(baseline, "Database")["BackupRetentionPeriod"] = before
    props(current, "Database")["BackupRetentionPeriod"] = after

    [found] = findings(baseline, current)

    assert (found.category, found.property, found.unsafe) == (
        Category.BACKUPS_DISABLED,
        "BackupRetentionPeriod",
        True,
    )
    assert "point-in-time restore is no longer possible" in found.message


def test_condition_that_evaluates_false_added_to_the_database_may_remove_it(baseline, current):
    current["Conditions"] = {"Never": {"Fn::Equals": ["a", "b"]}}
    resources(current)["Database"]["Condition"] = "Never"

    found = only(findings(baseline, current), Category.MAY_BE_REMOVED)

    assert (found.logical_id, found.property, found.old, found.new) == (
        "Database",
        "Condition",
        ABSENT,
        "Never",
    )
    assert found.unsafe
    assert found.message.startswith("may be removed: Condition Never was added")


def test_changed_definition_of_a_used_condition_may_remove_the_database(baseline, current):
    for template, region in ((baseline, "eu-west-1"), (current, "us-east-1")):
        template["Conditions"] = {
            "InRegion": {"Fn::Equals": [{"Ref": "AWS::Region"}, region]},
            "Prod": {"Fn::And": [{"Condition": "InRegion"}, {"Fn::Equals": ["a", "a"]}]},
        }
        resources(template)["Database"]["Condition"] = "Prod"

    found = only(findings(baseline, current), Category.MAY_BE_REMOVED)

    assert "the definition of its Condition Prod changed" in found.message


def test_unchanged_condition_and_condition_on_stateless_resources_produce_no_finding(
    baseline, current
):
    for template in (baseline, current):
        template["Conditions"] = {"Always": {"Fn::Equals": ["a", "a"]}}
        resources(template)["Database"]["Condition"] = "Always"
    resources(current)["CpuAlarm"]["Condition"] = "Always"

    assert [f for f in findings(baseline, current) if f.unsafe] == []


def test_nested_create_only_pointer_is_compared_inside_lists(baseline, current):
    # AWS::EC2::TransitGatewayConnectPeer has the create-only pointer
    # /properties/ConnectPeerConfiguration/BgpConfigurations/*/PeerAsn in its schema.
    peer = {
        "Type": "AWS::EC2::TransitGatewayConnectPeer",
        "Properties": {
            "TransitGatewayAttachmentId": "tgw-attach-1",
            "ConnectPeerConfiguration": {
                "PeerAddress": "10.0.0.1",
                "InsideCidrBlocks": ["169.254.10.0/29"],
                "BgpConfigurations": [{"PeerAsn": 64512}],
            },
        },
    }
    resources(baseline)["Peer"] = peer
    resources(current)["Peer"] = {
        **peer,
        "Properties": {
            **peer["Properties"],
            "ConnectPeerConfiguration": {
                **peer["Properties"]["ConnectPeerConfiguration"],
                "BgpConfigurations": [{"PeerAsn": 64513}],
            },
        },
    }

    replaced = only(findings(baseline, current), Category.REPLACED_NO_DATA)

    assert replaced.property == "ConnectPeerConfiguration.BgpConfigurations.*.PeerAsn"
    assert (replaced.old, replaced.new) == ([64512], [64513])


def test_weakened_deletion_policy_is_unsafe(baseline, current):
    resources(current)["Key"]["DeletionPolicy"] = "Delete"

    weakened = only(findings(baseline, current), Category.POLICY_WEAKENED)

    assert (weakened.logical_id, weakened.property) == ("Key", "DeletionPolicy")
    assert weakened.message == "DeletionPolicy weakened from Retain to Delete"


def test_removed_update_replace_policy_means_delete(baseline, current):
    del resources(current)["Vault"]["UpdateReplacePolicy"]

    weakened = only(findings(baseline, current), Category.POLICY_WEAKENED)

    assert weakened.message == "UpdateReplacePolicy weakened from Retain to (absent: Delete)"


def test_removed_deletion_policy_on_standalone_instance_keeps_the_snapshot_default(
    baseline, current
):
    del resources(current)["Database"]["DeletionPolicy"]

    found = findings(baseline, current)

    assert [f for f in found if f.unsafe] == []
    assert only(found, Category.IN_PLACE).message == (
        "DeletionPolicy changed from Snapshot to (absent: Snapshot)"
    )


def test_removed_deletion_policy_on_cluster_instance_means_delete(baseline, current):
    for template in (baseline, current):
        props(template, "Database")["DBClusterIdentifier"] = {"Ref": "Cluster"}
    del resources(current)["Database"]["DeletionPolicy"]

    weakened = only(findings(baseline, current), Category.POLICY_WEAKENED)

    assert weakened.message == "DeletionPolicy weakened from Snapshot to (absent: Delete)"


def test_retain_to_snapshot_is_a_weakening(baseline, current):
    resources(current)["Key"]["UpdateReplacePolicy"] = "Snapshot"

    assert only(findings(baseline, current), Category.POLICY_WEAKENED).new == "Snapshot"


def test_stronger_deletion_policy_is_listed_in_place(baseline, current):
    resources(current)["Database"]["DeletionPolicy"] = "Retain"

    found = findings(baseline, current)

    assert only(found, Category.IN_PLACE).message == (
        "DeletionPolicy changed from Snapshot to Retain"
    )
    assert not any(f.unsafe for f in found)


@pytest.mark.parametrize("new_value", [False, "false", ABSENT])
def test_database_deletion_protection_turned_off_is_unsafe(baseline, current, new_value):
    if new_value is ABSENT:
        del props(current, "Database")["DeletionProtection"]
    else:
        props(current, "Database")["DeletionProtection"] = new_value

    off = only(findings(baseline, current), Category.PROTECTION_OFF)

    assert (off.logical_id, off.property, off.old, off.new) == (
        "Database",
        "DeletionProtection",
        True,
        new_value,
    )
    assert off.message.startswith("deletion protection turned off: DeletionProtection True -> ")


def test_log_group_deletion_protection_turned_off_is_unsafe(baseline, current):
    props(current, "Logs")["DeletionProtectionEnabled"] = False

    off = only(findings(baseline, current), Category.PROTECTION_OFF)

    assert off.message == "deletion protection turned off: DeletionProtectionEnabled True -> False"


def test_deletion_protection_turned_on_is_in_place(baseline, current):
    props(baseline, "Database")["DeletionProtection"] = "false"

    found = findings(baseline, current)

    assert [(f.category, f.property) for f in found] == [(Category.IN_PLACE, "DeletionProtection")]


def test_new_instance_class_is_in_place_and_safe(baseline, current):
    props(current, "Database")["DBInstanceClass"] = "db.r7g.large"

    found = findings(baseline, current)

    assert [(f.logical_id, f.category, f.property, f.old, f.new) for f in found] == [
        ("Database", Category.IN_PLACE, "DBInstanceClass", "db.t4g.medium", "db.r7g.large")
    ]
    assert not found[0].unsafe


def test_alarm_threshold_change_is_listed_in_place(baseline, current):
    props(current, "CpuAlarm")["Threshold"] = 90

    found = findings(baseline, current)

    assert [(f.logical_id, f.category, f.old, f.new) for f in found] == [
        ("CpuAlarm", Category.IN_PLACE, 80, 90)
    ]


def test_new_asset_hash_in_a_lambda_function_produces_no_finding(baseline, current):
    props(current, "Handler")["Code"]["S3Key"] = "f" * 64 + ".zip"
    props(current, "Handler")["Handler"] = "index.handler"

    assert findings(baseline, current) == []


def test_new_asset_hash_in_a_create_only_property_produces_no_finding(baseline, current):
    for template, digest in ((baseline, "a" * 64), (current, "b" * 64)):
        resources(template)["Layer"] = {
            "Type": "AWS::Lambda::LayerVersion",
            "Properties": {"Content": {"S3Bucket": "cdk-assets", "S3Key": f"{digest}.zip"}},
        }

    assert findings(baseline, current) == []


def test_cdk_metadata_changes_are_ignored(baseline, current):
    props(current, "CDKMetadata")["Analytics"] = "v2:deflate64:B"

    assert findings(baseline, current) == []


def test_intrinsics_compare_structurally(baseline, current):
    props(current, "Database")["KmsKeyId"] = {"Fn::GetAtt": ["Key", "Arn"]}
    props(current, "Vault")["EncryptionKeyArn"] = {"Fn::GetAtt": ["OtherKey", "Arn"]}

    found = findings(baseline, current)

    assert [(f.logical_id, f.category) for f in found] == [("Vault", Category.REPLACED)]


def test_removed_stack_is_unsafe_and_names_its_stateful_resources(baseline):
    report = compare_assemblies(
        {"App-Prod.template.json": baseline, "App-Dev.template.json": baseline},
        {"App-Dev.template.json": baseline},
    )

    assert not report.safe
    removed = only(list(report.findings), Category.STACK_REMOVED)
    assert removed.stack == "App-Prod"
    assert removed.message == (
        "stack template App-Prod.template.json is missing from CURRENT; it holds 6 stateful "
        "resource(s): Database, Key, Logs, Plan, Secret, Vault: a deploy without it deletes the "
        "stack. If it is not one of your environments (a shipped example), or you removed the "
        "environment on purpose, delete its baseline file"
    )


def test_a_stack_without_a_baseline_is_safe_and_reported_as_not_compared(baseline):
    report = compare_assemblies(
        {"App-Prod.template.json": baseline},
        {"App-Prod.template.json": baseline, "App-Dev.template.json": baseline},
    )

    assert report.safe
    (finding,) = report.findings
    assert (finding.stack, finding.category) == ("App-Dev", Category.NO_BASELINE)
    assert "no baseline yet for App-Dev.template.json" in finding.message
    assert "make baselines" in finding.message
    assert report.stacks == ("App-Dev", "App-Prod")


def test_no_baseline_and_stack_removed_are_told_apart(baseline):
    # A user's own environment names: their stacks have no baseline, the shipped ones no stack.
    report = compare_assemblies(
        {"rds-ha-dev.template.json": baseline}, {"acme-dev.template.json": baseline}
    )

    categories = {finding.stack: finding.category for finding in report.findings}
    assert categories == {"rds-ha-dev": Category.STACK_REMOVED, "acme-dev": Category.NO_BASELINE}
    assert [finding.stack for finding in report.unsafe_findings] == ["rds-ha-dev"]


def test_retain_to_retain_except_on_create_is_in_place(baseline, current):
    # RetainExceptOnCreate keeps the resource on every update and delete, like Retain; it differs
    # only when the create that made the resource rolls back, which cannot happen to a resource
    # that is already deployed.
    resources(baseline)["Key"]["DeletionPolicy"] = "Retain"
    resources(current)["Key"]["DeletionPolicy"] = "RetainExceptOnCreate"

    found = findings(baseline, current)

    assert only(found, Category.IN_PLACE).message == (
        "DeletionPolicy changed from Retain to RetainExceptOnCreate"
    )
    assert not any(f.unsafe for f in found)
