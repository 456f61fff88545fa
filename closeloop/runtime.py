"""Wire one closeloop process: database, connectors, listener, outbox,
scheduler and web app."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timezone

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from config.clock import Clock, SystemClock
from config.settings import ConfigError, Settings
from config.watch import SettingsWatcher
from connectors.registry import ConnectorPool
from listener.intake import Intake
from listener.polling import Poller
from listener.lease import PollingLease
from listener.schedule import PollingJobs
from listener.sla_watch import SlaWatch
from listener.spike_watch import SpikeWatch
from responder.alerts import AlertOutbox, slack_webhook_for
from responder.followups import FollowUps
from responder.outbox import Outbox
from responder.thanks import ThankYous
from responder.webhooks_out import WebhookSender
from store.db import Database
from store.overrides import stored_overrides

log = logging.getLogger(__name__)


class Runtime:
    def __init__(self, settings: Settings, clock: Clock | None = None, db: Database | None = None,
                 config_path: str | None = None):
        # The file's settings (with environment overrides); `settings` adds
        # what admins changed in the web.
        self.file_settings = settings
        self.settings = settings
        self.overrides: dict = {}
        self.watcher = SettingsWatcher(config_path)
        self.clock = clock or SystemClock()
        self.db = db or Database(settings.database.url)
        self.connectors = ConnectorPool(settings.accounts, timeout=settings.listener.request_timeout_seconds)
        self.intake = Intake(settings)
        self.poller = Poller(self.db, settings, self.clock, self.intake, self.connectors.for_account)
        self.outbox = Outbox(self.db, settings.outbox, self.clock, self.connectors.for_account)
        self.alerts = AlertOutbox(self.db, settings.alerts, self.clock,
                                  lambda team: slack_webhook_for(self.settings.teams, team))
        self.scheduler = BackgroundScheduler(timezone=timezone.utc)
        self._app = None
        self.lease = PollingLease(self.db)
        self.sla_watch = SlaWatch(self.db, settings, self.clock)
        self.followups = FollowUps(self.db, settings, self.clock)
        self.thanks = ThankYous(self.db, settings, self.clock)
        self.spike_watch = SpikeWatch(self.db, settings, self.clock)
        self.webhooks = WebhookSender(self.db, settings, self.clock)
        self.polling = PollingJobs(self.scheduler, self.poller, settings, self.lease, singletons=[
            ("route-waiting", lambda: self.poller.route_waiting(self.settings.routing), settings.listener.tick_seconds),
            ("sla-watch", self.sla_watch.check, settings.sla.check_seconds),
            ("followups", self.followups.run, settings.followups.check_seconds),
            ("thanks", self.thanks.run, settings.followups.check_seconds),
            ("spike-watch", self.spike_watch.check, settings.spikes.check_seconds),
            ("webhooks", self.webhooks.send_due, settings.alerts.interval_seconds),
        ])

    def start_jobs(self) -> None:
        """Send the outbox, and poll every enabled source while this process
        holds the polling lease, in the background."""
        self.reload_config()
        self.polling.install()
        self.scheduler.add_job(self.reload_config, IntervalTrigger(seconds=self.settings.listener.tick_seconds),
                               id="reload-config", name="reload the config file when it changes",
                               replace_existing=True, max_instances=1, coalesce=True)
        self.scheduler.add_job(self.outbox.send_due, IntervalTrigger(seconds=self.settings.outbox.interval_seconds),
                               id="outbox", name="send queued replies", replace_existing=True,
                               max_instances=1, coalesce=True)
        self.scheduler.add_job(self.alerts.send_due, IntervalTrigger(seconds=self.settings.alerts.interval_seconds),
                               id="alerts", name="deliver staff alerts", replace_existing=True,
                               max_instances=1, coalesce=True)
        self.scheduler.start()

    def reload_config(self) -> None:
        """Apply a changed config file's accounts and sources, and the SLA
        targets and routing rules admins changed in the web. Other settings
        (database, web, scoring) take a restart."""
        try:
            from_file = self.watcher.changed()
        except ConfigError as error:
            log.error("the config file changed but is not valid; still running on the previous one:\n%s", error)
            from_file = None
        with self.db.transaction() as session:
            stored = stored_overrides(session)
        if from_file is None and stored == self.overrides:
            return
        if from_file is not None:
            self.file_settings = self.file_settings.model_copy(
                update={"accounts": from_file.accounts, "sources": from_file.sources})
            log.info("config reloaded: %d account(s), %d source(s)", len(from_file.accounts), len(from_file.sources))
        try:
            settings = self.file_settings.with_overrides(stored)
        except ConfigError as error:
            log.error("the settings changed in the web do not fit the config file; using the file's:\n%s", error)
            settings = self.file_settings
        self.overrides = stored
        self._use(settings)

    def _use(self, settings: Settings) -> None:
        self.settings = settings
        self.connectors.update(settings.accounts)
        self.intake.use(settings)
        self.poller.settings = settings
        self.sla_watch.use(settings)
        for job in (self.followups, self.thanks, self.spike_watch, self.webhooks):
            job.settings = settings
        self.polling.use(settings)
        if self._app is not None:
            services = self._app.extensions["closeloop"]
            self._app.extensions["closeloop"] = replace(services, settings=settings, base_settings=self.file_settings,
                                                        overrides=self.overrides)

    def scheduler_status(self) -> dict:
        jobs = self.scheduler.get_jobs() if self.scheduler.running else []
        return {
            "running": self.scheduler.running,
            "polling": self.polling.active,
            "jobs": [{"id": j.id, "next_run_at": j.next_run_time.isoformat() if j.next_run_time else None}
                     for j in jobs],
        }

    def web_app(self):
        from web import create_app

        self._app = create_app(self.settings, db=self.db, clock=self.clock, scheduler_status=self.scheduler_status)
        return self._app

    def serve(self, host: str | None = None, port: int | None = None) -> None:
        """Serve the web app in this thread until interrupted."""
        from waitress import serve

        serve(self.web_app(), host=host or self.settings.web.host, port=port or self.settings.web.port,
              threads=8, ident="closeloop")

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self.lease.release()
        self.db.dispose()
