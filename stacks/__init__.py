"""Per-environment stacks that compose the rds_ha constructs."""
