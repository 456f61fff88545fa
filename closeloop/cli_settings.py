"""The settings every `closeloop` command loads: from the --config file of
the command line (or $CLOSELOOP_CONFIG), its sources checked against what
their platforms' connectors offer, a bad value reported as a command-line
error."""

from __future__ import annotations

import click

from config import ConfigError, Settings, load_settings
from connectors.registry import check_sources


def settings_of(ctx: click.Context) -> Settings:
    try:
        settings = load_settings(ctx.obj["config"])
        check_sources(settings)
    except ConfigError as error:
        raise click.ClickException(str(error)) from None
    return settings
