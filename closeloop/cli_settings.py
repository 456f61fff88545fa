"""The settings every `closeloop` command loads: from the --config file of
the command line (or $CLOSELOOP_CONFIG), its sources checked against what
their platforms' connectors offer, a bad value stopping start-up with the
key and what is allowed. The settings model and the connectors are imported
when a command first asks, so that `closeloop --help` starts quickly."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from closeloop.startup import StartupError

if TYPE_CHECKING:
    from config.settings import Settings


def settings_of(ctx: click.Context) -> Settings:
    import logging

    from config import ConfigError, load_settings
    from connectors.registry import check_sources
    from telemetry.logs import configure_logging

    try:
        settings = load_settings(ctx.obj["config"])
        check_sources(settings)
    except ConfigError as error:
        raise StartupError(str(error)) from None
    if settings.log.format != "text":
        configure_logging(settings.log.format, logging.DEBUG if ctx.obj.get("verbose") else logging.INFO)
    return settings


def config_path_of(ctx: click.Context) -> str | None:
    """The config file this command reads, if any."""
    import os

    return ctx.obj["config"] or os.environ.get("CLOSELOOP_CONFIG")
