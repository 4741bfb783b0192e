"""The optional ``[pipeline]`` table of ``environments.toml``: a CDK Pipelines rollout of every
environment, in the file's order, from one pipeline account and region.

Without the table the app deploys with ``cdk deploy`` as before; with it the app synthesizes the
pipeline stack (``rds-ha-pipeline``) and one stage per environment.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

from rds_ha.environments.config import EnvironmentConfig
from rds_ha.environments.tables import AccountId, Region, _Strict


def _matching(pattern: str, allowed: str) -> AfterValidator:
    """A string check whose error says what is allowed, not the regular expression."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"must be {allowed}")
        return value

    return AfterValidator(check)


# CodeStar Connections was renamed CodeConnections (2024); CodePipeline accepts both ARN forms.
ConnectionArn = Annotated[
    str,
    _matching(
        r"arn:aws(-cn|-us-gov)?:(codestar-connections|codeconnections):"
        r"[a-z]{2}(-gov)?-[a-z]+-\d:\d{12}:connection/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}",
        "a connection ARN, arn:aws:codeconnections:REGION:ACCOUNT:connection/UUID "
        "(or arn:aws:codestar-connections:...)",
    ),
]
# GitHub, GitLab and Bitbucket "owner/name"; the connection decides which provider.
Repository = Annotated[
    str, _matching(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", "'owner/name', as in the repository's URL")
]
# A branch name without what git refuses in one (git check-ref-format).
Branch = Annotated[
    str,
    _matching(
        r"(?!/|.*([/.]\.|//|@\{|\.lock$|/$))[^\s~^:?*\[\\]+", "a git branch name, e.g. 'main'"
    ),
]

PIPELINE_STACK_NAME = "rds-ha-pipeline"


class PipelineConfig(_Strict):
    """The ``[pipeline]`` table: where the pipeline runs and which repository it follows."""

    connection_arn: ConnectionArn = Field(
        description="CodeConnections (or CodeStar Connections) ARN of the repository's host."
    )
    repository: Repository = Field(description="'owner/name' of the repository.")
    branch: Branch = Field(default="main", description="The branch the pipeline releases.")
    account: AccountId = Field(description="The pipeline's own account.")
    region: Region = Field(description="The pipeline's own region.")

    @property
    def stack_name(self) -> str:
        return PIPELINE_STACK_NAME

    def problems(self, environments: list[EnvironmentConfig]) -> list[str]:
        """Rules across the table and the environments: every problem, as lines."""
        problems = []
        seen_production = None
        for environment in environments:
            if environment.is_production:
                seen_production = seen_production or environment.name
            elif seen_production:
                problems.append(
                    f"[pipeline] environment order: {environment.name!r} comes after the "
                    f"production environment {seen_production!r}; the pipeline deploys in the "
                    "file's order, so put every production environment last"
                )
        names = {environment.stack_name for environment in environments}
        if PIPELINE_STACK_NAME in names:
            problems.append(
                f"[pipeline] the stack name {PIPELINE_STACK_NAME!r} is an environment's already"
            )
        return problems
