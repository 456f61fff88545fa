"""Settings: defaults, one TOML file, environment overrides, validated at start."""

from config.clock import Clock, FrozenClock, SystemClock
from config.settings import ConfigError, Settings, load_settings

__all__ = ["Clock", "ConfigError", "FrozenClock", "Settings", "SystemClock", "load_settings"]
