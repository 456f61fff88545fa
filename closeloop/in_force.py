"""What a closeloop process runs with: the settings in force, the intake and
the scheduled jobs made from them. A change of settings makes all of them
anew and swaps them in whole (see config/live.py)."""

from __future__ import annotations

from dataclasses import dataclass

from config.clock import Clock
from config.settings import Settings
from listener.in_force import InForce
from listener.intake import Intake
from listener.reading_process import ReadingProcess
from listener.sla_watch import SlaWatch
from listener.spike_watch import SpikeWatch
from responder.followups import FollowUps
from responder.thanks import ThankYous
from responder.webhooks_out import WebhookSender
from store.db import Database


@dataclass(frozen=True)
class Running(InForce):
    db: Database
    clock: Clock
    sla_watch: SlaWatch
    followups: FollowUps
    thanks: ThankYous
    spike_watch: SpikeWatch
    webhooks: WebhookSender

    @classmethod
    def start(cls, settings: Settings, db: Database, clock: Clock, reader: ReadingProcess | None = None) -> Running:
        return cls._made(settings, Intake(settings, reader=reader), db, clock)

    def changed(self, settings: Settings) -> Running:
        """Everything made anew; the scorer and the reading process are kept
        (scoring settings take a restart) and the thank-you job goes on from
        the post it had reached."""
        running = self._made(settings, Intake(settings, scorer=self.intake.scorer, reader=self.intake.reader),
                             self.db, self.clock)
        running.thanks.after_id = self.thanks.after_id
        return running

    @classmethod
    def _made(cls, settings: Settings, intake: Intake, db: Database, clock: Clock) -> Running:
        return cls(settings=settings, intake=intake, db=db, clock=clock,
                   sla_watch=SlaWatch(db, settings, clock, intake.sla),
                   followups=FollowUps(db, settings, clock),
                   thanks=ThankYous(db, settings, clock),
                   spike_watch=SpikeWatch(db, settings, clock),
                   webhooks=WebhookSender(db, settings, clock))
