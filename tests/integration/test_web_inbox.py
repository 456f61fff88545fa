"""The inbox page: open tickets, soonest due first, with their time left
(on SQLite and PostgreSQL, as the listing sorts in the database)."""

import re

HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"


def rows(html: str) -> list[str]:
    return re.findall(r'<td class="post"><a href="/tickets/\d+">(.*?)</a></td>', html)


def test_it_lists_open_tickets_soonest_due_first_and_nothing_due_last(world, client):
    world.ticket("due later", due_in=90)
    world.ticket("waiting on the customer", status="pending", due_in=5)
    world.ticket("due soon", due_in=10)
    world.ticket("already answered", status="resolved")

    html = client.get("/inbox?view=all").get_data(as_text=True)

    assert rows(html) == ["due soon", "due later", "waiting on the customer"]
    assert '<span id="ticket-count">3</span> tickets' in html


def test_it_shows_a_breached_ticket_as_overdue_in_red(world, client):
    world.ticket("late one", due_in=-12)
    world.ticket("on time", due_in=23, opened_minutes_ago=1)

    html = client.get("/inbox?view=all").get_data(as_text=True)

    assert '<span class="due overdue" title="due 2026-01-05 08:48\xa0UTC">12 min overdue</span>' in html
    assert '<span class="due ok" title="due 2026-01-05 09:23\xa0UTC">in 23 min</span>' in html


def test_it_marks_a_ticket_amber_when_under_a_quarter_of_its_target_is_left(world, client):
    world.ticket("nearly due", due_in=10, opened_minutes_ago=50)

    html = client.get("/inbox?view=all").get_data(as_text=True)

    assert '<span class="due soon"' in html and "in 10 min" in html


def test_it_shows_platform_customer_handle_priority_status_and_assignee(world, client, ada):
    world.ticket("Where is my parcel?\nOrdered two weeks ago.", handle="maria", priority="high", assignee_id=ada)

    html = client.get("/inbox?view=all").get_data(as_text=True)

    assert rows(html) == ["Where is my parcel?"]
    assert "Maria Jones" in html and "@maria" in html
    assert '<span class="priority high">high</span>' in html
    assert "<td>Ada Lovelace</td>" in html


def test_it_escapes_customer_text(world, client):
    world.ticket(HOSTILE)

    html = client.get("/inbox?view=all").get_data(as_text=True)

    assert "<script>alert(1)" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in html


def test_it_shows_only_my_tickets_in_my_view(world, client, ada):
    grace = world.agent("Grace Hopper", "grace@example.com")
    world.ticket("mine", assignee_id=ada)
    world.ticket("hers", assignee_id=grace)
    world.ticket("nobody's")

    html = client.get("/inbox?view=mine").get_data(as_text=True)

    assert rows(html) == ["mine"]
    assert '<a href="/inbox?view=mine" aria-current="page">My tickets</a>' in html


def test_it_filters_by_priority_platform_and_unassigned(world, client, ada):
    world.ticket("urgent unassigned", priority="urgent")
    world.ticket("urgent but taken", priority="urgent", assignee_id=ada)
    world.ticket("urgent on reddit", priority="urgent", platform="reddit")
    world.ticket("normal unassigned")

    html = client.get("/inbox?view=all&priority=urgent&platform=x&assignee=none").get_data(as_text=True)

    assert rows(html) == ["urgent unassigned"]
    assert re.search(r'id="ticket-count">1</span> ticket\b(?!s)', html)


def test_it_explains_a_filter_value_it_does_not_know(world, client):
    world.ticket("still listed")

    response = client.get("/inbox?view=all&status=bogus")

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "status: &#39;bogus&#39; is not allowed; use one or more of new, open, pending, resolved, closed" in html
    assert rows(html) == ["still listed"]
