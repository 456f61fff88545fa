"""Text search in the ticket lists finds the same tickets whichever way it
reads them: rare text looked up first (in the trigram indexes on
PostgreSQL, asked only for the part around the words few of the newest rows
hold), common text probed ticket by ticket in the list's order; on SQLite
and PostgreSQL. And the migration that adds the indexes."""

import uuid

import pytest
from sqlalchemy import create_engine, make_url, text

from store import queries, text_lookup
from store.db import Database
from store.mentions import MentionFilter, count_mentions, list_mentions
from store.queries import TicketFilter, all_tickets, count_tickets, list_tickets
from tests.conftest import POSTGRES_ADMIN_URL
from web import workspace

# What each ticket's customer wrote, and the customer's handle (the name is
# the handle, titled, with " Jones").
POSTS = {
    "twice": ("Charged twice for ONE box", "sam"),
    "refund": ("Refund promised, 100% sure", "pat_rick"),
    "path": ("Look in C:\\orders\\late", "lee"),
    "named": ("all good", "zed"),
    "resolved": ("refund please", "ann"),
    "percent": ("50%_off was a lie", "bo"),
}
SEARCHES = ["refund", "REFUND", "twice for one", "pat_", "pat_r", "t_r", "%", "100%", "_", "\\", "c:\\orders",
            "o", "ed", "zed jones", "nowhere", "a%b", "50%_", "%_o", "refund please", "refund, please", "sam jones",
            "pat_rick jones", "jones zed", "rick jones", "Refund promised, 100%", "look in c:\\orders\\late"]


@pytest.fixture
def tickets(world):
    return {key: world.ticket(post, handle=handle, status="resolved" if key == "resolved" else "new")
            for key, (post, handle) in POSTS.items()}


def expected(tickets: dict[str, int], search: str) -> set[int]:
    """The tickets whose post, handle or name holds `search`, found in Python."""
    wanted = search.lower()
    return {tickets[key] for key, (post, handle) in POSTS.items()
            if any(wanted in held.lower() for held in (post, handle, f"{handle.title()} Jones"))}


@pytest.mark.parametrize("frequent", [2, 10_000], ids=["part", "whole"])
@pytest.mark.parametrize("common_text", [1, 10_000], ids=["probed", "looked-up"])
def test_every_search_finds_what_python_finds_either_way(world, tickets, monkeypatch, common_text, frequent):
    """With `frequent` 2, "jones" (every name) and "refund" (two posts) are
    left out of what the index is asked, and "zed", "please" asked alone."""
    monkeypatch.setattr(queries, "COMMON_TEXT", common_text)
    monkeypatch.setattr(text_lookup, "FREQUENT", frequent)
    with world.db.sessions() as session:
        for search in SEARCHES:
            flt = TicketFilter(statuses=(), text=search)
            page = list_tickets(session, flt, limit=50)
            assert {t.id for t in page.tickets} == expected(tickets, search), search
            assert (page.total, page.total_exact) == (len(expected(tickets, search)), True), search
            assert {t.id for t in all_tickets(session, flt)} == expected(tickets, search), search


@pytest.mark.parametrize("common_text", [1, 10_000], ids=["probed", "looked-up"])
def test_a_search_keeps_the_other_filters_and_the_count_cap(world, tickets, monkeypatch, common_text):
    monkeypatch.setattr(queries, "COMMON_TEXT", common_text)
    monkeypatch.setattr(queries, "TEXT_COUNT_CAP", 1)
    with world.db.sessions() as session:
        assert count_tickets(session, TicketFilter(text="refund")) == (1, True)
        assert count_tickets(session, TicketFilter(statuses=(), text="refund")) == (1, False)
        page = list_tickets(session, TicketFilter(text="o"), limit=1)
        assert page.tickets[0].id == tickets["twice"] and page.next_cursor is not None


@pytest.mark.parametrize("probed", [1, 10_000], ids=["too-few-probed", "counted-early"])
def test_text_in_many_of_the_newest_posts_is_counted_in_the_first_tickets(world, tickets, monkeypatch, probed):
    """Every text found in a post is first probed in the first `probed`
    tickets; with a cap of 1, two found there give the count (1, more) and
    its posts are not looked up. Either way the same tickets and count."""
    monkeypatch.setattr(queries, "COMMON_IN_SAMPLE", 1)
    monkeypatch.setattr(queries, "PROBED", probed)
    monkeypatch.setattr(queries, "TEXT_COUNT_CAP", 1)
    answered = []
    counted_in_first = queries._counted_in_first
    monkeypatch.setattr(queries, "_counted_in_first",
                        lambda *args: answered.append(counted_in_first(*args)) or answered[-1])
    with world.db.sessions() as session:
        for search in SEARCHES:
            flt = TicketFilter(statuses=(), text=search)
            page = list_tickets(session, flt, limit=50)
            found = expected(tickets, search)
            assert {t.id for t in page.tickets} == found, search
            assert (page.total, page.total_exact) == (min(len(found), 1), len(found) <= 1), search
            assert count_tickets(session, flt) == (page.total, page.total_exact), search
    assert (answered.count((1, False)) > 0) == (probed > 1)


def test_a_customer_found_by_name_brings_all_their_tickets(world, tickets, monkeypatch):
    other = world.ticket("hello again", customer_id=world.customer_of(tickets["named"]))
    for common_text in (1, 10_000):
        monkeypatch.setattr(queries, "COMMON_TEXT", common_text)
        with world.db.sessions() as session:
            found = list_tickets(session, TicketFilter(text="ZED"), limit=10).tickets
        assert {t.id for t in found} == {tickets["named"], other}


@pytest.mark.parametrize("frequent", [2, 10_000], ids=["part", "whole"])
@pytest.mark.parametrize("common_text", [1, 10_000], ids=["authors-probed", "authors-by-id"])
def test_the_mentions_stream_finds_what_python_finds_either_way(world, tickets, monkeypatch, common_text, frequent):
    monkeypatch.setattr(queries, "COMMON_TEXT", common_text)
    monkeypatch.setattr(text_lookup, "FREQUENT", frequent)
    texts = {ticket_id: POSTS[key][0] for key, ticket_id in tickets.items()}
    with world.db.sessions() as session:
        for search in SEARCHES:
            posts, _ = list_mentions(session, MentionFilter(text=search), limit=50)
            assert {post.ticket_id for post in posts} == expected(tickets, search), search
            assert all(post.text == texts[post.ticket_id] for post in posts)
            assert count_mentions(session, MentionFilter(text=search)) == len(expected(tickets, search)), search


def test_a_search_counts_to_its_own_cap_and_says_there_are_more(world, tickets, ada, monkeypatch):
    """Searching text counts up to TEXT_COUNT_CAP, lower than COUNT_CAP; the
    API says the count stopped and the inbox shows "2+"."""
    monkeypatch.setattr(queries, "TEXT_COUNT_CAP", 2)
    monkeypatch.setattr(workspace, "PAGE_SIZE", 1)
    client = world.client()
    auth = {"Authorization": f"Bearer {world.token(client)}"}
    searched = client.get("/api/v1/tickets", query_string={"q": "o", "limit": 1}, headers=auth).get_json()
    assert (searched["total"], searched["total_exact"], len(searched["tickets"])) == (2, False, 1)
    listed = client.get("/api/v1/tickets", query_string={"limit": 1}, headers=auth).get_json()
    assert (listed["total"], listed["total_exact"]) == (5, True)
    world.sign_in(client)
    assert '<span id="ticket-count">2+</span> tickets, showing the first 1' in \
        client.get("/inbox", query_string={"view": "all", "q": "o"}).get_data(as_text=True)
    assert '<span id="ticket-count">5</span> tickets, showing the first 1' in \
        client.get("/inbox", query_string={"view": "all"}).get_data(as_text=True)


def test_the_api_and_the_inbox_search_as_before(world, tickets, ada):
    client = world.client()
    auth = {"Authorization": f"Bearer {world.token(client)}"}
    body = client.get("/api/v1/tickets", query_string={"q": "pat_"}, headers=auth).get_json()
    assert [t["id"] for t in body["tickets"]] == [tickets["refund"]]
    world.sign_in(client)
    page = client.get("/inbox", query_string={"view": "all", "q": "50%_"}).get_data(as_text=True)
    assert "50%_off was a lie" in page and "Refund promised" not in page


@pytest.mark.postgres
def test_postgresql_holds_trigram_indexes_on_the_searched_text(postgres_db):
    with postgres_db.engine.connect() as connection:
        found = connection.execute(text("SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE "
                                        "'%trigrams' ORDER BY indexname")).all()
    assert [name for name, _ in found] == ["ix_identities_handle_trigrams", "ix_identities_name_trigrams",
                                           "ix_mentions_text_trigrams"]
    assert all("gin" in definition and "gin_trgm_ops" in definition for _, definition in found)


@pytest.mark.postgres
def test_a_role_that_may_not_create_the_extension_still_migrates(postgres_url, capsys):
    """Migrates a database of its own from scratch (about a second), as a role
    without the CREATE privilege that trusted extensions need."""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name, role = f"closeloop_test_{uuid.uuid4().hex[:10]}", f"closeloop_role_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
        connection.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        connection.execute(text(f'REVOKE CREATE ON DATABASE "{name}" FROM PUBLIC'))
    owner = create_engine(make_url(POSTGRES_ADMIN_URL).set(database=name), isolation_level="AUTOCOMMIT")
    with owner.connect() as connection:
        connection.execute(text(f'GRANT CREATE ON SCHEMA public TO "{role}"'))
    owner.dispose()
    database = Database(make_url(POSTGRES_ADMIN_URL).set(database=name, username=role)
                        .render_as_string(hide_password=False))
    try:
        database.migrate()
        assert database.schema_is_current()
        with database.engine.connect() as connection:
            assert connection.scalar(text("SELECT count(*) FROM pg_indexes WHERE indexname LIKE '%trigrams'")) == 0
            assert connection.scalar(text("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'")) == 0
        with database.sessions() as session:
            assert list_tickets(session, TicketFilter(text="refund"), limit=5).tickets == []
    finally:
        database.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()
    said = [line for line in capsys.readouterr().out.splitlines() if "text search stays unindexed" in line]
    assert len(said) == 1 and "permission denied" in said[0]
