"""Lambda functions whose role gets its permissions from a managed policy."""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_


def create_after_policy(function: lambda_.Function, policy: iam.ManagedPolicy) -> None:
    """Create ``function`` only once ``policy`` (attached to its role) exists.

    The role is passed to the function ``without_policy_updates()``, so CDK does not know the
    function needs the policy: without this dependency CloudFormation may create the function
    first, and Lambda checks some permissions (network interfaces, the log group) at creation.
    CDK's own DependsOn names the role, which the function's GetAtt of the role already implies;
    cfn-lint calls that obsolete (W3005), so that check is skipped on this one resource.
    """
    cfn_function = function.node.default_child
    assert isinstance(cfn_function, lambda_.CfnFunction)
    cfn_policy = policy.node.default_child
    assert isinstance(cfn_policy, iam.CfnManagedPolicy)
    cfn_function.add_resource_dependency(cfn_policy)
    cfn_function.add_metadata("cfn-lint", {"config": {"ignore_checks": ["W3005"]}})
