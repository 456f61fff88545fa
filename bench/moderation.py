"""How long the rule that hides spam takes over the comments of its
lookback window, and how fast the moderation outbox sends the hides it
queued through the Facebook connector to the emulator. `--comments`
comments under the page's post are stored in the window, one in
`--abusive-every` with a listed word; the rule's first pass queues their
hides, a second pass finds nothing new (it still reads the window), then
the outbox sends every hide.

    .venv/bin/python bench/moderation.py [--comments 2000] [--abusive-every 10] [--database URL]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import requests
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from config.clock import FrozenClock  # noqa: E402
from config.live import Live  # noqa: E402
from config.platforms import PLATFORMS  # noqa: E402
from config.settings import load_settings  # noqa: E402
from connectors.emulator.server import EmulatorServer  # noqa: E402
from connectors.facebook.emulator import PAGE_ID  # noqa: E402
from connectors.registry import ConnectorPool, connector_class  # noqa: E402
from responder.auto_hide import AutoHide  # noqa: E402
from responder.moderation import ModerationOutbox  # noqa: E402
from store.db import Database  # noqa: E402
from store.models import Customer, Identity, Mention, ModerationAction, Source  # noqa: E402


class _Settings:
    """What Live needs: the settings in force."""

    def __init__(self, settings):
        self.settings = settings

    def changed(self, settings):
        return _Settings(settings)


def _control(url: str, body: dict) -> str:
    response = requests.post(f"{url}/_emulator/facebook/posts", json=body, timeout=10)
    response.raise_for_status()
    return response.json()["id"]


def _store(db: Database, url: str, comments: int, abusive_every: int, now: datetime) -> None:
    post = _control(url, {"kind": "post", "author": {"id": PAGE_ID}, "text": "Our winter sale starts today"})
    with db.transaction() as session:
        source = Source(name="facebook-comments", platform="facebook", kind="comments", target=PAGE_ID,
                        credentials_ref="fb")
        for n in range(comments):
            text = f"what a bunch of idiots {n}" if n % abusive_every == 0 else f"when does the sale end? {n}"
            comment = _control(url, {"kind": "comment", "author": {"name": f"Customer {n}"}, "text": text,
                                     "in_reply_to": post})
            identity = Identity(customer=Customer(display_name=f"Customer {n}", created_at=now), platform="facebook",
                                platform_user_id=f"c{n}", name=f"Customer {n}")
            session.add(Mention(source=source, platform="facebook", external_id=comment, kind="comment",
                                conversation_ref=post, identity=identity, text=text, created_at=now,
                                received_at=now, sentiment="neutral", polarity=0.0, urgency=0.1,
                                needs_response=False, reasons=[]))


def run(comments: int, abusive_every: int, database: str | None) -> None:
    emulator = EmulatorServer(port=0, brand_handle="acme", brand_name="Acme")
    emulator.start()
    try:
        url = database or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
        settings = load_settings(env={}, overrides={
            "database": {"url": url},
            "accounts": {"fb": {"platform": "facebook", "base_url": emulator.url, "page_id": PAGE_ID,
                                "page_access_token": "bench-token"}},
            "moderation": {"auto_hide_words": ["idiot*"]},
        })
        db = Database(url)
        db.migrate()
        clock = FrozenClock(datetime.now(timezone.utc).replace(microsecond=0))
        _store(db, emulator.url, comments, abusive_every, clock.now())
        for platform in PLATFORMS:  # imported once at start by a running service (check_sources)
            connector_class(platform)
        rule = AutoHide(db, Live(_Settings(settings)), clock)
        outbox = ModerationOutbox(db, settings, clock, ConnectorPool(settings.accounts, timeout=10).for_account)

        started = time.perf_counter()
        queued = rule.run()
        first = time.perf_counter() - started
        started = time.perf_counter()
        again = rule.run()
        second = time.perf_counter() - started
        started = time.perf_counter()
        sent = 0
        while True:
            handled = outbox.send_due(limit=100)
            if not handled:
                break
            sent += handled
        sending = time.perf_counter() - started
        with db.sessions() as session:
            done = session.scalar(select(func.count()).select_from(ModerationAction)
                                  .where(ModerationAction.status == "done"))
        hidden = sum(1 for p in requests.get(f"{emulator.url}/_emulator/facebook/posts", timeout=10).json()["posts"]
                     if p.get("hidden"))
        print(f"database: {db.engine.dialect.name}; comments in the window: {comments}; with a listed word: "
              f"{queued}")
        print(f"{'step':<34}{'seconds':>9}{'per comment (ms)':>18}")
        print(f"{'rule, first pass (queues hides)':<34}{first:>9.3f}{first / comments * 1000:>18.3f}")
        print(f"{'rule, second pass (nothing new)':<34}{second:>9.3f}{second / comments * 1000:>18.3f}")
        print(f"{'outbox sends the hides':<34}{sending:>9.3f}{sending / max(sent, 1) * 1000:>18.3f}")
        print(f"queued again by the second pass: {again}; sent: {sent}; done: {done}; hidden on the emulator: "
              f"{hidden}")
        db.dispose()
    finally:
        emulator.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--comments", type=int, default=2000)
    parser.add_argument("--abusive-every", type=int, default=10)
    parser.add_argument("--database", help="a database URL (default: a new SQLite file)")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    run(args.comments, args.abusive_every, args.database)


if __name__ == "__main__":
    main()
