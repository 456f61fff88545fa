"""Alerts in the web: each agent sees their own, with an unread count; the
alerts of one kind within a minute read and count as one."""

import re

from store.alerts import Recipient, queue_alerts
from store.models import Ticket


def alert(world, agent_id, email, subject="Ticket 1 is at risk", body="Due in 12 min. <b>act</b>"):
    with world.db.transaction() as session:
        ticket = session.get(Ticket, world.ticket())
        queue_alerts(session, key=f"k-{subject}", kind="at_risk", ticket=ticket,
                     recipients=[Recipient("web", email, agent_id), Recipient("email", email, agent_id)],
                     subject=subject, body=body, link=None, now=world.clock.now())
        return ticket.id


def test_an_agent_sees_their_alerts_and_how_many_are_unread(world, client, ada):
    ticket_id = alert(world, ada, "ada@example.com")
    html = client.get("/alerts").get_data(as_text=True)
    assert "Ticket 1 is at risk" in html
    assert "Due in 12 min. &lt;b&gt;act&lt;/b&gt;" in html
    assert re.search(r'<time class="muted" datetime="[^"]+">\d{4}-\d\d-\d\d \d\d:\d\d\xa0UTC</time>', html)
    assert f'href="/tickets/{ticket_id}"' in html
    assert '<span class="badge" aria-label="1 unread">1</span>' in client.get("/inbox").get_data(as_text=True)


def test_marking_alerts_read_clears_the_count(world, client, ada):
    alert(world, ada, "ada@example.com")
    client.post("/alerts/read")
    assert 'class="badge"' not in client.get("/inbox").get_data(as_text=True)


def test_an_agent_does_not_see_someone_elses_alerts(world, client, ada):
    bo = world.agent("Bo Chen", "bo@example.com")
    alert(world, bo, "bo@example.com", subject="Ticket 9 breached")
    assert "Ticket 9 breached" not in client.get("/alerts").get_data(as_text=True)


def test_alerts_of_one_kind_within_a_minute_read_and_count_as_one(world, client, ada):
    first = alert(world, ada, "ada@example.com", subject="Ticket 1 is at risk")
    world.clock.advance(seconds=30)
    second = alert(world, ada, "ada@example.com", subject="Ticket 2 is at risk")
    world.clock.advance(minutes=1)
    alert(world, ada, "ada@example.com", subject="Ticket 3 is at risk")
    html = client.get("/alerts").get_data(as_text=True)
    assert f"2 tickets at risk: #{first}, #{second}" in html
    assert f'<a href="/tickets/{second}">Ticket 2 is at risk</a>' in html
    assert '<span class="badge" aria-label="2 unread">2</span>' in client.get("/inbox").get_data(as_text=True)
