"""`rds-ha restore`: checks the window and the target before creating anything; restores with
the source's configuration."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import ANY, Stubber

from .conftest import KMS_KEY, REGION, create_instance, instance_ids, moto_key, plain

ARN = "arn:aws:rds:us-east-1:123456789012:db:orders-db"
EARLIEST = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)
LATEST = datetime(2026, 11, 3, 2, 55, tzinfo=UTC)


def test_restore_latest_creates_an_instance_configured_like_the_source(rds, invoke):
    # moto accepts any restore time (it models no restore window) and copies the whole source
    # into the new instance whatever is passed, so this shows the flow end to end; the window
    # checks and the parameters sent are tested with a Stubber below.
    key = moto_key()
    source = create_instance(rds, KmsKeyId=key)

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
    assert restored["KmsKeyId"] == key
    # Its own master secret, managed by RDS, under the source's key (the source had none).
    assert restored["MasterUserSecret"]["KmsKeyId"] == key
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


RESOURCE_ID = "db-ORDERS0000000000000000000"
SECRET_KEY = "arn:aws:kms:us-east-1:123456789012:key/secret-key"
PI_KEY = "arn:aws:kms:us-east-1:123456789012:key/pi-key"
MONITORING_ROLE = "arn:aws:iam::123456789012:role/rds-monitoring"


def _source_instance() -> dict:
    """A source with every setting the restore has to carry over, as a CDK-created database
    has them (the stack's aws: tags included)."""
    return {
        "DBInstanceIdentifier": "orders-db",
        "DBInstanceArn": ARN,
        "DbiResourceId": RESOURCE_ID,
        "DBInstanceStatus": "available",
        "DBInstanceClass": "db.r6g.large",
        "Engine": "postgres",
        "MultiAZ": True,
        "DeletionProtection": True,
        "PubliclyAccessible": False,
        "CopyTagsToSnapshot": True,
        "AutoMinorVersionUpgrade": True,
        "IAMDatabaseAuthenticationEnabled": True,
        "Endpoint": {"Address": "orders-db.x.rds.amazonaws.com", "Port": 6543},
        "StorageEncrypted": True,
        "KmsKeyId": KMS_KEY,
        "AllocatedStorage": 500,
        "MaxAllocatedStorage": 1000,
        "StorageType": "gp3",
        "Iops": 12000,
        "StorageThroughput": 500,
        "EnabledCloudwatchLogsExports": ["upgrade", "postgresql"],
        "BackupRetentionPeriod": 14,
        "PreferredBackupWindow": "03:00-03:30",
        "PreferredMaintenanceWindow": "sun:05:00-sun:05:30",
        "CACertificateIdentifier": "rds-ca-rsa2048-g1",
        "MasterUserSecret": {
            "SecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1",
            "SecretStatus": "active",
            "KmsKeyId": SECRET_KEY,
        },
        "PerformanceInsightsEnabled": True,
        "PerformanceInsightsKMSKeyId": PI_KEY,
        "PerformanceInsightsRetentionPeriod": 7,
        "MonitoringInterval": 60,
        "MonitoringRoleArn": MONITORING_ROLE,
        "LatestRestorableTime": LATEST,
        "VpcSecurityGroups": [{"VpcSecurityGroupId": "sg-0123", "Status": "active"}],
        "DBSubnetGroup": {"DBSubnetGroupName": "orders-private"},
        "DBParameterGroups": [{"DBParameterGroupName": "orders-pg16"}],
        "OptionGroupMemberships": [{"OptionGroupName": "orders-options", "Status": "in-sync"}],
    }


def _source() -> dict:
    return {"DBInstances": [_source_instance()]}


def _backup(resource_id: str, earliest: datetime) -> dict:
    return {
        "DbiResourceId": resource_id,
        "RestoreWindow": {"EarliestTime": earliest, "LatestTime": LATEST},
    }


def _window_stub(*backups: dict) -> tuple[object, Stubber]:
    """moto has no restore window (and PITR accepts any time), so the window is stubbed."""
    rds = boto3.client("rds", region_name=REGION)
    stub = Stubber(rds)
    stub.add_response("describe_db_instances", _source(), {"DBInstanceIdentifier": "orders-db"})
    stub.add_response(
        "describe_db_instance_automated_backups",
        {"DBInstanceAutomatedBackups": list(backups) or [_backup(RESOURCE_ID, EARLIEST)]},
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
    assert "outside the restore window of orders-db: 2026-11-01T00:00:00Z to " in plain(
        result.stderr
    )


def test_restore_window_ignores_retained_backups_of_a_deleted_namesake(invoke, use_client):
    # A deleted instance that was also called orders-db left backups reaching further back.
    older = datetime(2026, 10, 1, tzinfo=UTC)
    rds, stub = _window_stub(
        _backup("db-DELETED000000000000000000", older), _backup(RESOURCE_ID, EARLIEST)
    )
    use_client("rds", rds)

    with stub:
        result = invoke(
            "restore",
            "orders-db",
            "--target",
            "orders-restored",
            "--to",
            "2026-10-15T00:00:00Z",
            "--yes",
        )
        stub.assert_no_pending_responses()

    assert result.exit_code == 2
    assert "outside the restore window of orders-db: 2026-11-01T00:00:00Z to " in plain(
        result.stderr
    )


def test_restore_of_a_new_instance_without_restorable_time_does_not_blame_retention(
    invoke, use_client
):
    rds = boto3.client("rds", region_name=REGION)
    stub = Stubber(rds)
    fresh = _source_instance()
    del fresh["LatestRestorableTime"]
    stub.add_response("describe_db_instances", {"DBInstances": [fresh]}, None)
    stub.add_response(
        "describe_db_instance_automated_backups", {"DBInstanceAutomatedBackups": []}, None
    )
    use_client("rds", rds)

    with stub:
        result = invoke("restore", "orders-db", "--target", "orders-restored", "--latest", "--yes")

    assert result.exit_code == 2
    assert "no latest restorable time yet" in plain(result.stderr)
    assert "retention 0" not in plain(result.stderr)


EXPECTED_RESTORE = {
    "SourceDBInstanceIdentifier": "orders-db",
    "TargetDBInstanceIdentifier": "orders-restored",
    "DBInstanceClass": "db.r6g.large",
    "MultiAZ": True,
    "DeletionProtection": True,
    "PubliclyAccessible": False,
    "CopyTagsToSnapshot": True,
    "AutoMinorVersionUpgrade": True,
    "EnableIAMDatabaseAuthentication": True,
    "Port": 6543,
    "DBSubnetGroupName": "orders-private",
    "VpcSecurityGroupIds": ["sg-0123"],
    "DBParameterGroupName": "orders-pg16",
    "OptionGroupName": "orders-options",
    "AllocatedStorage": 500,
    "StorageType": "gp3",
    "Iops": 12000,
    "StorageThroughput": 500,
    "MaxAllocatedStorage": 1000,
    "EnableCloudwatchLogsExports": ["postgresql", "upgrade"],
    "BackupRetentionPeriod": 14,
    "PreferredBackupWindow": "03:00-03:30",
    "CACertificateIdentifier": "rds-ca-rsa2048-g1",
    # No ManageMasterUserPassword: on a restore it "Applies to RDS for Oracle only" (moto takes
    # it anyway); the new instance gets its own managed secret afterwards (FOLLOW_UP).
    # Reserved aws: keys are dropped: RDS rejects them (moto accepts them, so only a stub shows it).
    "Tags": [{"Key": "team", "Value": "orders"}],
}
FOLLOW_UP = {
    "DBInstanceIdentifier": "orders-restored",
    "ApplyImmediately": True,
    "EnablePerformanceInsights": True,
    "PerformanceInsightsKMSKeyId": PI_KEY,
    "PerformanceInsightsRetentionPeriod": 7,
    "MonitoringInterval": 60,
    "MonitoringRoleArn": MONITORING_ROLE,
    "PreferredMaintenanceWindow": "sun:05:00-sun:05:30",
    "ManageMasterUserPassword": True,
    "MasterUserSecretKmsKeyId": SECRET_KEY,
}
STACK_TAGS = [
    {"Key": "aws:cloudformation:stack-name", "Value": "Prod-Database"},
    {"Key": "AWS:cloudformation:logical-id", "Value": "DatabaseF44359DD"},
    {"Key": "team", "Value": "orders"},
]


def _restored(**changes) -> dict:
    restored = _source_instance() | {
        "DBInstanceIdentifier": "orders-restored",
        "Endpoint": {"Address": "orders-restored.x.rds.amazonaws.com", "Port": 6543},
        "PerformanceInsightsEnabled": False,
        "MonitoringInterval": 0,
        "PreferredMaintenanceWindow": "mon:09:00-mon:09:30",
    }
    # A restore makes no master secret (see EXPECTED_RESTORE).
    del restored["MasterUserSecret"]
    return {"DBInstances": [restored | changes]}


def test_restore_passes_every_source_setting_and_applies_the_rest_afterwards(invoke, use_client):
    rds, stub = _window_stub()
    to = datetime(2026, 11, 3, 2, 15, tzinfo=UTC)
    stub.add_client_error("describe_db_instances", "DBInstanceNotFound", "not found")
    stub.add_response("list_tags_for_resource", {"TagList": STACK_TAGS}, {"ResourceName": ARN})
    stub.add_response(
        "restore_db_instance_to_point_in_time",
        {"DBInstance": {}},
        EXPECTED_RESTORE | {"RestoreTime": to},
    )
    stub.add_response("describe_db_instances", _restored(), {"DBInstanceIdentifier": ANY})
    stub.add_response("modify_db_instance", {"DBInstance": {}}, FOLLOW_UP)
    finished = _source_instance() | {
        "DBInstanceIdentifier": "orders-restored",
        "Endpoint": {"Address": "orders-restored.x.rds.amazonaws.com", "Port": 6543},
    }
    stub.add_response("describe_db_instances", {"DBInstances": [finished]}, None)
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
    assert report["endpoint"] == "orders-restored.x.rds.amazonaws.com:6543"
    assert report["restore_time"] == "2026-11-03T02:15:00Z"
    assert report["mismatches"] == []


def test_restore_reports_every_setting_the_new_instance_lacks(invoke, use_client):
    rds, stub = _window_stub()
    stub.add_client_error("describe_db_instances", "DBInstanceNotFound", "not found")
    stub.add_response("list_tags_for_resource", {"TagList": []}, None)
    stub.add_response("describe_db_instances", _source(), None)  # latest time read again
    stub.add_response("restore_db_instance_to_point_in_time", {"DBInstance": {}}, None)
    stub.add_response(
        "describe_db_instances",
        _restored(
            IAMDatabaseAuthenticationEnabled=False,
            Endpoint={"Address": "orders-restored.x", "Port": 5432},
            PerformanceInsightsEnabled=True,
            MonitoringInterval=60,
            PreferredMaintenanceWindow="sun:05:00-sun:05:30",
            MasterUserSecret={"SecretArn": "arn:secret:rds!db-2", "KmsKeyId": SECRET_KEY},
        ),
        None,
    )
    use_client("rds", rds)

    with stub:
        result = invoke("restore", "orders-db", "--target", "orders-restored", "--latest", "--yes")
        stub.assert_no_pending_responses()

    assert result.exit_code == 1
    assert "EnableIAMDatabaseAuthentication: source True, restored False" in plain(result.stderr)
    assert "Port: source 6543, restored 5432" in plain(result.stderr)
    assert "as of about 2026-11-03T02:55:00Z" in plain(result.stdout)
