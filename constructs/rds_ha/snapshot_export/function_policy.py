"""The snapshot export function's managed policy."""

from __future__ import annotations

from aws_cdk import Acknowledgment, ArnFormat, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from rds_ha.nag import nag_finding_text

# StartExportTask takes the role that RDS's export service assumes: the role trusts
# export.rds.amazonaws.com (RDS user guide, "Exporting DB snapshot data to Amazon S3": the
# role's trust policy names that principal). IAM matches iam:PassedToService against the service
# principal the role is passed to ("IAM: Pass an IAM role to a specific AWS service": the
# principal in the role's trust policy). The RDS documentation does not say whether
# StartExportTask presents export.rds.amazonaws.com or rds.amazonaws.com, so the condition admits
# both RDS principals and nothing else.
EXPORT_SERVICE_PRINCIPAL = "export.rds.amazonaws.com"
EXPORT_PASSED_TO_SERVICES = (EXPORT_SERVICE_PRINCIPAL, "rds.amazonaws.com")


def export_function_policy(
    scope: Construct,
    *,
    role: iam.Role,
    identifier: str,
    database_arn: str,
    export_role: iam.IRole,
    dead_letter_queue: sqs.IQueue,
    log_group: logs.ILogGroup,
) -> tuple[iam.ManagedPolicy, iam.PolicyStatement]:
    """The export function's only permissions, and the statement naming the databases it
    serves (``add_resources`` for one more)."""
    stack = Stack.of(scope)

    def rds_arn(resource: str, name: str) -> str:
        return stack.format_arn(
            service="rds",
            resource=resource,
            resource_name=name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )

    snapshots = [rds_arn("snapshot", "*"), rds_arn("cluster-snapshot", "*")]
    ec2_resources = stack.format_arn(service="ec2", resource="*", resource_name="*")
    databases = iam.PolicyStatement(
        sid="ReadSnapshotsAndStartExports",
        actions=[
            "rds:DescribeDBSnapshots",
            "rds:DescribeDBClusterSnapshots",
            "rds:DescribeExportTasks",
            "rds:StartExportTask",
        ],
        resources=[*snapshots, database_arn],
    )
    policy = iam.ManagedPolicy(
        scope,
        "ExportFunctionPolicy",
        description=f"{identifier}: snapshot export function",
        roles=[role],
        statements=[
            databases,
            iam.PolicyStatement(
                sid="PassExportRole",
                actions=["iam:PassRole"],
                resources=[export_role.role_arn],
                conditions={
                    "StringEquals": {"iam:PassedToService": list(EXPORT_PASSED_TO_SERVICES)}
                },
            ),
            iam.PolicyStatement(
                sid="DeadLetters",
                actions=["sqs:SendMessage"],
                resources=[dead_letter_queue.queue_arn],
            ),
            iam.PolicyStatement(
                sid="Logs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[log_group.log_group_arn],
            ),
            # What AWSLambdaVPCAccessExecutionRole grants, split by what EC2 can scope.
            # Describing network interfaces and subnets has no resource-level permissions
            # (Service Authorization Reference, Amazon EC2: "*" only).
            iam.PolicyStatement(
                sid="VpcDescribe",
                actions=["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
                resources=["*"],
            ),
            # The network interfaces Lambda creates in the function's subnets get ids only
            # at run time, and Lambda checks these permissions against the function's
            # subnets and security groups when it creates the function: scoped to EC2
            # resources of this account and region, as the Lambda developer guide's VPC
            # example does ("arn:aws:ec2:<region>:<account>:*/*").
            iam.PolicyStatement(
                sid="VpcNetworkInterfaces",
                actions=[
                    "ec2:CreateNetworkInterface",
                    "ec2:DeleteNetworkInterface",
                    "ec2:AssignPrivateIpAddresses",
                    "ec2:UnassignPrivateIpAddresses",
                ],
                resources=[ec2_resources],
            ),
        ],
    )
    reason = (
        "Snapshot names are chosen by RDS and AWS Backup at run time (rds:..., "
        "awsbackup:job-...), so snapshot ARNs can only be matched by a pattern, limited to "
        "this account and region; the function asks RDS whether each snapshot belongs to its "
        "database. Lambda's VPC networking (as in AWSLambdaVPCAccessExecutionRole): EC2 has "
        "no resource-level permissions for describing network interfaces and subnets ('*'), "
        "and the network interfaces Lambda creates and deletes get ids only at run time "
        "(EC2 resources of this account and region)."
    )
    # cdk-nag names each wildcard resource as it reads it from the template.
    Validations.of(policy).acknowledge(
        *(
            Acknowledgment(id=f"AwsSolutions::AwsSolutions-IAM5[Resource::{arn}]", reason=reason)
            for arn in (
                "*",
                nag_finding_text(scope, ec2_resources),
                *(nag_finding_text(scope, snapshot) for snapshot in snapshots),
            )
        )
    )
    return policy, databases
