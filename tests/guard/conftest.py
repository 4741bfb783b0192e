"""Fixtures for the data-safety guard: fake AWS credentials and a small hand-written template of
a database with its key, secret, backups, an alarm and a Lambda function."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

ASSET = "0f3c6e1f9d4b2a7c8e5d1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c"

DATABASE_TEMPLATE: dict[str, Any] = {
    "Resources": {
        "Key": {
            "Type": "AWS::KMS::Key",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {"EnableKeyRotation": True, "KeyPolicy": {"Statement": []}},
        },
        "Secret": {
            "Type": "AWS::SecretsManager::Secret",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {"GenerateSecretString": {"SecretStringTemplate": '{"username":"app"}'}},
        },
        "SubnetGroup": {
            "Type": "AWS::RDS::DBSubnetGroup",
            "Properties": {"DBSubnetGroupDescription": "db", "SubnetIds": ["subnet-1", "subnet-2"]},
        },
        "Database": {
            "Type": "AWS::RDS::DBInstance",
            "DeletionPolicy": "Snapshot",
            "UpdateReplacePolicy": "Snapshot",
            "Properties": {
                "Engine": "postgres",
                "EngineVersion": "17.4",
                "DBInstanceClass": "db.t4g.medium",
                "AllocatedStorage": "20",
                "MultiAZ": True,
                "StorageEncrypted": True,
                "KmsKeyId": {"Fn::GetAtt": ["Key", "Arn"]},
                "DBSubnetGroupName": {"Ref": "SubnetGroup"},
                "MasterUsername": "app",
                "DeletionProtection": True,
            },
        },
        "Vault": {
            "Type": "AWS::Backup::BackupVault",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "BackupVaultName": "db-vault",
                "EncryptionKeyArn": {"Fn::GetAtt": ["Key", "Arn"]},
            },
        },
        "Plan": {
            "Type": "AWS::Backup::BackupPlan",
            "Properties": {"BackupPlan": {"BackupPlanName": "db", "BackupPlanRule": []}},
        },
        "Logs": {
            "Type": "AWS::Logs::LogGroup",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {"RetentionInDays": 30, "DeletionProtectionEnabled": True},
        },
        "CpuAlarm": {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "MetricName": "CPUUtilization",
                "Namespace": "AWS/RDS",
                "Threshold": 80,
                "ComparisonOperator": "GreaterThanThreshold",
                "EvaluationPeriods": 3,
                "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": {"Ref": "Database"}}],
            },
        },
        "Handler": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Code": {"S3Bucket": "cdk-assets", "S3Key": f"{ASSET}.zip"},
                "Handler": "index.handler",
                "Runtime": "python3.12",
                "Role": "arn:aws:iam::123456789012:role/handler",
            },
        },
        "CDKMetadata": {
            "Type": "AWS::CDK::Metadata",
            "Properties": {"Analytics": "v2:deflate64:A"},
        },
    }
}


@pytest.fixture(autouse=True)
def fake_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


@pytest.fixture
def baseline() -> dict[str, Any]:
    return copy.deepcopy(DATABASE_TEMPLATE)


@pytest.fixture
def current() -> dict[str, Any]:
    """A copy of the baseline that each test edits into the change it is about."""
    return copy.deepcopy(DATABASE_TEMPLATE)


@pytest.fixture
def write_assembly(tmp_path: Path):
    """Write ``{stack: template}`` as ``<dir>/<stack>.template.json`` files; return the dir."""

    def write(name: str, stacks: dict[str, dict[str, Any]]) -> Path:
        directory = tmp_path / name
        directory.mkdir()
        for stack, template in stacks.items():
            (directory / f"{stack}.template.json").write_text(json.dumps(template))
        return directory

    return write
