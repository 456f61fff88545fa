"""What the views reach for: the settings, the database session of the
current request, and the clock."""

from __future__ import annotations

from collections.abc import Callable
import logging
from dataclasses import dataclass, field, replace
from datetime import datetime

from flask import current_app, g
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from config.clock import Clock
from config.settings import ConfigError, Settings
from listener.webhooks import FacebookWebhooks
from responder.channels import ReplyChannel, reply_channel
from store.db import Database
from store.overrides import stored_overrides

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Services:
    """`settings` are `base_settings` (the config file's) with `overrides`,
    what admins changed in the web."""

    settings: Settings
    db: Database
    clock: Clock
    webhooks: FacebookWebhooks
    scheduler_status: Callable[[], dict] | None = None
    base_settings: Settings | None = None
    overrides: dict = field(default_factory=dict)


def services() -> Services:
    return current_app.extensions["closeloop"]


def apply_settings_overrides() -> None:
    """Before each request: take up what admins changed in the web since the
    last look, so every web process agrees. A short transaction of its own:
    the request's session is not held open before the view runs. When the
    database cannot be read, the request goes on (the health check says why)."""
    current = services()
    try:
        with current.db.transaction() as session:
            stored = stored_overrides(session)
    except SQLAlchemyError as error:
        log.warning("cannot read the settings changed in the web; going on with those in force: %s", error)
        return
    if stored == current.overrides:
        return
    base = current.base_settings or current.settings
    try:
        settings = base.with_overrides(stored)
    except ConfigError as error:
        log.error("the settings changed in the web do not fit the config file; using the file's:\n%s", error)
        settings = base
    current.webhooks.intake.use(settings)
    current_app.extensions["closeloop"] = replace(current, settings=settings, base_settings=base, overrides=stored)


def now() -> datetime:
    return services().clock.now()


def reply_channel_of(ticket) -> ReplyChannel:
    """How the ticket can be answered, from the running settings."""
    return reply_channel(db_session(), services().settings, ticket)


def db_session() -> Session:
    """The session of this request, opened on first use and closed on teardown."""
    if "db_session" not in g:
        g.db_session = services().db.sessions()
    return g.db_session


def close_db_session(_error: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
