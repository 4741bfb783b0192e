"""Entry point of the ``rds-ha`` console script."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from importlib import metadata
from typing import Any

import typer
from typer import Abort, Exit
from typer.core import TyperGroup

from rds_ha.cli.cmd_advise import advise
from rds_ha.cli.cmd_doctor import doctor
from rds_ha.cli.cmd_failover import failover
from rds_ha.cli.cmd_guard import guard
from rds_ha.cli.cmd_maintenance import maintenance
from rds_ha.cli.cmd_probe import probe
from rds_ha.cli.cmd_promote import promote
from rds_ha.cli.cmd_protect import protect
from rds_ha.cli.cmd_restore import restore
from rds_ha.cli.cmd_scale_up import scale_up
from rds_ha.cli.cmd_snapshot import snapshot
from rds_ha.cli.cmd_unblock_rollback import unblock_rollback
from rds_ha.cli.cmd_upgrade import upgrade
from rds_ha.cli.context import CliContext, OutputFormat
from rds_ha.cli.errors import ClickException, error_document, print_error_document

# Options of the whole tool that people also type after the command, as with kubectl and the AWS
# CLI (`rds-ha doctor orders-db --output json`).
GLOBAL_OPTIONS = ("--region", "--profile", "--output")

# "\b" keeps click from re-wrapping the lines of the paragraph that follows it.
EXIT_CODES = """\b
Exit codes:
  0  success
  1  a check or an operation failed
  2  bad input, or an operation refused as unsafe: nothing was changed
  3  declined at the confirmation prompt: nothing was changed

\b
--region, --profile and --output go before or after the command."""


def hoist_global_options(args: Sequence[str]) -> list[str]:
    """Move the global options (and their values) to the front, where click parses them;
    everything after ``--`` is left as it is."""
    front: list[str] = []
    rest: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            rest += args[index:]
            break
        name = arg.split("=", 1)[0]
        if name in GLOBAL_OPTIONS:
            width = 1 if "=" in arg else 2
            front += args[index : index + width]
            index += width
            continue
        rest.append(arg)
        index += 1
    return front + rest


def _readable(param: Any) -> None:
    """Help that reads at 80 columns: a value option shows its name as metavar (``--days DAYS``,
    not ``<int range>``), a flag only its positive form (``--allow-downsize``)."""
    if getattr(param, "is_flag", False):
        param.secondary_opts = []
        param.show_default = False
    elif param.metavar is None and param.name and not _is_choice(param):
        param.metavar = param.name.upper()
    if getattr(param, "param_type_name", "") == "argument":
        # typer shows an argument as "{DB_ID}" in the usage and "DB_ID <str>" in the list.
        name = param.metavar
        param.display_type_rich = lambda ctx: ""
        param._usage_display_name = lambda: name


def _is_choice(param: Any) -> bool:
    return "choice" in type(getattr(param, "type", None)).__name__.lower()


def _wants_json(args: Sequence[str]) -> bool:
    """Whether the (hoisted) command line asks for JSON output; the last --output wins."""
    wanted = False
    for index, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--output" and index + 1 < len(args):
            wanted = args[index + 1] == OutputFormat.JSON
        elif arg.startswith("--output="):
            wanted = arg.split("=", 1)[1] == OutputFormat.JSON
    return wanted


class RdsHaGroup(TyperGroup):
    """The command group: global options anywhere, exit codes in every help page, and errors as
    a JSON object on stdout with ``--output json``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for command in self.commands.values():
            command.epilog = command.epilog or EXIT_CODES
            for param in command.params:
                _readable(param)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        # click cuts each summary to one line ("use it..."); help must be whole, so wrap instead.
        rows = [
            (name, command.help.split("\n\n")[0].strip() if command.help else "")
            for name, command in self.commands.items()
            if not command.hidden
        ]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except ClickException as error:
            cli = ctx.obj
            if not isinstance(cli, CliContext) or cli.output is not OutputFormat.JSON:
                raise
            if cli.result_written:
                # stdout already holds the result document (doctor's failed checks): keep it
                # one JSON document and say why on stderr.
                error.show()
            else:
                print_error_document(error_document(error))
            raise Exit(error.exit_code) from None

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        args = hoist_global_options(sys.argv[1:] if args is None else list(args))
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        except ClickException as error:
            # Raised before a command ran (a bad global option): the mode comes from the args.
            if _wants_json(args):
                print_error_document(error_document(error))
            else:
                error.show()
            sys.exit(error.exit_code)
        except Abort:
            typer.echo("Aborted.", err=True)
            sys.exit(1)
        except Exit as exit_:
            sys.exit(exit_.exit_code)
        sys.exit(code if isinstance(code, int) else 0)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"rds-ha {metadata.version('cdk-rds-ha')}")
        raise typer.Exit()


app = typer.Typer(
    name="rds-ha",
    cls=RdsHaGroup,
    help="Safe-by-default runbooks for highly available Amazon RDS databases.",
    epilog=EXIT_CODES,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    # Plain click help: it wraps to the terminal instead of cutting option names at 80 columns.
    rich_markup_mode=None,
)


@app.callback()
def _global_options(
    ctx: typer.Context,
    region: str | None = typer.Option(
        None, "--region", metavar="REGION", help="AWS region of the database."
    ),
    profile: str | None = typer.Option(
        None, "--profile", metavar="PROFILE", help="AWS shared-config profile."
    ),
    output: OutputFormat = typer.Option(
        OutputFormat.TEXT, "--output", help="Print results as text or JSON."
    ),
    version: bool = typer.Option(
        False,
        "--version",
        is_eager=True,
        callback=_version,
        help="Print the version and exit.",
    ),
) -> None:
    ctx.obj = CliContext(region=region, profile=profile, output=output)


# In this order in `rds-ha --help`.
COMMANDS: tuple[tuple[Callable[..., None], str], ...] = (
    (doctor, "doctor"),
    (failover, "failover"),
    (restore, "restore"),
    (promote, "promote"),
    (snapshot, "snapshot"),
    (scale_up, "scale-up"),
    (maintenance, "maintenance"),
    (advise, "advise"),
    (guard, "guard"),
    (protect, "protect"),
    (probe, "probe"),
    (unblock_rollback, "unblock-rollback"),
    (upgrade, "upgrade"),
)
for function, name in COMMANDS:
    app.command(name)(function)


def main() -> None:
    app()
