"""`rds-ha snapshot` and `rds-ha scale-up`: refusals change nothing; success is checked in AWS."""

from __future__ import annotations

import json

import boto3
from botocore.stub import Stubber

from .conftest import KMS_KEY, REGION, create_instance, plain

ROLE = "arn:aws:iam::123456789012:role/rds-export"


def snapshot_ids(rds) -> list[str]:
    return [
        s["DBSnapshotIdentifier"]
        for s in rds.describe_db_snapshots()["DBSnapshots"]
        if s["SnapshotType"] == "manual"
    ]


def test_snapshot_creates_a_tagged_manual_snapshot(rds, invoke):
    create_instance(rds)

    result = invoke("--output", "json", "snapshot", "orders-db", "--snapshot-id", "before-release")

    assert result.exit_code == 0, result.output
    snap = rds.describe_db_snapshots(DBSnapshotIdentifier="before-release")["DBSnapshots"][0]
    assert snap["Status"] == "available"
    tags = rds.list_tags_for_resource(ResourceName=snap["DBSnapshotArn"])["TagList"]
    assert {"Key": "team", "Value": "orders"} in tags
    assert json.loads(result.stdout)["snapshot_arn"] == snap["DBSnapshotArn"]


def test_snapshot_exports_to_s3_when_asked(rds, invoke):
    create_instance(rds)
    boto3.client("s3", region_name=REGION).create_bucket(Bucket="orders-exports")

    result = invoke(
        "--output",
        "json",
        "snapshot",
        "orders-db",
        "--snapshot-id",
        "nightly",
        "--export-to",
        "orders-exports",
        "--role",
        ROLE,
        "--kms-key",
        KMS_KEY,
    )

    assert result.exit_code == 0, result.output
    # moto completes export tasks at once and writes nothing to S3: check the task we started.
    task = rds.describe_export_tasks(ExportTaskIdentifier="nightly")["ExportTasks"][0]
    assert (task["S3Bucket"], task["IamRoleArn"], task["KmsKeyId"]) == (
        "orders-exports",
        ROLE,
        KMS_KEY,
    )
    assert json.loads(result.stdout)["export"]["location"] == "s3://orders-exports/nightly/"


def test_snapshot_export_without_role_and_key_is_refused_before_any_snapshot(rds, invoke):
    create_instance(rds)

    result = invoke("snapshot", "orders-db", "--export-to", "orders-exports")

    assert result.exit_code == 2
    assert "--role None: the export needs an IAM role ARN" in plain(result.stderr)
    assert "--kms-key None: the export needs a KMS key ARN" in plain(result.stderr)
    assert snapshot_ids(rds) == []


def test_snapshot_refuses_an_existing_snapshot_id(rds, invoke):
    create_instance(rds)
    rds.create_db_snapshot(DBSnapshotIdentifier="taken", DBInstanceIdentifier="orders-db")

    result = invoke("snapshot", "orders-db", "--snapshot-id", "taken")

    assert result.exit_code == 2
    assert snapshot_ids(rds) == ["taken"]


def test_snapshot_of_a_single_az_instance_asks_first(rds, invoke):
    create_instance(rds, MultiAZ=False)

    result = invoke("snapshot", "orders-db", input="n\n")

    assert result.exit_code == 1
    assert "pauses I/O" in plain(result.stdout)
    assert snapshot_ids(rds) == []


def current_class(rds) -> str:
    return rds.describe_db_instances(DBInstanceIdentifier="orders-db")["DBInstances"][0][
        "DBInstanceClass"
    ]


def test_scale_up_now_changes_the_class_and_waits(rds, invoke):
    create_instance(rds)

    result = invoke(
        "--output", "json", "scale-up", "orders-db", "--to", "db.r6g.xlarge", "--now", "--yes"
    )

    assert result.exit_code == 0, result.output
    assert current_class(rds) == "db.r6g.xlarge"
    assert json.loads(result.stdout)["state"] == "applied"


def test_scale_up_refuses_an_unknown_class_and_suggests_one(rds, invoke):
    create_instance(rds)

    result = invoke("scale-up", "orders-db", "--to", "db.r6g.xlarg", "--yes")

    assert result.exit_code == 2
    assert "'db.r6g.xlarg' is not a known RDS DB instance class" in plain(result.stderr)
    assert "Did you mean db.r6g.xlarge" in plain(result.stderr)
    assert current_class(rds) == "db.r6g.large"


def test_scale_up_refuses_a_smaller_class_unless_downsizing_is_allowed(rds, invoke):
    create_instance(rds, DBInstanceClass="db.r6g.xlarge")

    refused = invoke("scale-up", "orders-db", "--to", "db.r6g.large", "--yes")
    assert refused.exit_code == 2
    assert "is not larger than db.r6g.xlarge" in plain(refused.stderr)
    assert current_class(rds) == "db.r6g.xlarge"

    allowed = invoke(
        "scale-up", "orders-db", "--to", "db.r6g.large", "--allow-downsize", "--now", "--yes"
    )
    assert allowed.exit_code == 0, allowed.output
    assert current_class(rds) == "db.r6g.large"


def test_scale_up_plan_warns_of_an_outage_on_single_az(rds, invoke):
    create_instance(rds, MultiAZ=False)

    result = invoke("scale-up", "orders-db", "--to", "db.r6g.xlarge", "--dry-run")

    assert result.exit_code == 0
    assert "an OUTAGE" in plain(result.stdout)
    assert "in the next maintenance window" in plain(result.stdout)
    assert current_class(rds) == "db.r6g.large"


def test_scale_up_plan_on_multi_az_goes_through_the_standby(rds, invoke):
    create_instance(rds)

    result = invoke("scale-up", "orders-db", "--to", "db.r6g.xlarge", "--now", "--dry-run")

    assert "modify the standby to db.r6g.xlarge" in plain(result.stdout)
    assert "fail over to the standby" in plain(result.stdout)
    assert current_class(rds) == "db.r6g.large"


def _described(cls: str, pending: dict | None = None) -> dict:
    return {
        "DBInstances": [
            {
                "DBInstanceIdentifier": "orders-db",
                "DBInstanceArn": "arn:aws:rds:us-east-1:123456789012:db:orders-db",
                "DBInstanceStatus": "available",
                "DBInstanceClass": cls,
                "Engine": "postgres",
                "EngineVersion": "16.4",
                "MultiAZ": True,
                "PendingModifiedValues": pending or {},
                "PreferredMaintenanceWindow": "sun:05:00-sun:05:30",
            }
        ]
    }


def _orderable(stub: Stubber, *lists: list) -> None:
    for options in lists:
        stub.add_response(
            "describe_orderable_db_instance_options", {"OrderableDBInstanceOptions": options}, None
        )


def test_scale_up_refuses_a_class_rds_does_not_offer_for_the_engine_version(invoke, use_client):
    # moto returns no orderable options for RDS for PostgreSQL, so they are stubbed.
    rds = boto3.client("rds", region_name=REGION)
    stub = Stubber(rds)
    stub.add_response("describe_db_instances", _described("db.r6g.large"), None)
    _orderable(stub, [], [{"DBInstanceClass": "db.r6g.xlarge"}])
    use_client("rds", rds)

    with stub:
        result = invoke("scale-up", "orders-db", "--to", "db.r8g.xlarge", "--yes")
        stub.assert_no_pending_responses()  # no modify_db_instance was queued

    assert result.exit_code == 2
    assert "RDS does not offer it for postgres 16.4" in plain(result.stderr)


def test_scale_up_without_now_is_scheduled_for_the_maintenance_window(invoke, use_client):
    # moto applies ApplyImmediately=False modifications at once, with no pending values.
    rds = boto3.client("rds", region_name=REGION)
    stub = Stubber(rds)
    stub.add_response("describe_db_instances", _described("db.r6g.large"), None)
    _orderable(stub, [{"DBInstanceClass": "db.r6g.xlarge"}])
    stub.add_response(
        "modify_db_instance",
        {"DBInstance": {}},
        {
            "DBInstanceIdentifier": "orders-db",
            "DBInstanceClass": "db.r6g.xlarge",
            "ApplyImmediately": False,
        },
    )
    stub.add_response(
        "describe_db_instances",
        _described("db.r6g.large", {"DBInstanceClass": "db.r6g.xlarge"}),
        None,
    )
    use_client("rds", rds)

    with stub:
        result = invoke("scale-up", "orders-db", "--to", "db.r6g.xlarge", "--yes")
        stub.assert_no_pending_responses()

    assert result.exit_code == 0, result.output
    assert "Scheduled: orders-db changes to db.r6g.xlarge in the next maintenance window " in (
        plain(result.stdout)
    )
