"""The workspace's weight and speed, in-process on SQLite with the movable
clock:

- bytes per hour per open tab at demo volume (120 open tickets, a customer
  post every 6 s as `closeloop demo` makes them): the list refreshing every
  10 s and the open ticket every 2 s, before (unconditional, uncompressed,
  as the inbox refreshed before the workspace) and now (If-None-Match and
  gzip);
- the time from a customer post stored to an open conversation showing it,
  p50/p95 over 50 posts (real time: a tab polling every 2 s);
- inbox and ticket-open latency p50/p95 with 10,000 tickets.

    .venv/bin/python bench/web.py [--tickets 10000] [--posts 50]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config import FrozenClock, load_settings  # noqa: E402
from store.accounts import create_agent  # noqa: E402
from store.db import Database  # noqa: E402
from store.models import Customer, Identity, Mention, Ticket  # noqa: E402
from web import create_app  # noqa: E402

PASSWORD = "bench-password"
TEXTS = ["My order still hasn't arrived", "Charged twice for one box", "The app logs me out every hour",
         "Box arrived crushed, glass broken", "Refund promised two weeks ago, nothing"]


def world(folder: str, clock: FrozenClock):
    db = Database(f"sqlite:///{folder}/bench.db")
    db.migrate()
    settings = load_settings(env={}, overrides={"database": {"url": db.url}})
    app = create_app(settings, db=db, clock=clock)
    app.config.update(WTF_CSRF_ENABLED=False)
    with db.transaction() as session:
        agent = create_agent(session, name="Ada Lovelace", email="ada@example.com", password=PASSWORD,
                             role="senior", now=clock.now()).id
    return db, app, agent


def add_tickets(db: Database, clock: FrozenClock, count: int, agent: int) -> list[int]:
    now, rng = clock.now(), random.Random(7)
    with db.transaction() as session:
        tickets = []
        for n in range(count):
            customer = Customer(display_name=f"Customer {n}", created_at=now)
            identity = Identity(customer=customer, platform="x", platform_user_id=f"u{n}", handle=f"customer_{n}",
                                name=f"Customer {n}", followers=100)
            ticket = Ticket(customer=customer, platform="x", status="new", priority=rng.choice(["normal", "high"]),
                            first_response_due_at=now + timedelta(minutes=rng.randint(5, 600)),
                            resolution_due_at=now + timedelta(days=3), assignee_id=agent if n % 3 else None,
                            created_at=now, updated_at=now)
            session.add(Mention(platform="x", external_id=f"m{n}", kind="post", identity=identity,
                                text=f"{rng.choice(TEXTS)} (order {n})", url=f"https://x.example/{n}",
                                created_at=now, received_at=now, sentiment="negative", polarity=-0.6, urgency=0.4,
                                needs_response=True, priority=ticket.priority, reasons=["negative sentiment"],
                                ticket=ticket))
            tickets.append(ticket)
        session.flush()
        return [t.id for t in tickets]


def customer_writes(db: Database, clock: FrozenClock, ticket_id: int, text: str) -> None:
    with db.transaction() as session:
        ticket = session.get(Ticket, ticket_id)
        identity = ticket.customer.identities[0]
        now = clock.now()
        session.add(Mention(platform="x", external_id=f"p{time.monotonic_ns()}", kind="post", identity=identity,
                            text=text, url="https://x.example/p", created_at=now, received_at=now,
                            sentiment="negative", polarity=-0.5, urgency=0.4, needs_response=True,
                            priority=ticket.priority, reasons=["negative sentiment"], ticket=ticket))
        ticket.updated_at = now


def signed_in(app):
    client = app.test_client()
    client.post("/login", data={"email": "ada@example.com", "password": PASSWORD})
    return client


def bytes_per_hour(folder: str) -> dict[str, int]:
    """One hour of an open tab at demo volume: the list every 10 s, the open
    ticket every 2 s, a customer post every 6 s to one of the tickets."""
    clock = FrozenClock(datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc))
    db, app, agent = world(folder, clock)
    ids = add_tickets(db, clock, 120, agent)
    opened = ids[0]
    rng = random.Random(3)
    tab = signed_in(app)
    sent = {"before": 0, "list now": 0, "open ticket now": 0}
    versions = {"list": "", "pane": ""}
    for second in range(0, 3600, 2):
        clock.advance(seconds=2)
        if second % 6 == 0:
            customer_writes(db, clock, rng.choice(ids), "Any news? Still waiting.")
        if second % 10 == 0:
            sent["before"] += len(tab.get("/inbox/rows?view=all").get_data())
            now = tab.get("/inbox/rows?view=all", headers={"If-None-Match": versions["list"],
                                                           "Accept-Encoding": "gzip"})
            versions["list"] = now.headers.get("ETag", versions["list"])
            sent["list now"] += len(now.get_data()) + header_bytes(now)
        pane = tab.get(f"/tickets/{opened}/pane", headers={"If-None-Match": versions["pane"], "Accept-Encoding": "gzip"})
        versions["pane"] = pane.headers.get("ETag", versions["pane"])
        sent["open ticket now"] += len(pane.get_data()) + header_bytes(pane)
    return sent


def header_bytes(response) -> int:
    return sum(len(k) + len(v) + 4 for k, v in response.headers.items()) + 17


def post_to_screen(folder: str, posts: int) -> list[float]:
    """Seconds from a post stored to a tab polling every 2 s showing it."""
    clock = FrozenClock(datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc))
    db, app, agent = world(folder, clock)
    opened = add_tickets(db, clock, 20, agent)[0]
    tab, stored, seen, stop = signed_in(app), {}, [], threading.Event()

    def poll():
        version = ""
        while not stop.is_set():
            response = tab.get(f"/tickets/{opened}/pane", headers={"If-None-Match": version})
            if response.status_code == 200:
                version, html = response.headers["ETag"], response.get_data(as_text=True)
                for marker, at in list(stored.items()):
                    if marker in html:
                        seen.append(time.monotonic() - at)
                        del stored[marker]
            stop.wait(2.0)

    poller = threading.Thread(target=poll)
    poller.start()
    rng = random.Random(5)
    for n in range(posts):
        time.sleep(rng.uniform(0.3, 2.5))
        marker = f"still waiting, message {n} zq"
        customer_writes(db, clock, opened, marker)
        stored[marker] = time.monotonic()
    deadline = time.monotonic() + 30
    while stored and time.monotonic() < deadline:
        time.sleep(0.1)
    stop.set()
    poller.join()
    if stored:
        raise SystemExit(f"{len(stored)} posts never showed in the open conversation")
    return seen


def latencies(folder: str, count: int) -> dict[str, list[float]]:
    clock = FrozenClock(datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc))
    db, app, agent = world(folder, clock)
    ids = add_tickets(db, clock, count, agent)
    tab, rng = signed_in(app), random.Random(11)
    timings = {"inbox (all open)": [], "ticket page with the list": [], "ticket opened in place": []}
    for _ in range(40):
        for name, path in (("inbox (all open)", "/inbox?view=all"),
                           ("ticket page with the list", f"/tickets/{rng.choice(ids)}"),
                           ("ticket opened in place", f"/tickets/{rng.choice(ids)}/pane")):
            started = time.perf_counter()
            assert tab.get(path).status_code == 200, path
            timings[name].append(time.perf_counter() - started)
    return timings


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--posts", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as one, tempfile.TemporaryDirectory() as two, \
            tempfile.TemporaryDirectory() as three:
        sent = bytes_per_hour(one)
        print("bytes per hour per open tab at demo volume:")
        print(f"  before (list every 10 s, unconditional, uncompressed): {sent['before'] / 1e6:.2f} MB")
        print(f"  now: list {sent['list now'] / 1e3:.0f} KB + open ticket {sent['open ticket now'] / 1e3:.0f} KB"
              f" = {(sent['list now'] + sent['open ticket now']) / 1e3:.0f} KB")
        seen = post_to_screen(two, args.posts)
        print(f"post stored -> shown in the open conversation, {len(seen)} posts: "
              f"p50 {p(seen, 50):.2f} s, p95 {p(seen, 95):.2f} s")
        for name, values in latencies(three, args.tickets).items():
            print(f"{name} with {args.tickets} tickets: p50 {p(values, 50) * 1e3:.0f} ms, "
                  f"p95 {p(values, 95) * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
