"""Wire one closeloop process: database, connectors, listener, outbox,
scheduler and web app."""

from __future__ import annotations

import logging
from datetime import timezone

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from closeloop import heap
from closeloop.in_force import Running
from config.clock import Clock, SystemClock
from config.errors import ConfigError
from config.live import Live
from config.settings import Settings
from config.watch import SettingsWatcher
from connectors.registry import ConnectorPool, check_sources
from listener.polling import Poller
from listener.reading_process import ReadingProcess
from listener.sentiment_model import trained_model_path
from listener.lease import LeaderLease
from listener.schedule import PollingJobs
from responder.alerts import AlertOutbox, slack_target_for
from responder.digests import DailyDigests
from responder.auto_hide import AutoHide
from responder.moderation import ModerationOutbox
from responder.outbox import Outbox
from store.db import Database
from store.kept_reports import keep_recent_figures
from store.overrides import stored_overrides

log = logging.getLogger(__name__)
# How often the worker counts ahead what the reports keep (store.kept_reports).
KEPT_FIGURES_EVERY_SECONDS = 300


class Runtime:
    def __init__(self, settings: Settings, clock: Clock | None = None, db: Database | None = None,
                 config_path: str | None = None):
        heap.limit_arenas()
        self.watcher = SettingsWatcher(config_path)
        self.clock = clock or SystemClock()
        self.db = db or Database(settings.database.url)
        self.reader = ReadingProcess(settings.scoring, trained_model_path(settings))
        # What everything here runs with; the web app shares it, and a change
        # (config file, admin edits) swaps it whole.
        self.live = Live(Running.start(settings, self.db, self.clock, self.reader))
        self.connectors = ConnectorPool(settings.accounts, timeout=settings.listener.request_timeout_seconds)
        self.poller = Poller(self.db, self.live, self.clock, self.connectors.for_account)
        self.outbox = Outbox(self.db, settings.outbox, self.clock, self.connectors.for_account)
        self.moderation = ModerationOutbox(self.db, settings, self.clock, self.connectors.for_account)
        self.alerts = AlertOutbox(self.db, settings.alerts, self.clock,
                                  lambda name: slack_target_for(self.live.settings, name))
        self.digests = DailyDigests(self.db, lambda: self.live.settings, self.clock)
        self.scheduler = BackgroundScheduler(timezone=timezone.utc)
        self.lease = LeaderLease(self.db)
        self.polling = PollingJobs(self.scheduler, self.poller, self.live, self.lease, singletons=[
            ("route-waiting", self.poller.route_waiting, settings.listener.tick_seconds),
            ("sla-watch", lambda: self.live.now.sla_watch.check(), settings.sla.check_seconds),
            ("followups", lambda: self.live.now.followups.run(), settings.followups.check_seconds),
            ("thanks", lambda: self.live.now.thanks.run(), settings.followups.check_seconds),
            ("spike-watch", lambda: self.live.now.spike_watch.check(), settings.spikes.check_seconds),
            ("webhooks", lambda: self.live.now.webhooks.send_due(), settings.alerts.interval_seconds),
            ("digests", self.digests.run, settings.alerts.digest_check_seconds),
            ("auto-hide", AutoHide(self.db, self.live, self.clock).run, settings.moderation.check_seconds),
            ("kept-figures", lambda: keep_recent_figures(self.db, self.clock.now()), KEPT_FIGURES_EVERY_SECONDS),
        ])

    def start_jobs(self) -> None:
        """Poll the due sources and send the outbox, in the background; run
        the once-only jobs while this process holds the leader lease."""
        self.reload_config()
        self.reader.start()
        self.polling.install()
        settings = self.live.settings
        self.scheduler.add_job(self.reload_config, IntervalTrigger(seconds=settings.listener.tick_seconds),
                               id="reload-config", name="reload the config file when it changes",
                               replace_existing=True, max_instances=1, coalesce=True)
        self.scheduler.add_job(self.outbox.send_due, IntervalTrigger(seconds=settings.outbox.interval_seconds),
                               id="outbox", name="send queued replies", replace_existing=True,
                               max_instances=1, coalesce=True)
        self.scheduler.add_job(self.moderation.send_due, IntervalTrigger(seconds=settings.outbox.interval_seconds),
                               id="moderation", name="send queued moderation actions", replace_existing=True,
                               max_instances=1, coalesce=True)
        self.scheduler.add_job(self.alerts.send_due, IntervalTrigger(seconds=settings.alerts.interval_seconds),
                               id="alerts", name="deliver staff alerts", replace_existing=True,
                               max_instances=1, coalesce=True)
        self.scheduler.add_job(heap.give_back_freed_memory, IntervalTrigger(seconds=heap.TRIM_SECONDS),
                               id="give-back-memory", name="give freed memory back to the system",
                               replace_existing=True, max_instances=1, coalesce=True)
        self.scheduler.start()

    def reload_config(self) -> None:
        """Apply a changed config file's accounts and sources, and the SLA
        targets and routing rules admins changed in the web. Other settings
        (database, web, scoring) take a restart."""
        try:
            from_file = self.watcher.changed()
            if from_file is not None:
                check_sources(from_file)
        except ConfigError as error:
            log.error("the config file changed but is not valid; still running on the previous one:\n%s", error)
            from_file = None
        with self.db.transaction() as session:
            stored = stored_overrides(session)
        if from_file is None and stored == self.live.overrides:
            return
        base = self.live.base
        if from_file is not None:
            base = base.model_copy(update={"accounts": from_file.accounts, "sources": from_file.sources})
            log.info("config reloaded: %d account(s), %d source(s)", len(from_file.accounts), len(from_file.sources))
        settings = self.live.change(base=base, overrides=stored).settings
        self.connectors.update(settings.accounts)
        self.polling.sync()

    def scheduler_status(self) -> dict:
        jobs = self.scheduler.get_jobs() if self.scheduler.running else []
        return {
            "running": self.scheduler.running,
            "polling": self.scheduler.running,
            "once_only_jobs": self.polling.active,
            "jobs": [{"id": j.id, "next_run_at": j.next_run_time.isoformat() if j.next_run_time else None}
                     for j in jobs],
        }

    def web_app(self):
        from web import create_app

        return create_app(live=self.live, db=self.db, clock=self.clock, scheduler_status=self.scheduler_status)

    def serve(self, host: str | None = None, port: int | None = None) -> None:
        """Serve the web app in this thread until interrupted."""
        from waitress import serve

        web = self.live.settings.web
        app = self.web_app()
        heap.tune_collections()
        serve(app, host=host or web.host, port=port or web.port, threads=8, ident="closeloop")

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self.polling.stop()
        self.reader.close()
        self.lease.release()
        self.db.dispose()
