"""The closeloop command."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from closeloop.cli_settings import config_path_of, settings_of
from closeloop.score_commands import retrain, score
from closeloop.simulate_command import simulate
from closeloop.startup import (CommandGroup, check_port_free, reach_database, require_known_account_keys,
                               require_metrics_token, require_secret_key, require_what_jobs_read, schema_change)


def _runtime(ctx: click.Context):
    """The process's wiring, watching the config file for changes, on a
    database brought up to date."""
    import logging

    from closeloop.runtime import Runtime
    from store.db import Database

    settings = settings_of(ctx)
    db = Database(settings.database.url)
    before, after = reach_database(db, migrate=True)
    if before != after:
        logging.getLogger("closeloop").info(schema_change(before, after))
    return Runtime(settings, db=db, config_path=config_path_of(ctx))


@click.group(cls=CommandGroup)
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="TOML config file (default: $CLOSELOOP_CONFIG, else built-in defaults).")
@click.option("-v", "--verbose", is_flag=True,
              help="Log debug detail, and show the traceback behind a start-up failure.")
@click.pass_context
def main(ctx: click.Context, config_path: str | None, verbose: bool) -> None:
    """Listen to customers on social platforms and answer every post that needs it."""
    import logging

    from telemetry.logs import configure_logging

    configure_logging("text", logging.DEBUG if verbose else logging.INFO)
    for noisy in ("alembic", "apscheduler.executors", "apscheduler.scheduler", "mail.log", "waitress.queue",
                  "werkzeug"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    ctx.obj = {"config": config_path, "verbose": verbose}


@main.command()
@click.pass_context
def migrate(ctx: click.Context) -> None:
    """Bring the database schema up to date, and say from which revision to which."""
    from store.db import Database

    click.echo(schema_change(*reach_database(Database(settings_of(ctx).database.url), migrate=True)))


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def backup(ctx: click.Context, path: Path) -> None:
    """Copy the SQLite database to PATH while closeloop runs; restore by
    copying it back with closeloop stopped."""
    from closeloop.backup import BackupRefused, back_up

    try:
        back_up(settings_of(ctx).database.url, path)
    except BackupRefused as refused:
        raise click.ClickException(str(refused)) from None
    click.echo(f"database backed up to {path}")


@main.command()
@click.option("--admin-email", default=None, help="The first admin's email (asked for when not given).")
@click.option("--admin-name", default="Admin", show_default=True)
@click.option("--admin-password", default=None, help="The first admin's password (asked for when not given).")
@click.pass_context
def init(ctx: click.Context, admin_email: str | None, admin_name: str, admin_password: str | None) -> None:
    """Create the database and the first admin, and write a secret key into
    the config file when it has none. With agents there already, only the
    missing secret key is written."""
    from sqlalchemy import select

    from closeloop.secret_key import write_secret_key
    from config import SystemClock
    from store.accounts import create_agent
    from store.db import Database
    from store.errors import Refused
    from store.models import Agent
    from store.passwords import check_password

    settings = settings_of(ctx)
    db = Database(settings.database.url)
    reach_database(db, migrate=True)
    with db.transaction() as session:
        has_agents = session.scalar(select(Agent.id).limit(1)) is not None
    if has_agents:
        if settings.web.secret_key:
            raise click.ClickException("agents exist already: the first admin was created before, and "
                                       "web.secret_key is set; there is nothing to do")
        click.echo(f"web.secret_key written into {write_secret_key(config_path_of(ctx))}")
        click.echo("agents exist already, so no admin was created")
        return
    if admin_email is None:
        admin_email = click.prompt("Admin email")
    if admin_password is None:
        admin_password = click.prompt("Admin password", hide_input=True, confirmation_prompt=True)
    try:
        check_password(admin_password, admin_email)
    except Refused as refused:
        raise click.ClickException(f"the admin password is refused: {refused.message}") from None
    if not settings.web.secret_key:
        click.echo(f"web.secret_key written into {write_secret_key(config_path_of(ctx))}")
    with db.transaction() as session:
        try:
            create_agent(session, name=admin_name, email=admin_email, password=admin_password, role="admin",
                         now=SystemClock().now())
        except Refused as refused:
            raise click.ClickException(refused.message) from None
    click.echo(f"database ready; admin {admin_email.strip().lower()} created")


@main.command()
@click.option("--host", default=None, help="Address to listen on (default: web.host).")
@click.option("--port", type=int, default=None, help="Port to listen on (default: web.port).")
@click.pass_context
def run(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Serve the web app and run polling and the outbox, in one process."""
    import signal

    settings = settings_of(ctx)
    web = settings.web
    require_metrics_token(settings)
    require_what_jobs_read(settings)
    check_port_free(host or web.host, port or web.port, what="web",
                    how="closeloop run --port P, or web.port (CLOSELOOP_WEB__PORT)")
    runtime = _runtime(ctx)
    runtime.start_jobs()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        runtime.serve(host, port)
    finally:
        runtime.stop()


@main.command()
@click.pass_context
def worker(ctx: click.Context) -> None:
    """Poll and send without the web app; beside web processes under
    gunicorn. Several workers may run: each polls the sources that are
    due and not being polled by another, and sends replies.
    With metrics.multiprocess_dir, its poll counts join the web's /metrics."""
    import os
    import signal
    import threading

    require_what_jobs_read(settings_of(ctx))
    metrics_dir = settings_of(ctx).metrics.multiprocess_dir
    if metrics_dir:
        os.makedirs(metrics_dir, exist_ok=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    from closeloop.heap import tune_collections

    runtime = _runtime(ctx)
    runtime.start_jobs()
    tune_collections()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    click.echo("worker started; polling due sources and sending replies")
    stop.wait()
    runtime.stop()


@main.command()
@click.option("--host", default=None, help="Address to listen on (default: web.host).")
@click.option("--port", type=int, default=None, help="Port to listen on (default: web.port).")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Web processes (default: web.workers, else two per core plus one).")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the web app in several processes under gunicorn (production);
    run `closeloop worker` beside it for polling and sending."""
    import os
    import tempfile

    from closeloop.serve import WebServer, default_workers, gunicorn_options
    from store.db import Database

    settings = settings_of(ctx)
    web = settings.web
    host, port = host or web.host, port or web.port
    workers = workers or web.workers or default_workers()
    require_secret_key(settings, workers)
    require_metrics_token(settings)
    check_port_free(host, port, what="web", how="closeloop serve --port P, or web.port (CLOSELOOP_WEB__PORT)")
    db = Database(settings.database.url)
    reach_database(db, migrate=False)
    db.dispose()
    metrics_dir = settings.metrics.multiprocess_dir or tempfile.mkdtemp(prefix="closeloop-metrics-")
    os.makedirs(metrics_dir, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    WebServer(settings, gunicorn_options(settings, host=host, port=port, workers=workers)).run()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8081, show_default=True)
@click.option("--brand", default="acme", show_default=True, help="Handle of the brand account.")
def emulator(host: str, port: int, brand: str) -> None:
    """Serve the platform emulator (for the demo and tests; never the real APIs)."""
    from connectors.emulator.server import EmulatorServer

    server = EmulatorServer(host=host, port=port, brand_handle=brand, brand_name=brand.title())
    click.echo(f"emulator on http://{host}:{port} (control API under /_emulator/)")
    server.serve_forever()


@main.command()
@click.option("--port", type=int, default=8000, show_default=True, help="Port of the web app.")
@click.option("--emulator-port", type=int, default=8081, show_default=True)
@click.option("--password", default="demo", show_default=True, help="Password of every demo login.")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Where the demo database goes (default: a new temporary folder).")
@click.option("--posts-every", type=float, default=6.0, show_default=True,
              help="Average seconds between demo customer posts.")
@click.option("--spike-after", type=float, default=180.0, show_default=True,
              help="Seconds until twenty customers complain about failed payments at once (0: never).")
def demo(port: int, emulator_port: int, password: str, data_dir: str | None, posts_every: float,
         spike_after: float) -> None:
    """Run the emulator, the service and a stream of demo customer posts."""
    from closeloop.demo import run_demo

    run_demo(port=port, emulator_port=emulator_port, password=password, data_dir=data_dir,
             posts_every=posts_every, spike_after=spike_after)


@main.command()
@click.argument("source", required=False)
@click.pass_context
def poll(ctx: click.Context, source: str | None) -> None:
    """Poll one source (or every enabled one) now, and report what came in.
    A source a worker is polling at that moment is left to it. Refused
    while the schema is not up to date (`closeloop migrate` first)."""
    from sqlalchemy import select

    from closeloop.runtime import Runtime
    from listener.polling import sync_sources
    from store.db import Database
    from store.models import Source

    settings = settings_of(ctx)
    db = Database(settings.database.url)
    reach_database(db, migrate=False)
    if not db.schema_is_current():
        raise click.ClickException("the database schema is not up to date: run `closeloop migrate` first")
    runtime = Runtime(settings, db=db)
    with runtime.db.transaction() as session:
        sync_sources(session, runtime.live.settings, runtime.clock.now())
        query = select(Source).where(Source.enabled.is_(True))
        if source:
            query = query.where(Source.name == source)
        targets = [(s.id, s.name) for s in session.scalars(query)]
    if source and not targets:
        raise click.ClickException(f"no enabled source named {source!r}")
    failed = False
    for source_id, name in targets:
        outcome = runtime.poller.poll(source_id, force=True)
        if outcome.report is not None:
            r = outcome.report
            put_aside = f", {r.quarantined} quarantined" if r.quarantined else ""
            click.echo(f"{name}: {r.stored} new, {r.duplicates} seen before, {r.tickets_raised} ticket(s) "
                       f"raised{put_aside}")
        elif outcome.status in ("polled elsewhere", "taken over"):
            click.echo(f"{name}: a worker is polling it right now; left to it")
        else:
            failed = True
            click.echo(f"{name}: {outcome.status}: {outcome.error}", err=True)
    sys.exit(1 if failed else 0)


@main.command("check-accounts")
@click.pass_context
def check_accounts(ctx: click.Context) -> None:
    """Ask each platform who each enabled source's credentials are and
    whether its target is reachable, and say what works and what to fix,
    before going live. Polls and stores nothing."""
    from closeloop.account_check import check_accounts as check

    settings = settings_of(ctx)
    if not settings.sources:
        raise click.ClickException("no sources are configured: add [[sources]] and their [accounts] first")
    require_known_account_keys(settings)
    checks = check(settings)
    for result in checks:
        mark = "ok" if result.ok else "FAILED"
        click.echo(f"{result.source} (account {result.account}): {mark}: {result.detail}", err=not result.ok)
    sys.exit(0 if all(result.ok for result in checks) else 1)


@main.command("settings-reference")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the page here (default: standard output).")
def settings_reference(output: Path | None) -> None:
    """Write the configuration reference (every setting with its type,
    default and description) as Markdown."""
    from closeloop.settings_reference import reference

    page = reference()
    if output is None:
        click.echo(page, nl=False)
    else:
        output.write_text(page, encoding="utf-8")
        click.echo(f"configuration reference written to {output}")


for command in (score, retrain, simulate):
    main.add_command(command)
