"""rds-ha: highly available Amazon RDS as a few lines of AWS CDK.

The constructs are imported lazily so that the ``rds-ha`` CLI does not load aws-cdk-lib (and its
Node.js runtime) just to run a boto3 runbook.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "AlarmThresholds": "rds_ha.monitoring.alarm_thresholds",
    "ConfigurationError": "rds_ha.errors",
    "DatabaseAlarms": "rds_ha.monitoring.database_alarms",
    "Deployment": "rds_ha.catalog.engines",
    "Engine": "rds_ha.catalog.engines",
    "HighlyAvailableDatabase": "rds_ha.database.highly_available_database",
}

__all__ = [
    "AlarmThresholds",
    "ConfigurationError",
    "DatabaseAlarms",
    "Deployment",
    "Engine",
    "HighlyAvailableDatabase",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'rds_ha' has no attribute {name!r}")
