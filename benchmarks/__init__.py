"""Benchmarks for rds-ha (``make bench``): ratios measured in one run, never timed assertions."""
