"""Session-wide settings for every test."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import botocore.session
from botocore import loaders

# Apps built in these tests skip aws-cdk-lib's built-in CloudFormation validation plugin, as
# app.py does (cfn-lint checks the templates; cdk-nag still runs). Set before aws_cdk is first
# imported: the jsii runtime reads it from its environment. The docs example tests run the CDK
# CLI with an environment of their own, as a user's app would, validation included.
os.environ.setdefault("CDK_VALIDATION", "false")

# moto builds every EC2 backend with its catalogue of public AMIs (about 0.15 s per test that
# touches EC2); no test looks for an AMI.
os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")


def _shared_loader() -> Callable[[Any], loaders.Loader]:
    """Every botocore session of the test run shares one model loader.

    Each new boto3 session re-reads and re-parses the service models (RDS, EC2, ...: about
    0.1 s per client); the CLI under test makes a session per command. A botocore session shares
    its loader, and the loader caches what it has read, so sharing it across sessions serves the
    same data a single session would.
    """
    created: dict[Any, loaders.Loader] = {}

    def create_loader(search_path_string: Any = None) -> loaders.Loader:
        if search_path_string not in created:
            created[search_path_string] = loaders.create_loader(search_path_string)
        return created[search_path_string]

    return create_loader


botocore.session.create_loader = _shared_loader()
