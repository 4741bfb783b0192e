"""The ``rds-ha`` operations CLI."""
