"""Fixtures for the CLI tests: fake credentials, moto, a clock that never sleeps, a CLI runner."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from typer.testing import CliRunner

from rds_ha.catalog.credentials import MASTER_SECRET_TAG
from rds_ha.cli import plans, waiting
from rds_ha.cli.app import app
from rds_ha.cli.context import CliContext

REGION = "us-east-1"
KMS_KEY = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"


@pytest.fixture(autouse=True)
def fake_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_RDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


class FakeClock:
    """Time advances only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture(autouse=True)
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(waiting, "DEFAULT_TIMER", waiting.Timer(sleep=fake.sleep, clock=fake.clock))
    return fake


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def rds(aws: None) -> Any:
    return boto3.client("rds", region_name=REGION)


@pytest.fixture
def cloudwatch(aws: None) -> Any:
    return boto3.client("cloudwatch", region_name=REGION)


def moto_key(region: str = REGION) -> str:
    """A KMS key moto knows (it checks a master secret's key when it describes the secret; the
    storage key it takes as given), for tests that give a database an RDS-managed secret."""
    return boto3.client("kms", region_name=region).create_key()["KeyMetadata"]["Arn"]


def create_instance(rds: Any, identifier: str = "orders-db", **overrides: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "DBInstanceIdentifier": identifier,
        "DBInstanceClass": "db.r6g.large",
        "Engine": "postgres",
        "EngineVersion": "16.4",
        "AllocatedStorage": 100,
        "MasterUsername": "app",
        "MasterUserPassword": "not-a-real-password",
        "MultiAZ": True,
        "BackupRetentionPeriod": 7,
        "DeletionProtection": True,
        "StorageEncrypted": True,
        "KmsKeyId": KMS_KEY,
        "PubliclyAccessible": False,
        "Tags": [{"Key": "team", "Value": "orders"}],
    }
    params.update(overrides)  # an override of None leaves the parameter out
    return rds.create_db_instance(**{k: v for k, v in params.items() if v is not None})[
        "DBInstance"
    ]


def create_cluster(rds: Any, identifier: str = "orders") -> dict[str, Any]:
    """A Multi-AZ DB cluster with a writer and a reader in two AZs."""
    rds.create_db_cluster(
        DBClusterIdentifier=identifier,
        Engine="postgres",
        EngineVersion="16.4",
        DBClusterInstanceClass="db.r6gd.large",
        AllocatedStorage=100,
        StorageType="io1",
        Iops=1000,
        MasterUsername="app",
        MasterUserPassword="not-a-real-password",
        BackupRetentionPeriod=7,
        DeletionProtection=True,
        StorageEncrypted=True,
    )
    for suffix, az in (("a", "us-east-1a"), ("b", "us-east-1b")):
        rds.create_db_instance(
            DBInstanceIdentifier=f"{identifier}-{suffix}",
            DBClusterIdentifier=identifier,
            Engine="postgres",
            DBInstanceClass="db.r6gd.large",
            AvailabilityZone=az,
        )
    return rds.describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"][0]


def stack_secret(rds: Any, identifier: str = "orders-db", **rotation: Any) -> str:
    """The secret credentials = "secret" gives a database (an instance, or else a cluster of
    that identifier), named by the construct's tag; ``rotation`` configures its rotation
    (RotateSecret's RotationRules etc., not run now). moto accepts a rotation with no function
    (AWS requires one: the stack's is the SAR rotation app) and then sets RotationEnabled,
    NextRotationDate and LastRotatedDate; with a function it would invoke it, which needs
    Docker."""
    secrets = boto3.client("secretsmanager", region_name=REGION)
    arn = secrets.create_secret(Name=f"{identifier}-master", SecretString='{"password":"x"}')["ARN"]
    if rotation:
        secrets.rotate_secret(SecretId=arn, RotateImmediately=False, **rotation)
    instances = rds.describe_db_instances(
        Filters=[{"Name": "db-instance-id", "Values": [identifier]}]
    )["DBInstances"]
    resource = (
        instances[0]["DBInstanceArn"]
        if instances
        else rds.describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"][0][
            "DBClusterArn"
        ]
    )
    rds.add_tags_to_resource(ResourceName=resource, Tags=[{"Key": MASTER_SECRET_TAG, "Value": arn}])
    return arn


def instance_ids(rds: Any) -> list[str]:
    return sorted(i["DBInstanceIdentifier"] for i in rds.describe_db_instances()["DBInstances"])


def plain(text: str) -> str:
    """Terminal output without rich's panel borders and line wrapping, for substring checks."""
    return " ".join(re.sub(r"[│╭╮╰╯─┃┏┓┗┛━┡┩╇┳┻]", " ", text).split())


@pytest.fixture
def invoke() -> Any:
    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> Any:
        return runner.invoke(app, list(args), input=input)

    return run


@pytest.fixture
def interactive(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run as if stdin were a terminal, so the confirmation prompt reads the test's input."""
    monkeypatch.setattr(plans, "stdin_is_interactive", lambda: True)


@pytest.fixture
def use_client(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Make the CLI use the given (stubbed) client for a service."""

    def install(service: str, client: Any) -> None:
        original = CliContext.client

        def client_for(self: CliContext, name: str) -> Any:
            return client if name == service else original(self, name)

        monkeypatch.setattr(CliContext, "client", client_for)

    return install
