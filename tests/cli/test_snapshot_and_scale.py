"""`rds-ha snapshot` and `rds-ha scale-up`: refusals change nothing; success is checked in AWS."""

from __future__ import annotations

import json

import boto3
from botocore.stub import Stubber

from .conftest import KMS_KEY, REGION, create_cluster, create_instance, plain

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
        "--yes",
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


def _export_args(*extra: str) -> list[str]:
    return ["--export-to", "orders-exports", "--role", ROLE, "--kms-key", KMS_KEY, *extra]


def test_snapshot_export_asks_first_even_on_multi_az(rds, invoke, interactive):
    create_instance(rds)  # Multi-AZ: a plain snapshot would not ask

    result = invoke("snapshot", "orders-db", *_export_args(), input="n\n")

    assert result.exit_code == 3
    assert "copies the database's data into the bucket" in plain(result.stdout)
    assert snapshot_ids(rds) == []


def test_snapshot_refuses_a_taken_export_task_id_before_taking_the_snapshot(rds, invoke):
    create_instance(rds)
    rds.create_db_snapshot(DBSnapshotIdentifier="earlier", DBInstanceIdentifier="orders-db")
    earlier = rds.describe_db_snapshots(DBSnapshotIdentifier="earlier")["DBSnapshots"][0]
    rds.start_export_task(
        ExportTaskIdentifier="nightly",
        SourceArn=earlier["DBSnapshotArn"],
        S3BucketName="orders-exports",
        IamRoleArn=ROLE,
        KmsKeyId=KMS_KEY,
    )

    result = invoke("snapshot", "orders-db", "--snapshot-id", "nightly", *_export_args("--yes"))

    assert result.exit_code == 2
    assert "export task 'nightly' already exists" in plain(result.stderr)
    assert snapshot_ids(rds) == ["earlier"]


def test_default_snapshot_id_of_a_long_db_id_is_valid_for_the_snapshot_and_its_export(rds, invoke):
    long_id = "orders-" + "x" * 56  # 63 characters, the longest DB identifier
    create_instance(rds, long_id)
    boto3.client("s3", region_name=REGION).create_bucket(Bucket="orders-exports")

    result = invoke("--output", "json", "snapshot", long_id, *_export_args("--yes"))

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert len(report["snapshot"]) == 60
    assert report["snapshot"].startswith("orders-xxx") and "-rds-ha-" in report["snapshot"]
    assert report["export"]["task"] == report["snapshot"]
    assert "--snapshot-id" not in result.stderr


def test_long_snapshot_id_of_the_user_is_accepted_and_its_export_task_id_shortened(rds, invoke):
    create_instance(rds)
    boto3.client("s3", region_name=REGION).create_bucket(Bucket="orders-exports")
    wanted = "before-release-" + "a" * 200  # up to 255 characters are allowed

    result = invoke(
        "--output", "json", "snapshot", "orders-db", "--snapshot-id", wanted, *_export_args("--yes")
    )

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["snapshot"] == wanted
    assert len(report["export"]["task"]) == 60


def test_snapshot_copies_the_tags_without_reserved_aws_keys(invoke, use_client):
    # moto accepts reserved aws: keys on create_db_snapshot; RDS rejects them.
    rds = boto3.client("rds", region_name=REGION)
    stub = Stubber(rds)
    arn = "arn:aws:rds:us-east-1:123456789012:db:orders-db"
    described = {
        "DBInstanceIdentifier": "orders-db",
        "DBInstanceArn": arn,
        "DBInstanceStatus": "available",
        "MultiAZ": True,
    }
    stub.add_response("describe_db_instances", {"DBInstances": [described]}, None)
    stub.add_client_error("describe_db_snapshots", "DBSnapshotNotFound", "none")
    user_tags = [{"Key": f"k{n}", "Value": "v"} for n in range(50)]
    stub.add_response(
        "list_tags_for_resource",
        {"TagList": [{"Key": "aws:cloudformation:stack-name", "Value": "Prod"}, *user_tags]},
        {"ResourceName": arn},
    )
    # 50 user tags already: the rds-ha marker does not fit and is the one left out.
    stub.add_response(
        "create_db_snapshot",
        {"DBSnapshot": {}},
        {"DBSnapshotIdentifier": "nightly", "DBInstanceIdentifier": "orders-db", "Tags": user_tags},
    )
    stub.add_response(
        "describe_db_snapshots",
        {"DBSnapshots": [{"DBSnapshotIdentifier": "nightly", "Status": "available"}]},
        None,
    )
    use_client("rds", rds)

    with stub:
        result = invoke("snapshot", "orders-db", "--snapshot-id", "nightly")
        stub.assert_no_pending_responses()

    assert result.exit_code == 0, result.output


def test_snapshot_refuses_a_member_instance_of_a_db_cluster(rds, invoke):
    create_cluster(rds)

    result = invoke("snapshot", "orders-a", "--snapshot-id", "nightly", "--yes")

    assert result.exit_code == 2
    assert "'orders-a' is a member instance of DB cluster 'orders'" in plain(result.stderr)
    assert snapshot_ids(rds) == []


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


def test_snapshot_of_a_single_az_instance_asks_first(rds, invoke, interactive):
    create_instance(rds, MultiAZ=False)

    result = invoke("snapshot", "orders-db", input="n\n")

    assert result.exit_code == 3
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

    assert result.exit_code == 0, result.output
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


def test_scale_up_now_refuses_while_other_modifications_are_pending(invoke, use_client):
    # moto applies modifications at once and never shows pending values, so they are stubbed.
    rds = boto3.client("rds", region_name=REGION)
    stub = Stubber(rds)
    pending = {"MultiAZ": False, "AllocatedStorage": 200}
    stub.add_response("describe_db_instances", _described("db.r6g.large", pending), None)
    use_client("rds", rds)

    with stub:
        result = invoke("scale-up", "orders-db", "--to", "db.r6g.xlarge", "--now", "--yes")
        stub.assert_no_pending_responses()  # no modify_db_instance was queued

    assert result.exit_code == 2
    assert "pending modifications (MultiAZ=False, AllocatedStorage=200)" in plain(result.stderr)
    assert "--include-pending" in plain(result.stderr)


def test_scale_up_now_with_include_pending_lists_them_in_the_plan(invoke, use_client):
    rds = boto3.client("rds", region_name=REGION)
    stub = Stubber(rds)
    stub.add_response("describe_db_instances", _described("db.r6g.large", {"MultiAZ": False}), None)
    _orderable(stub, [{"DBInstanceClass": "db.r6g.xlarge"}])
    use_client("rds", rds)

    with stub:
        result = invoke(
            "scale-up",
            "orders-db",
            "--to",
            "db.r6g.xlarge",
            "--now",
            "--include-pending",
            "--dry-run",
        )
        stub.assert_no_pending_responses()

    assert result.exit_code == 0, result.output
    assert "also apply the pending modifications now: MultiAZ -> False" in plain(result.stdout)
