"""rds-ha: highly available Amazon RDS as a few lines of AWS CDK."""
