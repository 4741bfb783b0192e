"""checkov checks skipped in a resource's Metadata (``rds_ha.skip_checkov_checks``), at synth
level. checkov itself runs in `make lint` over every template and the opt-in features."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template
from constructs import Construct
from synth_helpers import TEST_ENV, project_context

from rds_ha import skip_checkov_checks


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
