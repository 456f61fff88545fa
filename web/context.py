"""What the views reach for: the settings, the database session of the
current request, and the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, g
from sqlalchemy.orm import Session

from config.clock import Clock
from config.live import Live
from config.settings import Settings
from listener.in_force import InForce
from responder.channels import ReplyChannel, reply_channel
from store.db import Database


@dataclass(frozen=True)
class Services:
    live: Live[InForce]
    db: Database
    clock: Clock
    scheduler_status: Callable[[], dict] | None = None

    @property
    def settings(self) -> Settings:
        """The settings in force (a view that needs them and the intake
        together reads `live.now` once)."""
        return self.live.settings


def services() -> Services:
    return current_app.extensions["closeloop"]


def now() -> datetime:
    return services().clock.now()


def token_lifetime() -> timedelta:
    """How long a newly issued API token works (`web.token_days`)."""
    return timedelta(days=services().settings.web.token_days)


def reply_channel_of(ticket, post=None) -> ReplyChannel:
    """How the ticket's post (by default the one an answer goes to) can be
    answered, from the running settings."""
    return reply_channel(services().settings, ticket, post)


def db_session() -> Session:
    """The session of this request, opened on first use and closed on teardown."""
    if "db_session" not in g:
        g.db_session = services().db.sessions()
    return g.db_session


def close_db_session(_error: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
