"""The ticket page: the conversation, replying, resolving, retrying."""

import re

import pytest

from store.events import record_event
from store.models import Ticket
from tests.integration.web_helpers import make_world

HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"


def idempotency_key_in(html: str) -> str:
    return re.search(r'name="idempotency_key" value="([0-9a-f]+)"', html).group(1)


def test_it_shows_the_customer_posts_with_scores_reasons_and_links(world, client, ada):
    ticket_id = world.ticket("Charged twice for one order", priority="high", assignee_id=ada,
                             reasons=("keyword: charged twice", "negative sentiment"))

    html = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)

    assert f"<h1>Ticket {ticket_id}" in html
    assert "Charged twice for one order" in html
    assert "<dd>negative</dd>" in html and "<dd>-0.60</dd>" in html and "<dd>0.45</dd>" in html
    assert "<li>keyword: charged twice</li>" in html
    assert "Ada Lovelace" in html and "least busy agent" in html
    assert '<a href="https://x.example/sam/1" rel="noopener noreferrer" target="_blank">' in html


def test_a_post_shows_one_line_of_why_and_its_reasons_on_demand(world, client):
    ticket_id = world.ticket("The heater is burning", priority="urgent",
                             reasons=("model:neutral 0.61", "safety:fire ('burning') +1.00", "complaint +0.30"))

    html = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)

    assert re.search(r'<details class="why">\s*<summary><span class="priority urgent">Urgent: safety \(burning\)</span>'
                     r" · Delivery</summary>", html)
    assert "<li>safety:fire (&#39;burning&#39;) +1.00</li>" in html


@pytest.mark.parametrize(("platform", "shown"), [("x", "@sam"), ("reddit", "u/sam"), ("facebook", None),
                                                 ("reviews", None)])
def test_only_platforms_with_handles_show_one(world, client, platform, shown):
    ticket_id = world.ticket(platform=platform)

    html = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)

    assert "<strong><bdi>Sam Jones</bdi></strong>" in html
    assert "@sam" not in html if shown is None else f'<span class="handle">{shown}</span>' in html


def test_it_escapes_customer_text_on_the_ticket_page(world, client):
    ticket_id = world.ticket(HOSTILE, handle="<b>bold</b>")

    html = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)

    assert "<script>alert(1)" not in html
    assert "<img src=x" not in html
    assert "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in html


def test_it_links_a_post_only_when_its_url_is_http(world, client):
    ticket_id = world.ticket("Click me", url="javascript:alert(document.cookie)")

    html = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)

    assert "javascript:" not in html
    assert "view on X" not in html


def test_it_shows_times_in_the_configured_zone(sqlite_db, clock):
    world = make_world(sqlite_db, clock, timezone="Europe/Paris")
    world.agent()
    client = world.client()
    world.sign_in(client)
    ticket_id = world.ticket("Hello", due_in=30)

    html = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)

    assert "at 2026-01-05 10:30\xa0UTC+1</span>" in html


def test_it_answers_404_for_an_unknown_ticket(client):
    response = client.get("/tickets/999")

    assert response.status_code == 404
    assert "Ticket 999 does not exist." in response.get_data(as_text=True)


def test_it_limits_the_reply_box_to_the_platform_and_keys_each_render(world, client):
    ticket_id = world.ticket(platform="x")

    first = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    second = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)

    assert 'data-limit="280"' in first
    assert "maxlength" not in first.split('id="reply-body"')[1].split(">")[0]  # X weighs: a long link counts 23
    assert '<label for="reply-body">' in first
    assert '<script src="/static/reply.js" defer></script>' in first
    assert idempotency_key_in(first) != idempotency_key_in(second)


def test_a_customer_who_wrote_by_direct_message_is_answered_by_one_and_the_page_says_so(world, client):
    ticket_id = world.ticket("Sent you my order number, where is it?", kind="direct_message")

    form = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    client.post(f"/tickets/{ticket_id}/replies", data={"body": "Found it: it ships today."})
    page = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)

    assert "Your reply on X by direct message (up to 10000 characters" in form
    assert 'data-limit="10000" data-allows="X allows 10000 in a direct message"' in form
    [reply] = world.replies()
    assert reply.channel == "direct_message"
    assert '<span class="channel">by direct message</span>' in page
    auth = {"Authorization": f"Bearer {world.token(world.client())}"}
    assert world.client().get(f"/api/v1/replies/{reply.id}", headers=auth).get_json()["channel"] == "direct_message"


@pytest.mark.parametrize("platform, text, length", [
    ("x", "Refunds: example.com/refund", 32),
    ("x", "Write to help@acme.co.uk", 24),
    ("facebook", "Refunds: example.com/refund", 27),
])
def test_the_reply_box_is_told_the_length_as_the_platform_counts_it(world, client, platform, text, length):
    assert client.post("/replies/length", data={"platform": platform, "text": text}).get_json() == {"length": length}


def test_the_reply_length_of_an_unknown_platform_is_refused_naming_the_known_ones(world, client):
    response = client.post("/replies/length", data={"platform": "myspace", "text": "hi"})
    assert response.status_code == 400
    assert "there is no platform &#39;myspace&#39;; name one of x, facebook" in response.get_data(as_text=True)


def test_it_queues_a_reply_from_the_form(world, client, ada):
    ticket_id = world.ticket()
    key = idempotency_key_in(client.get(f"/tickets/{ticket_id}").get_data(as_text=True))

    response = client.post(f"/tickets/{ticket_id}/replies", data={"body": "So sorry! DM us.", "idempotency_key": key})

    assert response.status_code == 302
    assert response.headers["Location"] == f"/tickets/{ticket_id}"
    [reply] = world.replies()
    assert (reply.status, reply.body, reply.agent_id, reply.ticket_id) == ("queued", "So sorry! DM us.", ada, ticket_id)
    page = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "Reply queued" in page
    assert '<span class="delivery queued">queued</span>' in page


def test_it_queues_one_reply_when_the_form_is_sent_twice(world, client):
    ticket_id = world.ticket()
    form = {"body": "On it!", "idempotency_key": "a1b2c3"}

    client.post(f"/tickets/{ticket_id}/replies", data=form)
    client.post(f"/tickets/{ticket_id}/replies", data=form)

    assert len(world.replies()) == 1


@pytest.mark.parametrize("body, message", [
    ("   ", "the reply is empty"),
    ("x" * 281, "the reply counts 281 characters, 1 too many; X allows 280"),
])
def test_it_refuses_an_empty_or_overlong_reply_with_a_message(world, client, body, message):
    ticket_id = world.ticket(platform="x")

    response = client.post(f"/tickets/{ticket_id}/replies", data={"body": body}, follow_redirects=True)

    assert f"Reply not sent: {message}." in response.get_data(as_text=True)
    assert world.replies() == []


def test_a_refusal_that_ends_its_own_sentence_is_not_stopped_twice(world, client):
    ticket_id = world.ticket("Still no refund", platform="facebook", kind="direct_message",
                             opened_minutes_ago=2 * 24 * 60)

    response = client.post(f"/tickets/{ticket_id}/replies", data={"body": "Sorry!"}, follow_redirects=True)

    html = response.get_data(as_text=True)
    assert "or wait until the customer writes again.<" in html
    assert world.replies() == []

def test_it_refuses_a_reply_to_a_resolved_ticket(world, client):
    ticket_id = world.ticket(status="resolved")

    response = client.post(f"/tickets/{ticket_id}/replies", data={"body": "Hello?"}, follow_redirects=True)

    html = response.get_data(as_text=True)
    assert f"Reply not sent: ticket {ticket_id} is resolved; reopen it to reply." in html
    assert "replies are closed" in html
    assert world.replies() == []


def test_it_refuses_a_reply_to_an_unknown_ticket(world, client):
    response = client.post("/tickets/999/replies", data={"body": "Hello?"})

    assert response.status_code == 404
    assert "Ticket 999 does not exist." in response.get_data(as_text=True)
    assert world.replies() == []


def test_it_resolves_a_ticket_once_and_records_who_did(world, client):
    ticket_id = world.ticket()

    first = client.post(f"/tickets/{ticket_id}/resolve", follow_redirects=True)
    second = client.post(f"/tickets/{ticket_id}/resolve", follow_redirects=True)

    assert f"Ticket {ticket_id} is resolved." in first.get_data(as_text=True)
    assert f"Not done: ticket {ticket_id} is already resolved." in second.get_data(as_text=True)
    assert world.ticket_status(ticket_id) == "resolved"
    [event] = world.events(ticket_id, "resolved")
    assert event.actor == "ada@example.com"


def test_it_shows_a_failed_reply_with_its_error_and_retries_it(world, client):
    ticket_id = world.ticket()
    reply_id = world.failed_reply(ticket_id, error="X said: <duplicate content>")

    html = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    response = client.post(f"/replies/{reply_id}/retry")

    assert "Not posted after 3 attempts: X said: &lt;duplicate content&gt;" in html
    assert f'action="/replies/{reply_id}/retry"' in html
    assert response.headers["Location"] == f"/tickets/{ticket_id}"
    assert world.replies()[0].status == "queued"
    assert len(world.events(ticket_id, "reply_retried")) == 1


def test_it_shows_the_previous_tickets_of_the_same_customer(world, client, ada):
    earlier = world.ticket("Last month's problem", status="resolved", assignee_id=ada)
    current = world.ticket("A new problem", customer_id=world.customer_of(earlier))
    stranger = world.ticket("Someone else", handle="zed")

    html = client.get(f"/tickets/{current}").get_data(as_text=True)

    assert f'<a href="/tickets/{earlier}">#{earlier}</a>' in html
    assert f'<a href="/tickets/{stranger}">' not in html


def test_it_shows_the_activity_as_sentences_in_local_time(world, client):
    ticket_id = world.ticket()
    client.post(f"/tickets/{ticket_id}/replies", data={"body": "Looking into it"})

    html = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)

    assert re.search(r"Reply queued by Ada Lovelace · <time [^>]+ title=\"2026-01-05 09:00\xa0UTC\">09:00\xa0UTC</time>", html)


def test_a_raised_event_reads_with_its_main_reason_not_as_python(world, client):
    ticket_id = world.ticket("Where is my refund?")
    with world.db.transaction() as session:
        record_event(session, session.get(Ticket, ticket_id), "raised", world.clock.now(), priority="high",
                     reasons=["keyword:refund (money) +0.25", "question +0.20"])

    html = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)

    assert "Raised as high: money (refund) · <time" in html
    assert "[&#39;keyword" not in html


def test_view_on_links_go_to_the_page_the_account_names(db, clock):
    world = make_world(db, clock, accounts={"demo_x": {"platform": "x", "base_url": "http://127.0.0.1:8081",
                                                       "post_page": "http://127.0.0.1:8081/_emulator/x/posts/{id}"}})
    world.agent()
    client = world.client()
    world.sign_in(client)
    ticket_id = world.ticket()

    html = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)

    assert re.search(r'<a href="http://127.0.0.1:8081/_emulator/x/posts/m\d+" [^>]*>view on X</a>', html)
