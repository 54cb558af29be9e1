"""Environment configuration: one YAML file per environment, a strict typed
schema (schema.py) and the loader with environment-variable overrides (loader.py)."""

from envs.loader import ConfigError, load_environment, load_environments
from envs.schema import Environment

__all__ = ["ConfigError", "Environment", "load_environment", "load_environments"]
