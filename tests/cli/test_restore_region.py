"""`rds-ha restore` in the DR region when the primary region is lost: from replicated automated
backups or from the DR vault, into a subnet group and security groups that exist there; every
refusal before anything is created.

moto 5.2.5 models VPCs, security groups, DB subnet groups and DB instances, so the network checks
and the refusals that need nothing else run against it. It does not model cross-region automated
backup replication (start_db_instance_automated_backups_replication is not implemented, and its
describe_db_instance_automated_backups only lists the region's own automated snapshots), nor
AWS Backup recovery points, their restore metadata or restore jobs: those paths use a Stubber."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from rds_ha.cli import ops_restore_region
from rds_ha.cli.errors import UnsafeOperationError

from .conftest import create_instance, instance_ids, plain

DR = "eu-central-1"
PRIMARY = "eu-west-1"
BACKUPS_ARN = f"arn:aws:rds:{DR}:123456789012:auto-backup:ab-orders"
DR_KEY = f"arn:aws:kms:{DR}:123456789012:key/dr-key"
ROLE = "arn:aws:iam::123456789012:role/rds-ha-prod-backup-role"
VAULT = "rds-ha-prod-dr-backups"
SOURCE_ARN = f"arn:aws:rds:{PRIMARY}:123456789012:db:orders-db"
DR_ARGS = ["--subnet-group", "orders-dr", "--security-group", "sg-0dr"]


def _restore_in_dr(invoke: Any, *options: str, json_output: bool = False) -> Any:
    """``rds-ha --region DR [--output json] restore orders-db --target orders-dr OPTIONS`` with
    the DR network arguments."""
    output = ("--output", "json") if json_output else ()
    return invoke(
        "--region", DR, *output, "restore", "orders-db", "--target", "orders-dr", *options,
        *DR_ARGS,
    )  # fmt: skip


# --- against moto: the network checks and the refusals ------------------------------------------


@pytest.fixture
def dr_network(aws):
    """A VPC in the DR region with a DB subnet group and a security group; another VPC's group."""
    ec2 = boto3.client("ec2", region_name=DR)
    rds = boto3.client("rds", region_name=DR)
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.1.{i}.0/24", AvailabilityZone=f"{DR}{az}")
        for i, az in ((1, "a"), (2, "b"))
    ]
    rds.create_db_subnet_group(
        DBSubnetGroupName="orders-dr",
        DBSubnetGroupDescription="DR",
        SubnetIds=[s["Subnet"]["SubnetId"] for s in subnets],
    )
    group = ec2.create_security_group(GroupName="db", Description="db", VpcId=vpc)["GroupId"]
    other_vpc = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
    other = ec2.create_security_group(GroupName="x", Description="x", VpcId=other_vpc)["GroupId"]
    return rds, ec2, group, other


def test_network_in_the_dr_region_is_accepted_when_it_exists_in_one_vpc(dr_network):
    rds, ec2, group, _ = dr_network

    network = ops_restore_region.check_network(rds, ec2, "orders-dr", [group])

    assert network.subnet_group == "orders-dr"
    assert network.security_groups == [group]


@pytest.mark.parametrize(
    ("subnet_group", "groups", "message"),
    [
        ("missing", ["GROUP"], "--subnet-group 'missing' does not exist in eu-central-1"),
        ("orders-dr", ["sg-00000000000000000"], "--security-group"),
        ("orders-dr", ["OTHER"], "is not in vpc-"),
        (None, ["GROUP"], "needs --subnet-group NAME and --security-group ID"),
        ("orders-dr", [], "needs --subnet-group NAME and --security-group ID"),
    ],
)
def test_network_that_is_missing_or_split_across_vpcs_is_refused(
    dr_network, subnet_group, groups, message
):
    rds, ec2, group, other = dr_network
    groups = [{"GROUP": group, "OTHER": other}.get(g, g) for g in groups]

    with pytest.raises(UnsafeOperationError, match="Nothing was created") as refused:
        ops_restore_region.check_network(rds, ec2, subnet_group, groups)

    assert message in str(refused.value.message)


def test_without_replicated_backups_the_restore_is_refused_and_creates_nothing(dr_network, invoke):
    rds, *_ = dr_network

    result = _restore_in_dr(invoke, "--latest", "--yes")

    assert result.exit_code == 2
    assert (
        "no DB instance of that name in eu-central-1, and no automated backups of it "
        "replicated into eu-central-1 from another region (none found)"
    ) in plain(result.stderr)
    assert "--from-vault VAULT" in plain(result.stderr)
    assert instance_ids(rds) == []


def test_dr_options_on_a_same_region_restore_are_refused(rds, invoke):
    create_instance(rds)

    result = invoke(
        "restore", "orders-db", "--target", "orders-restored", "--latest", "--yes", *DR_ARGS
    )

    assert result.exit_code == 2
    assert "are for a restore from another region's backups" in plain(result.stderr)
    assert instance_ids(rds) == ["orders-db"]


# --- replicated automated backups, with a Stubber ------------------------------------------------


def _replicated(latest: datetime, **changes) -> dict:
    return {
        "DBInstanceArn": SOURCE_ARN,
        "DbiResourceId": "db-ORDERS",
        "Region": PRIMARY,
        "DBInstanceIdentifier": "orders-db",
        "RestoreWindow": {"EarliestTime": latest - timedelta(days=7), "LatestTime": latest},
        "AllocatedStorage": 100,
        "Status": "replicating",
        "Port": 6543,
        "Engine": "postgres",
        "StorageType": "gp3",
        "Encrypted": True,
        "KmsKeyId": DR_KEY,
        "IAMDatabaseAuthenticationEnabled": True,
        "BackupRetentionPeriod": 7,
        "DBInstanceAutomatedBackupsArn": BACKUPS_ARN,
    } | changes


def _restored_instance(**changes) -> dict:
    return {
        "DBInstanceIdentifier": "orders-dr",
        "DBInstanceStatus": "available",
        "MultiAZ": True,
        "DeletionProtection": True,
        "StorageEncrypted": True,
        "IAMDatabaseAuthenticationEnabled": True,
        "StorageType": "gp3",
        "BackupRetentionPeriod": 7,
        "Endpoint": {"Address": "orders-dr.x.eu-central-1.rds.amazonaws.com", "Port": 6543},
        "DBSubnetGroup": {"DBSubnetGroupName": "orders-dr", "VpcId": "vpc-dr"},
        "VpcSecurityGroups": [{"VpcSecurityGroupId": "sg-0dr", "Status": "active"}],
    } | changes


def _dr_stubs(use_client, backups: list[dict], *, network: bool = True):
    rds = boto3.client("rds", region_name=DR)
    ec2 = boto3.client("ec2", region_name=DR)
    rds_stub, ec2_stub = Stubber(rds), Stubber(ec2)
    rds_stub.add_client_error("describe_db_instances", "DBInstanceNotFound", "not found")
    rds_stub.add_client_error("describe_db_clusters", "DBClusterNotFoundFault", "not found")
    rds_stub.add_response(
        "describe_db_instance_automated_backups", {"DBInstanceAutomatedBackups": backups}, {}
    )
    if network:
        rds_stub.add_response(
            "describe_db_subnet_groups",
            {"DBSubnetGroups": [{"DBSubnetGroupName": "orders-dr", "VpcId": "vpc-dr"}]},
            {"DBSubnetGroupName": "orders-dr"},
        )
        ec2_stub.add_response(
            "describe_security_groups",
            {"SecurityGroups": [{"GroupId": "sg-0dr", "VpcId": "vpc-dr"}]},
            {"GroupIds": ["sg-0dr"]},
        )
        rds_stub.add_client_error("describe_db_instances", "DBInstanceNotFound", "not found")
    use_client("rds", rds)
    use_client("ec2", ec2)
    return rds_stub, ec2_stub


EXPECTED_RESTORE = {
    "SourceDBInstanceAutomatedBackupsArn": BACKUPS_ARN,
    "TargetDBInstanceIdentifier": "orders-dr",
    "DBSubnetGroupName": "orders-dr",
    "VpcSecurityGroupIds": ["sg-0dr"],
    "MultiAZ": True,
    "DeletionProtection": True,
    "CopyTagsToSnapshot": True,
    "Port": 6543,
    "EnableIAMDatabaseAuthentication": True,
    "AllocatedStorage": 100,
    "StorageType": "gp3",  # below 400 GiB gp3 takes no Iops or throughput
    "BackupRetentionPeriod": 7,
    "UseLatestRestorableTime": True,
}


def test_restore_from_replicated_backups_uses_the_newest_and_reports_the_window(invoke, use_client):
    latest = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=7)
    deleted_namesake = _replicated(latest - timedelta(days=30), DbiResourceId="db-OLD")
    other_db = _replicated(latest, DBInstanceIdentifier="billing-db")
    local = _replicated(latest, Region=DR)  # the DR region's own backups are not replicas
    rds_stub, ec2_stub = _dr_stubs(
        use_client, [deleted_namesake, other_db, local, _replicated(latest)]
    )
    rds_stub.add_response(
        "restore_db_instance_to_point_in_time", {"DBInstance": {}}, EXPECTED_RESTORE
    )
    rds_stub.add_response("describe_db_instances", {"DBInstances": [_restored_instance()]}, None)

    with rds_stub, ec2_stub:
        result = _restore_in_dr(invoke, "--latest", "--yes", json_output=True)
        rds_stub.assert_no_pending_responses()

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["endpoint"] == "orders-dr.x.eu-central-1.rds.amazonaws.com:6543"
    assert report["source_region"] == PRIMARY
    assert report["automated_backups_arn"] == BACKUPS_ARN
    assert 7 * 60 <= report["data_loss_window_seconds"] <= 7 * 60 + 30
    assert report["mismatches"] == []
    assert {"started_at", "finished_at", "duration_seconds"} <= report.keys()


def test_replicated_dry_run_plan_names_the_source_region_window_and_safe_choices(
    invoke, use_client
):
    latest = datetime.now(UTC) - timedelta(minutes=6)
    rds_stub, ec2_stub = _dr_stubs(use_client, [_replicated(latest, Status="retained")])

    with rds_stub, ec2_stub:
        result = _restore_in_dr(invoke, "--latest", "--dry-run", json_output=True)
        rds_stub.assert_no_pending_responses()  # nothing after the checks: no restore call

    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)["plan"]
    assert plan["action"].startswith("restore orders-db (from eu-west-1) as of the latest")
    assert 6 * 60 <= plan["data_loss_window_seconds"] <= 6 * 60 + 30
    assert "Multi-AZ True, deletion protection True" in plan["steps"][1]
    assert f"KMS key {DR_KEY}" in plan["steps"][1]
    assert "nothing in eu-west-1 is called" in plan["impact"]
    assert "'retained', not replicating" in plan["warnings"][0]


def test_replicated_restore_refuses_a_time_outside_the_replicated_window(invoke, use_client):
    latest = datetime(2026, 11, 3, 2, 55, tzinfo=UTC)
    rds_stub, ec2_stub = _dr_stubs(use_client, [_replicated(latest)], network=False)

    with rds_stub, ec2_stub:
        result = _restore_in_dr(invoke, "--to", "2026-11-03T03:00:00Z", "--yes")
        rds_stub.assert_no_pending_responses()

    assert result.exit_code == 2
    assert (
        "outside the restore window of orders-db: 2026-10-27T02:55:00Z to 2026-11-03T02:55:00Z"
        in plain(result.stderr)
    )


def test_replicated_restore_refuses_a_target_that_exists(invoke, use_client):
    rds_stub, ec2_stub = _dr_stubs(use_client, [_replicated(datetime.now(UTC))], network=False)
    rds_stub.add_response(
        "describe_db_subnet_groups",
        {"DBSubnetGroups": [{"DBSubnetGroupName": "orders-dr", "VpcId": "vpc-dr"}]},
        None,
    )
    ec2_stub.add_response(
        "describe_security_groups",
        {"SecurityGroups": [{"GroupId": "sg-0dr", "VpcId": "vpc-dr"}]},
        None,
    )
    rds_stub.add_response("describe_db_instances", {"DBInstances": [_restored_instance()]}, None)

    with rds_stub, ec2_stub:
        result = _restore_in_dr(invoke, "--latest", "--yes")
        rds_stub.assert_no_pending_responses()

    assert result.exit_code == 2
    assert "--target 'orders-dr' already exists" in plain(result.stderr)


def test_a_restored_instance_that_is_not_multi_az_fails_the_command(invoke, use_client):
    rds_stub, ec2_stub = _dr_stubs(use_client, [_replicated(datetime.now(UTC))])
    rds_stub.add_response("restore_db_instance_to_point_in_time", {"DBInstance": {}}, None)
    rds_stub.add_response(
        "describe_db_instances", {"DBInstances": [_restored_instance(MultiAZ=False)]}, None
    )

    with rds_stub, ec2_stub:
        result = _restore_in_dr(invoke, "--latest", "--yes")

    assert result.exit_code == 1
    assert "MultiAZ: asked True, restored False" in plain(result.stderr)


# --- the DR vault, with a Stubber ----------------------------------------------------------------


def _point(created: datetime, resource: str = SOURCE_ARN, status: str = "COMPLETED") -> dict:
    return {
        "RecoveryPointArn": f"arn:aws:rds:{DR}:123456789012:snapshot:awsbackup:{created:%H%M}",
        "ResourceArn": resource,
        "ResourceType": "RDS",
        "Status": status,
        "CreationDate": created,
    }


METADATA = {
    "DBInstanceIdentifier": "orders-db",
    "DBInstanceClass": "db.r6g.large",
    "Engine": "postgres",
    "MultiAZ": "true",
    "Port": "6543",
    "AvailabilityZone": "eu-west-1a",
    "DBSubnetGroupName": "orders-private",
    "VpcSecurityGroupIds": '["sg-0primary"]',
    "DBParameterGroupName": "orders-pg16",
    "DeletionProtection": "true",
}


def _vault_stubs(use_client, points: list[dict]):
    backup = boto3.client("backup", region_name=DR)
    backup_stub = Stubber(backup)
    backup_stub.add_response(
        "list_recovery_points_by_backup_vault",
        {"RecoveryPoints": points},
        {"BackupVaultName": VAULT, "ByResourceType": "RDS"},
    )
    use_client("backup", backup)
    return backup, backup_stub


def test_restore_from_the_dr_vault_starts_a_job_with_the_dr_network_and_waits(invoke, use_client):
    now = datetime.now(UTC).replace(microsecond=0)
    newest = _point(now - timedelta(hours=20))
    points = [
        _point(now - timedelta(hours=44)),
        newest,
        _point(now - timedelta(hours=1), status="PARTIAL"),
        _point(now - timedelta(hours=2), resource=SOURCE_ARN.replace("orders-db", "billing-db")),
    ]
    _, backup_stub = _vault_stubs(use_client, points)
    backup_stub.add_response(
        "get_recovery_point_restore_metadata",
        {"RestoreMetadata": METADATA},
        {"BackupVaultName": VAULT, "RecoveryPointArn": newest["RecoveryPointArn"]},
    )
    rds = boto3.client("rds", region_name=DR)
    ec2 = boto3.client("ec2", region_name=DR)
    rds_stub, ec2_stub = Stubber(rds), Stubber(ec2)
    rds_stub.add_response(
        "describe_db_subnet_groups",
        {"DBSubnetGroups": [{"DBSubnetGroupName": "orders-dr", "VpcId": "vpc-dr"}]},
        None,
    )
    ec2_stub.add_response(
        "describe_security_groups",
        {"SecurityGroups": [{"GroupId": "sg-0dr", "VpcId": "vpc-dr"}]},
        None,
    )
    rds_stub.add_client_error("describe_db_instances", "DBInstanceNotFound", "not found")
    rds_stub.add_client_error(
        "describe_db_parameter_groups", "DBParameterGroupNotFound", "not found"
    )
    expected_metadata = {
        "DBInstanceIdentifier": "orders-dr",
        "DBInstanceClass": "db.r6g.large",
        "Engine": "postgres",
        "MultiAZ": "true",
        "Port": "6543",
        "DeletionProtection": "true",
        "DBSubnetGroupName": "orders-dr",
        "VpcSecurityGroupIds": '["sg-0dr"]',
    }  # no AvailabilityZone of the lost region, no parameter group missing in the DR region
    backup_stub.add_response(
        "start_restore_job",
        {"RestoreJobId": "job-1"},
        {
            "RecoveryPointArn": newest["RecoveryPointArn"],
            "Metadata": expected_metadata,
            "IamRoleArn": ROLE,
            "ResourceType": "RDS",
            "CopySourceTagsToRestoredResource": True,
            "IdempotencyToken": "rds-ha-restore-orders-dr",
        },
    )
    backup_stub.add_response(
        "describe_restore_job",
        {"RestoreJobId": "job-1", "Status": "RUNNING"},
        {"RestoreJobId": "job-1"},
    )
    backup_stub.add_response(
        "describe_restore_job", {"RestoreJobId": "job-1", "Status": "COMPLETED"}, None
    )
    rds_stub.add_response("describe_db_instances", {"DBInstances": [_restored_instance()]}, None)
    use_client("rds", rds)
    use_client("ec2", ec2)

    with backup_stub, rds_stub, ec2_stub:
        result = _restore_in_dr(
            invoke,
            "--latest",
            "--from-vault",
            VAULT,
            "--iam-role-arn",
            ROLE,
            "--yes",
            json_output=True,
        )
        backup_stub.assert_no_pending_responses()
        rds_stub.assert_no_pending_responses()

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["recovery_point_arn"] == newest["RecoveryPointArn"]
    assert report["restore_job_id"] == "job-1"
    assert 20 * 3600 <= report["data_loss_window_seconds"] <= 20 * 3600 + 30
    assert report["duration_seconds"] == 15  # one poll of the job on the fake clock
    assert report["mismatches"] == []
    assert "DBParameterGroupName 'orders-pg16' does not exist in eu-central-1" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "2026-11-03T02:00:00Z"], "a DR vault copy is a snapshot: use --latest"),
        (["--latest"], "--iam-role-arn None: a restore from a vault needs the ARN of a role"),
        (["--latest", "--iam-role-arn", "rds-ha-role"], "--iam-role-arn 'rds-ha-role'"),
    ],
)
def test_vault_restore_refuses_bad_arguments_before_any_call(invoke, use_client, args, message):
    _, backup_stub = _vault_stubs(use_client, [])

    with backup_stub:
        result = _restore_in_dr(invoke, "--from-vault", VAULT, "--yes", *args)

    assert result.exit_code == 2
    assert message in plain(result.stderr)


def test_vault_without_a_completed_recovery_point_of_the_database_is_refused(invoke, use_client):
    now = datetime.now(UTC)
    _, backup_stub = _vault_stubs(
        use_client, [_point(now, status="PARTIAL"), _point(now, resource="arn:x:db:billing-db")]
    )

    with backup_stub:
        result = _restore_in_dr(
            invoke, "--latest", "--from-vault", VAULT, "--iam-role-arn", ROLE, "--yes"
        )
        backup_stub.assert_no_pending_responses()

    assert result.exit_code == 2
    assert (
        f"--from-vault '{VAULT}': no completed recovery point of DB instance 'orders-db' in "
        "eu-central-1 (2 RDS recovery points in the vault)"
    ) in plain(result.stderr)


def test_an_unknown_vault_is_refused(invoke, use_client):
    backup = boto3.client("backup", region_name=DR)
    stub = Stubber(backup)
    stub.add_client_error(
        "list_recovery_points_by_backup_vault",
        "ResourceNotFoundException",
        "Backup vault with name rds-ha-prod-dr-backups not found",
        400,
    )
    use_client("backup", backup)

    with stub:
        result = _restore_in_dr(
            invoke, "--latest", "--from-vault", VAULT, "--iam-role-arn", ROLE, "--yes"
        )

    assert result.exit_code == 2
    assert "Backup vault with name rds-ha-prod-dr-backups not found" in plain(result.stderr)
