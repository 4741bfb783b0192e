"""This app's environments file; the model and its rules are the library's (``rds_ha``)."""

from __future__ import annotations

from pathlib import Path

from rds_ha import AppConfig, EnvironmentConfig, parse_config
from rds_ha import load_config as _load_config

DEFAULT_CONFIG_PATH = Path(__file__).resolve().parent.parent / "environments.toml"

__all__ = ["DEFAULT_CONFIG_PATH", "AppConfig", "EnvironmentConfig", "load_config", "parse_config"]


def load_config(path: str | Path = DEFAULT_CONFIG_PATH) -> AppConfig:
    """``environments.toml`` beside ``app.py``, or the file given (``cdk synth -c config=...``)."""
    return _load_config(path)
