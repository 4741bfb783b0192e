"""Expected failures. They are click exceptions, so click prints ``Error: <message>`` and exits
with the code below, without a traceback, both from the console script and from CliRunner."""

from __future__ import annotations

try:
    # typer >= 0.20 runs its own vendored click; only its ClickException is caught and printed
    # without a traceback, a `click.ClickException` would escape as a crash.
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover - older typer on the real click
    from click import ClickException


from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

# What a failed AWS call can raise: a service error, a transport error, or a response that is not
# AWS's (a proxy's HTML page, an API the endpoint does not implement).
AWS_FAILURES = (ClientError, BotoCoreError, ResponseParserError)


class RdsHaError(ClickException):
    """Base class for expected failures (exit 1)."""

    exit_code = 1


class UnsafeOperationError(RdsHaError):
    """Bad input or an operation refused as unsafe: nothing was changed (exit 2)."""

    exit_code = 2


class CheckFailedError(RdsHaError):
    """A check or an operation failed (exit 1)."""

    exit_code = 1
