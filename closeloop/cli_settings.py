"""The settings every `closeloop` command loads: from the --config file of
the command line (or $CLOSELOOP_CONFIG), a bad value reported as a
command-line error."""

from __future__ import annotations

import click

from config import ConfigError, Settings, load_settings


def settings_of(ctx: click.Context) -> Settings:
    try:
        return load_settings(ctx.obj["config"])
    except ConfigError as error:
        raise click.ClickException(str(error)) from None
