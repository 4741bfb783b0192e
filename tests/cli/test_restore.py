"""`rds-ha restore`: checks the window and the target before creating anything; restores with
the source's configuration."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import ANY, Stubber

from .conftest import KMS_KEY, REGION, create_instance, instance_ids, plain

ARN = "arn:aws:rds:us-east-1:123456789012:db:orders-db"
EARLIEST = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)
LATEST = datetime(2026, 11, 3, 2, 55, tzinfo=UTC)


def test_restore_latest_creates_an_instance_configured_like_the_source(rds, invoke):
    source = create_instance(rds)

    result = invoke(
        "--output",
        "json",
        "restore",
        "orders-db",
        "--target",
        "orders-restored",
        "--latest",
        "--yes",
    )

    assert result.exit_code == 0, result.output
    restored = rds.describe_db_instances(DBInstanceIdentifier="orders-restored")["DBInstances"][0]
    assert restored["MultiAZ"] is True
    assert restored["DeletionProtection"] is True
    assert restored["KmsKeyId"] == KMS_KEY
    assert restored["DBInstanceClass"] == source["DBInstanceClass"]
    assert restored["VpcSecurityGroups"] == source["VpcSecurityGroups"]
    assert (
        restored["DBParameterGroups"][0]["DBParameterGroupName"]
        == (source["DBParameterGroups"][0]["DBParameterGroupName"])
    )
    tags = rds.list_tags_for_resource(ResourceName=restored["DBInstanceArn"])["TagList"]
    assert {"Key": "team", "Value": "orders"} in tags
    report = json.loads(result.stdout)
    assert report["endpoint"].startswith("orders-restored.")
    assert report["mismatches"] == []
    assert report["data_loss_window_seconds"] >= 0


def test_restore_refuses_a_target_that_exists_and_creates_nothing(rds, invoke):
    create_instance(rds)
    create_instance(rds, "orders-copy", MultiAZ=False)

    result = invoke("restore", "orders-db", "--target", "orders-copy", "--latest", "--yes")

    assert result.exit_code == 2
    assert "--target 'orders-copy' already exists" in plain(result.stderr)
    assert instance_ids(rds) == ["orders-copy", "orders-db"]
    copy = rds.describe_db_instances(DBInstanceIdentifier="orders-copy")["DBInstances"][0]
    assert copy["MultiAZ"] is False  # untouched


def test_restore_refuses_a_source_without_backups(rds, invoke):
    create_instance(rds, BackupRetentionPeriod=0)

    result = invoke("restore", "orders-db", "--target", "orders-restored", "--latest", "--yes")

    assert result.exit_code == 2
    assert "no automated backups" in plain(result.stderr)
    assert instance_ids(rds) == ["orders-db"]


def test_restore_dry_run_prints_the_plan_and_creates_nothing(rds, invoke):
    create_instance(rds)

    result = invoke("restore", "orders-db", "--target", "orders-restored", "--latest", "--dry-run")

    assert result.exit_code == 0
    assert "restore orders-db as of" in plain(result.stdout)
    assert f"KMS key {KMS_KEY} (inherited)" in plain(result.stdout)
    assert instance_ids(rds) == ["orders-db"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--latest", "--to", "2026-11-03T02:00:00Z"], "give exactly one of --to TIME or --latest"),
        ([], "give exactly one of --to TIME or --latest"),
        (["--to", "yesterday"], "--to 'yesterday' is not an ISO 8601 time"),
        (["--to", "2026-11-03T02:00:00"], "has no UTC offset"),
    ],
)
def test_restore_rejects_bad_time_arguments_with_exit_code_2(rds, invoke, args, message):
    create_instance(rds)

    result = invoke("restore", "orders-db", "--target", "orders-restored", *args, "--yes")

    assert result.exit_code == 2
    assert message in plain(result.stderr)
    assert instance_ids(rds) == ["orders-db"]


def test_restore_rejects_an_invalid_target_identifier(rds, invoke):
    create_instance(rds)

    result = invoke("restore", "orders-db", "--target", "Orders_Restored", "--latest", "--yes")

    assert result.exit_code == 2
    assert "--target 'Orders_Restored' is not a valid RDS identifier" in plain(result.stderr)


def _source() -> dict:
    return {
        "DBInstances": [
            {
                "DBInstanceIdentifier": "orders-db",
                "DBInstanceArn": ARN,
                "DBInstanceStatus": "available",
                "DBInstanceClass": "db.r6g.large",
                "Engine": "postgres",
                "MultiAZ": True,
                "DeletionProtection": True,
                "StorageEncrypted": True,
                "KmsKeyId": KMS_KEY,
                "BackupRetentionPeriod": 7,
                "LatestRestorableTime": LATEST,
                "VpcSecurityGroups": [{"VpcSecurityGroupId": "sg-0123", "Status": "active"}],
                "DBSubnetGroup": {"DBSubnetGroupName": "orders-private"},
                "DBParameterGroups": [{"DBParameterGroupName": "orders-pg16"}],
            }
        ]
    }


def _window_stub() -> tuple[object, Stubber]:
    """moto has no restore window (and PITR accepts any time), so the window is stubbed."""
    rds = boto3.client("rds", region_name=REGION)
    stub = Stubber(rds)
    stub.add_response("describe_db_instances", _source(), {"DBInstanceIdentifier": "orders-db"})
    stub.add_response(
        "describe_db_instance_automated_backups",
        {
            "DBInstanceAutomatedBackups": [
                {"RestoreWindow": {"EarliestTime": EARLIEST, "LatestTime": LATEST}}
            ]
        },
        {"DBInstanceIdentifier": "orders-db"},
    )
    return rds, stub


@pytest.mark.parametrize("to", ["2026-10-31T23:59:59Z", "2026-11-03T02:56:00+00:00"])
def test_restore_refuses_a_time_outside_the_window_before_creating_anything(invoke, use_client, to):
    rds, stub = _window_stub()
    use_client("rds", rds)

    with stub:
        result = invoke("restore", "orders-db", "--target", "orders-restored", "--to", to, "--yes")
        stub.assert_no_pending_responses()  # no restore call was queued, so none was made

    assert result.exit_code == 2
    assert "outside the restore window of orders-db: 2026-11-01T00:00:00+00:00 to " in plain(
        result.stderr
    )


def test_restore_to_a_time_inside_the_window_passes_the_source_configuration(invoke, use_client):
    rds, stub = _window_stub()
    to = datetime(2026, 11, 3, 2, 15, tzinfo=UTC)
    stub.add_client_error("describe_db_instances", "DBInstanceNotFound", "not found")
    stub.add_response(
        "list_tags_for_resource",
        {"TagList": [{"Key": "team", "Value": "orders"}]},
        {"ResourceName": ARN},
    )
    stub.add_response(
        "restore_db_instance_to_point_in_time",
        {"DBInstance": {}},
        {
            "SourceDBInstanceIdentifier": "orders-db",
            "TargetDBInstanceIdentifier": "orders-restored",
            "RestoreTime": to,
            "DBInstanceClass": "db.r6g.large",
            "MultiAZ": True,
            "DeletionProtection": True,
            "PubliclyAccessible": False,
            "CopyTagsToSnapshot": False,
            "VpcSecurityGroupIds": ["sg-0123"],
            "DBSubnetGroupName": "orders-private",
            "DBParameterGroupName": "orders-pg16",
            "Tags": [{"Key": "team", "Value": "orders"}],
        },
    )
    restored = _source()["DBInstances"][0] | {
        "DBInstanceIdentifier": "orders-restored",
        "Endpoint": {"Address": "orders-restored.x.rds.amazonaws.com", "Port": 5432},
    }
    stub.add_response(
        "describe_db_instances", {"DBInstances": [restored]}, {"DBInstanceIdentifier": ANY}
    )
    use_client("rds", rds)

    with stub:
        result = invoke(
            "--output",
            "json",
            "restore",
            "orders-db",
            "--target",
            "orders-restored",
            "--to",
            "2026-11-03T02:15:00Z",
            "--yes",
        )
        stub.assert_no_pending_responses()

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["endpoint"] == "orders-restored.x.rds.amazonaws.com:5432"
    assert report["restore_time"] == "2026-11-03T02:15:00+00:00"
