"""The encrypted SNS topic that a database's alarms and RDS events notify, and its key."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct


def alarm_topic_key(scope: Construct, identifier: str) -> kms.Key:
    """The key of ``identifier``'s alarm topic (id ``TopicKey`` in ``scope``)."""
    key = kms.Key(
        scope,
        "TopicKey",
        description=f"{identifier}: alarm and event notifications",
        enable_key_rotation=True,
    )
    # CloudWatch alarms and RDS event subscriptions publish to the encrypted topic as
    # service principals; SNS needs them to be able to use the key.
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AllowAlarmAndEventPublishers",
            principals=[
                iam.ServicePrincipal("cloudwatch.amazonaws.com"),
                iam.ServicePrincipal("events.rds.amazonaws.com"),
            ],
            actions=["kms:Decrypt", "kms:GenerateDataKey*"],
            resources=["*"],
        )
    )
    return key


def alarm_topic(
    scope: Construct, identifier: str, *, key: kms.IKey, alarm_emails: Sequence[str] = ()
) -> sns.Topic:
    """``<identifier>-alarms`` (id ``Topic`` in ``scope``), encrypted with ``key``, TLS only,
    that CloudWatch alarms and RDS events of this account may publish to."""
    stack = Stack.of(scope)
    topic = sns.Topic(
        scope,
        "Topic",
        topic_name=f"{identifier}-alarms",
        display_name=f"{identifier} alarms",
        master_key=key,
        enforce_ssl=True,
    )
    publishers = {
        "AllowCloudWatchAlarms": (
            "cloudwatch.amazonaws.com",
            {
                "ArnLike": {
                    "aws:SourceArn": stack.format_arn(
                        service="cloudwatch", resource="alarm", resource_name="*",
                        arn_format=ArnFormat.COLON_RESOURCE_NAME,
                    )
                }
            },
        ),
        "AllowRdsEvents": ("events.rds.amazonaws.com", {}),
    }  # fmt: skip
    for sid, (service, conditions) in publishers.items():
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid=sid,
                principals=[iam.ServicePrincipal(service)],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions={
                    **conditions,
                    "StringEquals": {"aws:SourceAccount": stack.account},
                },
            )
        )
    for email in alarm_emails:
        topic.add_subscription(subscriptions.EmailSubscription(email))
    return topic
