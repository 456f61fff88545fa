"""The one error of the config package, apart so that the modules that
raise it need not import each other."""


class ConfigError(Exception):
    """A setting is missing or has a value that is not allowed."""
