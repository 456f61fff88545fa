"""How many alerts the demo manager gets: ten simulated minutes of the demo's
traffic (its post feed, with a burst of 20 posts at minute three, and nobody
answering) through the real poller, SLA watch and alert outbox, on a
movable clock, then the manager's alerts counted as they read them: in the
app (alerts of one kind within a minute read as one) and by email, and the
team's Slack messages apart. With --digest the manager has chosen the
daily digest instead of single emails: the day's digest is sent after the
ten minutes and counted with the rest.

    .venv/bin/python bench/alerts.py [--seconds 600] [--seed 14] [--digest]
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import tempfile
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests
from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from closeloop.demo import DemoFeeder, demo_settings, seed_team  # noqa: E402
from closeloop.runtime import Runtime  # noqa: E402
from config.clock import FrozenClock  # noqa: E402
from connectors.emulator.mail import MailCatcher  # noqa: E402
from connectors.emulator.server import EmulatorServer  # noqa: E402
from listener.polling import sync_sources  # noqa: E402
from store.alert_preferences import Preferences, save_preferences  # noqa: E402
from store.alerts import grouped  # noqa: E402
from store.db import Database  # noqa: E402
from store.models import Agent, Alert, Source  # noqa: E402

MANAGER = "manager@demo.local"
POLL_EVERY = 5
SEND_EVERY = 2
BURST_AT, BURST = 180, 20


def run(seconds: int, seed: int, digest: bool) -> None:
    emulator = EmulatorServer(port=0, brand_handle="acme", brand_name="Acme")
    emulator.start()
    mails = []
    mail = MailCatcher(on_message=mails.append)
    mail.start()
    try:
        folder = tempfile.mkdtemp()
        settings = demo_settings(database_url=f"sqlite:///{folder}/demo.db", emulator_url=emulator.url, port=8000,
                                 smtp_port=mail.port)
        db = Database(settings.database.url)
        db.migrate()
        seed_team(db, "pw")
        clock = FrozenClock(datetime.now(timezone.utc).replace(microsecond=0))
        runtime = Runtime(settings, clock=clock, db=db)
        digest_at = (clock.now() + timedelta(seconds=seconds, hours=1)).replace(minute=0, second=0)
        if digest:
            with db.transaction() as session:
                manager = session.scalar(select(Agent).where(Agent.email == MANAGER))
                save_preferences(session, Preferences(channels=("web",), digest=True, digest_hour=digest_at.hour),
                                 clock.now(), agent=manager)
        feed(runtime, db, clock, DemoFeeder(emulator.url, random.Random(seed)), random.Random(seed), seconds)
        if digest:
            clock.advance(seconds=(digest_at - clock.now()).total_seconds())
            runtime.digests.run()
            runtime.alerts.send_due()
        report(db, clock, mails, requests.get(f"{emulator.url}/_emulator/slack/messages", timeout=5).json())
    finally:
        mail.stop()
        emulator.stop()


def feed(runtime: Runtime, db: Database, clock: FrozenClock, feeder: DemoFeeder, rng: random.Random,
         seconds: int) -> None:
    """The demo's pace: a post a second for the first eight, then one about
    every six seconds; the listener polls every five, the outbox sends every
    two, and the outbox gets three more minutes to empty at the end."""
    with db.transaction() as session:
        sync_sources(session, runtime.live.settings, runtime.clock.now())
    with db.transaction() as session:
        sources = session.scalars(select(Source.id)).all()
    next_post = 0.0
    for second in range(seconds):
        if second == BURST_AT:
            feeder.burst(BURST)
        if second >= next_post:
            feeder.post_one()
            next_post = second + (1.0 if feeder.sent < 8 else rng.uniform(0.5, 1.5) * 6.0)
        if second % POLL_EVERY == 0:
            for source_id in sources:
                runtime.poller.poll(source_id, force=True)
            runtime.poller.route_waiting()
            runtime.live.now.sla_watch.check()
        if second % SEND_EVERY == 0:
            runtime.alerts.send_due()
        clock.advance(seconds=1)
    for _ in range(3):
        clock.advance(seconds=61)
        runtime.alerts.send_due()


def report(db: Database, clock: FrozenClock, mails: list, slack: dict | list) -> None:
    with db.transaction() as session:
        rows = session.scalars(select(Alert).where(Alert.recipient == MANAGER)).all()
        print("manager's alert rows:", dict(Counter((a.channel, a.kind, a.status) for a in rows)))
        in_app = len(grouped([a for a in rows if a.channel == "web"], clock.now()))
    emails = sum(1 for m in mails if MANAGER in m.recipients)
    messages = slack.get("messages", slack) if isinstance(slack, dict) else slack
    threaded = sum(1 for m in messages if m.get("thread_ts"))
    print(f"manager: in the app {in_app}, by email {emails}, total {in_app + emails}; "
          f"team Slack {len(messages)} ({threaded} in a ticket's thread)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=600)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--digest", action="store_true", help="the manager takes the daily digest instead of emails")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    run(args.seconds, args.seed, args.digest)


if __name__ == "__main__":
    main()
