"""A CDK app a user of the wheel would write: the public API (rds_ha) and aws-cdk-lib only.

Run by tests/test_wheel_install.py through the CDK CLI with a virtual environment that has the
wheel and no extras; it fails the synth if the CLI's dependencies were imported.
"""

import sys

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2

import rds_ha

app = cdk.App()
# No account or region: a synth that needs no lookups and no credentials.
stack = cdk.Stack(app, "WheelInstallCheck")
vpc = ec2.Vpc(
    stack,
    "Vpc",
    max_azs=2,
    nat_gateways=0,
    subnet_configuration=[
        ec2.SubnetConfiguration(name="data", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
    ],
)
database = rds_ha.HighlyAvailableDatabase(stack, "Orders", vpc=vpc)
rds_ha.DatabaseAlarms(stack, "Alarms", database=database)
app.synth()

loaded = sorted({"boto3", "botocore", "typer", "rich", "click"} & set(sys.modules))
if loaded:
    sys.exit(f"the constructs imported the [cli] extra's modules: {loaded}")
