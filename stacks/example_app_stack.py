"""An example application stack: the stateless tier in front of a highly available database,
built as a user's own stack would use rds-ha (public API only, the endpoint found in SSM).

Not deployed by default: ``cdk synth -c example_app=true`` adds one per environment.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Acknowledgment, Duration, Environment, Stack, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from rds_ha import (
    RETAIN_NAMED,
    DatabaseProxy,
    HighlyAvailableDatabase,
    acknowledge_rules,
    allow_cloudwatch_logs,
    create_after_policy,
    create_database_key,
    skip_checkov_checks,
)

HANDLER_DIR = Path(__file__).resolve().parent.parent / "examples" / "app_handler"


class ExampleAppStack(Stack):
    """A Lambda function in the database's VPC that finds the RDS Proxy endpoint (or the
    database endpoint when there is no proxy) in SSM and logs in with IAM authentication.

    :param vpc: the database's VPC; the function runs in its isolated subnets.
    :param database: the database, for its SSM path, master user and (without a proxy) its
        IAM grant and security group.
    :param db_user: the database user the function logs in as: through a proxy, the master
        user (the one user whose secret the proxy holds); directly, a user granted ``rds_iam``
        (PostgreSQL) or created ``IDENTIFIED WITH AWSAuthenticationPlugin`` (MySQL, MariaDB).
    :param proxy: Default: none, the function connects to the database directly.
    :param env: Default: the database's stack's account and region.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        database: HighlyAvailableDatabase,
        db_user: str,
        proxy: DatabaseProxy | None = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        env: Environment | None = None,
    ) -> None:
        database_stack = Stack.of(database)
        super().__init__(
            scope,
            construct_id,
            env=env or Environment(account=database_stack.account, region=database_stack.region),
            description=f"rds-ha example application for {database.identifier}",
        )
        self.add_stack_dependency(database_stack)
        self.db_user = db_user
        if proxy is not None:
            self.endpoint_parameter_name = f"{database.parameter_path}/proxy-endpoint"
            port = proxy.endpoint_port
        else:
            self.endpoint_parameter_name = f"{database.parameter_path}/endpoint"
            port = database.endpoint_port

        self.key = create_database_key(
            self, "Key", description=f"rds-ha example app for {database.identifier}: logs"
        )
        log_group_name = f"/rds-ha/{self.stack_name}/app"
        allow_cloudwatch_logs(self.key, log_group_name)
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=log_group_name,
            retention=log_retention,
            encryption_key=self.key,
            removal_policy=RETAIN_NAMED,
        )
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description=f"rds-ha example app: to {database.identifier} and SSM only",
            allow_all_outbound=False,
        )
        # The isolated subnets have no route out: SSM is reached through an interface endpoint.
        self.ssm_endpoint = ec2.InterfaceVpcEndpoint(
            self,
            "SsmEndpoint",
            vpc=vpc,
            service=ec2.InterfaceVpcEndpointAwsService.SSM,
            subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
            open=False,
        )
        self.ssm_endpoint.connections.allow_default_port_from(
            self.security_group, "rds-ha example app to SSM"
        )
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="rds-ha example app: read the endpoint, log in with IAM",
        )
        self.policy = self._policy(role, database)
        if proxy is not None:
            proxy.grant_connect(self.policy, self.db_user)
        else:
            database.grant_connect(self.policy, self.db_user)
        self.function = lambda_.Function(
            self,
            "Function",
            description=f"rds-ha example app: IAM login to {database.identifier}",
            runtime=lambda_.Runtime.PYTHON_3_14,
            architecture=lambda_.Architecture.ARM_64,
            handler="app_handler.handler",
            code=lambda_.Code.from_asset(str(HANDLER_DIR), exclude=["__pycache__", "*.pyc"]),
            role=role.without_policy_updates(),
            timeout=Duration.seconds(10),
            memory_size=128,
            retry_attempts=0,
            log_group=self.log_group,
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
            security_groups=[self.security_group],
            environment_encryption=self.key,
            environment={
                "ENDPOINT_PARAMETER": self.endpoint_parameter_name,
                "DB_PORT": str(port),
                "DB_USER": self.db_user,
            },
        )
        create_after_policy(self.function, self.policy)
        # The network path: into the proxy's port (or the database's) from this function only.
        # In one stack this is proxy.allow_connections_from(function); from another stack it is
        # asked from the function's side, so that CDK puts the ingress rule in this stack (it
        # refers to the database's stack's group) instead of making that stack refer to this one.
        target = proxy.connections if proxy is not None else database.connections
        self.function.connections.allow_to_default_port(target, "rds-ha example app")
        self._acknowledge_function_findings()

    def _policy(self, role: iam.Role, database: HighlyAvailableDatabase) -> iam.ManagedPolicy:
        # A managed policy: inline policies fail the HIPAA, NIST and PCI packs.
        ec2_resources = self.format_arn(service="ec2", resource="*", resource_name="*")
        policy = iam.ManagedPolicy(
            self,
            "Policy",
            description="rds-ha example app: endpoint parameter, logs, VPC networking",
            roles=[role],
            statements=[
                iam.PolicyStatement(
                    sid="ReadEndpoint",
                    actions=["ssm:GetParameter"],
                    resources=[
                        self.format_arn(
                            service="ssm",
                            resource="parameter",
                            resource_name=self.endpoint_parameter_name.lstrip("/"),
                        )
                    ],
                ),
                iam.PolicyStatement(
                    sid="Logs",
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[self.log_group.log_group_arn],
                ),
                # The function's environment is encrypted with the stack's key.
                iam.PolicyStatement(
                    sid="DecryptEnvironment",
                    actions=["kms:Decrypt"],
                    resources=[self.key.key_arn],
                ),
                # What AWSLambdaVPCAccessExecutionRole grants, split by what EC2 can scope:
                # describing network interfaces and subnets has no resource-level permissions
                # (Service Authorization Reference, Amazon EC2: "*" only).
                iam.PolicyStatement(
                    sid="VpcDescribe",
                    actions=["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
                    resources=["*"],
                ),
                # The network interfaces Lambda creates get ids only at run time: EC2
                # resources of this account and region, as the Lambda developer guide's VPC
                # example scopes them.
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
            "Lambda's VPC networking (as in AWSLambdaVPCAccessExecutionRole): EC2 has no "
            "resource-level permissions for describing network interfaces and subnets ('*'), "
            "and the network interfaces Lambda creates and deletes get ids only at run time "
            "(EC2 resources of this account and region); the other statements name their "
            "resources."
        )
        Validations.of(policy).acknowledge(
            *(
                Acknowledgment(
                    id=f"AwsSolutions::AwsSolutions-IAM5[Resource::{arn}]", reason=reason
                )
                for arn in ("*", self.resolve(ec2_resources))
            )
        )
        return policy

    def _acknowledge_function_findings(self) -> None:
        no_reserved = (
            "Reserving concurrency fails the deploy in accounts with a low concurrency quota, "
            "such as new accounts; an example application leaves that to its owner."
        )
        no_dlq = (
            "The function is invoked synchronously (a caller waits for the connection details) "
            "and has no asynchronous events to keep."
        )
        findings = {
            "LambdaConcurrency": (("HIPAA.Security", "NIST.800.53.R5"), no_reserved),
            "LambdaDLQ": (("HIPAA.Security", "NIST.800.53.R5"), no_dlq),
        }
        acknowledge_rules(self.function, findings)
        skip_checkov_checks(self.function, {"CKV_AWS_115": no_reserved, "CKV_AWS_116": no_dlq})
