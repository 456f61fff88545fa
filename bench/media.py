"""What photos and videos cost: the listener's pipeline with every post
carrying two (a photo and a video's still) against the same posts without,
and a file passed on through the web app's media proxy (to a signed-in
browser session) against the same file fetched from the emulator
directly, each pair in one run on SQLite.

    .venv/bin/python bench/media.py [--mentions 5000] [--rounds 3] [--fetches 200] [--kilobytes 200]
"""

from __future__ import annotations

import argparse
import copy
import logging
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.ingest import BRAND_USER_ID, add_agents, generate_pages  # noqa: E402
from config import FrozenClock, load_settings  # noqa: E402
from connectors.base import Media  # noqa: E402
from connectors.emulator import EmulatorServer  # noqa: E402
from connectors.x.parse import batch_from_pages  # noqa: E402
from listener.intake import Intake  # noqa: E402
from store.accounts import create_agent  # noqa: E402
from store.db import Database  # noqa: E402
from store.media import add_media  # noqa: E402
from store.models import Customer, Identity, Mention  # noqa: E402
from web import create_app  # noqa: E402


def with_media(pages: list[dict]) -> list[dict]:
    """The same pages, each post with a photo and a video (its still only)."""
    pages = copy.deepcopy(pages)
    for page in pages:
        media = []
        for tweet in page["data"]:
            keys = [f"3_{tweet['id']}", f"7_{tweet['id']}"]
            tweet["attachments"] = {"media_keys": keys}
            media += [{"media_key": keys[0], "type": "photo", "url": f"https://pbs.twimg.com/media/{tweet['id']}.jpg",
                       "alt_text": "a photo", "width": 1200, "height": 900},
                      {"media_key": keys[1], "type": "video",
                       "preview_image_url": f"https://pbs.twimg.com/ext_tw_video_thumb/{tweet['id']}.jpg"}]
        page["includes"]["media"] = media
    return pages


def pipeline_rate(settings, pages: list[dict]) -> float:
    """Posts per second parsed, scored, stored, ticketed and routed, a page per transaction."""
    clock = FrozenClock()
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite:///{folder}/bench.db")
        db.migrate()
        add_agents(db, clock)
        intake = Intake(settings)
        start = time.perf_counter()
        for page in pages:
            with db.transaction() as session:
                intake.ingest(session, batch_from_pages([page], None, BRAND_USER_ID).posts, clock.now())
            clock.advance(seconds=1)
        elapsed = time.perf_counter() - start
        with db.transaction() as session:
            stored = session.scalar(select(func.count()).select_from(Mention))
        db.dispose()
    assert stored == sum(len(p["data"]) for p in pages)
    return stored / elapsed


def proxy_rates(fetches: int, kilobytes: int) -> tuple[float, float]:
    """Files per second fetched from the emulator directly and through the proxy."""
    with EmulatorServer() as emulator, tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite:///{folder}/proxy.db")
        db.migrate()
        url = f"{emulator.url}/_emulator/media/bench.png?pad={kilobytes * 1000}"
        settings = load_settings(env={}, overrides={
            "database": {"url": db.url},
            "accounts": {"bench_x": {"platform": "x", "base_url": emulator.url, "bearer_token": "t"}}})
        clock = FrozenClock()
        with db.transaction() as session:
            create_agent(session, name="Bench", email="bench@bench.local", password="correct horse battery",
                         role="agent", now=clock.now())
            identity = Identity(customer=Customer(display_name="C", created_at=clock.now()), platform="x",
                                platform_user_id="1", handle="c")
            mention = Mention(platform="x", external_id="1", kind="post", identity=identity, text="photo",
                              created_at=clock.now(), received_at=clock.now(), sentiment="neutral", polarity=0,
                              urgency=0, needs_response=False)
            session.add(mention)
            session.flush()
            add_media(session, [(mention.id, [Media(url=url, kind="image")])])
            mention_id = mention.id
        app = create_app(settings, db=db, clock=clock)
        client = app.test_client()
        form = client.get("/login").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        client.post("/login", data={"email": "bench@bench.local", "password": "correct horse battery",
                                    "csrf_token": csrf})
        direct = requests.Session()

        def timed(fetch) -> float:
            start = time.perf_counter()
            for _ in range(fetches):
                assert len(fetch()) >= kilobytes * 1000
            return fetches / (time.perf_counter() - start)

        direct_rate = timed(lambda: direct.get(url, timeout=10).content)
        proxied_rate = timed(lambda: client.get(f"/media/{mention_id}/0/file").data)
        db.dispose()
    return direct_rate, proxied_rate


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=5_000)
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--fetches", type=int, default=200)
    parser.add_argument("--kilobytes", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    settings = load_settings(env={})
    pages = generate_pages(args.mentions, 100, args.customers)
    attached_pages = with_media(pages)
    # Taken in turns, the median of each: the machine's load moves between runs.
    rates = [(pipeline_rate(settings, pages), pipeline_rate(settings, attached_pages)) for _ in range(args.rounds)]
    plain, attached = (statistics.median(r[i] for r in rates) for i in (0, 1))
    print(f"{args.mentions} mentions, SQLite, median of {args.rounds} rounds, Python {sys.version.split()[0]}")
    print(f"{'pipeline':<36}{'mentions/s':>12}")
    print(f"{'  posts without media':<36}{plain:>12,.0f}")
    print(f"{'  posts with a photo and a video':<36}{attached:>12,.0f}")
    print(f"  with media / without: {attached / plain:.2f}")
    direct, proxied = proxy_rates(args.fetches, args.kilobytes)
    print(f"{args.kilobytes} kB file, {args.fetches} fetches{'files/s':>14}")
    print(f"{'  from the emulator directly':<36}{direct:>12,.0f}")
    print(f"{'  through the media proxy':<36}{proxied:>12,.0f}")
    print(f"  proxied / direct: {proxied / direct:.2f}")


if __name__ == "__main__":
    main()
