"""Every code block of README.md and of the pages under docs/ is checked for what its language
allows: TOML against the configuration models (and accepted by the loader over a complete
environment), Python compiled with its rds_ha names looked up, shell and console commands against
the Makefile, the rds-ha CLI (click parses them), the CDK app's context keys and botocore's API
models, JSON and YAML parsed. The runbook pages and the generated references are checked against
the typer app and the pydantic models they describe. The construct examples themselves are
synthesized by tests/test_readme.py."""

from __future__ import annotations

import ast
import importlib.util
import inspect
import itertools
import json
import re
import shlex
import subprocess
import tomllib
import typing
from pathlib import Path
from typing import Any

import botocore.session
import pytest
import typer
import yaml
from botocore import xform_name
from doc_blocks import ROOT, Block, all_blocks, markdown_files
from pydantic import BaseModel
from synth_helpers import VALID_ENVIRONMENT
from typer._click.exceptions import ClickException as UsageProblem

import rds_ha
from rds_ha.cli.app import app, hoist_global_options
from rds_ha.environments.aurora import AuroraEnvironmentConfig
from rds_ha.environments.config import EnvironmentConfig
from rds_ha.environments.loading import AppConfig, parse_config
from rds_ha.environments.pipeline import PipelineConfig
from rds_ha.monitoring.alarm_thresholds import THRESHOLD_NAMES

# --- every code block of README.md and docs/ ----------------------------------------------------
# Each block is checked for what its language allows: TOML against the configuration models,
# Python compiled and its rds_ha names looked up, shell commands against the Makefile, the
# rds-ha CLI (click parses them), the CDK app's context keys and botocore's API models.

# Command output and diagrams: nothing to run.
UNCHECKED_LANGUAGES = {"text", "mermaid"}
CHECKED_LANGUAGES = {"toml", "python", "bash", "console", "json", "yaml"}
EXAMPLES = {"construct-usage", "backups-usage", "imported-database"}
# What app.py reads with try_get_context.
CDK_CONTEXT_KEYS = {"env", "config", "example_app"}
CDK_COMMANDS = {"bootstrap", "deploy", "destroy", "synth", "diff", "import", "context", "list"}
AWS_GLOBAL_OPTIONS = {"--region", "--output", "--query", "--profile", "--endpoint-url"}
# The AWS CLI's names for botocore's services, where they differ.
AWS_SERVICES = {"s3api": "s3"}
SHELL_TERMINATORS = set(";|&()<>")


def _blocks(*languages: str) -> list[Any]:
    return [pytest.param(block, id=block.where) for block in all_blocks(*languages)]


def test_every_code_block_names_a_language_the_tests_know() -> None:
    unknown = [
        f"{block.where}: {block.language or '(none)'}"
        for block in all_blocks()
        if block.language not in CHECKED_LANGUAGES | UNCHECKED_LANGUAGES
    ]
    assert unknown == []


def test_every_marked_example_is_one_these_tests_synthesize() -> None:
    marked = {
        match.group(1)
        for block in all_blocks()
        if (match := re.match(r"<!-- example: ([a-z-]+)", block.marker))
    }
    assert marked == EXAMPLES


# --- TOML ---


def _unknown_keys(table: dict[str, Any], model: Any, path: str) -> list[str]:
    """Keys of a documented table that its model does not have, recursively."""

    problems = []
    for key, value in table.items():
        field = model.model_fields.get(key)
        if field is None:
            problems.append(f"{path}.{key}: {model.__name__} has no such key")
            continue
        annotation = field.annotation
        args = typing.get_args(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            problems += _unknown_keys(value, annotation, f"{path}.{key}")
        elif (
            typing.get_origin(annotation) is dict
            and isinstance(args[1], type)
            and issubclass(args[1], BaseModel)
            and isinstance(value, dict)
        ):
            for name, inner in value.items():
                if key == "alarms" and name not in THRESHOLD_NAMES:
                    problems.append(f"{path}.alarms.{name}: not a threshold name")
                problems += _unknown_keys(inner, args[1], f"{path}.{key}.{name}")
    return problems


AURORA_BASE = {"account": "123456789012", "region": "eu-west-1"}


def _model_of(table: dict[str, Any]) -> type[BaseModel]:
    """The model of an environment's table: Aurora's when its engine is an Aurora engine."""
    aurora = str(table.get("engine", "")).startswith("aurora")
    return AuroraEnvironmentConfig if aurora else EnvironmentConfig


def _environment_tables(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The environments a block describes; a block of bare keys is one environment's table."""
    if "environments" in data:
        return data["environments"]
    if "pipeline" in data:
        return {}
    return {"docs": data}


def _merged(base: dict[str, Any], table: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in table.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


@pytest.mark.parametrize("block", _blocks("toml"))
def test_toml_blocks_are_valid_configuration(block) -> None:

    data = tomllib.loads(block.text)
    environments = _environment_tables(data)
    problems = [
        problem
        for name, table in environments.items()
        for problem in _unknown_keys(table, _model_of(table), f"environments.{name}")
    ]
    assert problems == [], block.where
    if "pipeline" in data:
        PipelineConfig.model_validate(data["pipeline"])
    # Each documented table, over a complete environment (with the production keys when the
    # name makes it one), is a configuration synth accepts. An Aurora table needs no more keys
    # than it shows but its account and region.
    production = {"removal_policy": "retain"}
    complete = {
        name: _merged(
            {
                **(
                    AURORA_BASE
                    if _model_of(table) is AuroraEnvironmentConfig
                    else VALID_ENVIRONMENT
                ),
                **(production if name == "prod" else {}),
            },
            table,
        )
        for name, table in environments.items()
    }
    if complete:
        parse_config({"environments": complete}, source=block.where)


# --- Python ---


def _rds_ha_imports(tree: ast.AST) -> set[str]:
    return {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "rds_ha"
        for alias in node.names
    }


@pytest.mark.parametrize("block", _blocks("python"))
def test_python_blocks_compile_and_import_only_public_names(block) -> None:

    tree = ast.parse(block.text, filename=block.where)
    compile(tree, block.where, "exec")
    assert sorted(_rds_ha_imports(tree) - set(rds_ha.__all__)) == []


# Names the docs give the constructs in examples and prose, and the class each stands for.
DOCUMENTED_OBJECTS = {
    "orders": "HighlyAvailableDatabase",
    "database": "HighlyAvailableDatabase",
    "alarms": "DatabaseAlarms",
    "proxy": "DatabaseProxy",
    "replicas": "ReadReplicas",
    "backups": "DatabaseBackups",
    "user": "ApplicationUser",
}


def _code_outside_examples(path: Path) -> list[str]:
    """Inline code and code blocks of a page, without the marked examples (they are
    synthesized whole, where a local variable may be named like a construct)."""
    text = path.read_text()
    for block in all_blocks():
        if block.path == path and block.marker.startswith("<!-- example:"):
            text = text.replace(block.text, "")
    return re.findall(r"```.*?```|`[^`\n]+`", text, re.S)


def test_methods_the_docs_call_on_the_constructs_exist() -> None:
    # A call (``orders.grant_connect(``) or an attribute read in code (``orders.endpoint_address``
    # in a list of what a construct gives); TOML keys such as ``replicas.count`` take no call.
    pattern = re.compile(rf"\b({'|'.join(DOCUMENTED_OBJECTS)})\.([a-z_]+)\(")
    checked, missing = 0, []
    for path in markdown_files():
        for name, attribute in {
            m for c in _code_outside_examples(path) for m in pattern.findall(c)
        }:
            checked += 1
            cls = getattr(rds_ha, DOCUMENTED_OBJECTS[name])
            if not hasattr(cls, attribute) and attribute not in _init_assigned(cls):
                missing.append(f"{path.relative_to(ROOT)}: {name}.{attribute}")
    assert sorted(missing) == []
    assert checked  # the pattern still finds the calls


def _init_assigned(cls: type) -> set[str]:
    """Attributes a construct sets in its constructor (``self.topic = ...``)."""

    names: set[str] = set()
    for klass in cls.__mro__:
        if klass.__module__.startswith("rds_ha"):
            tree = ast.parse(inspect.getsource(klass))
            names |= {
                node.attr
                for node in ast.walk(tree)
                if isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "self"
                and isinstance(node.ctx, ast.Store)
            }
    return names


# --- shell commands ---


def _words(script: str) -> list[str]:
    """Shell words; a line end is a separator like ``;`` (put after it, since a comment
    takes the line end with it)."""
    lexer = shlex.shlex(script.replace("\n", "\n; "), posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    return list(lexer)


def _commands(words: list[str]) -> list[list[str]]:
    """The simple commands of a shell line: split at ; | & ( ) < > and $( )."""
    commands, current = [], []
    for word in words:
        if set(word) <= SHELL_TERMINATORS | {"$"}:
            if current:
                commands.append(current)
            current = []
        else:
            current.append(word)
    if current:
        commands.append(current)
    # Loop and condition keywords start a command too.
    keywords = {"do", "then", "else", "if", "while"}
    stripped = [command[1:] if command[0] in keywords else command for command in commands]
    return [command for command in stripped if command]


def _without_placeholders(text: str) -> str:
    """The docs write what the reader fills in as ``<ARN>`` or ``<the stack's role>``."""
    return re.sub(r"<[^<>\n]+>", "PLACEHOLDER", text)


def _shell_lines(block: Any) -> list[str]:
    text = _without_placeholders(block.text).replace("\\\n", " ")
    if block.language == "console":
        return [line[2:] for line in text.splitlines() if line.startswith("$ ")]
    if block.language == "yaml":
        runs = []
        for step in _yaml_steps(yaml.safe_load(text)):
            runs += str(step.get("run", "")).splitlines()
        return runs
    return [text]


def _yaml_steps(document: Any) -> list[dict[str, Any]]:
    """The steps of a GitHub Actions job, or a bare list of steps."""
    if isinstance(document, list):
        return [step for step in document if isinstance(step, dict)]
    if isinstance(document, dict):
        steps = list(document.get("steps", []))
        return steps + [s for value in document.values() for s in _yaml_steps(value)]
    return []


def _makefile_targets() -> set[str]:
    return set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(), re.M))


def _check_make(words: list[str]) -> list[str]:
    targets = [word for word in words[1:] if "=" not in word and not word.startswith("-")]
    return [f"make {t}: no such target" for t in targets if t not in _makefile_targets()]


def _check_cdk(words: list[str]) -> list[str]:
    problems = []
    if len(words) < 2 or words[1] not in CDK_COMMANDS:
        problems.append(f"{shlex.join(words)}: not a cdk command the docs use")
    for flag, value in itertools.pairwise(words):
        if flag in ("-c", "--context") and value.split("=", 1)[0] not in CDK_CONTEXT_KEYS:
            problems.append(f"{shlex.join(words)}: app.py reads no context key {value!r}")
    return problems


def _check_rds_ha(words: list[str]) -> list[str]:
    """click parses the command line as `rds-ha` would: unknown commands and options, missing
    arguments and bad choices are problems. Nothing runs."""

    group = typer.main.get_command(app)
    args = hoist_global_options(words[1:])
    try:
        context = group.make_context("rds-ha", list(args), resilient_parsing=False)
        # click keeps the command's name apart from its arguments until it invokes it.
        words_after = [*context._protected_args, *context.args]
        name, command, rest = group.resolve_command(context, words_after)
        command.make_context(name, rest, parent=context)
    except UsageProblem as problem:
        return [f"{shlex.join(words)}: {problem.format_message()}"]
    except SystemExit:  # --help or --version
        return []
    return []


def _check_aws(words: list[str]) -> list[str]:
    """The service, operation and parameters exist in botocore's model of the API."""

    if len(words) < 3:
        return [f"{shlex.join(words)}: no operation"]
    service, operation = AWS_SERVICES.get(words[1], words[1]), words[2]
    session = botocore.session.get_session()
    model = session.get_service_model(service)
    operations = {xform_name(name, "-"): name for name in model.operation_names}
    if operation not in operations:
        return [f"{shlex.join(words)}: {service} has no operation {operation}"]
    shape = model.operation_model(operations[operation]).input_shape
    members = {xform_name(name, "-") for name in (shape.members if shape else {})}
    problems = []
    for word in words[3:]:
        if not word.startswith("--"):
            continue
        option = word.split("=", 1)[0][2:]
        if f"--{option}" in AWS_GLOBAL_OPTIONS:
            continue
        if option not in members and option.removeprefix("no-") not in members:
            problems.append(f"aws {words[1]} {operation}: no parameter --{option}")
    return problems


def _check_path(words: list[str]) -> list[str]:
    script = next((word for word in words[1:] if not word.startswith("-")), "")
    return [] if (ROOT / script).exists() else [f"{shlex.join(words)}: {script} is missing"]


CHECKS = {
    "make": _check_make,
    "cdk": _check_cdk,
    "node_modules/.bin/cdk": _check_cdk,
    "rds-ha": _check_rds_ha,
    ".venv/bin/rds-ha": _check_rds_ha,
    "aws": _check_aws,
    "python": _check_path,
}


def command_problems(block: Any) -> tuple[int, list[str]]:
    """How many commands of the block were checked, and their problems."""
    checked, problems = 0, []
    for script in _shell_lines(block):
        for command in _commands(_words(script)):
            check = CHECKS.get(command[0])
            if check:
                checked += 1
                problems += check(command)
    return checked, problems


@pytest.mark.parametrize("block", _blocks("bash", "console", "yaml"))
def test_shell_blocks_are_valid_commands(block) -> None:
    if block.language == "bash":
        syntax = subprocess.run(
            ["bash", "-n"],
            input=_without_placeholders(block.text),
            capture_output=True,
            text=True,
            check=False,
        )
        assert syntax.returncode == 0, f"{block.where}: {syntax.stderr}"
    checked, problems = command_problems(block)
    assert problems == [], block.where
    if block.language != "bash":
        assert checked, f"{block.where}: no command of the docs' tools to check"


def test_the_command_checks_catch_what_they_guard_against() -> None:
    def problems(language: str, text: str) -> list[str]:
        block = Block(path=ROOT / "README.md", line=1, language=language, text=text, marker="")
        return command_problems(block)[1]

    assert problems("bash", "make nosuchtarget\n")
    assert problems("bash", "cdk deploy -c environment=dev\n")
    assert problems("bash", "rds-ha failover orders-db --no-such-option\n")
    assert problems("bash", "rds-ha fail-over orders-db\n")
    assert problems("console", "$ rds-ha restore\n")  # DB_ID is required
    assert problems("bash", "aws rds modify-db-instance --db-instance-identifer x\n")
    assert problems("bash", "aws rds no-such-operation\n")
    assert not problems("bash", "aws rds modify-db-instance --db-instance-identifier x\n")


@pytest.mark.parametrize("block", _blocks("json"))
def test_json_blocks_parse(block) -> None:
    json.loads(block.text)


# --- the runbooks and the generated references ---


def test_every_cli_command_has_a_runbook_page_with_its_reference() -> None:

    commands = set(typer.main.get_command(app).commands)
    pages = {
        match.group(1): path.stem
        for path in (ROOT / "docs" / "runbooks").glob("*.md")
        for match in re.finditer(r"<!-- cli-reference: ([a-z-]+) -->", path.read_text())
    }
    assert set(pages) == commands
    index = (ROOT / "docs" / "runbooks" / "index.md").read_text()
    listed = set(re.findall(r"^\| `rds-ha ([a-z-]+)` \| \[", index, re.M))
    assert listed == commands


def test_the_handwritten_configuration_table_names_exactly_the_models_keys() -> None:

    text = (ROOT / "docs" / "configuration.md").read_text()
    table = set(re.findall(r"^\| `([a-z_]+)` \|", text, re.M))
    tables = set(re.findall(r"^\| `\[environments\.<name>\.([a-z_]+)(?:\.<db>)?\]` \|", text, re.M))
    keys = set(EnvironmentConfig.model_fields) - {"name"}
    assert table | tables == keys


def test_the_generated_configuration_reference_covers_every_table_of_the_file() -> None:

    def models(model: Any) -> set[Any]:
        found = set()
        for field in model.model_fields.values():
            for candidate in (field.annotation, *_nested_args(field.annotation)):
                if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                    found |= {candidate, *models(candidate)}
        return found

    reference = _docs_reference()
    assert {model for _, model, _ in reference._models()} == models(AppConfig)
    text = reference.configuration_reference()
    for _, model, _ in reference._models():
        for key in set(model.model_fields) - {"name"}:
            assert f"| `{key}` |" in text, (model.__name__, key)


def _nested_args(annotation: Any) -> list[Any]:
    args = list(typing.get_args(annotation))
    return args + [inner for arg in args for inner in _nested_args(arg)]


def _docs_reference() -> Any:
    spec = importlib.util.spec_from_file_location(
        "docs_reference", ROOT / "tools" / "docs_reference.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_generated_cli_reference_lists_every_option_of_every_command() -> None:

    text = _docs_reference().cli_reference()
    for name, command in typer.main.get_command(app).commands.items():
        assert f"### `rds-ha {name}`" in text
        section = text.split(f"### `rds-ha {name}`", 1)[1].split("\n### ", 1)[0]
        for param in command.params:
            if param.param_type_name == "option" and not param.hidden:
                assert f"`{param.opts[0]}" in section or f", {param.opts[0]}" in section, (
                    name,
                    param.opts,
                )


def test_the_api_reference_documents_every_public_name_from_its_module() -> None:

    api = (ROOT / "docs" / "reference" / "api.md").read_text()
    documented = set(re.findall(r"^::: ([\w.]+)$", api, re.M))
    assert documented == {f"{rds_ha._LAZY[name]}.{name}" for name in rds_ha.__all__}
