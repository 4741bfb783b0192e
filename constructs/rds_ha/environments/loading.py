"""Reading ``environments.toml``: every problem of every environment, once, all at once."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from rds_ha.catalog.engines import PROFILES, Deployment, Engine
from rds_ha.database.validation import coerce_choice, database_problems
from rds_ha.environments.aurora import AURORA_ENGINES, AuroraEnvironmentConfig
from rds_ha.environments.config import EnvironmentConfig
from rds_ha.environments.databases import (
    MERGED_SETTINGS,
    DatabaseConfig,
    fleet_problems,
    name_problems,
    resolve,
)
from rds_ha.environments.pipeline import PipelineConfig
from rds_ha.environments.tables import _Strict
from rds_ha.errors import ConfigurationError


class AppConfig(_Strict):
    environments: dict[str, EnvironmentConfig]
    # The optional [pipeline] table: a CDK Pipelines rollout instead of `cdk deploy`.
    pipeline: PipelineConfig | None = None
    # The environments whose engine is Aurora (engine = "aurora-postgresql" / "aurora-mysql").
    aurora: dict[str, AuroraEnvironmentConfig] = {}

    def select(self, name: str | None) -> list[EnvironmentConfig]:
        """One RDS environment by name (none when ``name`` is an Aurora one), or all of them
        for ``None``."""
        if name is None:
            return list(self.environments.values())
        self._check_name(name)
        return [self.environments[name]] if name in self.environments else []

    def select_aurora(self, name: str | None) -> list[AuroraEnvironmentConfig]:
        """One Aurora environment by name (none when ``name`` is an RDS one), or all of them."""
        if name is None:
            return list(self.aurora.values())
        self._check_name(name)
        return [self.aurora[name]] if name in self.aurora else []

    def _check_name(self, name: str) -> None:
        if name not in self.environments and name not in self.aurora:
            raise ConfigurationError(
                "env",
                [
                    f"env={name!r}: no such environment; valid: "
                    f"{', '.join(sorted([*self.environments, *self.aurora]))}"
                ],
            )


def _describe(error: ErrorDetails) -> str:
    location = ".".join(str(part) for part in error["loc"])
    if error["type"] == "missing":
        return f"{location}: required key is missing"
    if error["type"] == "extra_forbidden":
        return f"{location}={error['input']!r}: unknown key"
    message = re.sub(r"^Value error, ", "", error["msg"])
    return f"{location}={error['input']!r}: {message}"


def _partial_problems(name: str, table: dict[str, Any], flagged: set[str]) -> list[str]:
    """The database rules applied to the keys of a table that failed type validation, so that
    one bad key does not hide the others' problems. Keys the type check flagged or that are
    missing are skipped (they are reported already)."""
    fields = EnvironmentConfig.model_fields

    def value(key: str) -> Any:
        if key in flagged:
            return None
        if key in table:
            return table[key]
        default = fields[key].default
        return None if fields[key].is_required() else default

    engine, _ = coerce_choice("engine", value("engine"), Engine)
    deployment, _ = coerce_choice("deployment", value("deployment"), Deployment)
    port = value("port") or (PROFILES[engine].port if engine else None)
    parameters = value("parameters")
    problems = database_problems(
        engine=engine,
        deployment=deployment,
        engine_version=value("engine_version"),
        instance_class=value("instance_class"),
        region=value("region") if isinstance(value("region"), str) else None,
        identifier=value("database_identifier") or f"rds-ha-{name}",
        allocated_storage_gib=value("allocated_storage_gib"),
        max_allocated_storage_gib=value("max_allocated_storage_gib"),
        backup_retention_days=value("backup_retention_days"),
        backup_window=value("backup_window"),
        maintenance_window=value("maintenance_window"),
        monitoring_interval_seconds=value("monitoring_interval_seconds"),
        port=port,
        master_username=value("master_username"),
        parameters=parameters if isinstance(parameters, dict) else {},
        auto_minor_version_upgrade=_switch(value("auto_minor_version_upgrade"), True),
        allow_major_version_upgrade=_switch(value("allow_major_version_upgrade"), False),
        parameter_groups_by_major=_switch(value("parameter_groups_by_major"), False),
    )
    # The type check already named these keys: keep only the rules' own problems.
    return [
        p for p in problems if "must be a whole number" not in p and "must be a string" not in p
    ]


def _switch(value: Any, default: bool) -> bool:
    """A switch that failed type validation (None here) counts as its default."""
    return value if isinstance(value, bool) else default


def _database_tables(environment: str, tables: Any) -> tuple[dict[str, DatabaseConfig], list[str]]:
    """The environment's ``databases`` tables, typed. A table with a key of the wrong type is
    still checked with its other keys (the bad key falls back to the environment's), so one
    bad key does not hide the rest of its problems."""
    if not isinstance(tables, dict):
        return {}, [f"[{environment}] databases={tables!r}: must be a table of tables"]
    databases: dict[str, DatabaseConfig] = {}
    problems: list[str] = []
    for name, table in tables.items():
        bad_name = name_problems(name)
        problems += [f"[{environment}] {problem}" for problem in bad_name]
        where = f"[{environment}.databases.{name}]"
        if not isinstance(table, dict):
            problems.append(f"{where} {table!r}: must be a table")
            continue
        try:
            database = DatabaseConfig.model_validate(table)
        except ValidationError as error:
            problems += [f"{where} {_describe(e)}" for e in error.errors()]
            database = DatabaseConfig.model_validate(_without_flagged(table, error))
        if not bad_name:
            # A badly named database is not checked further: its stack and identifier derive
            # from the name, and the name is reported already.
            databases[name] = database
    return databases, problems


def _without_flagged(table: dict[str, Any], error: ValidationError) -> dict[str, Any]:
    """``table`` without the keys the type check flagged; in a sub-table that merges by key
    (``resilience``, ``replicas``) only the flagged key goes, so its other keys are checked."""
    good = dict(table)
    for e in error.errors():
        loc = [str(part) for part in e["loc"]]
        if not loc or loc[0] not in good:
            continue
        sub = good[loc[0]]
        if loc[0] in MERGED_SETTINGS and len(loc) > 1 and isinstance(sub, dict):
            good[loc[0]] = {key: value for key, value in sub.items() if key != loc[1]}
        else:
            del good[loc[0]]
    return good


def parse_config(data: dict[str, Any], source: str = "environments.toml") -> AppConfig:
    """Validate raw TOML data; raises ConfigurationError listing every problem."""
    environments = data.get("environments")
    problems: list[str] = [
        f"{key}: unknown top-level table; allowed: environments, pipeline"
        for key in data
        if key not in ("environments", "pipeline")
    ]
    if not isinstance(environments, dict) or not environments:
        raise ConfigurationError(source, [*problems, "environments: no [environments.<name>]"])
    parsed: dict[str, EnvironmentConfig] = {}
    aurora: dict[str, AuroraEnvironmentConfig] = {}
    for name, table in environments.items():
        if not isinstance(table, dict):
            problems.append(f"environments.{name}={table!r}: must be a table")
            continue
        if "name" in table:
            # The table's name is the environment's name; a key would silently override it.
            problems.append(f"[{name}] name={table['name']!r}: unknown key")
            continue
        if str(table.get("engine", "")).strip().lower() in AURORA_ENGINES:
            if environment_of_aurora := _parse_aurora(name, table, problems):
                aurora[name] = environment_of_aurora
            continue
        databases, database_problems = _database_tables(name, table.get("databases", {}))
        problems += database_problems
        table = {key: value for key, value in table.items() if key != "databases"}  # noqa: PLW2901
        try:
            environment = EnvironmentConfig.model_validate({**table, "name": name})
        except ValidationError as error:
            problems += [f"[{name}] {_describe(e)}" for e in error.errors()]
            flagged = {str(e["loc"][0]) for e in error.errors() if e["loc"]}
            problems += [f"[{name}] {p}" for p in _partial_problems(name, table, flagged)]
            continue
        problems += [f"[{name}] {problem}" for problem in environment.problems()]
        for database_name, database in databases.items():
            fleet_database = resolve(environment, database_name, database)
            problems += [
                f"[{name}.databases.{database_name}] {problem}"
                for problem in fleet_database.problems()
            ]
        parsed[name] = environment.model_copy(update={"databases": databases})
    problems += fleet_problems(parsed)
    pipeline = _parse_pipeline(data.get("pipeline"), problems)
    if pipeline is not None:
        problems += pipeline.problems(list(parsed.values()))
        problems += [
            f"[{name}] engine={environment.engine.value!r}: the [pipeline] rolls out RDS "
            "environments only; allowed: deploy Aurora environments with cdk deploy "
            "(-c config=<a file without [pipeline]>)"
            for name, environment in aurora.items()
        ]
    if problems:
        # Each problem once, in the order found.
        raise ConfigurationError(source, list(dict.fromkeys(problems)))
    return AppConfig(environments=parsed, pipeline=pipeline, aurora=aurora)


def _parse_aurora(
    name: str, table: dict[str, Any], problems: list[str]
) -> AuroraEnvironmentConfig | None:
    """An Aurora environment, its problems added to ``problems``."""
    try:
        environment = AuroraEnvironmentConfig.model_validate({**table, "name": name})
    except ValidationError as error:
        problems += [f"[{name}] {_describe(e)}" for e in error.errors()]
        # The other keys' rules still run, so that one bad key does not hide their problems.
        flagged = {str(e["loc"][0]) for e in error.errors() if e["loc"]}
        try:
            rest = AuroraEnvironmentConfig.model_validate(
                {**{k: v for k, v in table.items() if k not in flagged}, "name": name}
            )
        except ValidationError:
            return None
        problems += [f"[{name}] {problem}" for problem in rest.problems()]
        return None
    found = environment.problems()
    problems += [f"[{name}] {problem}" for problem in found]
    return None if found else environment


def _parse_pipeline(table: Any, problems: list[str]) -> PipelineConfig | None:
    if table is None:
        return None
    if not isinstance(table, dict):
        problems.append(f"pipeline={table!r}: must be a table")
        return None
    try:
        return PipelineConfig.model_validate(table)
    except ValidationError as error:
        problems += [f"[pipeline] {_describe(e)}" for e in error.errors()]
        return None


def load_config(path: str | Path) -> AppConfig:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigurationError(str(path), ["file not found"]) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError(str(path), [f"not valid TOML: {error}"]) from None
    return parse_config(data, source=str(path))
