"""``DatabaseProxy``: RDS Proxy in front of a ``HighlyAvailableDatabase`` DB instance."""

from __future__ import annotations

import jsii
from aws_cdk import ArnFormat, CfnOutput, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_rds as rds
from aws_cdk import aws_sns as sns
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from rds_ha.database.i_highly_available_database import (
    IHighlyAvailableDatabase,
    missing_attribute_problems,
    rds_engine_and_deployment,
)
from rds_ha.errors import ConfigurationError
from rds_ha.proxy import proxy_rules
from rds_ha.proxy.proxy_alarms import ProxyAlarms, ProxyAlarmThresholds

TARGET_GROUP_NAME = "default"
# What the proxy reads of its database (an imported one may lack them).
_NEEDED = {
    "secret": "the proxy logs in to the database with the master user secret",
    "encryption_key": "its role decrypts that secret through Secrets Manager with the key",
    "engine_version": "RDS Proxy supports some engine versions only",
}


@jsii.implements(ec2.IConnectable)
class DatabaseProxy(Construct):
    """RDS Proxy for ``database``: clients authenticate with IAM over TLS, the proxy logs in
    with the database's RDS-managed master secret, and keeps connections to the current writer
    through a Multi-AZ failover.

    - the proxy (TLS required, IAM authentication required) and its default target group;
    - a role that RDS Proxy assumes to read the secret, decrypting it with the database's key
      through Secrets Manager only;
    - a security group with no ingress unless granted (``allow_connections_from``) and egress to
      the database's port only (the database lets the proxy in);
    - the endpoint as ``.endpoint``, a stack output and the SSM parameter
      ``<database.parameter_path>/proxy-endpoint``;
    - alarms on client connections, borrow latency, availability and pinning (``.alarms``).

    :param database: a DB instance (``multi-az-instance`` or ``single-az``): a
        ``HighlyAvailableDatabase``, or one imported with its ``secret``, ``key`` (the key
        that encrypts the secret) and ``engine_version``.
    :param vpc: the database's VPC (the proxy must be in the same VPC).
    :param alarm_topic: notified when a proxy alarm fires and when it returns to OK.
    :param thresholds: Default: ``ProxyAlarmThresholds()``.
    :param max_connections_percent: share of the database's ``max_connections`` the proxy may
        open, 1-100. Default: 100.
    :param max_idle_connections_percent: share it keeps open when idle, 0 to
        ``max_connections_percent``. Default: 50.
    :param idle_client_timeout: a client connection idle this long is closed, 1 s to 8 hours.
        Default: 30 minutes.
    :param connection_borrow_timeout: how long a client waits for a pooled connection before
        the proxy returns a timeout error, 0 s to 1 hour. Default: 120 seconds.
    :param proxy_name: Default: ``<database identifier>-proxy``.
    :param vpc_subnets: Default: the VPC's isolated subnets.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        database: IHighlyAvailableDatabase,
        vpc: ec2.IVpc,
        alarm_topic: sns.ITopic,
        thresholds: ProxyAlarmThresholds | None = None,
        max_connections_percent: int = proxy_rules.MAX_CONNECTIONS_PERCENT,
        max_idle_connections_percent: int = proxy_rules.MAX_IDLE_CONNECTIONS_PERCENT,
        idle_client_timeout: Duration | None = None,
        connection_borrow_timeout: Duration | None = None,
        proxy_name: str | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.database = database
        self.proxy_name = proxy_name or proxy_rules.default_proxy_name(database.identifier)
        self.thresholds = thresholds or ProxyAlarmThresholds()
        pool = proxy_rules.PoolSettings(
            max_connections_percent=max_connections_percent,
            max_idle_connections_percent=max_idle_connections_percent,
            idle_client_timeout_seconds=_seconds(
                idle_client_timeout, proxy_rules.IDLE_CLIENT_TIMEOUT_SECONDS
            ),
            connection_borrow_timeout_seconds=_seconds(
                connection_borrow_timeout, proxy_rules.CONNECTION_BORROW_TIMEOUT_SECONDS
            ),
        )
        engine, deployment = rds_engine_and_deployment(
            database, "DatabaseProxy", "rds-ha builds no RDS Proxy in front of Aurora yet"
        )
        problems = missing_attribute_problems(database, "DatabaseProxy", _NEEDED)
        if database.engine_version is not None:
            problems += proxy_rules.target_problems(
                engine=engine,
                engine_version=database.engine_version,
                deployment=deployment,
                parameters=database.parameters,
            )
        problems += proxy_rules.name_problems(self.proxy_name)
        problems += proxy_rules.pool_problems(pool)
        problems += self.thresholds.problems()
        if problems:
            raise ConfigurationError(self.node.path, problems)
        self.engine = engine
        self.port = proxy_rules.PROXY_PORTS[engine]
        assert database.secret is not None and database.encryption_key is not None
        self._secret = database.secret
        self._key = database.encryption_key

        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description=f"{self.proxy_name}: RDS Proxy (no ingress unless granted)",
            allow_all_outbound=False,
        )
        self.connections = ec2.Connections(
            security_groups=[self.security_group], default_port=ec2.Port.tcp(self.port)
        )
        # The proxy connects to the database on the database's port; this opens the database's
        # security group to the proxy and the proxy's egress to the database.
        database.allow_connections_from(self.connections, f"RDS Proxy {self.proxy_name}")
        self.role = iam.Role(
            self,
            "Role",
            # No aws:SourceAccount condition: "Currently, RDS Proxy doesn't support any global
            # condition context keys" (RDS user guide, "Quotas and limitations for RDS Proxy").
            assumed_by=iam.ServicePrincipal("rds.amazonaws.com"),
            description=f"{self.proxy_name}: read the database's master user secret",
        )
        self.policy = self._secret_policy()
        self.resource = self._create_proxy(vpc, vpc_subnets, pool)
        self.endpoint: str = self.resource.attr_endpoint
        self.proxy_arn: str = self.resource.attr_db_proxy_arn
        self._publish()
        self.alarms = ProxyAlarms(
            self, "Alarms", proxy=self, topic=alarm_topic, thresholds=self.thresholds
        )

    # --- building blocks -------------------------------------------------------------------

    def _secret_policy(self) -> iam.ManagedPolicy:
        # What "Configuring IAM authentication for RDS Proxy" grants the proxy's role:
        # GetSecretValue on the secret, and kms:Decrypt on the key that encrypts it, only when
        # Secrets Manager asks. The RDS-managed master secret is encrypted with the database's
        # key (Credentials.from_username(..., encryption_key=...)).
        region = Stack.of(self).region
        return iam.ManagedPolicy(
            self,
            "SecretPolicy",
            description=f"{self.proxy_name}: read and decrypt the master user secret",
            roles=[self.role],
            statements=[
                iam.PolicyStatement(
                    sid="ReadMasterUserSecret",
                    actions=["secretsmanager:GetSecretValue"],
                    resources=[self._secret.secret_arn],
                ),
                iam.PolicyStatement(
                    sid="DecryptThroughSecretsManager",
                    actions=["kms:Decrypt"],
                    resources=[self._key.key_arn],
                    conditions={
                        "StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}
                    },
                ),
            ],
        )

    def _create_proxy(
        self,
        vpc: ec2.IVpc,
        vpc_subnets: ec2.SubnetSelection | None,
        pool: proxy_rules.PoolSettings,
    ) -> rds.CfnDBProxy:
        proxy = rds.CfnDBProxy(
            self,
            "Resource",
            db_proxy_name=self.proxy_name,
            engine_family=proxy_rules.ENGINE_FAMILIES[self.engine],
            auth=[
                rds.CfnDBProxy.AuthFormatProperty(
                    auth_scheme="SECRETS",
                    secret_arn=self._secret.secret_arn,
                    iam_auth="REQUIRED",
                    description=f"{self.database.identifier} master user",
                )
            ],
            require_tls=True,
            role_arn=self.role.role_arn,
            idle_client_timeout=pool.idle_client_timeout_seconds,
            debug_logging=False,
            vpc_security_group_ids=[self.security_group.security_group_id],
            vpc_subnet_ids=_subnet_ids(vpc, vpc_subnets),
        )
        # RDS Proxy reads the secret when it starts: the permissions come first.
        cfn_policy = self.policy.node.default_child
        assert isinstance(cfn_policy, iam.CfnManagedPolicy)
        proxy.add_resource_dependency(cfn_policy)
        self.target_group = rds.CfnDBProxyTargetGroup(
            self,
            "TargetGroup",
            db_proxy_name=proxy.ref,
            target_group_name=TARGET_GROUP_NAME,
            db_instance_identifiers=[self.database.identifier],
            connection_pool_configuration_info=rds.CfnDBProxyTargetGroup.ConnectionPoolConfigurationInfoFormatProperty(
                max_connections_percent=pool.max_connections_percent,
                max_idle_connections_percent=pool.max_idle_connections_percent,
                connection_borrow_timeout=pool.connection_borrow_timeout_seconds,
            ),
        )
        # The identifier is a literal, so CloudFormation would not wait for the database (an
        # imported one exists already).
        if self.database.resource is not None:
            database_resource = self.database.resource.node.default_child
            assert isinstance(database_resource, rds.CfnDBInstance)
            self.target_group.add_resource_dependency(database_resource)
        # AWS::RDS::DBProxyTargetGroup has no Tags property (CloudFormation rejects it, cfn-lint
        # F3002), but CDK tags it with the stack's tags.
        self.target_group.add_property_deletion_override("Tags")
        return proxy

    def _publish(self) -> None:
        what = f"{self.database.identifier}: RDS Proxy endpoint (IAM authentication, TLS)"
        ssm.StringParameter(
            self,
            "EndpointParameter",
            parameter_name=f"{self.database.parameter_path}/proxy-endpoint",
            string_value=self.endpoint,
            description=what,
        )
        CfnOutput(self, "Endpoint", value=self.endpoint, description=what)
        # The resource id (prx-...) split from the ARN here, in the proxy's own stack, where
        # Fn::Split gets a Fn::GetAtt: Fn::Split's "Supported functions" (CloudFormation
        # Template Reference, intrinsic-function-reference-split.html) list Fn::GetAtt and
        # Fn::ImportValue but not Fn::GetStackOutput, which CDK uses for a value read from
        # another stack. A grant from another stack reads this parameter's Value instead.
        self.resource_id_parameter = ssm.StringParameter(
            self,
            "ResourceIdParameter",
            parameter_name=f"{self.database.parameter_path}/proxy-resource-id",
            string_value=self.resource_id,
            description=f"{self.database.identifier}: RDS Proxy resource id (rds-db:connect)",
        )

    # --- public API ------------------------------------------------------------------------

    @property
    def endpoint_port(self) -> int:
        """The port clients connect to: 5432 for PostgreSQL, 3306 for MySQL and MariaDB."""
        return self.port

    @property
    def resource_id(self) -> str:
        """The proxy's resource id (``prx-...``), the last part of its ARN."""
        return (
            Stack.of(self).split_arn(self.proxy_arn, ArnFormat.COLON_RESOURCE_NAME).resource_name
            or ""
        )

    def grant_connect(self, grantee: iam.IGrantable, db_user: str) -> iam.Grant:
        """Let ``grantee`` connect through the proxy as ``db_user`` with an IAM token.

        The proxy logs in to the database with the secret of that user, so ``db_user`` is the
        master user (``database.secret``'s ``username``) unless more secrets are added.
        Network access is separate: ``proxy.allow_connections_from(app)``. A grantee in
        another stack gets the resource id from the proxy stack's parameter
        (``<parameter_path>/proxy-resource-id``), so its template splits nothing.
        """
        resource_id = self.resource_id
        if (
            isinstance(grantee, Construct)
            and Stack.of(grantee).node.addr != Stack.of(self).node.addr
        ):
            resource_id = self.resource_id_parameter.string_value
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["rds-db:connect"],
            resource_arns=[
                Stack.of(self).format_arn(
                    service="rds-db",
                    resource="dbuser",
                    resource_name=f"{resource_id}/{db_user}",
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                )
            ],
        )

    def allow_connections_from(
        self, other: ec2.IConnectable, description: str | None = None
    ) -> None:
        """Open the proxy's port to ``other`` (a security group, an instance, a Lambda...)."""
        self.connections.allow_default_port_from(
            other, description or f"Connections to {self.proxy_name}"
        )

    # --- metrics (AWS/RDS, "Monitoring RDS Proxy metrics with Amazon CloudWatch") -----------

    def metric(
        self,
        metric_name: str,
        *,
        statistic: str = "Sum",
        period: Duration | None = None,
        dimensions: dict[str, str] | None = None,
    ) -> cloudwatch.Metric:
        """Any AWS/RDS metric of this proxy (dimension set ``ProxyName`` unless given)."""
        return cloudwatch.Metric(
            namespace="AWS/RDS",
            metric_name=metric_name,
            dimensions_map=dimensions or {"ProxyName": self.proxy_name},
            statistic=statistic,
            period=period or Duration.minutes(1),
        )

    def metric_client_connections(self, period: Duration | None = None) -> cloudwatch.Metric:
        return self.metric("ClientConnections", period=period)

    def metric_borrow_latency(self, period: Duration | None = None) -> cloudwatch.Metric:
        """Microseconds."""
        return self.metric("DatabaseConnectionsBorrowLatency", statistic="Average", period=period)

    def metric_pinned_connections(self, period: Duration | None = None) -> cloudwatch.Metric:
        return self.metric("DatabaseConnectionsCurrentlySessionPinned", period=period)

    def metric_availability(self, period: Duration | None = None) -> cloudwatch.Metric:
        """Percent of time the writer target was available (dimension set 4)."""
        return self.metric(
            "AvailabilityPercentage",
            statistic="Average",
            period=period,
            dimensions={
                "ProxyName": self.proxy_name,
                "TargetGroup": TARGET_GROUP_NAME,
                "TargetRole": "READ_WRITE",
            },
        )


def _subnet_ids(vpc: ec2.IVpc, selection: ec2.SubnetSelection | None) -> list[str]:
    if selection is None:
        return vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED).subnet_ids
    return vpc.select_subnets(
        availability_zones=selection.availability_zones,
        one_per_az=selection.one_per_az,
        subnet_filters=selection.subnet_filters,
        subnet_group_name=selection.subnet_group_name,
        subnets=selection.subnets,
        subnet_type=selection.subnet_type,
    ).subnet_ids


def _seconds(value: Duration | None, default: int) -> int:
    return default if value is None else int(value.to_seconds())
