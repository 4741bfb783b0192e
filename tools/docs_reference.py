"""The documentation's generated references, built from the code so that they cannot drift.

- The configuration reference: every key of ``environments.toml`` from the pydantic models of
  ``rds_ha.environments`` (name, type, default, description).
- The CLI reference: every command and option of the ``rds-ha`` typer app, read through click's
  own introspection (the same objects ``--help`` prints).

``mkdocs.yml`` loads this module as a hook: it adds ``reference/configuration.md`` and
``reference/cli.md`` to the site at build time, and replaces each ``<!-- cli-reference: NAME -->``
marker in a page with that command's reference. Nothing generated is committed.
"""

from __future__ import annotations

import enum
import re
import types
import typing
from collections.abc import Iterator
from typing import Any

import typer
from mkdocs.structure.files import File
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

# typer 0.29 carries its own copy of click: its Context builds the help records.
from typer._click import Context

from rds_ha.cli.app import app
from rds_ha.environments.aurora import AuroraEnvironmentConfig, GlobalDatabaseConfig
from rds_ha.environments.config import EnvironmentConfig
from rds_ha.environments.databases import DatabaseConfig, DatabaseReplicas, DatabaseResilience
from rds_ha.environments.pipeline import PipelineConfig
from rds_ha.environments.replicas import ReplicasConfig
from rds_ha.environments.resilience import ResilienceConfig
from rds_ha.environments.tables import AlarmOverride, BackupsConfig

CLI_MARKER = re.compile(r"<!-- cli-reference: ([a-z-]+) -->")
CONFIGURATION_PAGE = "reference/configuration.md"
CLI_PAGE = "reference/cli.md"

# --- the configuration reference ------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _models() -> list[tuple[str, type[Any], str]]:
    """The tables of ``environments.toml``: (TOML path, model, what it is), in reading order."""
    env = "environments.<name>"
    db = f"{env}.databases.<db>"
    return [
        (env, EnvironmentConfig, "One environment: its database, network and stacks."),
        (
            f"{env} (Aurora)",
            AuroraEnvironmentConfig,
            "An environment whose `engine` is `aurora-postgresql` or `aurora-mysql` "
            "([Aurora](../aurora.md)); its `backups` and `alarms` tables are as below.",
        ),
        (
            f"{env}.global_database",
            GlobalDatabaseConfig,
            "An Aurora environment's Global Database secondary cluster.",
        ),
        (f"{env}.backups", BackupsConfig, "AWS Backup, the DR copies and the S3 exports."),
        (
            f"{env}.alarms.<threshold>",
            AlarmOverride,
            "One alarm threshold's override, e.g. `max_cpu_percent = { warning = 70 }`.",
        ),
        (f"{env}.resilience", ResilienceConfig, "RDS Proxy, the recovery point watch, game day."),
        (f"{env}.replicas", ReplicasConfig, "Read replicas, in the region and in `dr_region`."),
        (db, DatabaseConfig, "One more database of the environment (a fleet)."),
        (f"{db}.resilience", DatabaseResilience, "The database's own resilience keys."),
        (f"{db}.replicas", DatabaseReplicas, "The database's own replica keys."),
        ("pipeline", PipelineConfig, "The optional CDK Pipelines rollout."),
    ]


# Keys the loader fills in itself: the environment's name is its table's key.
_NOT_IN_THE_FILE = {"name"}


def _type_name(annotation: Any) -> str:
    """A TOML reader's name for a Python annotation."""

    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin in (typing.Union, types.UnionType):
        names = [_type_name(arg) for arg in args if arg is not type(None)]
        return " or ".join(dict.fromkeys(names))
    if origin is typing.Literal:
        return ", ".join(f"`{value!r}`".replace("'", '"') for value in args)
    if origin is tuple or origin is list:
        return f"list of {_type_name(args[0])}" if args else "list"
    if origin is dict:
        if len(args) == 2 and isinstance(args[1], type) and issubclass(args[1], BaseModel):
            return f"tables ({args[1].__name__})"
        return "table"
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return ", ".join(f'`"{member.value}"`' for member in annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"table ({annotation.__name__})"
    names = {bool: "bool", int: "int", float: "float", str: "string"}
    return names.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _constraints(field: Any) -> str:
    """Bounds and patterns pydantic enforces on the field (``ge=10``, a string pattern)."""
    found = []
    metadata = list(field.metadata)
    for arg in typing.get_args(field.annotation):
        metadata += list(getattr(arg, "__metadata__", ()))
        for inner in typing.get_args(arg):
            metadata += list(getattr(inner, "__metadata__", ()))
    for item in metadata:
        for name, symbol in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            value = getattr(item, name, None)
            if value is not None:
                found.append(f"{symbol} {value}")
        pattern = getattr(item, "pattern", None)
        if pattern:
            found.append(f"matches `{pattern}`")
    return "; ".join(found)


def _default(field: Any) -> str:

    if field.is_required():
        return "required"
    if field.default_factory is not None:
        value = field.default_factory()
        if isinstance(value, BaseModel):
            return "its table's defaults"
        return "empty" if not value else f"`{value!r}`"
    value = field.default
    if value is PydanticUndefined or value is None:
        return "none"
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str):
        return f'`"{value}"`'
    return f"`{value!r}`"


def configuration_rows(model: type[Any]) -> Iterator[tuple[str, str, str, str]]:
    """(key, type, default, description) for each key of a model's TOML table."""
    for key, field in model.model_fields.items():
        if key in _NOT_IN_THE_FILE:
            continue
        description = field.description or ""
        constraints = _constraints(field)
        if constraints:
            description = f"{description} ({constraints})" if description else constraints
        yield key, _type_name(field.annotation), _default(field), description


def configuration_reference() -> str:
    lines = [
        "# Configuration reference (generated)",
        "",
        "Every key `environments.toml` accepts, generated from the pydantic models of",
        "`rds_ha.environments` when the site is built: names, types and defaults are the code's.",
        "Unknown keys are refused. The rules between keys (ranges, windows, production rules)",
        "are checked after these types; [Configuration](../configuration.md) explains them.",
        "",
    ]
    for path, model, what in _models():
        lines += [f"## `[{path}]`", "", what, "", "| Key | Type | Default | Description |"]
        lines.append("|---|---|---|---|")
        for key, type_name, default, description in configuration_rows(model):
            cells = (f"`{key}`", type_name, default, description)
            lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
        lines.append("")
    return "\n".join(lines)


# --- the CLI reference ----------------------------------------------------------------------


def cli_group() -> Any:
    """The click group behind ``rds-ha``, as the console script builds it."""

    return typer.main.get_command(app)


def _context(command: Any, name: str, parent: Any = None) -> Any:

    return Context(command, info_name=name, parent=parent)


def _param_row(param: Any, context: Any) -> tuple[str, str]:
    """The option as ``--help`` lists it: its names and value, and its help with the default."""
    names, help_text = param.get_help_record(context)
    return f"`{names}`", help_text


def _table(params: list[Any], context: Any) -> list[str]:
    lines = ["| Option | What it does |", "|---|---|"]
    for param in params:
        lines.append("| " + " | ".join(_cell(cell) for cell in _param_row(param, context)) + " |")
    return [*lines, ""]


def command_reference(name: str, *, heading: str = "###") -> str:
    """One command's usage, help, arguments and options, as ``rds-ha NAME --help`` has them."""
    group = cli_group()
    if name not in group.commands:
        raise KeyError(f"rds-ha has no command {name!r}; it has {', '.join(group.commands)}")
    command = group.commands[name]
    parent = _context(group, "rds-ha")
    context = _context(command, name, parent)
    usage = " ".join(command.collect_usage_pieces(context))
    lines = [f"{heading} `rds-ha {name}`", "", "```text", f"rds-ha {name} {usage}", "```", ""]
    lines += [(command.help or "").replace("\b\n", "").strip(), ""]
    visible = [param for param in command.params if not getattr(param, "hidden", False)]
    arguments = [param for param in visible if param.param_type_name == "argument"]
    options = [param for param in visible if param.param_type_name == "option"]
    if arguments:
        lines += ["| Argument | What it is |", "|---|---|"]
        for param in arguments:
            lines.append("| " + " | ".join(_cell(c) for c in _param_row(param, context)) + " |")
        lines.append("")
    if options:
        lines += _table(options, context)
    return "\n".join(lines)


def cli_reference() -> str:
    group = cli_group()
    parent = _context(group, "rds-ha")
    lines = [
        "# CLI reference (generated)",
        "",
        "Every command and option of `rds-ha`, generated from the typer app",
        "(`rds_ha.cli.app`) when the site is built: what `rds-ha COMMAND --help` prints.",
        "Each command's runbook is in [Operations runbooks](../runbooks/index.md).",
        "",
        "## Global options",
        "",
        *_table([param for param in group.params if param.name != "help"], parent),
        "```text",
        (group.epilog or "").replace("\b\n", "").strip(),
        "```",
        "",
        "## Commands",
        "",
    ]
    for name in group.commands:
        lines.append(command_reference(name))
    return "\n".join(lines)


# --- the mkdocs hooks -----------------------------------------------------------------------


def on_files(files: Any, config: Any) -> Any:

    for path, content in ((CONFIGURATION_PAGE, configuration_reference), (CLI_PAGE, cli_reference)):
        files.append(File.generated(config, path, content=content()))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    up = "../" * page.file.src_uri.count("/")

    def reference(match: re.Match[str]) -> str:
        link = f"All commands: [CLI reference]({up}{CLI_PAGE})."
        return f"{command_reference(match.group(1), heading='###')}\n{link}\n"

    return CLI_MARKER.sub(reference, markdown)
