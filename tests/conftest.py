"""Session-wide settings for every test."""

from __future__ import annotations

import os

# Apps built in these tests skip aws-cdk-lib's built-in CloudFormation validation plugin, as
# app.py does (cfn-lint checks the templates; cdk-nag still runs). Set before aws_cdk is first
# imported: the jsii runtime reads it from its environment. The README example tests run the CDK
# CLI with an environment of their own, as a user's app would, validation included.
os.environ.setdefault("CDK_VALIDATION", "false")
