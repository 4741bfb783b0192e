"""Customer-managed KMS keys for database data and logs."""

from __future__ import annotations

from aws_cdk import ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct


def create_database_key(scope: Construct, construct_id: str, *, description: str) -> kms.Key:
    """A key with yearly rotation that outlives its stack: losing it loses every snapshot."""
    return kms.Key(
        scope,
        construct_id,
        description=description,
        enable_key_rotation=True,
        removal_policy=RemovalPolicy.RETAIN,
    )


def allow_cloudwatch_logs(key: kms.IKey, log_group_name: str) -> None:
    """Let CloudWatch Logs encrypt the log groups named ``log_group_name`` (may end in ``*``).

    CloudWatch Logs needs this in the key policy; the encryption-context condition keeps the
    grant to this account's matching log groups. A no-op for imported keys, whose policy the
    owner manages.
    """
    stack = Stack.of(key)
    key.add_to_resource_policy(
        iam.PolicyStatement(
            principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
            actions=[
                "kms:Encrypt*",
                "kms:Decrypt*",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:Describe*",
            ],
            resources=["*"],
            conditions={
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                        service="logs",
                        resource="log-group",
                        resource_name=log_group_name,
                        arn_format=ArnFormat.COLON_RESOURCE_NAME,
                    )
                }
            },
        )
    )
