"""The master secret of a credentials = "secret" database, from the construct that tags the
database with it to the CLI that reads the tag (probe's default login)."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from synth_helpers import TEST_ENV, isolated_vpc

from rds_ha import HighlyAvailableDatabase
from rds_ha.cli import probe_connect
from rds_ha.cli.probe_connect import Auth

from .conftest import create_instance

SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:OrdersSecret-AbCdEf"


@pytest.fixture(scope="module")
def instance_tags() -> list[dict[str, Any]]:
    stack = cdk.Stack(cdk.App(), "Shop", env=TEST_ENV)
    HighlyAvailableDatabase(stack, "Orders", vpc=isolated_vpc(stack))
    (instance,) = Template.from_stack(stack).find_resources("AWS::RDS::DBInstance").values()
    return instance["Properties"]["Tags"]


def test_the_construct_tags_the_instance_with_its_own_secret(instance_tags) -> None:
    (tag,) = [t for t in instance_tags if t["Key"] == "rds-ha:master-secret-arn"]
    # The secret itself (a Ref is its ARN), not the attachment, which depends on the instance.
    assert list(tag["Value"]) == ["Ref"]
    assert tag["Value"]["Ref"].startswith("OrdersSecret")


def test_probe_logs_in_with_the_secret_the_tag_names(rds, instance_tags) -> None:
    # The template's tags as CloudFormation passes them, the Ref resolved to an ARN.
    tags = [
        {"Key": t["Key"], "Value": SECRET_ARN if isinstance(t["Value"], dict) else t["Value"]}
        for t in instance_tags
    ]
    create_instance(rds, Tags=tags, EnableIAMDatabaseAuthentication=False)
    endpoint = probe_connect.database_endpoint(rds, "orders-db")
    assert endpoint.secret_arn == SECRET_ARN
    target = probe_connect.choose_target(
        endpoint, auth=None, secret_arn=None, user=None, database=None, ca_bundle=None, no_tls=False
    )
    assert (target.auth, target.secret_arn) == (Auth.SECRET, SECRET_ARN)
