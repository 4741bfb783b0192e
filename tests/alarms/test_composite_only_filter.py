"""A subscriber can hear only the composite alarms: one notification per incident."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import boto3
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk.assertions import Template
from moto import mock_aws

from rds_ha import HighlyAvailableDatabase
from rds_ha.monitoring.database_alarms import DatabaseAlarms

PAGER = "https://pager.example.com/hook"


@pytest.fixture(scope="module")
def subscription() -> dict[str, Any]:
    app = cdk.App()
    stack = cdk.Stack(app, "Paged", env=cdk.Environment(account="111111111111", region="eu-west-1"))
    vpc = ec2.Vpc(stack, "Vpc", subnet_configuration=[
        ec2.SubnetConfiguration(name="db", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
    ])  # fmt: skip
    database = HighlyAvailableDatabase(
        stack, "Orders", vpc=vpc, identifier="orders", instance_class="db.m7g.large"
    )
    alarms = DatabaseAlarms(stack, "Alarms", database=database)
    alarms.topic.add_subscription(
        subscriptions.UrlSubscription(
            PAGER, filter_policy_with_message_body=alarms.composite_only_filter()
        )
    )
    found = Template.from_stack(stack).find_resources(
        "AWS::SNS::Subscription", {"Properties": {"Endpoint": PAGER}}
    )
    (resource,) = found.values()
    return resource["Properties"]


def test_the_filter_admits_the_two_composite_alarms_by_name(subscription):
    assert subscription["FilterPolicyScope"] == "MessageBody"
    assert subscription["FilterPolicy"] == {
        "AlarmName": ["orders-scale-up-recommended", "orders-at-risk"]
    }


def _alarm_message(name: str, state: str) -> str:
    # The JSON body CloudWatch publishes to SNS, trimmed to the keys a filter could use.
    return json.dumps({"AlarmName": name, "NewStateValue": state, "OldStateValue": "OK"})


@mock_aws
def test_only_composite_notifications_reach_the_filtered_subscriber(subscription):
    # moto evaluates message-body filter policies; the messages stand in for CloudWatch's.
    sns = boto3.client("sns", region_name="eu-west-1")
    sqs = boto3.client("sqs", region_name="eu-west-1")
    topic = sns.create_topic(Name="orders-alarms")["TopicArn"]
    queue = sqs.create_queue(QueueName="pager")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn["Attributes"]["QueueArn"],
        Attributes={
            "FilterPolicyScope": subscription["FilterPolicyScope"],
            "FilterPolicy": json.dumps(subscription["FilterPolicy"]),
            "RawMessageDelivery": "true",
        },
    )
    for name in ("orders-cpu-critical", "orders-at-risk", "orders-connections-warning"):
        sns.publish(TopicArn=topic, Message=_alarm_message(name, "ALARM"))
    sns.publish(TopicArn=topic, Message=json.dumps({"Event Source": "db-instance"}))
    received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    assert [json.loads(m["Body"])["AlarmName"] for m in received] == ["orders-at-risk"]
