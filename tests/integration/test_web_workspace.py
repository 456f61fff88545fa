"""The workspace: the list beside the open ticket, agents landing on their
own tickets, and pages that refresh only what changed, compressed."""

import gzip
import re

from store.models import Mention, Reply


def rows(html: str) -> list[str]:
    return re.findall(r'<td class="post"><a href="/tickets/\d+">(.*?)</a>', html)


def test_agents_land_on_their_own_tickets_and_managers_on_all_open(world, client, ada):
    world.ticket("mine", assignee_id=ada)
    world.ticket("unassigned one")
    world.agent("Grace Hopper", "grace@example.com", role="manager")
    grace = world.client()
    world.sign_in(grace, "grace@example.com")

    assert rows(client.get("/inbox").get_data(as_text=True)) == ["mine"]
    assert sorted(rows(grace.get("/inbox").get_data(as_text=True))) == ["mine", "unassigned one"]


def test_an_open_ticket_sits_beside_the_list_filtered_as_the_inbox_last_was(world, client):
    world.ticket("first", priority="high")
    other = world.ticket("second")
    client.get("/inbox?view=all&priority=normal")

    html = client.get(f"/tickets/{other}").get_data(as_text=True)

    assert rows(html) == ["second"]
    assert f'data-ticket="{other}" data-href="/tickets/{other}" class="open"' in html
    assert f'data-live="/tickets/{other}/pane"' in html
    assert "<h1>Ticket" in html


def test_the_pane_is_the_ticket_alone_and_304_until_something_changes(world, client):
    ticket_id = world.ticket("Where is my parcel?")

    first = client.get(f"/tickets/{ticket_id}/pane")
    html = first.get_data(as_text=True)
    assert "Where is my parcel?" in html and "<html" not in html and 'id="inbox-rows"' not in html
    etag = first.headers["ETag"]
    assert client.get(f"/tickets/{ticket_id}/pane", headers={"If-None-Match": etag}).status_code == 304

    client.post(f"/tickets/{ticket_id}/replies", data={"body": "Looking into it"})
    queued = client.get(f"/tickets/{ticket_id}/pane", headers={"If-None-Match": etag})
    assert queued.status_code == 200 and "Looking into it" in queued.get_data(as_text=True)

    with world.db.transaction() as session:
        reply = session.query(Reply).one()
        reply.status, reply.url = "sent", "https://x.example/brand/9"
    sent = client.get(f"/tickets/{ticket_id}/pane", headers={"If-None-Match": queued.headers["ETag"]})
    assert sent.status_code == 200 and 'class="delivery sent"' in sent.get_data(as_text=True)


def test_an_action_sent_from_the_pane_answers_with_the_pane_and_its_message(world, client):
    ticket_id = world.ticket("Where is my parcel?")
    pane = {"X-Pane": "1"}

    sent = client.post(f"/tickets/{ticket_id}/replies", data={"body": "Looking into it"}, headers=pane,
                       follow_redirects=True)
    html = sent.get_data(as_text=True)
    assert sent.status_code == 200 and sent.headers["ETag"]
    assert "<html" not in html and 'id="inbox-rows"' not in html
    assert "Reply queued" in html and "Looking into it" in html

    refused = client.post(f"/tickets/{ticket_id}/replies", data={"body": ""}, headers=pane, follow_redirects=True)
    assert 'class="notice error"' in refused.get_data(as_text=True) and "<html" not in refused.get_data(as_text=True)
    assert "<html" in client.get(f"/tickets/{ticket_id}").get_data(as_text=True)


def test_a_new_post_changes_the_pane_and_the_list(world, client, ada):
    ticket_id = world.ticket("Where is my parcel?", assignee_id=ada, handle="maria")
    pane = client.get(f"/tickets/{ticket_id}/pane").headers["ETag"]
    listed = client.get("/inbox/rows").headers["ETag"]
    assert client.get("/inbox/rows", headers={"If-None-Match": listed}).status_code == 304

    world.ticket("Still nothing, day 12", customer_id=world.customer_of(ticket_id))
    with world.db.transaction() as session:
        post = session.query(Mention).filter_by(text="Still nothing, day 12").one()
        post.ticket_id = ticket_id

    assert "Still nothing, day 12" in client.get(
        f"/tickets/{ticket_id}/pane", headers={"If-None-Match": pane}).get_data(as_text=True)
    assert client.get("/inbox/rows", headers={"If-None-Match": listed}).status_code == 200


def test_the_list_changes_its_version_as_the_minute_turns_since_due_times_read_in_minutes(world, client):
    world.ticket("due soon", due_in=10)
    listed = client.get("/inbox/rows?view=all").headers["ETag"]
    world.clock.advance(minutes=1)
    assert client.get("/inbox/rows?view=all", headers={"If-None-Match": listed}).status_code == 200


def test_text_responses_are_gzipped_for_clients_that_accept_it(world, client):
    for n in range(5):
        world.ticket(f"My order number {n} never arrived")

    plain = client.get("/inbox?view=all")
    packed = client.get("/inbox?view=all", headers={"Accept-Encoding": "gzip, deflate"})

    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
    assert rows(gzip.decompress(packed.get_data()).decode()) == rows(plain.get_data(as_text=True))
    assert len(packed.get_data()) < len(plain.get_data()) / 3
