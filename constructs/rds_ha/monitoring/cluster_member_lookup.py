"""``ClusterMemberLookup``: a Multi-AZ DB cluster's member DB instance identifiers, learned at
deploy time."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import CustomResource, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from rds_ha.catalog.engines import Deployment
from rds_ha.database import defaults
from rds_ha.database.i_highly_available_database import IHighlyAvailableDatabase
from rds_ha.database.keys import allow_cloudwatch_logs
from rds_ha.errors import ConfigurationError
from rds_ha.functions import create_after_policy
from rds_ha.monitoring.cluster_members import CLUSTER_MEMBERS
from rds_ha.nag import acknowledge_rules, skip_checkov_checks

HANDLER_DIR = Path(__file__).resolve().parent / "handler"
RESOURCE_TYPE = "Custom::RdsClusterMembers"
# The attributes the handler returns, one member each. The handler is shipped alone as the
# function's code, so it keeps its own copy; importing it here would load boto3 into every
# synth. A test checks that the two agree.
ATTRIBUTES = tuple(f"Member{index}" for index in range(CLUSTER_MEMBERS))


class ClusterMemberLookup(Construct):
    """A custom resource that calls ``rds:DescribeDBClusters`` for ``database`` when the stack
    is deployed and returns its three member DB instance identifiers (``member_identifiers``,
    tokens), sorted by name.

    RDS names the members and CloudFormation does not return them. They keep their names
    through a failover (the writer and reader roles move), so the lookup runs only when the
    cluster's identifier or resource id changes, i.e. for a new or replaced cluster.

    Why a function of its own rather than ``AwsCustomResource``: it is a Python handler with a
    unit test, its role is one customer-managed policy (DescribeDBClusters on this cluster's
    ARN, writing to its own log group) instead of AWSLambdaBasicExecutionRole, and its log
    group is encrypted and kept for ``log_retention``.

    :param database: a Multi-AZ DB cluster.
    :param encryption_key: encrypts the function's log group. Default: the database's key.
    :param log_retention: Default: one year.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        database: IHighlyAvailableDatabase,
        encryption_key: kms.IKey | None = None,
        log_retention: logs.RetentionDays = defaults.LOG_RETENTION,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = []
        if database.deployment is not Deployment.MULTI_AZ_CLUSTER:
            problems.append(
                f"deployment={database.deployment.value!r}: member identifiers are looked "
                "up for a Multi-AZ DB cluster only; allowed: 'multi-az-cluster'"
            )
        key = encryption_key or database.encryption_key
        if key is None:
            problems.append(
                f"encryption_key=None: the member lookup's log group is encrypted with the "
                f"database key, and {database.identifier!r} was imported without one; allowed: "
                "a key (encryption_key=..., or the import's key=...)"
            )
        if problems:
            raise ConfigurationError(self.node.path, problems)
        assert key is not None
        self.database = database
        identifier = database.identifier
        log_group_name = f"/rds-ha/{identifier}/cluster-members"
        allow_cloudwatch_logs(key, log_group_name)
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=log_group_name,
            retention=log_retention,
            encryption_key=key,
            removal_policy=defaults.RETAIN_NAMED,
        )
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{identifier}: read the Multi-AZ DB cluster's member identifiers",
        )
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description=f"{identifier}: describe this DB cluster, write the lookup's logs",
            roles=[role],
            statements=[
                iam.PolicyStatement(
                    sid="DescribeThisCluster",
                    actions=["rds:DescribeDBClusters"],
                    resources=[database.arn_for(self)],
                ),
                iam.PolicyStatement(
                    sid="Logs",
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[self.log_group.log_group_arn],
                ),
            ],
        )
        self.function = lambda_.Function(
            self,
            "Function",
            description=f"{identifier}: member DB instance identifiers (CloudFormation custom "
            "resource)",
            runtime=lambda_.Runtime.PYTHON_3_14,
            architecture=lambda_.Architecture.ARM_64,
            handler="cluster_members.handler",
            code=lambda_.Code.from_asset(
                str(HANDLER_DIR), exclude=["__pycache__", "*.pyc", "__init__.py"]
            ),
            role=role.without_policy_updates(),
            timeout=Duration.minutes(1),
            memory_size=128,
            # CloudFormation invokes a custom resource asynchronously; a retried Create would
            # answer a request that was already answered.
            retry_attempts=0,
            log_group=self.log_group,
        )
        create_after_policy(self.function, self.policy)
        self._acknowledge_function_findings()

        properties: dict[str, str] = {"DBClusterIdentifier": identifier}
        same_stack = Stack.of(self) is Stack.of(database)
        if same_stack and database.resource_id is not None:
            # A replaced cluster has a new resource id: the lookup runs again. The reference
            # also orders the lookup after the cluster.
            properties["DBClusterResourceId"] = database.resource_id
        self.resource = CustomResource(
            self,
            "Resource",
            service_token=self.function.function_arn,
            resource_type=RESOURCE_TYPE,
            properties=properties,
        )
        if not same_stack and database.resource is not None:
            self.resource.node.add_dependency(database.resource)
        self.member_identifiers: list[str] = [
            self.resource.get_att_string(attribute) for attribute in ATTRIBUTES
        ]

    def _acknowledge_function_findings(self) -> None:
        outside_vpc = (
            "The function calls only the RDS API (DescribeDBClusters on one cluster) and "
            "CloudFormation's response URL, and reads no database data; the VPC's subnets are "
            "isolated (no NAT), so inside it would need an RDS interface endpoint, which a VPC "
            "can hold only once per service. It runs with Lambda's default networking and a "
            "role limited to describing this cluster."
        )
        no_reserved = (
            "Reserving concurrency fails the deploy in accounts with a low concurrency quota, "
            "such as new accounts. The function runs once per create or replacement of the "
            "cluster, as part of the deploy."
        )
        no_dlq = (
            "The function is a CloudFormation custom resource: every outcome, errors included, "
            "is reported to CloudFormation, which fails and rolls back the deploy. A failed "
            "request has nothing to replay (its response URL expires), so a dead-letter queue "
            "would add nothing."
        )
        findings = {
            "LambdaInsideVPC": (("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321"), outside_vpc),
            "LambdaConcurrency": (("HIPAA.Security", "NIST.800.53.R5"), no_reserved),
            "LambdaDLQ": (("HIPAA.Security", "NIST.800.53.R5"), no_dlq),
        }
        acknowledge_rules(self.function, findings)
        skip_checkov_checks(
            self.function,
            {"CKV_AWS_115": no_reserved, "CKV_AWS_116": no_dlq, "CKV_AWS_117": outside_vpc},
        )
