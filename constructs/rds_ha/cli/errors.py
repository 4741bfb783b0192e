"""Expected failures. They are click exceptions, so click prints ``Error: <message>`` and exits
with the code below, without a traceback, both from the console script and from CliRunner."""

from __future__ import annotations

try:
    # typer >= 0.20 runs its own vendored click; only its ClickException is caught and printed
    # without a traceback, a `click.ClickException` would escape as a crash.
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover - older typer on the real click
    from click import ClickException


import functools
from collections.abc import Callable
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError, NoRegionError, ProfileNotFound
from botocore.parsers import ResponseParserError

# What a failed AWS call can raise: a service error, a transport error, or a response that is not
# AWS's (a proxy's HTML page, an API the endpoint does not implement).
AWS_FAILURES = (ClientError, BotoCoreError, ResponseParserError)


class RdsHaError(ClickException):
    """Base of the expected failures, so they are caught as one (see aws_errors); raise one of
    the two subclasses, which say whether anything may have changed."""

    exit_code = 1


class UnsafeOperationError(RdsHaError):
    """Bad input or an operation refused as unsafe: nothing was changed (exit 2)."""

    exit_code = 2


class CheckFailedError(RdsHaError):
    """A check or an operation failed (exit 1)."""


F = TypeVar("F", bound=Callable[..., Any])


def aws_errors(command: F) -> F:
    """AWS errors become exit 1 with the service's own message, without a traceback; a missing
    profile or region is bad input (exit 2)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except RdsHaError:
            raise
        except ProfileNotFound as error:
            raise UnsafeOperationError(
                f"--profile: {error}; name a profile of ~/.aws/config. Nothing was changed."
            ) from None
        except NoRegionError:
            raise UnsafeOperationError(
                "no AWS region: pass --region or set AWS_REGION. Nothing was changed."
            ) from None
        except ClientError as error:
            info = error.response.get("Error", {})
            raise CheckFailedError(
                f"AWS refused {error.operation_name}: {info.get('Code')}: {info.get('Message')}"
            ) from None
        except AWS_FAILURES as error:
            raise CheckFailedError(f"AWS call failed: {error}") from None

    return wrapper  # type: ignore[return-value]
