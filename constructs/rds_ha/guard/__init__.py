"""Data-safety guard: no change may silently replace or delete a database, its key, its
secret or its backups.

May import: the standard library, cfn-lint's data (resource schemas), rich (``report`` prints
the report) and ``rds_ha.catalog`` (the rulebook: changes RDS refuses). Never aws_cdk:
``rds-ha guard`` runs where the CLI runs.
"""

from rds_ha.guard.assembly import GuardInputError, load_assembly
from rds_ha.guard.compare import compare_assemblies, compare_paths, compare_templates
from rds_ha.guard.findings import Category, Finding, GuardReport
from rds_ha.guard.schemas import STATEFUL_TYPES, replacement_rules
from rds_ha.guard.stack_policy import stack_policy_for_template, write_stack_policy

__all__ = [
    "STATEFUL_TYPES",
    "Category",
    "Finding",
    "GuardInputError",
    "GuardReport",
    "compare_assemblies",
    "compare_paths",
    "compare_templates",
    "load_assembly",
    "replacement_rules",
    "stack_policy_for_template",
    "write_stack_policy",
]
