"""The VPC's interface endpoint for the RDS API, which the export function calls from isolated
subnets."""

from __future__ import annotations

import weakref

from aws_cdk import aws_ec2 as ec2
from constructs import Construct

# One RDS API interface endpoint per VPC: an interface endpoint with private DNS takes the
# service's DNS name for the whole VPC, so a second one for the same service fails to create
# ("private-dns-enabled cannot be set because there is already a conflicting DNS domain").
# The first DatabaseBackups in a VPC creates it; later ones in the same app reuse it.
_RDS_API_ENDPOINTS: weakref.WeakKeyDictionary[object, dict[str, ec2.InterfaceVpcEndpoint]] = (
    weakref.WeakKeyDictionary()
)


def rds_api_endpoint_of(
    scope: Construct, vpc: ec2.IVpc, *, identifier: str
) -> ec2.IInterfaceVpcEndpoint:
    """The VPC's RDS API endpoint, created in ``scope`` unless this app has one for it."""
    endpoints = _RDS_API_ENDPOINTS.setdefault(scope.node.root, {})
    existing = endpoints.get(vpc.node.addr)
    if existing is not None:
        return existing
    # Its own security group: no egress at all, HTTPS in from the export functions only.
    endpoint_security_group = ec2.SecurityGroup(
        scope,
        "RdsApiEndpointSecurityGroup",
        vpc=vpc,
        description=f"{identifier}: RDS API endpoint (HTTPS from the export function)",
        allow_all_outbound=False,
    )
    endpoint = ec2.InterfaceVpcEndpoint(
        scope,
        "RdsApiEndpoint",
        vpc=vpc,
        service=ec2.InterfaceVpcEndpointAwsService.RDS,
        subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
        private_dns_enabled=True,
        open=False,
        security_groups=[endpoint_security_group],
    )
    endpoints[vpc.node.addr] = endpoint
    return endpoint
