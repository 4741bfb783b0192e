"""The cluster member lookup's handler in-process, with a botocore Stubber on the RDS client
(moto's DescribeDBClusters returns members only for clusters it created through its own
CreateDBInstance calls, not the three that RDS makes for a Multi-AZ DB cluster) and a
recording sender in place of the PUT to CloudFormation's response URL."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from rds_ha.monitoring import cluster_member_lookup
from rds_ha.monitoring.handler import cluster_members
from rds_ha.monitoring.handler.cluster_members import handle

EVENT = {
    "StackId": "arn:aws:cloudformation:eu-west-1:111111111111:stack/rds-ha-prod/guid",
    "RequestId": "request-1",
    "LogicalResourceId": "AlarmsMembers",
    "ResponseURL": "https://cloudformation-custom-resource-response-euwest1.s3.amazonaws.com/x",
    "ResourceType": "Custom::RdsClusterMembers",
    "ResourceProperties": {"DBClusterIdentifier": "ledger", "DBClusterResourceId": "cluster-X"},
}


def members(*names: str, writer: str = "") -> dict[str, Any]:
    return {
        "DBClusters": [
            {
                "DBClusterIdentifier": "ledger",
                "DBClusterMembers": [
                    {"DBInstanceIdentifier": name, "IsClusterWriter": name == writer}
                    for name in names
                ],
            }
        ]
    }


class Sent:
    def __init__(self) -> None:
        self.url = ""
        self.body: dict[str, Any] = {}

    def __call__(self, url: str, body: bytes) -> None:
        self.url = url
        self.body = json.loads(body)


@pytest.fixture
def rds(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    return boto3.client("rds", region_name="eu-west-1")


@pytest.mark.parametrize("request_type", ["Create", "Update"])
def test_returns_the_three_members_sorted_by_name(rds: Any, request_type: str) -> None:
    sent = Sent()
    with Stubber(rds) as stub:
        stub.add_response(
            "describe_db_clusters",
            members("ledger-instance-3", "ledger-instance-1", "ledger-instance-2",
                    writer="ledger-instance-3"),
            {"DBClusterIdentifier": "ledger"},
        )  # fmt: skip
        handle({**EVENT, "RequestType": request_type}, rds, sent)
        stub.assert_no_pending_responses()
    assert sent.url == EVENT["ResponseURL"]
    assert sent.body["Status"] == "SUCCESS"
    assert sent.body["PhysicalResourceId"] == "ledger-members"
    assert sent.body["RequestId"] == "request-1"
    assert sent.body["Data"] == {
        "Member0": "ledger-instance-1",
        "Member1": "ledger-instance-2",
        "Member2": "ledger-instance-3",
    }


def test_a_failover_does_not_reorder_the_members(rds: Any) -> None:
    answers = []
    for writer in ("a", "c"):
        sent = Sent()
        with Stubber(rds) as stub:
            stub.add_response("describe_db_clusters", members("c", "a", "b", writer=writer))
            handle({**EVENT, "RequestType": "Update"}, rds, sent)
        answers.append(sent.body["Data"])
    assert answers[0] == answers[1]


def test_delete_calls_nothing_and_succeeds(rds: Any) -> None:
    sent = Sent()
    with Stubber(rds):  # no responses queued: any call would fail
        delete = {**EVENT, "RequestType": "Delete", "PhysicalResourceId": "ledger-members"}
        handle(delete, rds, sent)
    assert sent.body["Status"] == "SUCCESS"
    assert sent.body["PhysicalResourceId"] == "ledger-members"


def test_a_missing_cluster_fails_the_deploy_with_the_reason(rds: Any) -> None:
    sent = Sent()
    with Stubber(rds) as stub:
        stub.add_client_error(
            "describe_db_clusters", "DBClusterNotFoundFault", "DBCluster ledger not found."
        )
        handle({**EVENT, "RequestType": "Create"}, rds, sent)
    assert sent.body["Status"] == "FAILED"
    assert "DBCluster ledger not found" in sent.body["Reason"]
    assert "Data" not in sent.body


def test_a_cluster_without_three_members_fails(rds: Any) -> None:
    sent = Sent()
    with Stubber(rds) as stub:
        stub.add_response("describe_db_clusters", members("a", "b"))
        handle({**EVENT, "RequestType": "Create"}, rds, sent)
    assert sent.body["Status"] == "FAILED"
    assert "has 2 members" in sent.body["Reason"]


def test_the_construct_reads_the_attributes_the_handler_returns() -> None:
    # The construct keeps its own copy of these names (the handler would load boto3 at synth).
    assert cluster_member_lookup.ATTRIBUTES == cluster_members.ATTRIBUTES
