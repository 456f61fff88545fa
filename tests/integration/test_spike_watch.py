"""Spike alerts from the negative posts per topic, with a movable clock, on
SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from config.settings import TeamSettings
from listener.spike_watch import SpikeWatch
from store.db import Database
from store.models import Agent, Alert, Customer, Identity, Mention, Spike

DASHBOARD = "http://127.0.0.1:8000/dashboard#trends"


@pytest.fixture
def spike_settings(settings):
    teams = {
        "care": settings.teams["care"].model_copy(update={
            "alert_emails": ("care-leads@example.com",), "slack_webhook": "https://hook/care"}),
        "billing": TeamSettings(slack_webhook="https://hook/billing"),
    }
    return settings.model_copy(update={"teams": teams})


class Feed:
    """Posts as the listener would store them, and the staff who hear about spikes."""

    def __init__(self, db, settings, clock):
        self.db, self.settings, self.clock = db, settings, clock
        self.watch = SpikeWatch(db, settings, clock)
        self._ids = itertools.count(1)
        with db.transaction() as session:
            identity = Identity(customer=Customer(display_name="Maria", created_at=clock.now()), platform="x",
                                platform_user_id="u1", handle="maria")
            session.add(identity)
            session.flush()
            self.identity_id = identity.id

    def posts(self, count: int, topic: str | None = "delivery", *, minutes_ago: float = 0,
              sentiment: str = "negative", text: str = "Where is my parcel?") -> list[int]:
        """`count` posts, one a minute, the last `minutes_ago` minutes before now."""
        now = self.clock.now()
        with self.db.transaction() as session:
            mentions = []
            for n in range(count):
                written = now - timedelta(minutes=minutes_ago + count - 1 - n)
                mentions.append(Mention(
                    platform="x", external_id=f"p{next(self._ids)}", kind="post", identity_id=self.identity_id,
                    text=text, created_at=written, received_at=now, sentiment=sentiment, polarity=-0.5,
                    urgency=0.4, needs_response=True, topic=topic))
            session.add_all(mentions)
            session.flush()
            return [m.id for m in mentions]

    def history(self, per_day: list[int], topic: str = "delivery") -> None:
        """Negative posts half an hour before now on each past day, yesterday first."""
        for back, count in enumerate(per_day, start=1):
            if count:
                self.posts(count, topic, minutes_ago=back * 24 * 60 + 30)

    def agent(self, email: str, role: str, active: bool = True) -> int:
        with self.db.transaction() as session:
            agent = Agent(name=email.split("@")[0].title(), email=email, password_hash="-", role=role,
                          capacity=10, presence="online", active=active, created_at=self.clock.now())
            session.add(agent)
            session.flush()
            return agent.id

    def alerts(self) -> list[Alert]:
        with self.db.sessions() as session:
            return list(session.scalars(select(Alert).order_by(Alert.id)))

    def spikes(self) -> list[Spike]:
        with self.db.sessions() as session:
            return list(session.scalars(select(Spike).order_by(Spike.id)))


@pytest.fixture
def feed(db, spike_settings, clock):
    feed = Feed(db, spike_settings, clock)
    feed.agent("mia@example.com", "manager")
    feed.agent("al@example.com", "admin")
    feed.agent("old@example.com", "manager", active=False)
    feed.agent("sam@example.com", "senior")
    feed.agent("ada@example.com", "agent")
    feed.history([2] * 14)
    return feed


EVERYONE = {
    ("web", "mia@example.com"), ("email", "mia@example.com"),
    ("web", "al@example.com"), ("email", "al@example.com"),
    ("email", "care-leads@example.com"), ("slack", "care"), ("slack", "billing"),
}


def test_twenty_negative_posts_in_a_few_minutes_raise_one_alert_per_recipient_and_channel(feed):
    feed.posts(17, minutes_ago=4)
    feed.posts(1, minutes_ago=2, text="word " * 60)
    newest = feed.posts(2, text="<b>Still</b> nothing")
    feed.posts(30, sentiment="positive")
    feed.posts(5, "billing_or_refund")

    report = feed.watch.check()

    assert (report.started, report.ended) == (["delivery"], [])
    alerts = feed.alerts()
    assert sorted((a.channel, a.recipient) for a in alerts) == sorted(EVERYONE)
    assert {(a.kind, a.ticket_id) for a in alerts} == {("spike", None)}
    [spike] = feed.spikes()
    assert {a.key for a in alerts} == {f"spike:{spike.id}"}
    assert (spike.topic, spike.count, spike.peak_count, spike.usual, spike.threshold) == ("delivery", 20, 20, 2, 10)
    assert spike.ended_at is None
    assert spike.example_mention_ids[:2] == newest[::-1]
    alert = alerts[0]
    assert alert.subject == "Spike in Delivery: 20 negative posts in the last 60 min (usually 2)"
    assert alert.link == DASHBOARD
    lines = alert.body.splitlines()
    assert lines[:3] == [
        "Delivery: 20 negative posts in the 60 min up to 2026-01-05 09:00 UTC.",
        "Usually 2 at this time of day; 10 or more is a spike.",
        "For example:",
    ]
    assert lines[3:5] == ["- on x: <b>Still</b> nothing"] * 2
    assert lines[5] == "- on x: " + ("word " * 40)[:199].rstrip() + "…"
    assert lines[6:] == [DASHBOARD]


def test_a_spike_in_a_private_teams_topic_reaches_its_own_channels_alone(db, spike_settings, clock):
    teams = dict(spike_settings.teams)
    teams["billing"] = teams["billing"].model_copy(update={"topics": ("billing_or_refund",), "private": True})
    feed = Feed(db, spike_settings.model_copy(update={"teams": teams}), clock)
    feed.agent("mia@example.com", "manager")
    feed.history([2] * 14)
    feed.posts(20, "billing_or_refund")

    assert feed.watch.check().started == ["billing_or_refund"]
    assert sorted((a.channel, a.recipient) for a in feed.alerts()) == [
        ("email", "mia@example.com"), ("slack", "billing"), ("web", "mia@example.com")]


def test_a_second_check_or_a_restart_does_not_alert_again_but_follows_the_spike(feed, db, spike_settings):
    feed.posts(20)
    feed.watch.check()
    sent = len(feed.alerts())
    feed.clock.advance(minutes=2)
    feed.posts(5)

    assert feed.watch.check().started == []
    assert SpikeWatch(db, spike_settings, feed.clock).check().started == []

    assert len(feed.alerts()) == sent
    [spike] = feed.spikes()
    assert (spike.count, spike.peak_count, spike.last_seen_at) == (25, 25, feed.clock.now())


def test_a_spike_lasts_until_the_count_falls_below_halfway_to_its_threshold(feed):
    feed.posts(20)
    feed.watch.check()
    feed.clock.advance(minutes=30)
    feed.posts(7)
    feed.clock.advance(minutes=31)

    report = feed.watch.check()

    assert report.ended == []
    [spike] = feed.spikes()
    assert (spike.ended_at, spike.count, spike.peak_count) == (None, 7, 20)
    feed.clock.advance(minutes=30)
    assert feed.watch.check().ended == ["delivery"]
    assert feed.spikes()[0].ended_at == feed.clock.now()


def test_after_a_spike_ends_a_new_one_on_the_same_topic_alerts_again(feed):
    feed.posts(20)
    feed.watch.check()
    first = len(feed.alerts())
    feed.clock.advance(hours=2)

    assert feed.watch.check().ended == ["delivery"]
    feed.posts(15)
    assert feed.watch.check().started == ["delivery"]

    old, new = feed.spikes()
    assert old.ended_at is not None and new.ended_at is None
    alerts = feed.alerts()
    assert len(alerts) == 2 * first
    assert {(a.channel, a.recipient) for a in alerts if a.key == f"spike:{new.id}"} == EVERYONE
    assert alerts[-1].subject == "Spike in Delivery: 15 negative posts in the last 60 min (usually 0)"


def test_a_usual_level_does_not_alert(db, spike_settings, clock):
    feed = Feed(db, spike_settings, clock)
    feed.agent("mia@example.com", "manager")
    feed.history([11, 13, 12, 14, 12, 10, 12, 13, 11, 12, 14, 12, 11, 13])
    feed.posts(15)
    feed.posts(9, "website_or_app")

    assert feed.watch.check().started == []
    assert feed.spikes() == []
    assert feed.alerts() == []


def test_nothing_is_watched_when_spikes_are_switched_off(db, spike_settings, clock):
    switched_off = spike_settings.model_copy(update={
        "spikes": spike_settings.spikes.model_copy(update={"enabled": False})})
    feed = Feed(db, switched_off, clock)
    feed.posts(40)

    assert feed.watch.check().started == []
    assert feed.spikes() == []


def test_two_checks_at_once_record_and_announce_one_spike(feed, db, spike_settings, monkeypatch):
    feed.posts(20)
    both_read = threading.Barrier(2, timeout=2)
    read_open_spikes = SpikeWatch._open_spikes

    def slow_read(self, session):
        found = read_open_spikes(self, session)
        try:
            both_read.wait()
        except threading.BrokenBarrierError:
            pass
        return found

    monkeypatch.setattr(SpikeWatch, "_open_spikes", slow_read)
    started, errors = [], []

    def worker():
        worker_db = Database(db.url)
        try:
            started.extend(SpikeWatch(worker_db, spike_settings, feed.clock).check().started)
        except Exception as error:
            errors.append(error)
        finally:
            worker_db.dispose()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert started == ["delivery"]
    assert len(feed.spikes()) == 1
    assert sorted((a.channel, a.recipient) for a in feed.alerts()) == sorted(EVERYONE)
