"""The VPC's interface endpoints for AWS APIs that rds-ha's functions call from isolated
subnets (no NAT): one per service per VPC, shared by every database of the app in that VPC."""

from __future__ import annotations

import weakref

from aws_cdk import aws_ec2 as ec2
from constructs import Construct

# One interface endpoint per service per VPC: an interface endpoint with private DNS takes the
# service's DNS name for the whole VPC, so a second one for the same service fails to create
# ("private-dns-enabled cannot be set because there is already a conflicting DNS domain").
# The first construct in a VPC that needs one creates it; later ones in the same app reuse it.
_ENDPOINTS: weakref.WeakKeyDictionary[object, dict[tuple[str, str], ec2.InterfaceVpcEndpoint]] = (
    weakref.WeakKeyDictionary()
)


def interface_endpoint_of(
    scope: Construct,
    vpc: ec2.IVpc,
    *,
    service: ec2.InterfaceVpcEndpointAwsService,
    construct_id: str,
    description: str,
    subnets: ec2.SubnetSelection | None = None,
) -> ec2.IInterfaceVpcEndpoint:
    """The VPC's endpoint for ``service``, created in ``scope`` (ids ``<construct_id>`` and
    ``<construct_id>SecurityGroup``, in ``subnets``, default the isolated ones) unless this app
    already has one for that VPC.

    Its security group has no egress at all and lets nobody in: each caller is let in with
    ``endpoint.connections.allow_default_port_from(...)`` (HTTPS).
    """
    endpoints = _ENDPOINTS.setdefault(scope.node.root, {})
    key = (vpc.node.addr, construct_id)
    existing = endpoints.get(key)
    if existing is not None:
        return existing
    security_group = ec2.SecurityGroup(
        scope,
        f"{construct_id}SecurityGroup",
        vpc=vpc,
        description=description,
        allow_all_outbound=False,
    )
    endpoint = ec2.InterfaceVpcEndpoint(
        scope,
        construct_id,
        vpc=vpc,
        service=service,
        subnets=subnets or ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
        private_dns_enabled=True,
        open=False,
        security_groups=[security_group],
    )
    endpoints[key] = endpoint
    return endpoint
