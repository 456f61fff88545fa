"""The settings every `closeloop` command loads: from the --config file of
the command line (or $CLOSELOOP_CONFIG), its sources checked against what
their platforms' connectors offer, a bad value stopping start-up with the
key and what is allowed."""

from __future__ import annotations

import logging

import click

from closeloop.startup import StartupError
from config import ConfigError, Settings, load_settings
from connectors.registry import check_sources
from telemetry.logs import configure_logging


def settings_of(ctx: click.Context) -> Settings:
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
