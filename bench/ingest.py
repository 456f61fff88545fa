"""Throughput of the listener's pipeline: parse -> score -> store -> ticket ->
route, on SQLite and on PostgreSQL, beside the scorer alone on the same
texts in the same run.

    .venv/bin/python bench/ingest.py [--mentions 20000] [--customers 5000] [--batch 100] [--pages-per-poll 1]
                                     [--sources 1] [--skip-postgres] [--default-gc] [--texts both|generated|customers]
                                     [--data-dir ../shared/data]

Posts are generated X API payloads; a customer who writes again while their
ticket is open has the post threaded into it. Five agents are online. Their
texts are of two kinds, each run on its own databases: generated (a mix of
complaints, questions and praise from 84 texts in all, whose every word the
scorer has met after the first page) and customers' own (the tweets to
brands' support accounts in the shared data, taken in turn: words the
scorer meets for the first time, as in real traffic). The scorer keeps
what it worked out for each word it met, for the life of the process, so
it reads the texts once, untimed, before each measurement: the scorer
alone and the pipeline then meet them as warm as each other. The scorer
alone scores each page's texts together (`Scorer.score_many`), as intake
reads them (`Scorer.read_many`): a text that comes twice in a page is read
once by both, which the generated texts often do. The scorer
alone is measured just before each database's run, and each pipeline's
rate is given as a share of it: the machine's speed moves between runs,
the share much less. Rates are
also given per second of this process's CPU time and its reading
process's, which a busy machine moves least (on PostgreSQL it leaves out
the server's own work).
A poll takes in every page it fetched in one transaction, as the poller
does (`listener.polling`): one page of 100 by default, the case where a
source brings little and the per-transaction work weighs most;
`--pages-per-poll 5` is a source with a backlog, whose polls bring five
pages at once. `--sources N` polls N sources at once, as a worker's poll
threads do (`listener.poll_threads`): N threads take the polls in turn,
each in a transaction on a connection of its own, and the batches of one
platform take turns to be placed (`store.intake_turns`). As in a worker,
a batch's texts are read in a process of its own while another batch is
taken in, and most of a batch alone's beside the worker
(`listener.batch_reading`).
Statements and flushes are counted per poll. Peak memory
is the process's maximum resident set size (it includes the Python
interpreter and libraries). Garbage collection is tuned as a worker tunes
it once started (`closeloop.heap.tune_collections`); `--default-gc` keeps
Python's defaults.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.processes import children_of  # noqa: E402
from closeloop.heap import tune_collections  # noqa: E402
from config import FrozenClock, load_settings  # noqa: E402
from connectors.x.parse import batch_from_pages  # noqa: E402
from listener.intake import Intake  # noqa: E402
from listener.reading_process import ReadingProcess  # noqa: E402
from listener.scoring import Scorer  # noqa: E402
from listener.sentiment_model import trained_model_path  # noqa: E402
from store.accounts import create_agent  # noqa: E402
from store.db import Database  # noqa: E402
from store.models import Mention, Ticket  # noqa: E402

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"
CUSTOMER_TWEETS = Path("customer-care-extra") / "twcs_inbound_extra.csv"
BRAND_USER_ID = "9" * 12  # no generated customer has this id
POSTGRES_ADMIN_URL = os.environ.get(
    "CLOSELOOP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")

OPENINGS = ["My order", "The delivery", "Your app", "The refund", "My account", "The new AcmeBox", "Support"]
COMPLAINTS = ["still hasn't arrived after two weeks", "was charged twice and nobody answers",
              "keeps crashing when I pay", "is broken again, terrible experience",
              "arrived damaged and the box was soaked", "has been on hold for an hour"]
QUESTIONS = ["how do I change the address?", "can I get an invoice for it?", "when will it ship?"]
PRAISE = ["arrived early, great service!", "works perfectly, thank you!", "is lovely, well done team"]


def generate_pages(count: int, page_size: int, customers: int, seed: int = 7,
                   texts: Sequence[str] = ()) -> list[dict]:
    """X API v2 mention pages with `count` tweets from `customers` authors,
    their texts generated, or `texts` taken in turn."""
    rng = random.Random(seed)
    pages = []
    for start in range(0, count, page_size):
        tweets, users = [], {}
        for n in range(start, min(count, start + page_size)):
            user_id = str(rng.randrange(customers) + 1)
            users[user_id] = {"id": user_id, "username": f"customer{user_id}", "name": f"Customer {user_id}",
                              "public_metrics": {"followers_count": rng.choice([12, 150, 900, 25_000])}}
            kind = rng.random()
            tail = (rng.choice(COMPLAINTS) if kind < 0.6 else
                    rng.choice(QUESTIONS) if kind < 0.8 else rng.choice(PRAISE))
            text = texts[n % len(texts)] if texts else f"@acme {rng.choice(OPENINGS)} {tail}"
            tweets.append({"id": str(10**15 + n), "text": text,
                           "author_id": user_id, "conversation_id": str(10**15 + n),
                           "created_at": "2026-01-05T09:00:00.000Z", "edit_history_tweet_ids": [str(10**15 + n)]})
        pages.append({"data": tweets, "includes": {"users": list(users.values())},
                      "meta": {"result_count": len(tweets)}})
    return pages


def customer_texts(data_dir: Path) -> list[str]:
    """The customers' tweets to brands in the shared data, in file order."""
    with open(data_dir / CUSTOMER_TWEETS, newline="", encoding="utf-8") as f:
        return [row["text"] for row in csv.DictReader(f) if row["text"].strip()]


def polls_of(pages: list[dict], pages_per_poll: int) -> list[list[dict]]:
    return [pages[start:start + pages_per_poll] for start in range(0, len(pages), pages_per_poll)]


def bench_scorer(settings, polls: list[list[str]]) -> tuple[float, float]:
    """Texts per second of wall time and of this process's CPU time, each
    poll's texts scored together as intake reads them, the texts read once
    before, untimed (see the module's docstring)."""
    scorer = Scorer(settings.scoring)
    for texts in polls:
        scorer.score_many(texts)
    start, cpu = time.perf_counter(), time.process_time()
    for texts in polls:
        scorer.score_many(texts)
    count = sum(len(texts) for texts in polls)
    return count / (time.perf_counter() - start), count / (time.process_time() - cpu)


class Counts:
    """Statements sent to the database and session flushes, while counting."""

    def __init__(self, db: Database):
        self.statements = self.flushes = 0
        event.listen(db.engine, "before_cursor_execute", self._statement)
        event.listen(Session, "before_flush", self._flush)

    def _statement(self, *_args) -> None:
        self.statements += 1

    def _flush(self, *_args) -> None:
        self.flushes += 1

    def stop(self) -> None:
        event.remove(Session, "before_flush", self._flush)


@dataclass(frozen=True)
class Run:
    rate: float  # mentions per second of wall time
    cpu_rate: float  # mentions per second of this process's CPU time and its reading process's
    mentions: int
    tickets: int
    statements: float  # per poll
    flushes: float  # per poll


def cpu_seconds() -> float:
    """This process's CPU time and its children's (the process that reads
    posts' texts), from /proc (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    return time.process_time() + sum(
        sum(map(int, Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[11:13])) / ticks
        for child in children_of("self"))


def add_agents(db: Database, clock: FrozenClock) -> None:
    """Five agents online with room for every ticket, the first a senior."""
    with db.transaction() as session:
        for n in range(5):
            create_agent(session, name=f"Agent {n}", email=f"agent{n}@bench.local", password="x",
                         role="senior" if n == 0 else "agent", presence="online", capacity=10**6, now=clock.now())


def bench_pipeline(settings, db: Database, polls: list[list[dict]], sources: int = 1) -> Run:
    """The polls taken in one after another, or by `sources` threads at
    once; a failed poll fails the run."""
    clock = FrozenClock()
    db.migrate()
    add_agents(db, clock)
    reader = ReadingProcess(settings.scoring, trained_model_path(settings))
    reader.start(wait=True)
    # Its scorer meets the texts as warm as the scorer alone does.
    reader.read_many([t["text"] for pages in polls for page in pages for t in page["data"]])
    intake = Intake(settings, reader=reader)
    counts = Counts(db)
    due = iter(polls)
    taking = threading.Lock()

    def poll() -> None:
        while True:
            with taking:
                pages = next(due, None)
            if pages is None:
                return
            batch = batch_from_pages(pages, None, BRAND_USER_ID)
            with db.transaction() as session:
                intake.ingest(session, batch.posts, clock.now())
            clock.advance(seconds=1)

    start, cpu = time.perf_counter(), cpu_seconds()
    with ThreadPoolExecutor(sources) as pool:
        for finished in [pool.submit(poll) for _ in range(sources)]:
            finished.result()
    elapsed, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    counts.stop()
    reader.close()
    with db.transaction() as session:
        mentions = session.scalar(select(func.count()).select_from(Mention))
        tickets = session.scalar(select(func.count()).select_from(Ticket))
    return Run(mentions / elapsed, mentions / cpu, mentions, tickets, counts.statements / len(polls),
               counts.flushes / len(polls))


def report(what: str, settings, db: Database, polls: list[list[dict]], expected: int, sources: int) -> None:
    scorer, scorer_cpu = bench_scorer(settings, [[t["text"] for page in pages for t in page["data"]]
                                                 for pages in polls])
    run = bench_pipeline(settings, db, polls, sources)
    assert run.mentions == expected, (run.mentions, expected)
    print(f"{'scorer alone':<24}{scorer:>12,.0f}{'':>11}{'':>9}{'':>13}{'':>10}{scorer_cpu:>12,.0f}")
    print(f"{what:<24}{run.rate:>12,.0f}{run.rate / scorer:>11.1%}{run.tickets:>9}{run.statements:>13.1f}"
          f"{run.flushes:>10.1f}{run.cpu_rate:>12,.0f}{run.cpu_rate / scorer_cpu:>11.1%}")


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_databases(label: str, settings, polls: list[list[dict]], expected: int, sources: int,
                  skip_postgres: bool) -> None:
    """The scorer alone and the pipeline on SQLite, then on PostgreSQL,
    each on a database of its own."""
    texts = [t["text"] for pages in polls for page in pages for t in page["data"]]
    print(f"{label}: {len(set(texts)):,} distinct texts")
    print(f"{'what':<24}{'mentions/s':>12}{'of scorer':>11}{'tickets':>9}{'statements':>13}{'flushes':>10}"
          f"{'per CPU s':>12}{'of scorer':>11}")
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite:///{folder}/bench.db")
        report("pipeline, SQLite", settings, db, polls, expected, sources)
        db.dispose()
    if skip_postgres:
        return
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"closeloop_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        db = Database(admin.url.set(database=name).render_as_string(hide_password=False))
        report("pipeline, PostgreSQL", settings, db, polls, expected, sources)
        db.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=20_000)
    parser.add_argument("--customers", type=int, default=5_000)
    parser.add_argument("--batch", type=int, default=100, help="posts per page")
    parser.add_argument("--pages-per-poll", type=int, default=1,
                        help="pages each poll takes in, in one transaction")
    parser.add_argument("--sources", type=int, default=1,
                        help="sources polled at once, each by a poll thread of its own, as a worker polls them")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--default-gc", action="store_true",
                        help="keep Python's garbage collection as it is, not tuned as a worker tunes it")
    parser.add_argument("--texts", choices=("both", "generated", "customers"), default="both",
                        help="the posts' texts: generated, customers' own from the shared data, or both in turn")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                        help="the shared labelled data, for the customers' own texts")
    args = parser.parse_args()

    settings = load_settings(env={})
    kinds: list[tuple[str, Sequence[str]]] = []
    if args.texts in ("both", "generated"):
        kinds.append(("generated posts", ()))
    if args.texts in ("both", "customers"):
        if (args.data_dir / CUSTOMER_TWEETS).exists():
            kinds.append(("customers' own posts", customer_texts(args.data_dir)))
        else:
            print(f"no customers' posts at {args.data_dir / CUSTOMER_TWEETS} (pass --data-dir): generated posts only")
            if not kinds:
                sys.exit(2)
    if not args.default_gc:
        tune_collections()
    print(f"{args.mentions} mentions from {args.customers} customers in pages of {args.batch}, "
          f"{args.pages_per_poll} a poll, {args.sources} source(s) at once, Python {sys.version.split()[0]}")
    for label, texts in kinds:
        pages = generate_pages(args.mentions, args.batch, args.customers, texts=texts)
        run_databases(label, settings, polls_of(pages, args.pages_per_poll), args.mentions, args.sources,
                      args.skip_postgres)
    print(f"peak memory: {peak_memory_mb():.0f} MB")


if __name__ == "__main__":
    main()
