"""`rds-ha failover`: refuses a single-AZ instance before changing anything; measures the move."""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.stub import Stubber

from .conftest import REGION, create_cluster, create_instance, plain

ARN = "arn:aws:rds:us-east-1:123456789012:db:orders-db"


def _instance(status: str = "available", az: str = "us-east-1a", multi_az: bool = True) -> dict:
    return {
        "DBInstances": [
            {
                "DBInstanceIdentifier": "orders-db",
                "DBInstanceArn": ARN,
                "DBInstanceStatus": status,
                "MultiAZ": multi_az,
                "AvailabilityZone": az,
                "SecondaryAvailabilityZone": "us-east-1b",
                "Engine": "postgres",
            }
        ]
    }


def _stubbed(
    monkeypatch_client: Any, *responses: dict, reboot: bool = True, describes: int = 2
) -> Stubber:
    """A strict stub: any call not queued here (a reboot on a refusal path) fails the test.
    moto's forced failover changes nothing (no AZ swap), so the swap is stubbed."""
    rds = boto3.client("rds", region_name=REGION)
    stub = Stubber(rds)
    ident = {"DBInstanceIdentifier": "orders-db"}
    for _ in range(describes):
        stub.add_response("describe_db_instances", responses[0], ident)
    if reboot:
        stub.add_response(
            "reboot_db_instance", {"DBInstance": {}}, {**ident, "ForceFailover": True}
        )
        for response in responses[1:]:
            stub.add_response("describe_db_instances", response, ident)
    stub.activate()
    monkeypatch_client("rds", rds)
    return stub


def test_failover_moves_the_primary_to_the_standby_az_and_reports_the_time(invoke, use_client):
    stub = _stubbed(use_client, _instance(), _instance("rebooting"), _instance(az="us-east-1b"))

    result = invoke("--output", "json", "failover", "orders-db", "--yes")

    assert result.exit_code == 0, result.output
    stub.assert_no_pending_responses()
    report = json.loads(result.stdout)
    assert (report["az_before"], report["az_after"]) == ("us-east-1a", "us-east-1b")
    assert report["seconds"] == 15.0  # one poll interval on the fake clock


def test_failover_refuses_a_single_az_instance_before_calling_anything(invoke, use_client):
    stub = _stubbed(use_client, _instance(multi_az=False), reboot=False, describes=1)

    result = invoke("failover", "orders-db", "--yes")

    assert result.exit_code == 2
    assert "single-AZ: it has no standby" in plain(result.stderr)
    stub.assert_no_pending_responses()  # and no reboot was queued, so none was made


def test_failover_refuses_a_single_az_instance_in_moto_and_leaves_it_unchanged(rds, invoke):
    create_instance(rds, MultiAZ=False)

    result = invoke("failover", "orders-db", "--yes")

    instance = rds.describe_db_instances(DBInstanceIdentifier="orders-db")["DBInstances"][0]
    assert result.exit_code == 2
    assert instance["DBInstanceStatus"] == "available"


def test_failover_dry_run_prints_the_plan_and_reboots_nothing(invoke, use_client):
    stub = _stubbed(use_client, _instance(), reboot=False)

    result = invoke("failover", "orders-db", "--dry-run")

    assert result.exit_code == 0
    assert "reboot orders-db with forced failover: primary us-east-1a -> us-east-1b" in (
        result.stdout
    )
    assert "Dry run: nothing was changed." in result.stdout
    stub.assert_no_pending_responses()


def test_failover_stops_when_the_operator_declines(invoke, use_client, interactive):
    stub = _stubbed(use_client, _instance(), reboot=False)

    result = invoke("failover", "orders-db", input="n\n")

    assert result.exit_code == 3
    assert "declined at the confirmation prompt; nothing was changed" in plain(result.stderr)
    stub.assert_no_pending_responses()


def test_failover_reports_a_reboot_that_did_not_move_the_primary(invoke, use_client):
    _stubbed(use_client, _instance(), _instance("rebooting"), _instance())

    result = invoke("failover", "orders-db", "--yes")

    assert result.exit_code == 1
    assert "the failover did not happen" in plain(result.stderr)


def test_failover_times_out_with_a_clear_message(invoke, use_client, fake_clock):
    busy = [_instance("rebooting")] * 5
    _stubbed(use_client, _instance(), *busy)

    result = invoke("failover", "orders-db", "--yes", "--timeout", "60")

    assert result.exit_code == 1
    assert "timed out after 60s waiting for failover of orders-db" in plain(result.stderr)
    assert "last status: rebooting" in plain(result.stderr)
    assert fake_clock.now == 60


def test_failover_of_a_db_cluster_promotes_the_reader(rds, invoke):
    create_cluster(rds)

    result = invoke("--output", "json", "failover", "orders", "--yes")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["writer_before"], report["writer_after"]) == ("orders-a", "orders-b")
    assert (report["az_before"], report["az_after"]) == ("us-east-1a", "us-east-1b")
    members = rds.describe_db_clusters(DBClusterIdentifier="orders")["DBClusters"][0]
    writer = [
        m["DBInstanceIdentifier"] for m in members["DBClusterMembers"] if m["IsClusterWriter"]
    ]
    assert writer == ["orders-b"]


def test_failover_refuses_a_cluster_target_that_is_not_a_reader(rds, invoke):
    create_cluster(rds)

    result = invoke("failover", "orders", "--target-instance", "orders-a", "--yes")

    assert result.exit_code == 2
    assert "--target-instance 'orders-a' is not a reader of orders; readers: orders-b" in (
        plain(result.stderr)
    )


def test_failover_target_instance_is_case_folded_like_rds_identifiers(rds, invoke):
    create_cluster(rds)

    result = invoke(
        "--output", "json", "failover", "orders", "--target-instance", "Orders-B", "--yes"
    )

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["writer_after"] == "orders-b"


def test_an_unknown_profile_is_bad_input_with_exit_code_2(invoke, monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))

    result = invoke("--profile", "nope", "failover", "orders-db", "--yes")

    assert result.exit_code == 2
    assert "--profile: The config profile (nope) could not be found" in plain(result.stderr)
