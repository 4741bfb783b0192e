"""The cluster member lookup's Lambda handler (standard library and boto3 only)."""
