"""Settings: defaults, one TOML file, environment overrides, validated at start."""

from config.clock import Clock, FrozenClock, SystemClock
from config.errors import ConfigError
from config.settings import Settings, load_settings

__all__ = ["Clock", "ConfigError", "FrozenClock", "Settings", "SystemClock", "load_settings"]
