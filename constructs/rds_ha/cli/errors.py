"""Expected failures. They are click exceptions, so click prints ``Error: <message>`` and exits
with the code below, without a traceback, both from the console script and from CliRunner. With
``--output json`` the same failure is a JSON object on stdout (see error_document)."""

from __future__ import annotations

try:
    # typer >= 0.20 runs its own vendored click; only its ClickException is caught and printed
    # without a traceback, a `click.ClickException` would escape as a crash.
    # `X as X`: re-exported (PEP 484) for the commands, which import them from here.
    from typer._click.exceptions import ClickException as ClickException  # noqa: PLC0414
    from typer._click.exceptions import UsageError as UsageError  # noqa: PLC0414
except ImportError:  # pragma: no cover - older typer on the real click
    # The same names for the real click's classes, which mypy (on typer >= 0.20) sees as others.
    from click import ClickException, UsageError  # type: ignore[assignment]


import functools
import json
import sys
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from botocore.exceptions import BotoCoreError, ClientError, NoRegionError, ProfileNotFound
from botocore.parsers import ResponseParserError

# What a failed AWS call can raise: a service error, a transport error, or a response that is not
# AWS's (a proxy's HTML page, an API the endpoint does not implement).
AWS_FAILURES = (ClientError, BotoCoreError, ResponseParserError)

EXIT_FAILED = 1
EXIT_REFUSED = 2
EXIT_DECLINED = 3


class RdsHaError(ClickException):
    """Base of the expected failures, so they are caught as one (see aws_errors); raise one of
    the subclasses, which say whether anything may have changed."""

    exit_code = EXIT_FAILED
    code = "failed"
    default_hint = "see the message; the operation may have changed something, check first."

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint or self.default_hint


class UnsafeOperationError(RdsHaError):
    """Bad input or an operation refused as unsafe: nothing was changed (exit 2)."""

    exit_code = EXIT_REFUSED
    code = "refused"
    default_hint = "nothing was changed; correct the input and run the command again."


class CheckFailedError(RdsHaError):
    """A check or an operation failed (exit 1)."""


class DeclinedError(RdsHaError):
    """The operator answered no at the confirmation prompt: nothing was changed (exit 3)."""

    exit_code = EXIT_DECLINED
    code = "declined"
    default_hint = "nothing was changed; run it again and answer y, or pass --yes."


def error_document(error: ClickException) -> dict[str, Any]:
    """The JSON form of a failure: a stable code, the message, a hint and the exit code."""
    if isinstance(error, RdsHaError):
        code, hint = error.code, error.hint
    elif isinstance(error, UsageError):
        code = "usage"
        hint = "nothing was changed; see `rds-ha COMMAND --help` for the arguments and options."
    else:
        code, hint = "failed", RdsHaError.default_hint
    return {
        "error": {
            "code": code,
            "message": error.format_message(),
            "hint": hint,
            "exit_code": error.exit_code,
        }
    }


def print_error_document(document: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(document, indent=2) + "\n")
    sys.stdout.flush()


P = ParamSpec("P")
R = TypeVar("R")


def aws_errors(command: Callable[P, R]) -> Callable[P, R]:
    """AWS errors become exit 1 with the service's own message, without a traceback; a missing
    profile or region is bad input (exit 2)."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
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
                f"AWS refused {error.operation_name}: {info.get('Code')}: {info.get('Message')}",
                hint="AWS answered with an error; check the message, permissions and the "
                "database's state before retrying.",
            ) from None
        except AWS_FAILURES as error:
            raise CheckFailedError(f"AWS call failed: {error}") from None

    return wrapper
