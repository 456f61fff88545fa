"""GET /metrics: Prometheus' text format, for the bearer of metrics.token
only (the endpoint does not exist without one). The database's figures are
read at each scrape, except the response-time achievement, which reads a
day's tickets and is worked out at most once a minute per process. Request
latency is counted by every web process (and polls by every worker) and
added up across processes when they share PROMETHEUS_MULTIPROC_DIR."""

from __future__ import annotations

import hmac
import os
import threading
import time
from datetime import datetime, timedelta

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from config.secrets import resolve_secret
from store.operations import operations_figures
from store.sla_figures import TARGETS, sla_figures
from web.context import services

bp = Blueprint("metrics", __name__)

# The window of the achievement gauge, and how long one reading of it stands.
ACHIEVEMENT_WINDOW = timedelta(hours=24)
ACHIEVEMENT_REFRESH = timedelta(minutes=1)


class AchievementReading:
    """The share of response-time targets met per platform and target in
    the last ACHIEVEMENT_WINDOW, read again only when the last reading is
    ACHIEVEMENT_REFRESH old: scrapes in between get the same figures."""

    def __init__(self):
        self._lock = threading.Lock()
        self._read_at: datetime | None = None
        self._values: list[tuple[str, str, float]] = []

    def values(self, db, now: datetime) -> list[tuple[str, str, float]]:
        with self._lock:
            if self._read_at is None or not (timedelta(0) <= now - self._read_at < ACHIEVEMENT_REFRESH):
                with db.transaction() as session:
                    figures = sla_figures(session, now - ACHIEVEMENT_WINDOW, now, now, "platform")
                self._values = [(group["key"], target, group[target]["achievement"])
                                for group in figures["groups"] for target in TARGETS
                                if group[target].get("achievement") is not None]
                self._read_at = now
            return list(self._values)


def init_metrics(app: Flask, token_reference: str) -> None:
    """Time every request; serve /metrics when a token is configured."""
    from telemetry.metrics import REQUEST_SECONDS

    @app.before_request
    def _start_timer() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.pop("request_started", None)
        if started is not None:
            REQUEST_SECONDS.labels(request.endpoint or "unmatched", request.method).observe(
                time.perf_counter() - started)
        return response

    if token_reference:
        app.config["METRICS_TOKEN"] = resolve_secret(token_reference, key="metrics.token")
        app.extensions["sla_achievement"] = AchievementReading()
        app.register_blueprint(bp)


@bp.get("/metrics")
def metrics():
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), current_app.config["METRICS_TOKEN"].encode()):
        said = "was not the one in metrics.token" if given else "is missing"
        return Response(f"the bearer token {said}: send 'Authorization: Bearer <metrics.token>' "
                        "(Prometheus: authorization.credentials_file)\n", status=401,
                        content_type="text/plain; charset=utf-8", headers={"WWW-Authenticate": "Bearer"})
    body = generate_latest(_process_registry()) + generate_latest(_store_registry())
    return Response(body, content_type=CONTENT_TYPE_LATEST)


def _process_registry():
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def _store_registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(StoreCollector())
    return registry


class StoreCollector:
    """The figures the records hold, counted when Prometheus asks."""

    def collect(self):
        svc = services()
        now = svc.clock.now()
        from store.reports import at_risk_counts

        settings = svc.settings
        with svc.db.transaction() as session:
            figures = operations_figures(session, now)
            risky = at_risk_counts(session, now, settings.sla.at_risk_share)
        posts = CounterMetricFamily("closeloop_posts_ingested", "Posts taken in, by platform.", labels=["platform"])
        for platform, count in sorted(figures.posts.items()):
            posts.add_metric([platform], count)
        tickets = CounterMetricFamily("closeloop_tickets_raised", "Tickets raised, by platform.", labels=["platform"])
        for platform, count in sorted(figures.tickets.items()):
            tickets.add_metric([platform], count)
        replies = GaugeMetricFamily("closeloop_replies", "Replies by platform and state (queued, sending, sent, "
                                    "failed).", labels=["platform", "status"])
        for (platform, status), count in sorted(figures.replies.items()):
            replies.add_metric([platform, status], count)
        sent = CounterMetricFamily("closeloop_replies_sent", "Replies posted, by platform.", labels=["platform"])
        failed = CounterMetricFamily("closeloop_replies_failed", "Replies given up on, by platform.",
                                     labels=["platform"])
        for (platform, status), count in sorted(figures.replies.items()):
            if status == "sent":
                sent.add_metric([platform], count)
            elif status == "failed":
                failed.add_metric([platform], count)
        yield from (posts, tickets, replies, sent, failed)
        yield GaugeMetricFamily("closeloop_tickets_open", "Tickets new, open or pending.", value=figures.open_tickets)
        yield GaugeMetricFamily("closeloop_outbox_depth", "Replies waiting to be sent or being sent.",
                                value=figures.outbox_depth)
        yield GaugeMetricFamily("closeloop_outbox_oldest_seconds", "Age of the oldest reply waiting to be sent.",
                                value=figures.oldest_queued_seconds)
        yield CounterMetricFamily("closeloop_breaches", "Tickets that ever missed a response-time target.",
                                  value=figures.breached_tickets)
        state = GaugeMetricFamily("closeloop_tickets_at_risk", "Open tickets at risk or breaching now.",
                                  labels=["state"])
        for name in ("at_risk", "breached"):
            state.add_metric([name], risky[name])
        yield state
        sources = GaugeMetricFamily("closeloop_source_failures", "Failed polls in a row of each enabled source, "
                                    "labelled with its state.", labels=["source", "status"])
        for name, status, failures in figures.sources:
            sources.add_metric([name, status], failures)
        yield sources
        achievement = GaugeMetricFamily(
            "closeloop_sla_achievement", "Share of the response-time targets that came due in the last 24 hours "
            "and were met, by platform and target (first_response, next_response, resolution); read at most once "
            "a minute.", labels=["platform", "target"])
        for platform, target, share in current_app.extensions["sla_achievement"].values(svc.db, now):
            achievement.add_metric([platform, target], share)
        yield achievement
