"""How a web process learns of the settings an admin changed in another
process: before a request, at most once every `web.settings_check_seconds`,
it reads what is stored and, when that differs from what is in force,
swaps in new settings. The process that saves a change swaps at once."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from config.clock import Clock
from config.live import Live
from store.db import Database
from store.overrides import stored_overrides

log = logging.getLogger(__name__)


class SettingsCheck:
    def __init__(self, live: Live, db: Database, clock: Clock):
        self.live = live
        self.db = db
        self.clock = clock
        self.every = timedelta(seconds=live.settings.web.settings_check_seconds)
        self.next_at: datetime | None = None

    def __call__(self) -> None:
        now = self.clock.now()
        if self.next_at is not None and now < self.next_at:
            return
        self.next_at = now + self.every
        try:
            with self.db.transaction() as session:
                stored = stored_overrides(session)
        except SQLAlchemyError as error:
            log.warning("cannot read the settings changed in the web; going on with those in force: %s", error)
            return
        if stored != self.live.overrides:
            self.live.change(overrides=stored)
