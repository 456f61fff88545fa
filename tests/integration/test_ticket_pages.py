"""Lists of tickets page by cursor in the inbox's order, count up to a
cap, and keep their order stored as due times change; on SQLite and
PostgreSQL."""

import re
from datetime import timedelta

import pytest

from store import queries
from store.models import Ticket
from store.queries import COUNT_CAP, Cursor, TicketFilter, count_tickets, list_tickets


@pytest.fixture
def client(world, ada):
    return world.client()


@pytest.fixture
def auth(world, client):
    return {"Authorization": f"Bearer {world.token(client)}"}


def mixed_tickets(world) -> list[int]:
    """Tickets due at various times, two due at the same moment, and open
    tickets with nothing due: in the inbox's order."""
    due = [world.ticket(f"due in {minutes}", due_in=minutes) for minutes in (50, -20, 10, 10, 30)]
    nothing_due = [world.ticket("pending", status="pending"), world.ticket("no target", due_in=None)]
    return [due[1], due[2], due[3], due[4], due[0], *nothing_due]


def test_cursor_pages_list_every_open_ticket_once_in_the_inbox_order(world, client, auth):
    expected = mixed_tickets(world)
    world.ticket("done", status="resolved")

    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = client.get("/api/v1/tickets", query_string=query, headers=auth).get_json()
        seen += [t["id"] for t in body["tickets"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break

    assert seen == expected
    assert pages == 4
    assert body["total"] == len(expected) and body["total_exact"] is True


def test_a_small_offset_still_reads_the_same_order(world, client, auth):
    expected = mixed_tickets(world)

    body = client.get("/api/v1/tickets?offset=3&limit=3", headers=auth).get_json()

    assert [t["id"] for t in body["tickets"]] == expected[3:6]
    assert body["next_cursor"] is not None


@pytest.mark.parametrize("query, message", [
    ("offset=1001", "offset: at most 1000; page on with the 'cursor' each page gives as 'next_cursor'"),
    ("cursor=not-a-cursor", "cursor: not a cursor a page of tickets gave; use the 'next_cursor' of a page"),
    (f"cursor={Cursor(None, 3).encode()}&offset=2", "cursor: give 'cursor' or 'offset', not both"),
])
def test_it_refuses_a_deep_offset_or_a_cursor_it_did_not_give(client, auth, query, message):
    response = client.get(f"/api/v1/tickets?{query}", headers=auth)

    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == message


def test_a_cursor_says_where_it_ended_and_reads_back_the_same(world):
    moment = world.clock.now() + timedelta(minutes=7)

    assert Cursor.decode(Cursor(moment, 42).encode()) == Cursor(moment, 42)
    assert Cursor.decode(Cursor(None, 7).encode()) == Cursor(None, 7)
    with pytest.raises(ValueError):
        Cursor.decode(Cursor(moment, 42).encode()[:-3] + "***")


def test_counts_stop_at_the_cap(world, monkeypatch):
    for _ in range(4):
        world.ticket()
    monkeypatch.setattr(queries, "COUNT_CAP", 3)

    with world.db.sessions() as session:
        assert count_tickets(session, TicketFilter()) == (3, False)
        monkeypatch.setattr(queries, "COUNT_CAP", 4)
        assert count_tickets(session, TicketFilter()) == (4, True)
    assert COUNT_CAP == 1000


def test_the_stored_order_follows_answers_pauses_and_resolution(world):
    ticket_id = world.ticket(due_in=15)
    now = world.clock.now()

    def stored():
        with world.db.sessions() as session:
            return session.get(Ticket, ticket_id).next_due_at

    assert stored() == now + timedelta(minutes=15)
    with world.db.transaction() as session:
        ticket = session.get(Ticket, ticket_id)
        ticket.status, ticket.first_response_at = "open", now
        ticket.next_response_due_at = now + timedelta(minutes=40)
    assert stored() == now + timedelta(minutes=40)
    with world.db.transaction() as session:
        session.get(Ticket, ticket_id).status = "pending"
    assert stored() is None
    with world.db.sessions() as session:
        page = list_tickets(session, TicketFilter(), limit=5)
    assert [t.id for t in page.tickets] == [ticket_id] and page.next_cursor is None


def test_the_inbox_pages_on_with_a_link_to_the_next_page(world, ada, monkeypatch):
    expected = mixed_tickets(world)
    monkeypatch.setattr("web.workspace.PAGE_SIZE", 4)
    client = world.client()
    world.sign_in(client, "ada@example.com")

    first = client.get("/inbox?view=all").get_data(as_text=True)
    next_link = first.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    second = client.get(next_link).get_data(as_text=True)

    assert [int(n) for n in _ids(first)] == expected[:4]
    assert [int(n) for n in _ids(second)] == expected[4:]
    assert "after the first page" in second and 'rel="next"' not in second


def _ids(html: str) -> list[str]:
    return re.findall(r'<tr[^>]*data-ticket="(\d+)"', html)
