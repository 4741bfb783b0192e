"""The ``rds-ha`` operations CLI: its commands, their runbooks and their output.

Owns: ``app`` (the typer app, global options, exit codes; it registers every command),
``cmd_<command>`` (one module per command: options and output, beside the runbook logic it fronts
in ``ops_<command>``), ``options`` (option types the commands share) and the helpers they use
(``databases``, ``plans``, ``waiting``, ``output``, ``errors``, ``context``; ``probe_*`` for
``probe``).

May import: boto3 (botocore), typer, rich, ``rds_ha.catalog``,
``rds_ha.monitoring.alarm_thresholds``, ``rds_ha.guard`` and ``rds_ha.errors``; cfn-lint and the
probe's database drivers only inside the function that needs them. Never aws_cdk: the CLI must
start fast and work without Node.js.
"""
