"""Watch each topic's negative posts for spikes (see listener.spikes): a new
spike is recorded and announced once to the managers, the admins and every
team's shared channels, then followed until it calms down; a later spike
on the same topic is announced again.

Each check is one transaction, and checks run one at a time (an advisory
lock on PostgreSQL; on SQLite, BEGIN IMMEDIATE takes the write lock), so
that two processes checking at once, or a restart, find the spike the other
recorded and never announce it twice."""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select, text
from sqlalchemy.orm import Session

from config.clock import Clock
from config.settings import Settings
from listener.spikes import SpikeVerdict, same_time_windows, spike_verdict
from store.alerts import Recipient, queue_alerts, team_channels, web_and_email
from store.db import Database
from store.models import Agent, Mention, Spike

log = logging.getLogger(__name__)

SPIKES_LOCK = 0x73706B73  # "spks"
ANNOUNCED_TO = ("manager", "admin")
EXAMPLES = 3
EXAMPLE_CHARS = 200


@dataclass
class SpikeReport:
    started: list[str] = field(default_factory=list)
    ended: list[str] = field(default_factory=list)


@dataclass
class _Counts:
    """A topic's negative posts per window (the recent one first) and the
    ids of the recent ones, newest first."""

    per_window: list[int]
    recent_ids: list[int] = field(default_factory=list)


class SpikeWatch:
    def __init__(self, db: Database, settings: Settings, clock: Clock):
        self.db = db
        self.settings = settings
        self.clock = clock

    def check(self) -> SpikeReport:
        """Judge every topic with negative posts in the recent window, or
        with a spike still open; returns the topics whose spike started or
        ended now."""
        report = SpikeReport()
        rules = self.settings.spikes
        if not rules.enabled:
            return report
        now = self.clock.now()
        windows = same_time_windows(now, rules.window_minutes, rules.baseline_days,
                                    ZoneInfo(self.settings.web.timezone))
        with self.db.transaction() as session:
            self._one_check_at_a_time(session)
            open_spikes = self._open_spikes(session)
            counts = self._negative_counts(session, windows)
            recent = {topic for topic, seen in counts.items() if seen.per_window[0]}
            for topic in sorted(recent | set(open_spikes)):
                seen = counts.get(topic) or _Counts([0] * len(windows))
                verdict = spike_verdict(seen.per_window[0], seen.per_window[1:], sensitivity=rules.sensitivity,
                                        min_count=rules.min_count)
                spike = open_spikes.get(topic)
                if spike is None and verdict.is_spike:
                    self._start(session, topic, verdict, seen.recent_ids[:EXAMPLES], now)
                    report.started.append(topic)
                elif spike is not None and verdict.calm:
                    spike.ended_at = now
                    log.info("the spike about %s ended: %d negative posts, usually %s",
                             topic, verdict.count, _figure(verdict.usual))
                    report.ended.append(topic)
                elif spike is not None:
                    spike.last_seen_at = now
                    spike.count = verdict.count
                    spike.peak_count = max(spike.peak_count, verdict.count)
        return report

    def _one_check_at_a_time(self, session: Session) -> None:
        """Held until the transaction ends; everything read after it sees
        what the previous check committed."""
        if self.db.is_postgresql:
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SPIKES_LOCK})

    def _open_spikes(self, session: Session) -> dict[str, Spike]:
        return {spike.topic: spike for spike in session.scalars(
            select(Spike).where(Spike.ended_at.is_(None)).order_by(Spike.id))}

    def _negative_counts(self, session: Session, windows: list[tuple[datetime, datetime]]) -> dict[str, _Counts]:
        """Negative posts with a topic, counted at the time they were written."""
        in_a_window = or_(*(and_(Mention.created_at > start, Mention.created_at <= end) for start, end in windows))
        rows = session.execute(
            select(Mention.id, Mention.topic, Mention.created_at)
            .where(Mention.sentiment == "negative", Mention.topic.is_not(None), in_a_window)
            .order_by(Mention.created_at.desc(), Mention.id.desc()))
        counts: dict[str, _Counts] = defaultdict(lambda: _Counts([0] * len(windows)))
        for mention_id, topic, at in rows:
            seen = counts[topic]
            for n, (start, end) in enumerate(windows):
                if start < at <= end:
                    seen.per_window[n] += 1
                    if n == 0:
                        seen.recent_ids.append(mention_id)
        return counts

    def _start(self, session: Session, topic: str, verdict: SpikeVerdict, example_ids: list[int],
               now: datetime) -> None:
        spike = Spike(topic=topic, started_at=now, last_seen_at=now, count=verdict.count, peak_count=verdict.count,
                      usual=verdict.usual, threshold=verdict.threshold, example_mention_ids=example_ids)
        session.add(spike)
        session.flush()
        minutes = self.settings.spikes.window_minutes
        about = self.settings.scoring.topic_label(topic)
        subject = (f"Spike in {about}: {verdict.count} negative posts in the last {minutes} min "
                   f"(usually {_figure(verdict.usual)})")
        link = f"{self.settings.alerts.base_url.rstrip('/')}/dashboard#trends"
        body = "\n".join([
            f"{about}: {verdict.count} negative posts in the {minutes} min up to {now:%Y-%m-%d %H:%M} UTC.",
            f"Usually {_figure(verdict.usual)} at this time of day; {math.ceil(verdict.threshold)} or more "
            "is a spike.",
            *_examples(session, example_ids),
            link,
        ])
        recipients = self._recipients(session, topic)
        queue_alerts(session, key=f"spike:{spike.id}", kind="spike", ticket=None, recipients=recipients,
                     subject=subject, body=body, link=link, now=now)
        log.info("%s (%d recipient(s))", subject, len(recipients))

    def _recipients(self, session: Session, topic: str) -> list[Recipient]:
        """Managers and admins, and every team's channels; only the private
        team's own when it takes the topic, as the alert quotes its
        customers' posts."""
        people = session.scalars(select(Agent).where(Agent.role.in_(ANNOUNCED_TO), Agent.active.is_(True))
                                 .order_by(Agent.id))
        recipients = web_and_email(people)
        teams = self.settings.teams
        private = [name for name in self.settings.private_teams() if topic in teams[name].topics]
        for team in private or teams:
            recipients += team_channels(teams, team)
        return recipients


def _examples(session: Session, mention_ids: list[int]) -> list[str]:
    """The posts as lines of plain text, cut to EXAMPLE_CHARS; whoever shows
    them escapes them."""
    if not mention_ids:
        return []
    mentions = {m.id: m for m in session.scalars(select(Mention).where(Mention.id.in_(mention_ids)))}
    lines = ["For example:"]
    for mention_id in mention_ids:
        mention = mentions[mention_id]
        words = " ".join(mention.text.split())
        if len(words) > EXAMPLE_CHARS:
            words = words[:EXAMPLE_CHARS - 1].rstrip() + "…"
        lines.append(f"- on {mention.platform}: {words}")
    return lines


def _figure(value: float) -> str:
    """2.0 as "2", 2.5 as "2.5"."""
    return f"{value:.1f}".removesuffix(".0")
