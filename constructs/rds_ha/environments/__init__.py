"""Environments as data: ``environments.toml`` read into frozen, validated models
(``load_config``, ``parse_config``), each environment giving the properties of the constructs
that make it up (``database_props()``, ``backups_props()``, ``export_props()``,
``alarms_props()``), so that adding a key touches the model, the construct and the docs only.

May import: pydantic, aws_cdk (for property values such as ``RemovalPolicy``), and the
``catalog``, ``database``, ``backups``, ``snapshot_export`` and ``monitoring`` rules and
defaults. Never the CLI.
"""
