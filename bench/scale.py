"""The pages at scale, on PostgreSQL: N tickets (a realistic mix of new,
open, pending and resolved over 90 days, some overdue, with their posts,
replies and events, a few teams and agents) are written straight into a
database of their own with COPY, then each page is timed, p50 and p95, in
the app (Flask's test client) and over HTTP (waitress on a local port):
the inbox, its rows, the API list (first page, a filtered page and a page
deep in), both searched for text, a ticket's page, the mentions stream
(filtered by whether a post needs a response, and searched), the dashboard
and every report for 30 days.
The query plans (EXPLAIN ANALYZE) of the slowest statements of the inbox
and of the at-risk list are printed, and every response's size.

    .venv/bin/python bench/scale.py --tickets 1000000
    .venv/bin/python bench/scale.py --tickets 10000 --database closeloop_scale_small

The database (default `closeloop_scale` on 127.0.0.1) is created when
missing and reused when it already holds N tickets; otherwise it is
emptied and filled again. `--admin-url` names the server.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg  # noqa: E402
import requests  # noqa: E402
from sqlalchemy import create_engine, event, make_url, select, text  # noqa: E402
from waitress.server import create_server  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from closeloop.heap import tune_collections  # noqa: E402
from config import FrozenClock, load_settings  # noqa: E402
from store.accounts import issue_token  # noqa: E402
from store.db import Database  # noqa: E402
from store.models import Agent, Base  # noqa: E402
from web import create_app  # noqa: E402

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
PASSWORD = "bench-password"
MANAGER = "manager@example.com"
TEAMS = ("care", "billing", "vip")
PLATFORMS = ("x", "facebook", "reddit", "reviews")
PRIORITIES = {"urgent": 15, "high": 30, "normal": 60, "low": 240}
TOPICS = ("delivery", "billing_or_refund", "website_or_app", "lost_or_damaged", None)
TEXTS = ("My order still hasn't arrived", "Charged twice for one box", "The app logs me out every hour",
         "Box arrived crushed, glass broken", "Refund promised two weeks ago, nothing", "Any news? Still waiting.")
AGENTS = 40
# Text searched for in the lists: a word in a sixth of the posts, text in
# one ticket's posts, part of about a hundred handles, and a word in none.
SEARCHES = {"common word": "refund", "rare text": "order 123457", "handle": "customer_4242", "no match": "zebra"}
DAYS = 90
# Time each page at least this often, and until this many seconds passed or
# SAMPLES were taken.
MIN_SAMPLES, SAMPLES, SECONDS_PER_PAGE = 3, 20, 15


# --- generating -----------------------------------------------------------

@dataclass
class Rows:
    """The rows of each table, as COPY takes them."""

    tables: dict[str, list[tuple]] = field(default_factory=dict)

    def add(self, table: str, row: tuple) -> None:
        self.tables.setdefault(table, []).append(row)


COLUMNS = {
    "customers": ("id", "display_name", "tier", "created_at"),
    "identities": ("id", "customer_id", "platform", "platform_user_id", "handle", "name", "followers", "verified"),
    "tickets": ("id", "customer_id", "platform", "status", "priority", "topic", "sla_policy", "first_response_due_at",
                "first_response_at", "next_response_due_at", "sla_started_at", "paused_at", "resolution_due_at",
                "resolved_at", "snoozed_until", "assignee_id", "assignment_reason", "team", "escalation_level",
                "first_response_breached", "next_response_breached", "resolution_breached", "created_at",
                "updated_at", "next_due_at"),
    "mentions": ("id", "platform", "external_id", "kind", "identity_id", "text", "url", "created_at", "received_at",
                 "raw", "sentiment", "polarity", "urgency", "needs_response", "priority", "topic", "reasons",
                 "ticket_id"),
    "replies": ("id", "ticket_id", "mention_id", "agent_id", "purpose", "channel", "body", "status", "attempts",
                "outcome_unknown", "platform_reply_id", "created_at", "sent_at"),
    "events": ("id", "ticket_id", "mention_id", "kind", "actor", "detail", "at"),
}


class Ids:
    def __init__(self):
        self.last: dict[str, int] = {}

    def next(self, table: str) -> int:
        self.last[table] = self.last.get(table, 0) + 1
        return self.last[table]


def ticket_rows(n: int, rng: random.Random, ids: Ids, rows: Rows, agents: list[tuple[int, str, str]]) -> None:
    """One ticket with its customer, posts, replies and events. About a
    third is open (new, open, pending), skewed to the last days, most of it
    past due; the rest was resolved over the 90 days."""
    roll = rng.random()
    status = "new" if roll < 0.14 else "open" if roll < 0.26 else "pending" if roll < 0.32 else \
        "closed" if roll < 0.38 else "resolved"
    is_open = status in ("new", "open", "pending")
    age = min(rng.expovariate(1 / (2 * 86400)), DAYS * 86400) if is_open else rng.uniform(0, DAYS * 86400)
    created = NOW - timedelta(seconds=age)
    platform, priority = rng.choice(PLATFORMS), rng.choices(list(PRIORITIES), (1, 3, 10, 4))[0]
    target = timedelta(minutes=PRIORITIES[priority])
    agent = rng.choice(agents) if rng.random() < 0.7 or not is_open else None
    team = agent[2] if agent else rng.choice(TEAMS)
    customer = ids.next("customers")
    identity = ids.next("identities")
    rows.add("customers", (customer, f"Customer {customer}", "standard", created))
    rows.add("identities", (identity, customer, platform, f"u{customer}", f"customer_{customer}",
                            f"Customer {customer}", rng.randint(0, 5000), False))
    ticket = ids.next("tickets")
    first_due = created + target
    answered = status != "new" and rng.random() < 0.95
    first_at = created + timedelta(seconds=rng.uniform(60, 2.5 * target.total_seconds())) if answered else None
    if first_at and first_at > NOW:
        first_at = NOW
    next_due = started = paused = resolved = None
    started = created
    if status == "open" and first_at:
        started = first_at + (NOW - first_at) * rng.random()
        next_due = started + target * 2
    if status == "pending":
        paused = (first_at or created) + (NOW - (first_at or created)) * rng.random()
    if not is_open:
        resolved = (first_at or created) + timedelta(hours=rng.uniform(0.2, 30))
        resolved = min(resolved, NOW)
    snoozed = NOW + timedelta(hours=rng.uniform(1, 48)) if is_open and rng.random() < 0.02 else None
    # Half the tickets whose first answer came late or not at all went on
    # to another agent a few minutes after it was due, as escalation does.
    holder, handed_on = agent, None
    if agent and first_due < NOW and (first_at is None or first_at > first_due) and rng.random() < 0.5:
        holder = agents[(agents.index(agent) + rng.randrange(1, len(agents))) % len(agents)]
        handed_on = min(first_due + timedelta(minutes=5), resolved or NOW)
    updated = max(moment for moment in (created, first_at, started, paused, resolved) if moment is not None)
    rows.add("tickets", (ticket, customer, platform, status, priority, rng.choice(TOPICS), "default", first_due,
                         first_at, next_due, started, paused, created + timedelta(days=3), resolved, snoozed,
                         holder[0] if holder else None, "least loaded" if holder else None, team, 0,
                         bool(first_at and first_at > first_due), False, False, created, updated,
                         (next_due if first_at else first_due) if status in ("new", "open") else None))
    posts = [created] + ([started] if status == "open" and first_at else []) + \
        ([created + (NOW - created) * rng.random() * 0.1] if rng.random() < 0.3 else [])
    mention_ids = []
    for number, at in enumerate(sorted(posts)):
        mention = ids.next("mentions")
        mention_ids.append(mention)
        rows.add("mentions", (mention, platform, f"p{mention}", "post" if number == 0 else "reply", identity,
                              f"{rng.choice(TEXTS)} (order {ticket})", f"https://{platform}.example/{mention}", at, at,
                              "{}", "negative", -0.6, 0.4, True, priority, None, '["negative sentiment"]', ticket))
    actor = holder[1] if holder else "system"
    rows.add("events", (ids.next("events"), ticket, mention_ids[0], "raised", "system", "{}", created))
    if agent:
        rows.add("events", (ids.next("events"), ticket, None, "assigned", "system",
                            json.dumps({"agent_id": agent[0], "agent": agent[1]}), created))
    if handed_on:
        rows.add("events", (ids.next("events"), ticket, None, "assigned", "system",
                            json.dumps({"agent_id": holder[0], "agent": holder[1]}), handed_on))
    if first_at:
        rows.add("replies", (ids.next("replies"), ticket, mention_ids[0], holder[0] if holder else None, "answer",
                             "thread", "Sorry about that, we are on it.", "sent", 1, False, f"r{ticket}", first_at,
                             first_at))
        rows.add("events", (ids.next("events"), ticket, mention_ids[0], "replied", actor, "{}", first_at))
    if status == "open" and first_at:
        rows.add("events", (ids.next("events"), ticket, mention_ids[-1], "customer_wrote", "system",
                            '{"needs_response": true}', started))
    if resolved:
        rows.add("events", (ids.next("events"), ticket, None, "resolved", actor, "{}", resolved))


def agent_rows(rows: Rows, ids: Ids) -> list[tuple[int, str, str]]:
    """The agents who carry tickets, and a manager who reads every page."""
    password = generate_password_hash(PASSWORD)
    found = []
    for n in range(AGENTS + 1):
        agent = ids.next("agents")
        email = MANAGER if n == AGENTS else f"agent{n}@example.com"
        team = TEAMS[n % len(TEAMS)]
        rows.add("agents", (agent, f"Agent {n:02d}", email, password, "manager" if n == AGENTS else "agent", team,
                            "[]", "[]", 400, "online", True, NOW - timedelta(days=DAYS + 1)))
        if n < AGENTS:
            found.append((agent, email, team))
    return found


COLUMNS["agents"] = ("id", "name", "email", "password_hash", "role", "team", "platforms", "languages", "capacity",
                     "presence", "active", "created_at")
# Children after parents, as the foreign keys need.
ORDER = ("agents", "customers", "identities", "tickets", "mentions", "replies", "events")
CHUNK = 20_000


def fill(conninfo: str, tickets: int) -> float:
    """Empty the database's tables and write `tickets` tickets and the rest
    with COPY; the seconds it took."""
    started = time.monotonic()
    rng, ids = random.Random(15), Ids()
    with psycopg.connect(conninfo, autocommit=True) as connection:
        present = {name for (name,) in connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")}
        tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables if table.name in present)
        connection.execute("SET synchronous_commit TO off")
        connection.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        rows = Rows()
        agents = agent_rows(rows, ids)
        copy_rows(connection, rows)
        for start in range(0, tickets, CHUNK):
            rows = Rows()
            for _ in range(min(CHUNK, tickets - start)):
                ticket_rows(start, rng, ids, rows, agents)
            copy_rows(connection, rows)
        for table, last in ids.last.items():
            connection.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {last})")
        # The triggers marked the history just written as changed; nothing
        # was kept before it, so no kept day needs those marks.
        connection.execute("TRUNCATE figure_marks")
        # Vacuumed as well as analysed: index-only scans skip the table only
        # for pages the visibility map, which a vacuum sets, marks all-visible.
        connection.execute("VACUUM (ANALYZE)")
    return time.monotonic() - started


def copy_rows(connection: psycopg.Connection, rows: Rows) -> None:
    for table in ORDER:
        found = rows.tables.get(table)
        if not found:
            continue
        with connection.cursor() as cursor:
            with cursor.copy(f'COPY "{table}" ({", ".join(COLUMNS[table])}) FROM STDIN') as copy:
                for row in found:
                    copy.write_row(row)


def prepare(admin_url: str, name: str, tickets: int) -> tuple[str, str]:
    """The database `name` migrated and holding `tickets` tickets, created
    or filled as need be; its SQLAlchemy URL and what was done."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name})
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(admin_url).set(database=name)
    database = Database(url.render_as_string(hide_password=False))
    migrate_started = time.monotonic()
    database.migrate()
    migrated = time.monotonic() - migrate_started
    with database.engine.connect() as connection:
        held = connection.scalar(text("SELECT count(*) FROM tickets"))
        agents = connection.scalar(text("SELECT count(*) FROM agents"))
    database.dispose()
    if held == tickets and agents == AGENTS + 1:
        return database.url, f"reused {held:,} tickets (migrating took {migrated:.1f} s)"
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    seconds = fill(conninfo, tickets)
    return database.url, f"wrote {tickets:,} tickets with COPY in {seconds:.0f} s"


# --- measuring ------------------------------------------------------------

@dataclass
class Timing:
    page: str
    where: str
    first: float
    samples: list[float]
    size: int
    status: int

    def line(self) -> str:
        ordered = sorted(self.samples)
        p95 = ordered[max(0, -(-95 * len(ordered) // 100) - 1)]
        return (f"{self.page:<34} {self.where:<5} first {self.first * 1000:9.1f} ms  "
                f"p50 {statistics.median(ordered) * 1000:9.1f} ms  "
                f"p95 {p95 * 1000:9.1f} ms  {self.size:>11,} B  HTTP {self.status}  n={len(ordered)}")


def timed(fetch: Callable[[], tuple[int, int]], most: int) -> tuple[float, list[float], int, int]:
    """The first request's time (it counts what later ones read kept, such
    as a report's past days), then up to `most` timings of `fetch` (at
    least MIN_SAMPLES of them, or `most` when fewer, then as many as
    SECONDS_PER_PAGE allows)."""
    begun = time.perf_counter()
    fetch()
    first = time.perf_counter() - begun
    samples, started, status, size = [], time.monotonic(), 0, 0
    least = min(MIN_SAMPLES, most)
    while len(samples) < most and (len(samples) < least or time.monotonic() - started < SECONDS_PER_PAGE):
        begun = time.perf_counter()
        status, size = fetch()
        samples.append(time.perf_counter() - begun)
    return first, samples, size, status


def pages(session_factory) -> dict[str, str]:
    """The pages to time, by name; a deep cursor when the API gives one."""
    with session_factory() as session:
        ticket_id = session.scalar(text("SELECT id FROM tickets WHERE status = 'open' ORDER BY id LIMIT 1 "
                                        "OFFSET (SELECT count(*) / 2 FROM tickets WHERE status = 'open')"))
        assignee = session.scalar(text("SELECT assignee_id FROM tickets WHERE assignee_id IS NOT NULL "
                                       "ORDER BY id LIMIT 1"))
    window = {"from": (NOW - timedelta(days=30)).isoformat(), "to": NOW.isoformat()}
    return {
        "inbox (all open)": "/inbox?view=all",
        "inbox rows (refresh)": "/inbox/rows?view=all",
        "ticket page": f"/tickets/{ticket_id}",
        "api tickets first page": "/api/v1/tickets",
        "api tickets one agent's": f"/api/v1/tickets?assignee={assignee}",
        "api tickets x high": "/api/v1/tickets?platform=x&priority=high",
        "api tickets resolved": "/api/v1/tickets?status=resolved",
        "api tickets offset 1000": "/api/v1/tickets?offset=1000",
        **{f"api tickets search {what}": f"/api/v1/tickets?{urlencode({'q': q})}" for what, q in SEARCHES.items()},
        **{f"inbox search {what}": f"/inbox?view=all&{urlencode({'q': q})}" for what, q in SEARCHES.items()},
        "mentions stream": "/mentions",
        "mentions stream needing a response": "/mentions?needs_response=yes",
        "api mentions needing none": "/api/v1/mentions?needs_response=no",
        "api mentions needing a response, searched":
            f"/api/v1/mentions?{urlencode({'needs_response': 'yes', 'q': 'refund'})}",
        "dashboard 30 days": "/dashboard?period=30d",
        "report now": "/api/v1/reports/now",
        **{f"report {name} 30 days": f"/api/v1/reports/{name}?{urlencode(window)}"
           for name in ("sla", "sla.csv", "volume.csv", "trends", "outcomes", "corrections")},
        "report sla by agent 30 days": f"/api/v1/reports/sla?{urlencode({**window, 'group_by': 'agent'})}",
    }


def deep_cursor(client, headers: dict[str, str], depth: int) -> tuple[str, int] | None:
    """A cursor about `depth` tickets into the API's list, and how deep it
    is, when the API pages by cursor (pages of 200, or of a quarter of a
    short list)."""
    first = client.get("/api/v1/tickets?limit=1", headers=headers).get_json()
    if "next_cursor" not in first:
        return None
    size = 200 if first["total"] >= 1000 else max(1, first["total"] // 4)
    cursor, position = None, 0
    while position < depth:
        answer = client.get("/api/v1/tickets?" + urlencode({"limit": size, **({"cursor": cursor} if cursor else {})}),
                            headers=headers).get_json()
        if not answer.get("next_cursor"):
            break
        cursor, position = answer["next_cursor"], position + size
    return (cursor, position) if cursor else None


def statements_of(engine, run: Callable[[], object]) -> list[tuple[float, str, object]]:
    """The SQL statements `run` sends, with their seconds and parameters."""
    found, started = [], {}

    def before(conn, cursor, statement, parameters, context, executemany):
        started[id(cursor)] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        found.append((time.perf_counter() - started.pop(id(cursor), time.perf_counter()), statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    return found


def print_plans(db: Database, title: str, run: Callable[[], object], slowest: int = 2) -> None:
    statements = statements_of(db.engine, run)
    print(f"\n== {title}: {len(statements)} statements, {sum(s for s, _, _ in statements) * 1000:.1f} ms in SQL")
    for seconds, statement, parameters in sorted(statements, key=lambda s: -s[0])[:slowest]:
        print(f"-- {seconds * 1000:.1f} ms: {' '.join(statement.split())[:300]}")
        with db.engine.connect() as connection:
            plan = connection.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).scalars()
            print("\n".join("   " + line for line in plan))


class Server:
    """The app on a local port, served by waitress in a thread."""

    def __init__(self, app):
        self.server = create_server(app, host="127.0.0.1", port=0, threads=4)
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.close()


def measure(url: str, *, over_http: bool = True, plans: bool = True, samples: int = SAMPLES,
            only: tuple[str, ...] = (), leave_out: tuple[str, ...] = ()) -> list[Timing]:
    clock = FrozenClock(NOW)
    db = Database(url)
    settings = load_settings(env={}, overrides={"database": {"url": url}})
    app = create_app(settings, db=db, clock=clock)
    app.config.update(WTF_CSRF_ENABLED=False)
    # As `closeloop serve` and `closeloop run` do once the app is built.
    tune_collections()
    with db.transaction() as session:
        manager = session.scalar(select(Agent).where(Agent.email == MANAGER))
        token = issue_token(session, manager, NOW, timedelta(days=1))
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    client.post("/login", data={"email": MANAGER, "password": PASSWORD})
    targets = pages(db.sessions)
    deep = deep_cursor(client, headers, 5000)
    if deep:
        targets[f"api tickets cursor {deep[1]} in"] = "/api/v1/tickets?" + urlencode({"cursor": deep[0]})
    targets = {name: path for name, path in targets.items()
               if (not only or any(part in name for part in only)) and not any(part in name for part in leave_out)}
    results = []

    def in_app(path: str) -> Callable[[], tuple[int, int]]:
        def fetch():
            try:
                answer = client.get(path, headers=headers if path.startswith("/api/") else {})
            except Exception as error:  # noqa: BLE001 - a page that fails is reported as a 500
                print(f"{path}: {error.__class__.__name__}: {str(error).splitlines()[0][:200]}", flush=True)
                return 500, 0
            return answer.status_code, len(answer.get_data())
        return fetch

    for name, path in targets.items():
        results.append(Timing(name, "app", *timed(in_app(path), samples)))
        print(results[-1].line(), flush=True)
    if over_http:
        server = Server(app)
        try:
            browser = requests.Session()
            browser.post(server.url + "/login", data={"email": MANAGER, "password": PASSWORD})

            def over_wire(path: str) -> Callable[[], tuple[int, int]]:
                def fetch():
                    answer = browser.get(server.url + path, headers=headers if path.startswith("/api/") else {})
                    return answer.status_code, len(answer.content)
                return fetch

            for name, path in targets.items():
                results.append(Timing(name, "http", *timed(over_wire(path), samples)))
                print(results[-1].line(), flush=True)
        finally:
            server.close()
    if plans:
        print_plans(db, "inbox (all open)", lambda: client.get("/inbox?view=all"))
        print_plans(db, "at-risk and breached (report now)", lambda: client.get("/api/v1/reports/now", headers=headers))
    db.dispose()
    return results


def main(argv: list[str] | None = None) -> list[Timing]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000, help="how many tickets (10000, 100000, 1000000)")
    parser.add_argument("--database", default="closeloop_scale", help="the database to fill or reuse")
    parser.add_argument("--admin-url", default=ADMIN_URL, help="a PostgreSQL URL to create the database with")
    parser.add_argument("--no-http", action="store_true", help="time in the app only")
    parser.add_argument("--no-plans", action="store_true", help="leave out the query plans")
    parser.add_argument("--samples", type=int, default=SAMPLES, help="the most timings per page")
    parser.add_argument("--only", default="", help="time only the pages whose names hold one of these words "
                                                   "(comma-separated)")
    parser.add_argument("--leave-out", default="", help="leave out the pages whose names hold one of these words")
    args = parser.parse_args(argv)
    if args.tickets < 1 or args.samples < 1:
        parser.error("--tickets and --samples must be 1 or more")
    url, done = prepare(args.admin_url, args.database, args.tickets)
    print(f"{args.database}: {done}", flush=True)
    return measure(url, over_http=not args.no_http, plans=not args.no_plans, samples=args.samples,
                   only=_words(args.only), leave_out=_words(args.leave_out))


def _words(text: str) -> tuple[str, ...]:
    return tuple(word.strip() for word in text.split(",") if word.strip())


if __name__ == "__main__":
    main()
