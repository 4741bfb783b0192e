"""The guard's knowledge of resource types comes from cfn-lint's provider schemas."""

from __future__ import annotations

import pytest
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

from rds_ha.guard.schemas import (
    CONDITIONAL_REPLACEMENTS,
    SCHEMA_REGION,
    STATEFUL_TYPES,
    default_deletion_policy,
    replacement_rules,
)
from rds_ha.guard.values import ABSENT, referenced_ids, resolve_pointer


def test_create_only_properties_are_read_from_the_cfn_lint_schema():
    shipped = PROVIDER_SCHEMA_MANAGER.get_resource_schema(SCHEMA_REGION, "AWS::RDS::DBInstance")
    rules = replacement_rules("AWS::RDS::DBInstance")

    assert rules.create_only == tuple(shipped.schema["createOnlyProperties"])
    conditional = [pointer for pointer, _ in rules.conditional]
    assert set(conditional) < set(shipped.schema["conditionalCreateOnlyProperties"])
    assert "/properties/Engine" in conditional
    assert "/properties/MultiAZ" not in conditional
    assert "/properties/StorageEncrypted" in rules.create_only
    assert "/properties/KmsKeyId" in rules.create_only
    assert "/properties/DBInstanceClass" not in rules.create_only + rules.conditional
    assert "/properties/AllocatedStorage" not in rules.create_only + rules.conditional


@pytest.mark.parametrize("resource_type", sorted(STATEFUL_TYPES))
def test_every_stateful_type_has_a_shipped_schema(resource_type):
    assert replacement_rules(resource_type) is not None


def test_type_without_a_schema_has_no_rules():
    assert replacement_rules("AWS::Nothing::Here") is None


@pytest.mark.parametrize(
    ("resource_type", "pointers"),
    [
        ("AWS::RDS::DBInstance", ("/properties/DeletionProtection",)),
        ("AWS::RDS::DBCluster", ("/properties/DeletionProtection",)),
        ("AWS::Logs::LogGroup", ("/properties/DeletionProtectionEnabled",)),
        ("AWS::S3::Bucket", ()),
    ],
)
def test_deletion_protection_properties_are_found_in_the_schema(resource_type, pointers):
    assert replacement_rules(resource_type).deletion_protection == pointers


@pytest.mark.parametrize(
    ("resource_type", "properties", "expected"),
    [
        ("AWS::RDS::DBInstance", {}, "Snapshot"),
        ("AWS::RDS::DBInstance", {"DBClusterIdentifier": "orders"}, "Delete"),
        ("AWS::RDS::DBCluster", {}, "Snapshot"),
        ("AWS::KMS::Key", {}, "Delete"),
        ("AWS::S3::Bucket", {}, "Delete"),
    ],
)
def test_default_deletion_policy_follows_the_cloudformation_docs(
    resource_type, properties, expected
):
    assert default_deletion_policy(resource_type, properties) == expected


def test_pointer_resolves_nested_values_lists_and_stops_at_intrinsics():
    properties = {
        "Secret": {"KmsKeyId": "k1"},
        "Peers": [{"Asn": 1}, {"Other": 2}],
        "Config": {"Fn::If": ["IsProd", {"Name": "a"}, {"Name": "b"}]},
    }

    assert resolve_pointer(properties, "/properties/Secret/KmsKeyId") == "k1"
    assert resolve_pointer(properties, "/properties/Secret/Missing") is ABSENT
    assert resolve_pointer(properties, "/properties/Peers/*/Asn") == [1, ABSENT]
    assert resolve_pointer(properties, "/properties/Config/Name") == properties["Config"]


def test_references_are_found_in_ref_getatt_and_sub():
    value = {
        "Fn::Join": [
            "",
            [
                {"Ref": "Group"},
                {"Fn::GetAtt": "Key.Arn"},
                {"Fn::Sub": "${Db.Endpoint.Address}:${AWS::Region}:${!Literal}"},
                {"Fn::Sub": ["${Name}-${Bucket}", {"Name": {"Ref": "Param"}}]},
            ],
        ]
    }

    assert referenced_ids(value) == {"Group", "Key", "Db", "Bucket", "Param"}


MODIFY_OPERATION = {
    "AWS::RDS::DBInstance": "ModifyDBInstance",
    "AWS::RDS::DBCluster": "ModifyDBCluster",
}


@pytest.mark.parametrize(
    ("resource_type", "pointer"),
    [(t, p) for t, pointers in CONDITIONAL_REPLACEMENTS.items() for p in pointers],
)
def test_documented_replacements_are_schema_conditionals_the_modify_api_cannot_set(
    resource_type, pointer
):
    import botocore.session  # noqa: PLC0415

    shipped = PROVIDER_SCHEMA_MANAGER.get_resource_schema(SCHEMA_REGION, resource_type).schema
    model = botocore.session.get_session().get_service_model("rds")
    settable = model.operation_model(MODIFY_OPERATION[resource_type]).input_shape.members
    name = pointer.rsplit("/", 1)[1]

    assert pointer in shipped["conditionalCreateOnlyProperties"]
    # The one exception: ModifyDBInstance's Engine only converts an Oracle non-CDB to a CDB.
    expected_settable = (resource_type, name) == ("AWS::RDS::DBInstance", "Engine")
    assert (name in settable) is expected_settable
