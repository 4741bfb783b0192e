"""checkov checks skipped in a resource's Metadata (``rds_ha.skip_checkov_checks``), at synth
level. checkov itself runs in `make lint` over every template and the opt-in features."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match, Template
from constructs import Construct
from synth_helpers import TEST_ENV, project_context

from rds_ha import DatabaseNetwork, skip_checkov_checks
from stacks.pipeline_findings import _writes_on_any_resource


def _stack() -> cdk.Stack:
    return cdk.Stack(cdk.App(context=project_context()), "Skips", env=TEST_ENV)


def _skips(*checks: tuple[str, str]) -> dict:
    return {"checkov": {"skip": [{"id": check, "comment": reason} for check, reason in checks]}}


def test_skips_are_written_sorted_by_id_and_a_repeated_id_is_replaced() -> None:
    stack = _stack()
    bucket = s3.Bucket(stack, "Bucket")
    skip_checkov_checks(bucket, {"CKV_AWS_21": "old reason", "CKV_AWS_18": "not logged"})
    skip_checkov_checks(bucket, {"CKV_AWS_21": "not versioned"})
    Template.from_stack(stack).has_resource(
        "AWS::S3::Bucket",
        {"Metadata": _skips(("CKV_AWS_18", "not logged"), ("CKV_AWS_21", "not versioned"))},
    )


def test_skips_on_a_cfn_resource_keep_its_other_metadata() -> None:
    stack = _stack()
    resource = s3.CfnBucket(stack, "Bucket")
    resource.add_metadata("cfn-lint", {"config": {"ignore_checks": ["W3005"]}})
    skip_checkov_checks(resource, {"CKV_AWS_18": "not logged"})
    Template.from_stack(stack).has_resource(
        "AWS::S3::Bucket",
        {
            "Metadata": {
                "cfn-lint": {"config": {"ignore_checks": ["W3005"]}},
                **_skips(("CKV_AWS_18", "not logged")),
            }
        },
    )


def test_fails_on_a_construct_without_a_cloudformation_resource() -> None:
    stack = _stack()
    with pytest.raises(TypeError, match="Skips/Empty: no CloudFormation resource"):
        skip_checkov_checks(Construct(stack, "Empty"), {"CKV_AWS_18": "reason"})


def test_the_default_security_group_provider_of_the_network_skips_the_lambda_checks() -> None:
    stack = _stack()
    DatabaseNetwork(
        stack,
        "Network",
        cidr="10.10.0.0/16",
        encryption_key=kms.Key(stack, "Key"),
        log_retention=logs.RetentionDays.ONE_YEAR,
        log_group_suffix="test",
    )
    handlers = Template.from_stack(stack).find_resources(
        "AWS::Lambda::Function",
        {"Metadata": {"cfn-lint": {"config": {"ignore_checks": ["W3005"]}}}},
    )
    (handler,) = handlers.values()
    skipped = [skip["id"] for skip in handler["Metadata"]["checkov"]["skip"]]
    assert skipped == ["CKV_AWS_115", "CKV_AWS_116", "CKV_AWS_117"]
    assert all(skip["comment"] for skip in handler["Metadata"]["checkov"]["skip"])


def test_the_provider_is_annotated_once_when_a_stack_has_two_networks() -> None:
    stack = _stack()
    for name, cidr in (("One", "10.10.0.0/16"), ("Two", "10.20.0.0/16")):
        DatabaseNetwork(
            stack,
            name,
            cidr=cidr,
            encryption_key=kms.Key(stack, f"{name}Key"),
            log_retention=logs.RetentionDays.ONE_YEAR,
            log_group_suffix=name.lower(),
        )
    Template.from_stack(stack).has_resource(
        "AWS::Lambda::Function",
        {
            "Metadata": {
                "checkov": {
                    "skip": [
                        Match.object_like({"id": "CKV_AWS_115"}),
                        Match.object_like({"id": "CKV_AWS_116"}),
                        Match.object_like({"id": "CKV_AWS_117"}),
                    ]
                }
            }
        },
    )


def test_only_writes_on_any_resource_are_reported_for_a_pipeline_policy() -> None:
    stack = _stack()
    policy = iam.Policy(
        stack,
        "Policy",
        statements=[
            iam.PolicyStatement(
                actions=["cloudformation:DescribeStacks", "s3:ListBucket"], resources=["*"]
            ),
            iam.PolicyStatement(
                actions=["codebuild:StartBuild", "codebuild:BatchGetBuilds"], resources=["*"]
            ),
            iam.PolicyStatement(actions=["s3:PutObject"], resources=["arn:aws:s3:::bucket/*"]),
        ],
    )
    assert _writes_on_any_resource(policy) == ["codebuild:StartBuild"]
