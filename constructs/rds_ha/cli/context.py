"""Per-invocation settings shared by every command: how to reach AWS and how to print."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import boto3
from botocore.config import Config
from rich.console import Console


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


# Adaptive retry mode backs off on throttling, which a 3 a.m. runbook must survive.
BOTO_CONFIG = Config(retries={"max_attempts": 10, "mode": "adaptive"})


@dataclass
class CliContext:
    region: str | None = None
    profile: str | None = None
    output: OutputFormat = OutputFormat.TEXT
    console: Console = field(default_factory=lambda: Console(stderr=False))
    # Set once the result document is on stdout, so a later error does not add a second one.
    result_written: bool = False
    _session: boto3.session.Session | None = None

    @property
    def session(self) -> boto3.session.Session:
        if self._session is None:
            self._session = boto3.session.Session(
                region_name=self.region, profile_name=self.profile
            )
        return self._session

    def client(self, service: str) -> Any:
        # boto3 itself honours AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE>.
        return self.session.client(service, config=BOTO_CONFIG)
