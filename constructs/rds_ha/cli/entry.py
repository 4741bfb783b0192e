"""The ``rds-ha`` console script: the CLI when the ``[cli]`` extra is installed, else a message
that says how to install it (the constructs alone install without boto3, typer and rich)."""

from __future__ import annotations

import importlib.util
import sys

# What `pip install cdk-rds-ha[cli]` brings, by import name.
CLI_MODULES = ("boto3", "typer", "rich")
MISSING_EXTRA = (
    "rds-ha: the command line needs the [cli] extra, which is not installed "
    "(missing: {missing}).\n"
    "Install it with:  pip install 'cdk-rds-ha[cli]'   (or [all] for the probe's drivers too)\n"
    "The constructs themselves (import rds_ha) need only aws-cdk-lib, constructs, pydantic and "
    "cfn-lint."
)


def missing_cli_modules() -> list[str]:
    """The [cli] extra's modules that cannot be imported here."""
    return [name for name in CLI_MODULES if importlib.util.find_spec(name) is None]


def main() -> None:
    missing = missing_cli_modules()
    if missing:
        print(MISSING_EXTRA.format(missing=", ".join(missing)), file=sys.stderr)
        sys.exit(2)
    from rds_ha.cli.app import main as cli_main  # noqa: PLC0415 (only once the extra is there)

    cli_main()
