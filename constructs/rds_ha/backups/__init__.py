"""Backups owned by the user: ``DatabaseBackups`` (an AWS Backup vault that denies deleting
recovery points, optionally locked; a plan with continuous, daily and monthly rules and copies to
a disaster-recovery vault; the selection; restore testing) and ``protected_backup_vault`` for a
vault of its own, such as the DR region's.

May import: aws_cdk, ``rds_ha.database``, ``rds_ha.catalog``, ``rds_ha.errors``, ``rds_ha.nag``.
Never the CLI or the snapshot export.
"""
