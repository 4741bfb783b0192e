"""Producer to consumer: what the synthesized templates of the committed environments write is
what the CLI reads. Each test feeds the template's real values (tags, identifiers) to the CLI
against moto, rather than values written by hand for the test."""

from __future__ import annotations

import json
import tomllib
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from rds_ha.catalog.credentials import MASTER_SECRET_TAG
from rds_ha.cli.databases import find_database
from stacks.config import DEFAULT_CONFIG_PATH, parse_config
from stacks.database_stack import DatabaseStack

from .conftest import create_instance, moto_key
from .test_doctor import SKIP_PENDING

SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds-ha-dev-AbCdEf"


def database_resource(environment: str) -> dict[str, Any]:
    config = parse_config(tomllib.loads(DEFAULT_CONFIG_PATH.read_text())).select(environment)[0]
    stack = DatabaseStack(cdk.App(), config=config)
    (instance,) = Template.from_stack(stack).find_resources("AWS::RDS::DBInstance").values()
    return instance["Properties"]


@pytest.fixture(scope="module")
def dev() -> dict[str, Any]:
    return database_resource("dev")


def literal_tags(properties: dict[str, Any]) -> list[dict[str, str]]:
    """The template's tags, with the one CloudFormation resolves at deploy (the master secret's
    ARN, a Ref to the secret attachment) given the ARN it would resolve to."""
    tags = []
    for tag in properties["Tags"]:
        value = tag["Value"]
        if not isinstance(value, str):
            assert tag["Key"] == MASTER_SECRET_TAG, tag
            value = SECRET_ARN
        tags.append({"Key": tag["Key"], "Value": value})
    return tags


def test_doctor_all_finds_the_database_by_the_environment_tag_the_stack_writes(
    dev, rds, invoke
) -> None:
    create_instance(rds, dev["DBInstanceIdentifier"], Tags=literal_tags(dev))
    create_instance(rds, "someone-elses-db", Tags=[{"Key": "team", "Value": "x"}])

    found = invoke(
        "--output", "json", "doctor", "--all", "--tag", "rds-ha:environment=dev", *SKIP_PENDING
    )
    other = invoke(
        "--output", "json", "doctor", "--all", "--tag", "rds-ha:environment=prod", *SKIP_PENDING
    )

    assert [e["database"] for e in json.loads(found.stdout)["databases"]] == ["rds-ha-dev"]
    assert json.loads(other.stdout)["databases"] == []


def test_the_cli_finds_the_master_secret_the_stack_tags_the_database_with(dev, rds) -> None:
    # dev is credentials = "secret": no MasterUserSecret, the stack's secret named by its tag.
    assert "ManageMasterUserPassword" not in dev
    create_instance(rds, dev["DBInstanceIdentifier"], Tags=literal_tags(dev))

    database = find_database(rds, dev["DBInstanceIdentifier"])

    assert database.master_secret_arn == SECRET_ARN


def test_the_cli_finds_the_secret_rds_manages_for_an_rds_managed_environment(rds) -> None:
    staging = database_resource("staging")  # credentials = "rds-managed"
    assert staging["ManageMasterUserPassword"] is True
    assert MASTER_SECRET_TAG not in {tag["Key"] for tag in staging["Tags"]}
    create_instance(
        rds,
        staging["DBInstanceIdentifier"],
        Tags=literal_tags(staging),
        ManageMasterUserPassword=True,
        MasterUserPassword=None,
        MasterUserSecretKmsKeyId=moto_key(),
    )

    database = find_database(rds, staging["DBInstanceIdentifier"])

    assert database.master_secret_arn == database.raw["MasterUserSecret"]["SecretArn"]
