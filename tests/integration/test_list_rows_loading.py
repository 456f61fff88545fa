"""The inbox, the API's list and a ticket's page read a fixed number of
statements however many rows, posts and replies they show (each row's
customer, assignee, newest post and waiting posts come in a few queries
for the whole page), and show what they showed before; counts add the
inbox's two orders up to the cap; the ticket page's presence is
committed without waiting for the disk; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from store.models import Event, Mention, Reply, Ticket
from store.presence import others_here, touch
from store import queries
from store.queries import (TicketFilter, conversation_version, count_tickets, loaded_conversation_version,
                           ticket_with_conversation)
from tests.integration.web_helpers import make_world


@contextmanager
def counted(world):
    """The statements sent while the block runs, as a list filled in."""
    sent: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    event.listen(world.db.engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(world.db.engine, "before_cursor_execute", count)


def add_post(world, ticket_id: int, text: str, minutes_later: float, *, needs_response: bool = True) -> int:
    with world.db.transaction() as session:
        ticket = session.get(Ticket, ticket_id)
        first = ticket.mentions[0]
        at = first.created_at + timedelta(minutes=minutes_later)
        post = Mention(platform=ticket.platform, external_id=f"{ticket_id}-{minutes_later}", kind="post",
                       identity=first.identity, text=text, url="https://x.example/p", created_at=at, received_at=at,
                       sentiment="negative", polarity=-0.5, urgency=0.4, needs_response=needs_response,
                       priority="normal", reasons=[], ticket=ticket)
        session.add(post)
        session.flush()
        return post.id


def add_reply(world, ticket_id: int, agent_id: int, status: str = "sent") -> None:
    with world.db.transaction() as session:
        ticket = session.get(Ticket, ticket_id)
        session.add(Reply(ticket=ticket, mention=ticket.mentions[0], agent_id=agent_id, body="On it", status=status,
                          created_at=world.clock.now()))


def busy_tickets(world, ada: int, count: int) -> list[int]:
    """Tickets with three posts each, a reply, an assignee and a note."""
    made = []
    for n in range(count):
        ticket_id = world.ticket(f"complaint {n}", due_in=10 + n, assignee_id=ada, handle=f"cust{n}")
        add_post(world, ticket_id, f"again {n}", 1)
        add_post(world, ticket_id, f"still {n}", 2)
        add_reply(world, ticket_id, ada)
        with world.db.transaction() as session:
            session.add(Event(ticket_id=ticket_id, kind="note", actor="ada@example.com", detail={"text": "hm"},
                              at=world.clock.now()))
        made.append(ticket_id)
    return made


def statements_for(world, client, path: str, headers: dict | None = None) -> int:
    client.get(path, headers=headers or {})
    with counted(world) as sent:
        response = client.get(path, headers=headers or {})
    assert response.status_code == 200
    return len(sent)


def test_the_list_pages_read_as_many_statements_for_twelve_rows_as_for_two(world, client, ada):
    auth = {"Authorization": f"Bearer {world.token(world.client())}"}
    busy_tickets(world, ada, 2)
    few = {path: statements_for(world, client, path, auth if path.startswith("/api") else None)
           for path in ("/inbox?view=all", "/inbox/rows?view=all", "/api/v1/tickets")}
    busy_tickets(world, ada, 10)
    many = {path: statements_for(world, client, path, auth if path.startswith("/api") else None)
            for path in few}

    assert many == few


def test_a_ticket_page_reads_as_many_statements_for_eight_posts_as_for_one(world, client, ada):
    one, several = world.ticket("lonely"), world.ticket("chatty")
    for minutes in range(1, 8):
        add_post(world, several, f"and another thing {minutes}", minutes)
        add_reply(world, several, ada)

    assert statements_for(world, client, f"/tickets/{several}") == statements_for(world, client, f"/tickets/{one}")


def test_each_row_shows_the_post_to_answer_and_how_many_posts_wait(world, client, ada):
    waiting = world.ticket("first of three")
    add_post(world, waiting, "second of three", 1)
    add_post(world, waiting, "third of three", 2)
    one_waits = world.ticket("asked once")
    add_post(world, one_waits, "just saying", 1, needs_response=False)
    alone = world.ticket("only post")

    html = client.get("/inbox?view=all").get_data(as_text=True)
    shown = re.findall(r'<tr data-ticket="(\d+)".*?<td class="post"><a href="/tickets/\d+">(.*?)</a>', html, re.S)

    assert {int(ticket_id): text for ticket_id, text in shown} == {
        waiting: "third of three", one_waits: "asked once", alone: "only post"}
    assert html.count("posts need an answer") == 1 and "3 posts need an answer" in html


def test_the_newest_of_two_posts_at_the_same_moment_is_the_later_one(world, client):
    ticket_id = world.ticket("earlier id")
    add_post(world, ticket_id, "later id", 0)

    html = client.get("/inbox?view=all").get_data(as_text=True)

    assert re.findall(r'<td class="post"><a href="/tickets/\d+">(.*?)</a>', html) == ["later id"]


def test_the_version_of_a_loaded_ticket_is_the_one_its_pane_answers(world, client, ada):
    ticket_id = busy_tickets(world, ada, 1)[0]
    add_reply(world, ticket_id, ada, status="failed")

    with world.db.sessions() as session:
        assert loaded_conversation_version(ticket_with_conversation(session, ticket_id)) == \
            conversation_version(session, ticket_id)
    page = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    version = re.search(r'data-version="([^"]+)"', page).group(1)
    assert client.get(f"/tickets/{ticket_id}/pane", headers={"If-None-Match": f'"{version}"'}).status_code == 304



def test_a_count_adds_the_tickets_nothing_is_due_on_to_those_due_up_to_the_cap(world, monkeypatch):
    for minutes in (5, 10):
        world.ticket(due_in=minutes)
    for status in ("pending", "pending", "resolved"):
        world.ticket(status=status)
    monkeypatch.setattr(queries, "COUNT_CAP", 3)

    with world.db.sessions() as session:
        assert count_tickets(session, TicketFilter()) == (3, False)
        assert count_tickets(session, TicketFilter(statuses=("resolved",))) == (1, True)
        monkeypatch.setattr(queries, "COUNT_CAP", 4)
        assert count_tickets(session, TicketFilter()) == (4, True)
        assert count_tickets(session, TicketFilter(statuses=("new",))) == (2, True)


@pytest.mark.postgres
def test_presence_alone_is_committed_without_waiting_for_the_disk(postgres_db, clock):
    """PostgreSQL only: SQLite has no asynchronous commit."""
    world = make_world(postgres_db, clock)
    ada = world.agent()
    ticket_id = world.ticket()
    with world.db.engine.connect() as connection, Session(bind=connection) as session:
        session.execute(text("SET synchronous_commit TO on"))
        session.commit()
        touch(session, ticket_id, ada, world.clock.now(), composing=False)
        assert session.scalar(text("SHOW synchronous_commit")) == "off"
        session.commit()
        assert session.scalar(text("SHOW synchronous_commit")) == "on"
        assert others_here(session, ticket_id, ada + 1, world.clock.now())[0].agent_id == ada
        session.execute(text("RESET synchronous_commit"))
        session.commit()
