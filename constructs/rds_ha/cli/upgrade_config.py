"""After a switchover the CDK template and the live database disagree: the template still says
the old engine version (and class). This finds the environment in ``environments.toml`` that
describes the database and edits its lines in place, keeping every comment and the layout: a
targeted line edit in the right ``[environments.<name>]`` table, never a re-serialization.

The CLI does not import ``rds_ha.environments`` (pydantic and the CDK), so the file is read with
``tomllib`` only to find the environment; the identifier rule is the same as
``EnvironmentConfig.identifier``: ``database_identifier``, else ``rds-ha-<name>``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from rds_ha.catalog.engines import PROFILES, Engine, is_major_version
from rds_ha.cli.errors import UnsafeOperationError

_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")


@dataclass(frozen=True)
class ConfigChange:
    path: Path
    environment: str
    settings: dict[str, str]  # key -> new value
    # The environment's engine_version as the file has it ("16" or "16.4"), None when absent.
    pinned_engine_version: str | None = None

    def lines(self) -> list[str]:
        return [f'{key} = "{value}"' for key, value in self.settings.items()]


def find_environment(path: Path, identifier: str) -> str:
    """The name of the environment whose database is ``identifier``; exit 2 when none is."""
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise UnsafeOperationError(
            f"--write-config {path}: {error}. Nothing was changed."
        ) from None
    environments = data.get("environments", {})
    matches = [
        name
        for name, table in environments.items()
        if isinstance(table, dict)
        and str(table.get("database_identifier") or f"rds-ha-{name}").lower() == identifier
    ]
    if len(matches) != 1:
        known = ", ".join(
            f"{name} ({table.get('database_identifier') or f'rds-ha-{name}'})"
            for name, table in environments.items()
            if isinstance(table, dict)
        )
        found = "no environment" if not matches else f"{len(matches)} environments"
        raise UnsafeOperationError(
            f"--write-config {path}: {found} describes database {identifier} "
            f"(database_identifier, or the default rds-ha-<env>); environments: "
            f"{known or 'none'}. Nothing was changed."
        )
    value: str = matches[0]
    return value


def _table_name(header: str) -> tuple[str, ...]:
    return tuple(part.strip().strip('"').strip("'") for part in header.split("."))


def edit_text(text: str, environment: str, settings: dict[str, str]) -> str:
    """Set ``key = "value"`` for each setting in ``[environments.<environment>]``: replace the
    value on the key's line (keeping its spacing and comment), or add the line after the
    table's last key."""
    lines = text.splitlines(keepends=True)
    wanted = ("environments", environment)
    start = end = None
    for index, line in enumerate(lines):
        if not line.lstrip().startswith("["):
            continue
        if start is not None:  # any table header, [[array]] ones included, ends the table
            end = index
            break
        header = _HEADER.match(line)
        if header and _table_name(header.group(1)) == wanted:
            start = index
    if start is None:
        raise UnsafeOperationError(
            f"no [environments.{environment}] table in the file. Nothing was changed."
        )
    end = len(lines) if end is None else end
    for key, value in settings.items():
        pattern = re.compile(rf"^(\s*{re.escape(key)}\s*=\s*)(\"[^\"]*\"|'[^']*'|[^\s#]+)(.*)$")
        for index in range(start + 1, end):
            match = pattern.match(lines[index].rstrip("\r\n"))
            if match:
                newline = lines[index][len(lines[index].rstrip("\r\n")) :]
                lines[index] = f'{match.group(1)}"{value}"{match.group(3)}{newline}'
                break
        else:
            last = max(
                (i for i in range(start + 1, end) if lines[i].strip() and "=" in lines[i]),
                default=start,
            )
            if not lines[last].endswith("\n"):
                lines[last] += "\n"
            lines.insert(last + 1, f'{key} = "{value}"\n')
            end += 1
    return "".join(lines)


def pinned_engine_version(path: Path, environment: str) -> str | None:
    table = tomllib.loads(path.read_text()).get("environments", {}).get(environment, {})
    value = table.get("engine_version") if isinstance(table, dict) else None
    return str(value) if value is not None else None


def engine_version_pin(engine: str, pinned: str | None, target: str) -> str | None:
    """What ``engine_version`` should say after an upgrade to ``target``: a full pin stays full
    (the target); a major-only pin ("16") stays major-only, so it becomes the target's major
    ("17"), and None when the target is within the pinned major (a minor upgrade: RDS picks
    minors for a major-only pin, so the line already describes the database)."""
    if pinned is None or engine not in {e.value for e in Engine}:
        return target
    profile = PROFILES[Engine(engine)]
    if not is_major_version(Engine(engine), pinned):
        return target
    major = profile.major_version(target)
    return None if major == pinned else major


def plan_change(path: Path, identifier: str, settings: dict[str, str]) -> ConfigChange:
    environment = find_environment(path, identifier)
    return ConfigChange(path, environment, settings, pinned_engine_version(path, environment))


def write_change(change: ConfigChange) -> None:
    text = change.path.read_text()
    change.path.write_text(edit_text(text, change.environment, change.settings))
