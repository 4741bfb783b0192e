"""The VPC's interface endpoint for the RDS API, which the export function calls from isolated
subnets."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from rds_ha.database.endpoints import interface_endpoint_of


def rds_api_endpoint_of(
    scope: Construct, vpc: ec2.IVpc, *, identifier: str
) -> ec2.IInterfaceVpcEndpoint:
    """The VPC's RDS API endpoint, created in ``scope`` unless this app has one for it."""
    return interface_endpoint_of(
        scope,
        vpc,
        service=ec2.InterfaceVpcEndpointAwsService.RDS,
        construct_id="RdsApiEndpoint",
        description=f"{identifier}: RDS API endpoint (HTTPS from the export function)",
    )
