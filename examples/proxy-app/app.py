"""RDS Proxy in front of a database, and an application (a Lambda function in the VPC) that
connects through it with IAM authentication: granted `rds-db:connect` and let into the
proxy's port, nothing else."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks
from constructs import Construct

from rds_ha import (
    RETAIN_NAMED,
    DatabaseAlarms,
    DatabaseBackups,
    DatabaseNetwork,
    DatabaseProxy,
    HighlyAvailableDatabase,
    acknowledge_rules,
    allow_cloudwatch_logs,
    create_after_policy,
    create_database_key,
)

ENV = cdk.Environment(account="123456789012", region="eu-west-1")
HANDLER = Path(__file__).resolve().parent / "handler"


class ShopStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)
        vpc = DatabaseNetwork(
            self,
            "Network",
            cidr="10.6.0.0/16",
            encryption_key=create_database_key(self, "FlowLogsKey", description="VPC flow logs"),
            log_retention=logs.RetentionDays.ONE_YEAR,
            log_group_suffix=self.stack_name,
        ).vpc
        database = HighlyAvailableDatabase(self, "Shop", vpc=vpc, identifier="shop")
        alarms = DatabaseAlarms(self, "Alarms", database=database, alarm_emails=["dba@example.com"])
        DatabaseBackups(self, "Backups", database=database)
        # The proxy lets itself into the database's port; clients log in with IAM over TLS.
        self.proxy = DatabaseProxy(
            self, "Proxy", database=database, vpc=vpc, alarm_topic=alarms.topic
        )
        self.function = self._application(vpc, database)

    def _application(self, vpc: ec2.IVpc, database: HighlyAvailableDatabase) -> lambda_.Function:
        key = create_database_key(self, "AppKey", description="shop application: logs, env")
        log_group_name = "/shop/app"
        allow_cloudwatch_logs(key, log_group_name)
        log_group = logs.LogGroup(
            self,
            "AppLogs",
            log_group_name=log_group_name,
            retention=logs.RetentionDays.ONE_YEAR,
            encryption_key=key,
            removal_policy=RETAIN_NAMED,
        )
        role = iam.Role(self, "AppRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        # A managed policy: inline policies fail the HIPAA, NIST and PCI packs.
        network_interfaces = self.format_arn(service="ec2", resource="*", resource_name="*")
        policy = iam.ManagedPolicy(
            self,
            "AppPolicy",
            roles=[role],
            statements=[
                iam.PolicyStatement(
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[log_group.log_group_arn],
                ),
                iam.PolicyStatement(actions=["kms:Decrypt"], resources=[key.key_arn]),
                # Lambda's VPC networking (AWSLambdaVPCAccessExecutionRole's actions): EC2 has no
                # resource-level permissions for these describe calls.
                iam.PolicyStatement(
                    actions=["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
                    resources=["*"],
                ),
                iam.PolicyStatement(
                    actions=[
                        "ec2:CreateNetworkInterface",
                        "ec2:DeleteNetworkInterface",
                        "ec2:AssignPrivateIpAddresses",
                        "ec2:UnassignPrivateIpAddresses",
                    ],
                    resources=[network_interfaces],
                ),
            ],
        )
        db_user = database.master_username  # the user whose secret the proxy holds
        self.proxy.grant_connect(policy, db_user)
        function = lambda_.Function(
            self,
            "App",
            runtime=lambda_.Runtime.PYTHON_3_14,
            architecture=lambda_.Architecture.ARM_64,
            handler="index.handler",
            code=lambda_.Code.from_asset(str(HANDLER), exclude=["__pycache__"]),
            role=role.without_policy_updates(),
            timeout=cdk.Duration.seconds(10),
            log_group=log_group,
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
            environment_encryption=key,
            environment={
                "PROXY_ENDPOINT": self.proxy.endpoint,
                "DB_PORT": str(self.proxy.endpoint_port),
                "DB_USER": db_user,
            },
        )
        # The role's permissions come from the managed policy: create the function after it.
        create_after_policy(function, policy)
        self.proxy.allow_connections_from(function)
        reason = (
            "Lambda's VPC networking: EC2 has no resource-level permissions for describing "
            "network interfaces and subnets, and the interfaces Lambda creates get ids only "
            "at run time (EC2 resources of this account and region)."
        )
        cdk.Validations.of(policy).acknowledge(
            *(
                cdk.Acknowledgment(
                    id=f"AwsSolutions::AwsSolutions-IAM5[Resource::{arn}]", reason=reason
                )
                for arn in ("*", self.resolve(network_interfaces))
            )
        )
        acknowledge_rules(
            function,
            {
                "LambdaConcurrency": (
                    ("HIPAA.Security", "NIST.800.53.R5"),
                    "Reserved concurrency is the application owner's choice for its load.",
                ),
                "LambdaDLQ": (
                    ("HIPAA.Security", "NIST.800.53.R5"),
                    "Invoked synchronously: the caller gets the error, no event to keep.",
                ),
            },
        )
        return function


app = cdk.App()
ShopStack(app, "Shop", env=ENV)
# The four compliance packs, as validation plugins: `cdk synth` fails on any finding.
cdk.Validations.of(app).add_plugins(
    AwsSolutionsChecks(app), HIPAASecurityChecks(app), NIST80053R5Checks(app), PCIDSS321Checks(app)
)
app.synth()
