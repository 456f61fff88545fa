"""What a command checks before it starts serving or working, each failure
one or two lines that name the cause and the fix, exit code 2; with -v the
traceback of the error behind it comes first."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from config.settings import Settings
    from store.db import Database


class StartupError(click.ClickException):
    """The process cannot start: the message says why and what to do."""

    exit_code = 2


class CommandGroup(click.Group):
    """Runs a command; a setting found wrong while it starts (a secret that
    is not set, say) ends it as a `StartupError`, and with -v the traceback
    of the error behind a `StartupError` is written before its lines."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except StartupError as error:
            failure = error
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as error:
            from config.errors import ConfigError

            if not isinstance(error, ConfigError):
                raise
            failure = StartupError(str(error))
            failure.__context__ = error
        if (ctx.obj or {}).get("verbose"):
            import traceback

            click.echo("".join(traceback.format_exception(failure.__context__ or failure)).rstrip(), err=True)
        raise failure from None


def check_port_free(host: str, port: int, *, what: str, how: str) -> None:
    """Refuse a port another program listens on, before anything starts."""
    import errno
    import socket

    if port == 0:
        return
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            reason = "is in use" if error.errno == errno.EADDRINUSE else f"cannot be used ({error.strerror})"
            raise StartupError(f"{what} port {port} on {host} {reason}.\n"
                               f"Stop the program that holds it, or choose another port: {how}") from None


def require_secret_key(settings: Settings, workers: int) -> None:
    """Several web processes must sign sessions with one key: each would
    otherwise make its own and refuse the others' cookies."""
    if workers > 1 and not settings.web.secret_key:
        raise StartupError(
            f"web.secret_key is not set, and {workers} web processes would each sign sign-ins with a key of "
            "their own.\nRun `closeloop init` to write one into the config file, or set CLOSELOOP_WEB__SECRET_KEY "
            "(the same value for every process).")


def reach_database(db: Database, *, migrate: bool) -> tuple[str, str] | None:
    """Connect to the database (and bring its schema up to date when
    `migrate`, answering the revisions before and after); an unreachable
    one stops start-up with what to do."""
    from sqlalchemy.exc import DBAPIError

    try:
        if not migrate:
            db.ping()
            return None
        refuse_newer_schema(db)
        before = ", ".join(db.applied_revisions())
        db.migrate()
        return before, ", ".join(db.applied_revisions())
    except DBAPIError as error:
        raise StartupError(database_problem(db.url, error)) from None


def schema_change(before: str, after: str) -> str:
    """What migrating did, from the revisions `reach_database` answers."""
    if before == after:
        return f"database is up to date (revision {after})"
    if not before:
        return f"database created at revision {after}"
    return f"database migrated from revision {before} to {after}"


def refuse_newer_schema(db: Database) -> None:
    """A schema migrated by a newer closeloop is never touched by an older one."""
    newer = db.unknown_revisions()
    if newer:
        raise StartupError(f"the database schema (revision {', '.join(newer)}) is newer than this closeloop: "
                           "nothing was changed; run the closeloop that migrated it, or restore the backup taken "
                           "before that upgrade.")


def database_problem(url: str, error: Exception) -> str:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    cause = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
    if parsed.drivername == "sqlite":
        return (f"cannot open the SQLite database {parsed.database}: {cause}.\n"
                "Check that its folder exists and is writable, or set database.url (CLOSELOOP_DATABASE_URL).")
    where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    return (f"cannot reach the PostgreSQL database {parsed.database!r} at {where}: {cause}.\n"
            + _postgresql_advice(cause, parsed.username, parsed.database))


def _postgresql_advice(cause: str, user: str | None, database: str | None) -> str:
    """What to do, by what PostgreSQL said: a server that answers but has no
    such database or refuses the user needs no restart."""
    if f'database "{database}" does not exist' in cause:
        return (f"Create it (`createdb -O {user or 'USER'} {database}`, as docs/production.md shows), "
                "or fix database.url (CLOSELOOP_DATABASE_URL).")
    if "password authentication failed" in cause or (user and f'role "{user}" does not exist' in cause):
        return ("Fix the user or password in database.url (CLOSELOOP_DATABASE_URL), or the password in "
                "~/.pgpass of the user closeloop runs as; `createuser` makes a missing role.")
    return ("Start PostgreSQL or fix database.url (CLOSELOOP_DATABASE_URL); "
            "`pg_isready -h HOST -p PORT` tells whether it answers.")


def require_what_jobs_read(settings: Settings) -> None:
    """What the polling, sending and alerting jobs of `run` and `worker`
    read, checked before they start: webhook and alert secrets, and the
    accounts' keys."""
    require_webhook_secrets(settings)
    require_alert_secrets(settings)
    require_known_account_keys(settings)


def require_webhook_secrets(settings: Settings) -> None:
    """A webhook's secret that refers to a missing variable or file stops
    start-up here rather than failing every delivery later."""
    for hook in settings.webhooks:
        if hook.enabled:
            _require_secret(hook.secret, f"webhooks.{hook.name}.secret",
                            f"or set enabled = false on the webhook {hook.name!r}")


def _require_secret(reference: str, key: str, otherwise: str) -> None:
    """Stop start-up when the secret `reference` names cannot be read,
    saying to set it `otherwise` (the other way out)."""
    from config.errors import ConfigError
    from config.secrets import resolve_secret

    try:
        resolve_secret(reference, key=key)
    except ConfigError as error:
        raise StartupError(f"{error}.\nSet it, {otherwise}.") from None


def require_known_account_keys(settings: Settings) -> None:
    """A key an account's platform does not take (a misspelt `consumer_keys`)
    stops start-up here rather than leaving its source broken at the first
    poll, with the credential it was meant to give missing."""
    from difflib import get_close_matches

    from config.platforms import LABELS
    from connectors.registry import account_keys

    for name, account in settings.accounts.items():
        known = account_keys(account.platform)
        for key in sorted(set(account.model_extra or {}) - set(known)):
            close = get_close_matches(key, known, n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            raise StartupError(f"accounts.{name}.{key} is no key of an account on {LABELS[account.platform]}.\n"
                               f"{hint}Its keys are: {', '.join(known)}.")


def require_alert_secrets(settings: Settings) -> None:
    """A Slack webhook, Slack token or mail password that refers to a
    missing variable or file stops start-up here rather than failing
    every alert later, when a ticket breaches."""
    references = [(team.slack_webhook, f"teams.{name}.slack_webhook",
                   f"or remove teams.{name}.slack_webhook to alert the team by email alone")
                  for name, team in settings.teams.items() if team.slack_webhook]
    alerts = settings.alerts
    if alerts.slack_token:
        references.append((alerts.slack_token, "alerts.slack_token",
                           "or remove alerts.slack_token and alert teams through their slack_webhook"))
    if alerts.smtp_user and alerts.smtp_password:
        references.append((alerts.smtp_password, "alerts.smtp_password",
                           "or remove alerts.smtp_user and smtp_password when the mail relay needs no sign-in"))
    for reference, key, otherwise in references:
        _require_secret(reference, key, otherwise)


def require_metrics_token(settings: Settings) -> None:
    """A metrics token that refers to a missing variable or file stops
    start-up here rather than in every web process."""
    if settings.metrics.token:
        _require_secret(settings.metrics.token, "metrics.token", "or leave metrics.token empty to serve no /metrics")
