"""`rds-ha doctor --all`: every database of the region audited at once, one row (or entry) each."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber

from rds_ha.cli import ops_doctor, ops_doctor_fleet
from rds_ha.cli.databases import INSTANCE, Database

from .conftest import REGION, create_instance, plain, stack_secret
from .deployed_alarms import (
    CLUSTER_ID,
    create_multi_az_cluster,
    put_deployed_alarms,
    subscribe_to_events,
)
from .test_doctor import ROTATION, SKIP_PENDING, watch


def prod(environment: str = "prod", team: str = "orders") -> list[dict[str, str]]:
    return [{"Key": "rds-ha:environment", "Value": environment}, {"Key": "team", "Value": team}]


@pytest.fixture
def fleet(rds, cloudwatch):
    """Three compliant databases (two instances, a Multi-AZ DB cluster with three members) and one
    without deletion protection; prod-tagged except billing-db (staging), team tags by owner."""
    for db_id, tags in (("orders-db", prod()), ("billing-db", prod("staging", team="billing"))):
        create_instance(rds, db_id, Tags=tags)
        stack_secret(rds, db_id, **ROTATION)
        watch(cloudwatch, rds, db_id)
    create_instance(rds, "risky-db", DeletionProtection=False, Tags=prod())
    stack_secret(rds, "risky-db", **ROTATION)
    watch(cloudwatch, rds, "risky-db")
    # The cluster's alarms and event subscription as the constructs deploy them.
    members = create_multi_az_cluster(rds, CLUSTER_ID)
    rds.add_tags_to_resource(
        ResourceName=rds.describe_db_clusters()["DBClusters"][0]["DBClusterArn"],
        Tags=prod(team="payments"),
    )
    put_deployed_alarms(cloudwatch, CLUSTER_ID, members)
    subscribe_to_events(rds, CLUSTER_ID)
    stack_secret(rds, CLUSTER_ID, **ROTATION)


def report(result) -> dict:
    return json.loads(result.stdout)


def test_doctor_all_fails_only_the_database_that_fails_a_check(fleet, invoke):
    result = invoke("--output", "json", "doctor", "--all", *SKIP_PENDING)

    assert result.exit_code == 1, result.output
    rows = {entry["database"]: entry for entry in report(result)["databases"]}
    # The cluster's member instances (payments-instance-1..3) are audited through it.
    assert list(rows) == ["billing-db", "orders-db", "payments", "risky-db"]
    assert {db_id: entry["passed"] for db_id, entry in rows.items()} == {
        "billing-db": True,
        "orders-db": True,
        "payments": True,
        "risky-db": False,
    }
    assert rows["risky-db"]["failed_checks"] == ["deletion-protection"]
    assert rows["risky-db"]["status"] == "fail"
    # moto reports no standby AZ for an instance: multi-az warns (see test_doctor).
    assert rows["orders-db"]["status"] == "warn"
    assert "1 of 4 database(s) failed a check: risky-db" in plain(result.stderr)


def test_doctor_all_json_has_an_entry_per_database_with_its_checks_and_a_summary(fleet, invoke):
    result = invoke("--output", "json", "doctor", "--all", *SKIP_PENDING)

    document = report(result)
    assert set(document) == {"region", "passed", "databases", "summary"}
    assert (document["region"], document["passed"]) == (REGION, False)
    cluster = next(e for e in document["databases"] if e["database"] == "payments")
    assert {k: v for k, v in cluster.items() if k != "checks"} == {
        "database": "payments",
        "kind": "cluster",
        "engine": "postgres",
        "deployment": "Multi-AZ DB cluster",
        "status": "pass",
        "passed": True,
        "failed_checks": [],
    }
    assert [c["check"] for c in cluster["checks"]] == list(ops_doctor.CHECKS)
    assert set(cluster["checks"][0]) == {"check", "status", "detail"}
    assert document["summary"] == {
        "databases": 4,
        "passed": 3,
        "failed": 1,
        "failed_databases": ["risky-db"],
        "by_status": {"fail": 1, "warn": 2, "pass": 1},
        "tags": {},
    }


def test_doctor_all_prints_a_row_per_database(fleet, invoke):
    result = invoke("doctor", "--all", *SKIP_PENDING)

    text = plain(result.stdout)
    assert result.exit_code == 1
    assert "Database Engine Deployment Status Failed checks" in text
    assert "risky-db postgres Multi-AZ instance FAIL deletion-protection" in text
    assert "payments postgres Multi-AZ DB cluster PASS -" in text
    assert "3 of 4 databases passed." in text


def test_doctor_all_passes_with_exit_0_when_every_database_passes(fleet, invoke):
    result = invoke(
        "--output", "json", "doctor", "--all", "--tag", "rds-ha:environment=staging", *SKIP_PENDING
    )

    assert result.exit_code == 0, result.output
    assert [e["database"] for e in report(result)["databases"]] == ["billing-db"]
    assert report(result)["passed"] is True


def test_doctor_all_audits_only_the_databases_with_every_tag_key_given(fleet, invoke):
    options = ["--tag", "rds-ha:environment=prod", "--tag", "team=orders"]

    result = invoke("--output", "json", "doctor", "--all", *options, *SKIP_PENDING)

    assert [e["database"] for e in report(result)["databases"]] == ["orders-db", "risky-db"]
    assert report(result)["summary"]["tags"] == {
        "rds-ha:environment": ["prod"],
        "team": ["orders"],
    }


@pytest.mark.parametrize(
    ("tags", "matches"),
    [
        (["env=prod"], True),
        # Values of one key are alternatives; different keys must all match.
        (["env=prod", "env=staging"], True),
        (["env=staging", "env=dev"], False),
        (["env=prod", "team=billing"], False),
        (["env=Prod"], False),  # tag values are case-sensitive
        (["owner=ops"], False),  # a missing key does not match
    ],
)
def test_tag_filter_matches_every_key_and_any_value_of_a_key(tags, matches):
    database_tags = [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "orders"}]

    assert ops_doctor_fleet.parse_tags(tags).matches(database_tags) is matches


def test_doctor_all_fails_saying_so_when_no_database_matches_the_tag(fleet, invoke):
    result = invoke("doctor", "--all", "--tag", "team=nobody", *SKIP_PENDING)

    assert result.exit_code == 1, result.output
    assert "No database matched in us-east-1, tag team=nobody" in plain(result.stdout)
    assert "No database matched in us-east-1, tag team=nobody" in plain(result.stderr)


def test_doctor_all_fails_in_a_region_without_databases(rds, invoke):
    result = invoke("--output", "json", "doctor", "--all", *SKIP_PENDING)

    assert result.exit_code == 1, result.output
    document = report(result)
    assert document["passed"] is False
    assert document["databases"] == []
    assert document["summary"]["databases"] == 0
    assert document["message"] == "No database matched in us-east-1: check --region and --tag."


def test_doctor_all_json_names_the_tag_filter_when_nothing_matches(fleet, invoke):
    result = invoke("--output", "json", "doctor", "--all", "--tag", "team=nobody", *SKIP_PENDING)

    assert result.exit_code == 1, result.output
    document = report(result)
    assert document["passed"] is False
    assert document["summary"]["tags"] == {"team": ["nobody"]}
    assert "tag team=nobody" in document["message"]


@pytest.mark.parametrize("value", ["production", "=prod", " =prod"])
def test_a_malformed_tag_is_exit_2_naming_the_value_and_the_form(rds, invoke, value):
    result = invoke("doctor", "--all", "--tag", value)

    assert result.exit_code == 2
    assert f"--tag {value!r}: expected KEY=VALUE" in plain(result.stderr)


def test_a_tag_value_may_be_empty_or_hold_an_equals_sign():
    tags = ops_doctor_fleet.parse_tags(["owner=", "query=a=b"])

    assert tags.matches([{"Key": "owner", "Value": ""}, {"Key": "query", "Value": "a=b"}])
    assert not tags.matches([{"Key": "owner", "Value": ""}])


def test_doctor_with_a_db_id_and_all_is_exit_2(rds, invoke):
    create_instance(rds)

    result = invoke("doctor", "orders-db", "--all")

    assert result.exit_code == 2
    assert "DB_ID 'orders-db' and --all: give one database or --all, not both" in plain(
        result.stderr
    )


@pytest.mark.parametrize("option", [["--tag", "team=orders"], ["--concurrency", "4"]])
def test_fleet_options_without_all_are_exit_2(rds, invoke, option):
    create_instance(rds)

    result = invoke("doctor", "orders-db", *option)

    assert result.exit_code == 2
    assert "--tag and --concurrency go with --all" in plain(result.stderr)


@pytest.mark.parametrize("concurrency", ["0", "33"])
def test_concurrency_is_between_1_and_32(rds, invoke, concurrency):
    result = invoke("doctor", "--all", "--concurrency", concurrency)

    assert result.exit_code == 2


def test_doctor_without_a_db_id_or_all_is_a_usage_error(rds, invoke):
    result = invoke("doctor")

    assert result.exit_code == 2
    assert "Missing argument 'DB_ID' (or --all for every database)" in plain(result.stderr)


def test_the_fleet_reads_alarms_and_event_subscriptions_once_per_run(rds, cloudwatch):
    for index in range(6):
        create_instance(rds, f"db-{index}")
        watch(cloudwatch, rds, f"db-{index}")
    calls: Counter[str] = Counter()
    for client in (rds, cloudwatch):
        client.meta.events.register(
            "before-call.*.*", lambda model, **_: calls.update([model.name])
        )

    reports = ops_doctor_fleet.run_fleet(
        ops_doctor_fleet.list_databases(rds),
        ops_doctor.Clients(rds, cloudwatch),
        thresholds=ops_doctor.Thresholds(),
        skip=frozenset({"pending-maintenance"}),
        now=datetime.now(UTC),
        concurrency=4,
    )

    assert [r.database.identifier for r in reports] == [f"db-{i}" for i in range(6)]
    assert all(not r.failed for r in reports)
    assert calls == {
        "DescribeDBInstances": 1,
        "DescribeDBClusters": 1,
        "DescribeAlarms": 1,
        "DescribeEventSubscriptions": 1,
    }


def _instance(db_id: str, **extra) -> dict:
    return {
        "DBInstanceIdentifier": db_id,
        "DBInstanceArn": f"arn:aws:rds:{REGION}:123456789012:db:{db_id}",
        "Engine": "postgres",
        "MultiAZ": True,
        **extra,
    }


def test_listing_follows_every_page_and_leaves_out_cluster_members_and_aurora():
    rds = boto3.client("rds", region_name=REGION)
    aurora = {"DBClusterIdentifier": "ledger", "Engine": "aurora-postgresql"}
    multi_az = {"DBClusterIdentifier": "payments", "Engine": "postgres"}
    with Stubber(rds) as stub:
        stub.add_response(
            "describe_db_instances",
            {"DBInstances": [_instance("b-db"), _instance("ledger-1", **aurora)], "Marker": "m"},
            {},
        )
        stub.add_response(
            "describe_db_instances",
            {"DBInstances": [_instance("a-db"), _instance("payments-a", **multi_az)]},
            {"Marker": "m"},
        )
        stub.add_response("describe_db_clusters", {"DBClusters": [aurora, multi_az]}, {})

        databases = ops_doctor_fleet.list_databases(rds)

    assert [(db.identifier, db.kind) for db in databases] == [
        ("a-db", "instance"),
        ("b-db", "instance"),
        ("payments", "cluster"),
    ]


def test_pending_maintenance_is_one_account_wide_call_for_the_fleet():
    rds = boto3.client("rds", region_name=REGION)
    databases = [Database(INSTANCE, _instance(f"db-{i}")) for i in range(3)]
    only_pending = frozenset(set(ops_doctor.CHECKS) - {"pending-maintenance"})
    # moto does not implement describe_pending_maintenance_actions.
    with Stubber(rds) as stub:
        stub.add_response(
            "describe_pending_maintenance_actions",
            {
                "PendingMaintenanceActions": [
                    {
                        "ResourceIdentifier": databases[1].arn,
                        "PendingMaintenanceActionDetails": [{"Action": "system-update"}],
                    }
                ]
            },
            {},
        )
        reports = ops_doctor_fleet.run_fleet(
            databases,
            ops_doctor.Clients(rds, None),
            thresholds=ops_doctor.Thresholds(),
            skip=only_pending,
            now=datetime.now(UTC),
        )
        stub.assert_no_pending_responses()

    pending = [next(c for c in r.checks if c.id == "pending-maintenance") for r in reports]
    assert [(c.status, c.detail) for c in pending] == [
        ("pass", "none"),
        ("warn", "system-update"),
        ("pass", "none"),
    ]


def test_a_failed_account_wide_call_is_made_once_and_fails_each_database_saying_why():
    rds = boto3.client("rds", region_name=REGION)
    databases = [Database(INSTANCE, _instance(f"db-{i}")) for i in range(4)]
    with Stubber(rds) as stub:
        stub.add_client_error(
            "describe_event_subscriptions", "AccessDenied", "not authorized", expected_params={}
        )
        reports = ops_doctor_fleet.run_fleet(
            databases,
            ops_doctor.Clients(rds, None),
            thresholds=ops_doctor.Thresholds(),
            skip=frozenset(set(ops_doctor.CHECKS) - {"event-subscription"}),
            now=datetime.now(UTC),
            concurrency=4,
        )

    assert all([c.id for c in r.failed] == ["event-subscription"] for r in reports)
    assert all("AccessDenied" in r.failed[0].detail for r in reports)
    assert {ops_doctor_fleet.worst_status(r.checks) for r in reports} == {"error"}
